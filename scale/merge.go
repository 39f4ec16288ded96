package scale

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/results"
)

// maxFile bounds a scale file read (a curve of a few levels is kilobytes;
// probes make it at most a few megabytes).
const maxFile = 64 << 20

// ReadFile reads a scale-curve file.
func ReadFile(path string) (*Curve, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFile {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a scale file may have", path, st.Size(), maxFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Curve
	if err := results.UnmarshalFile(path, data, &c, "scale curve"); err != nil {
		return nil, err
	}
	if c.Schema != Schema {
		if other := results.OtherKind(c.Schema, "fleetbench.scale/"); other != "" {
			return nil, fmt.Errorf("%s: schema is %q: this is %s, not a scale curve file (the files scale -o writes)", path, c.Schema, other)
		}
		return nil, fmt.Errorf("%s: schema is %q, want %q: regenerate the file or use a matching fleetbench version", path, c.Schema, Schema)
	}
	return &c, nil
}

// Merge joins shards of one scale search (--shard i/n, same scenario,
// kinds and tier): levels are united by traffic and decomposed again.
func Merge(cs ...*Curve) (*Curve, error) {
	if len(cs) == 0 {
		return nil, errors.New("scale: merge: no curves")
	}
	first := cs[0]
	out := &Curve{Schema: Schema, Scenario: first.Scenario, Kinds: first.Kinds, TierBlocksPerInstance: first.TierBlocksPerInstance}
	n := 0
	var seen []int
	for i, c := range cs {
		if c.Shard == "" {
			return nil, fmt.Errorf("scale: merge: curve %d is not a shard (run with --shard i/n)", i+1)
		}
		lhs, rhs, _ := strings.Cut(c.Shard, "/")
		si, err1 := strconv.Atoi(lhs)
		sn, err2 := strconv.Atoi(rhs)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("scale: merge: curve %d: bad shard %q", i+1, c.Shard)
		}
		if n == 0 {
			n = sn
		}
		if sn != n || slices.Contains(seen, si) {
			return nil, fmt.Errorf("scale: merge: curve %d is shard %s: pass each shard of one --shard i/%d run once", i+1, c.Shard, n)
		}
		seen = append(seen, si)
		if c.Scenario != first.Scenario || !slices.Equal(c.Kinds, first.Kinds) || c.TierBlocksPerInstance != first.TierBlocksPerInstance {
			return nil, fmt.Errorf("scale: merge: curve %d ran another scenario, seed or options than curve 1: only shards of one search merge", i+1)
		}
		for _, l := range c.Levels {
			l.Change, l.LinearGPUs, l.Saving = nil, 0, nil
			out.Levels = append(out.Levels, l)
		}
		for _, note := range c.Notes {
			if strings.HasPrefix(note, "calibration:") && !slices.Contains(out.Notes, note) {
				out.Notes = append(out.Notes, note)
			}
		}
	}
	if len(seen) != n {
		out.Shard = fmt.Sprintf("%d of %d shards", len(seen), n)
	}
	slices.SortFunc(out.Levels, func(a, b Level) int { return a.Index - b.Index })
	Decompose(out)
	return out, nil
}
