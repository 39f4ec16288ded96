#!/usr/bin/env bash
# deadcode-check.sh: `make deadcode` (part of `make test`). Fails on
# functions that nothing needs, found by deadcode (a Go tool pinned in
# go.mod) from the call graph of fleetbench's main and of every test:
#
#   1. Reached by neither the program nor any test: dead. Remove it, or use
#      it where it was meant to be used.
#   2. Reached only from tests: allowed only when listed, with the reason,
#      in scripts/deadcode-allow.txt — test helpers that tests in other
#      packages share, the calibration code `make validate` runs, small
#      accessors kept for tests. Anything else the product does not call is
#      dead code kept alive by its own test: remove both.
#
# An allow-list entry the program now reaches is stale and only reported.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
mod=$($GO list -m)
# The programs: fleetbench and make overload's load probe.
mains="./cmd/fleetbench ./runners/internal/loadprobe"
fmt='{{range .Funcs}}{{$.Path}}.{{.Name}}{{"\t"}}{{.Position}}{{"\n"}}{{end}}'
strip() { sed "s|^$mod/||; s|^$mod\.|.|"; }

dead=$($GO tool deadcode -test -f "$fmt" ./... | strip | sort)
fail=0
if [[ -n "$dead" ]]; then
	echo "deadcode: unreachable even from the tests (remove them, or use them):"
	echo "$dead" | awk -F'\t' '{printf "  %s: %s\n", $2, $1}'
	fail=1
fi

allow=scripts/deadcode-allow.txt
allowed=$(sed 's/#.*//' "$allow" | awk 'NF {print $1}' | sort -u)
testonly=$($GO tool deadcode -f "$fmt" $mains | strip | sort)
extra=$(join -t $'\t' -v 1 <(echo "$testonly") <(echo "$allowed") || true)
if [[ -n "$extra" ]]; then
	echo "deadcode: reached only from tests and not in $allow (remove them with their tests, or list them there with the reason):"
	echo "$extra" | awk -F'\t' 'NF {printf "  %s: %s\n", $2, $1}'
	fail=1
fi
stale=$(join -t $'\t' -v 2 <(echo "$testonly" | cut -f1) <(echo "$allowed") || true)
if [[ -n "$stale" ]]; then
	echo "deadcode: note: the program now reaches these entries of $allow (delete them there):"
	echo "$stale" | sed 's/^/  /'
fi
if [[ $fail == 0 ]]; then
	echo "deadcode: ok ($(echo "$testonly" | grep -c . || true) functions used only by tests, all listed in $allow)"
fi
exit $fail
