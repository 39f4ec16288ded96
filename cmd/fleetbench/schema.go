package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/schema"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema [result|sweep]",
		Short: "Print the JSON Schema of the result file (default) or the sweep file",
		Long: `schema prints the JSON Schema (draft 2020-12) of fleetbench's result file
(fleetbench.result/v1) or sweep file (fleetbench.sweep/v1), generated from the
Go types that write them; docs/schema/ holds the same schemas.`,
		Example:   "  fleetbench schema > result.schema.json\n  fleetbench schema sweep",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: schema.Names,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "result"
			if len(args) == 1 {
				name = args[0]
			}
			b, err := schema.Generate(name)
			if err != nil {
				return usageErr(err)
			}
			_, err = fmt.Fprint(cmd.OutOrStdout(), string(b))
			return err
		},
	}
}
