# Sourced by the scripts that build fleetbench: go-nvml's header marks a few
# dozen NVML calls deprecated and gcc prints ~30 warnings about them on a
# cold build. They are the vendor header's, not ours; the Makefile sets the
# same flags, so scripts and make share the build cache.
case " ${CGO_CFLAGS:-} " in
*" -Wno-deprecated-declarations "*) ;;
*) export CGO_CFLAGS="${CGO_CFLAGS:--O2 -g} -Wno-deprecated-declarations" ;;
esac
