package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// newRoot builds the command tree. Each subcommand file registers itself
// through addCommands so that files stay independent.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "fleetbench",
		Short: "Benchmark and simulate LLM and video-generation serving fleets",
		Long: `fleetbench runs one scenario file (chat, multi-turn agents, video bursts or a
replayed trace) against a real OpenAI-compatible endpoint or through a
discrete-event simulator of prefill/decode-separated GPU fleets, and reports
TTFT, TPOT, ITL, E2E, KV-cache hit rate, goodput under SLOs and cost per task.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newVersionCmd())
	for _, add := range commandBuilders {
		root.AddCommand(add())
	}
	return root
}

// commandBuilders holds constructors registered by other files' init().
var commandBuilders []func() *cobra.Command

func register(f func() *cobra.Command) { commandBuilders = append(commandBuilders, f) }

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the fleetbench version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(cmd.OutOrStdout(), "fleetbench %s\n", v)
			return nil
		},
	}
}

// execute runs the CLI and maps errors to exit codes: 0 ok, 1 failure
// (including a failed gate), 2 bad input.
func execute(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	printErr(stderr, err)
	var ec *exitCode
	if errors.As(err, &ec) {
		return ec.code
	}
	// cobra's own flag and argument errors are usage errors.
	return 2
}
