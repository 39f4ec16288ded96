package htmlreport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// maxFileBytes bounds one input file; a sweep with --keep-results of a few
// hundred points stays well under it.
const maxFileBytes = 512 << 20

// Load reads result and sweep files (told apart by their "schema") into an
// Input, labelled by file name (by path where two names clash), in the
// order given.
func Load(paths []string) (Input, error) {
	var in Input
	if len(paths) == 0 {
		return in, errors.New("htmlreport: no files given: pass result files (fleetbench sim -o) or sweep files (fleetbench sweep -o)")
	}
	labels := labelsFor(paths)
	for i, p := range paths {
		data, err := readLimited(p)
		if err != nil {
			return in, err
		}
		if err := in.add(labels[i], data, p); err != nil {
			return in, err
		}
	}
	return in, nil
}

// add decodes one file's bytes into in; name is used in errors.
func (in *Input) add(label string, data []byte, name string) error {
	var head struct {
		Schema string `json:"schema"`
	}
	// A syntax error is reported by the decoder below with line:column.
	_ = json.Unmarshal(data, &head)
	switch head.Schema {
	case sweepfile.Schema:
		s, err := DecodeSweep(bytes.NewReader(data), name)
		if err != nil {
			return err
		}
		in.Sweeps = append(in.Sweeps, SweepRun{Label: label, Sweep: s})
	default:
		// Results, and anything unrecognised: results.Decode says what is
		// wrong with it (no schema, wrong version, bad JSON at line:col).
		r, err := results.Decode(bytes.NewReader(data), name)
		if err != nil {
			if head.Schema == "" || strings.HasPrefix(head.Schema, "fleetbench.result/") {
				return err
			}
			return fmt.Errorf("htmlreport: %s: schema %q is neither a result (%s) nor a sweep (%s)", name, head.Schema, results.Schema, sweepfile.Schema)
		}
		in.Runs = append(in.Runs, Run{Label: label, Result: r})
	}
	return nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("htmlreport: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("htmlreport: read %s: %w", path, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("htmlreport: %s is larger than %d MiB: not a fleetbench result or sweep file", path, maxFileBytes>>20)
	}
	return data, nil
}

// labelsFor names files by base name without ".json", or by path when two
// base names clash.
func labelsFor(paths []string) []string {
	out := make([]string, len(paths))
	count := map[string]int{}
	for i, p := range paths {
		out[i] = strings.TrimSuffix(filepath.Base(p), ".json")
		count[out[i]]++
	}
	for i, p := range paths {
		if count[out[i]] > 1 {
			out[i] = p
		}
	}
	return out
}

// DecodeSweep reads and checks a sweep file (fleetbench.sweep/v1) with
// sweepfile.Decode and drops the full per-point results, which the
// report does not draw, so a big sweep stays cheap to hold.
func DecodeSweep(r io.Reader, name string) (*sweepfile.Sweep, error) {
	s, err := sweepfile.Decode(r, name)
	if err != nil {
		return nil, err
	}
	for i := range s.Points {
		s.Points[i].Result = nil
	}
	if s.Answer != nil {
		s.Answer.Result = nil
	}
	return s, nil
}
