package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/gpu"
	"github.com/fleetbench/fleetbench/results"
)

func init() { register(newGPUCmd) }

func newGPUCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gpu",
		Short: "Inspect the local NVIDIA GPUs and the GPU telemetry of results",
		Long: `gpu reads the local NVIDIA GPUs through NVML (the library that ships with the
driver; nothing to install). On a machine without a driver or GPU the
subcommands say so in one line and exit 0.`,
	}
	cmd.AddCommand(newGPUInfoCmd(), newGPUSummaryCmd())
	return cmd
}

func newGPUInfoCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info",
		Short: "List the GPUs: name, UUID, memory, clocks, power limit, temperature, driver and CUDA versions",
		Long: `info lists every GPU NVML sees (NVML indices ignore CUDA_VISIBLE_DEVICES):
name and closest catalog entry, UUID, memory used and total, current and
maximum SM and memory clocks, power draw and enforced limit, temperature and
utilization, plus the driver, CUDA and NVML versions. Without NVML or a GPU it
prints one line saying so and exits 0 (JSON: "status" is no_nvml or no_device).`,
		Example: "  fleetbench gpu info\n  fleetbench gpu info --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGPUInfo(cmd.OutOrStdout(), format, gpu.ReadInfo)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

// gpuInfoJSON is `gpu info --format json`: the info plus a status, so that
// a script can tell "no GPU here" from a list.
type gpuInfoJSON struct {
	Status string `json:"status"` // ok | no_nvml | no_device
	Error  string `json:"error,omitempty"`
	*gpu.Info
}

// runGPUInfo prints what read returns in format.
func runGPUInfo(out io.Writer, format string, read func() (*gpu.Info, error)) error {
	if format != "table" && format != "json" {
		return usageErr(fmt.Errorf("--format %q: want table or json", format))
	}
	info, err := read()
	if err != nil && !gpu.IsUnavailable(err) {
		return failErr(fmt.Errorf("gpu info: %w", err))
	}
	if format == "json" {
		doc := gpuInfoJSON{Status: results.TelemetryOK, Info: info}
		if err != nil {
			doc.Status, doc.Error, doc.Info = results.TelemetryNoDevice, err.Error(), &gpu.Info{Devices: []gpu.DeviceInfo{}}
			if errors.Is(err, gpu.ErrNoNVML) {
				doc.Status = results.TelemetryNoNVML
			}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(doc); werr != nil {
			return failErr(werr)
		}
		return nil
	}
	if err != nil {
		_, werr := fmt.Fprintf(out, "no GPU information: %v\n", err)
		return werr
	}
	if werr := info.WriteText(out); werr != nil {
		return failErr(werr)
	}
	return nil
}

func newGPUSummaryCmd() *cobra.Command {
	var require bool
	cmd := &cobra.Command{
		Use:   "summary FILE",
		Short: "Print the GPU telemetry of a result file (utilization, memory, power, energy per token)",
		Long: `summary prints the "telemetry" section that "fleetbench run --gpu-telemetry auto"
records: per GPU the average utilization and memory-bandwidth utilization,
peak memory, average and peak power, energy, SM clock, peak temperature and
failed reads, then all GPUs together and the energy per output token. A
result without telemetry prints one line saying why; --require makes that
exit 1 (for checks on GPU machines).`,
		Example: "  fleetbench gpu summary run.json\n  fleetbench gpu summary run.json --require",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGPUSummary(cmd.OutOrStdout(), args[0], require)
		},
	}
	cmd.Flags().BoolVar(&require, "require", false, "exit 1 when the result holds no GPU samples")
	return cmd
}

// runGPUSummary prints the telemetry summary of the result file at path.
func runGPUSummary(out io.Writer, path string, require bool) error {
	r, err := readResult(path)
	if err != nil {
		return err
	}
	if err := r.Telemetry.WriteSummary(out); err != nil {
		return failErr(err)
	}
	if require && !r.Telemetry.Recorded() {
		return failErr(fmt.Errorf("%s holds no GPU telemetry samples (--require): run with --gpu-telemetry auto on a machine with an NVIDIA driver and GPU", path))
	}
	return nil
}
