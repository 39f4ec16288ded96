package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

func init() { register(newScenarioCmd) }

func newScenarioCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "List, show, validate, sample and measure workload scenarios",
		Long: `A scenario file describes a workload: chat, multi-turn agents with sub-agents,
video bursts or a replayed trace. NAME is a built-in scenario (see "scenario
list"); FILE is a path to a YAML scenario file.`,
	}
	cmd.AddCommand(newScenarioListCmd(), newScenarioShowCmd(), newScenarioValidateCmd(),
		newScenarioSampleCmd(), newScenarioStatsCmd())
	return cmd
}

// resolveScenario loads NAME|FILE, marking a bad name or file as bad input.
func resolveScenario(arg string) (*scenarios.Scenario, error) {
	s, err := scenarios.Resolve(arg)
	if err != nil {
		return nil, usageErr(err)
	}
	return s, nil
}

func newScenarioListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listScenarios(cmd.OutOrStdout())
		},
	}
}

func listScenarios(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, name := range scenarios.BuiltinNames() {
		s, err := scenarios.Builtin(name)
		if err != nil {
			return failErr(fmt.Errorf("built-in %s is broken: %w", name, err))
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, s.Description)
	}
	return tw.Flush()
}

func newScenarioShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME|FILE",
		Short: "Print a scenario as normalized YAML, every default filled in",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := resolveScenario(args[0])
			if err != nil {
				return err
			}
			b, err := s.Normalized()
			if err != nil {
				return failErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# source: %s\n# hash: %s\n", s.Source, s.Hash())
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
}

func newScenarioValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files; report every problem as file:line:col",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return validateScenarios(cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
		},
	}
}

func validateScenarios(out, errOut io.Writer, files []string) error {
	bad := 0
	for _, f := range files {
		s, err := scenarios.Resolve(f)
		if err == nil {
			err = checkScenarioFleet(s) // its default fleet as sim builds it
		}
		if err == nil {
			err = checkVideoModels(s, sim.ConfigFromScenario(s))
		}
		if err != nil {
			bad++
			fmt.Fprintln(errOut, err)
			continue
		}
		fmt.Fprintf(out, "ok %s (%d classes, hash %s)\n", f, len(s.Classes), s.Hash())
	}
	if bad > 0 {
		return usageErr(fmt.Errorf("%d of %d scenario files are invalid", bad, len(files)))
	}
	return nil
}

// sampleFlags are the flags sample and stats share.
type sampleFlags struct {
	n    int
	seed uint64
}

func (f *sampleFlags) add(cmd *cobra.Command, defN int) {
	cmd.Flags().IntVarP(&f.n, "n", "n", defN, "number of requests to generate (agent turns included)")
	cmd.Flags().Uint64Var(&f.seed, "seed", 0, "override the scenario's seed")
}

func (f *sampleFlags) workload(cmd *cobra.Command, arg string) (*scenarios.Scenario, *scenarios.Workload, error) {
	if f.n < 1 {
		return nil, nil, usageErr(errors.New("-n must be at least 1"))
	}
	s, err := resolveScenario(arg)
	if err != nil {
		return nil, nil, err
	}
	var o scenarios.WorkloadOptions
	if cmd.Flags().Changed("seed") {
		o.Seed = &f.seed
	}
	w, err := s.NewWorkload(o)
	if err != nil {
		return nil, nil, failErr(err)
	}
	return s, w, nil
}

func newScenarioSampleCmd() *cobra.Command {
	var f sampleFlags
	var format string
	cmd := &cobra.Command{
		Use:   "sample NAME|FILE",
		Short: "Print the first requests a scenario generates (byte-identical for a seed)",
		Long: `sample drives the workload with a zero-latency server: every request completes
at its arrival with its requested output length, so agent turns and sub-agents
appear in time order. The output depends only on the scenario and the seed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != scenarios.FormatJSONL && format != scenarios.FormatTable {
				return usageErr(fmt.Errorf("--format %q: use jsonl or table", format))
			}
			_, w, err := f.workload(cmd, args[0])
			if err != nil {
				return err
			}
			defer w.Close()
			if err := scenarios.WriteSample(cmd.OutOrStdout(), w, f.n, format); err != nil {
				return failErr(err)
			}
			return nil
		},
	}
	f.add(cmd, 20)
	cmd.Flags().StringVar(&format, "format", scenarios.FormatJSONL, "output format: jsonl or table")
	return cmd
}

func newScenarioStatsCmd() *cobra.Command {
	var f sampleFlags
	cmd := &cobra.Command{
		Use:   "stats NAME|FILE",
		Short: "Measure a scenario: arrival rates, lengths, turns, prefix-reuse upper bound",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, w, err := f.workload(cmd, args[0])
			if err != nil {
				return err
			}
			defer w.Close()
			st, err := scenarios.ComputeStats(s, w, f.n)
			if err != nil {
				return failErr(err)
			}
			return st.WriteTable(cmd.OutOrStdout())
		},
	}
	f.add(cmd, 100000)
	return cmd
}
