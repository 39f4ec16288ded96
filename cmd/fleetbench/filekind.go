package main

import (
	"fmt"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scale"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// fileKinds names the kinds of file fleetbench writes, by schema.
var fileKinds = map[string]string{
	results.Schema:   "a result file",
	sweepfile.Schema: "a sweep file",
	scale.Schema:     "a scale curve file",
}

// sameFileKind refuses files of different kinds given to one command
// (compare or merge of a result beside a sweep): each reader alone said
// "schema is X, want Y: regenerate the file or use a matching fleetbench
// version", as if one file came from another release. A file whose
// schema is unknown or unreadable is left to its reader to diagnose.
func sameFileKind(command string, paths []string) error {
	var kinds []string
	first := ""
	mixed := false
	for _, p := range paths {
		schema, err := results.FileSchema(p)
		kind, ok := fileKinds[schema]
		if err != nil || !ok {
			return nil
		}
		if first == "" {
			first = kind
		}
		mixed = mixed || kind != first
		kinds = append(kinds, fmt.Sprintf("%s is %s (%s)", p, kind, schema))
	}
	if !mixed {
		return nil
	}
	return fmt.Errorf("%s takes files of one kind (results, sweeps or scale curves), all written by the same kind of command: %s", command, strings.Join(kinds, ", "))
}
