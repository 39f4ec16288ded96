package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// Issue is one problem found in a scenario file, located at file:line:col.
// Line and Col are 1-based; 0 means the position is unknown.
type Issue struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (i *Issue) Error() string {
	switch {
	case i.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", i.File, i.Line, i.Col, i.Msg)
	case i.File != "":
		return fmt.Sprintf("%s: %s", i.File, i.Msg)
	}
	return i.Msg
}

// ErrorList is every problem found in a scenario file, in file order. Load
// and Parse return it (as error) so a user fixes all of them in one pass.
type ErrorList []*Issue

func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// sorted orders issues by position and drops exact duplicates (the same
// fault can be reached twice, e.g. through a YAML alias).
func (l ErrorList) sorted() ErrorList {
	sort.SliceStable(l, func(a, b int) bool {
		if l[a].Line != l[b].Line {
			return l[a].Line < l[b].Line
		}
		return l[a].Col < l[b].Col
	})
	out := l[:0]
	for i, e := range l {
		if i > 0 && *e == *l[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// suggest returns ` (did you mean "x"?)` when a known key is close to the
// misspelled one, otherwise a list of the valid keys.
func suggest(key string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len(key) > 8 {
		limit = 3
	}
	if best != "" && bestD <= limit {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "valid keys: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// IssueAt is err placed at the position of path (a field path such as
// "fleet.spec" or "fleet.pools.prefill.redundant_experts", or its closest
// ancestor the file sets) in the scenario's file: "file:line:col: path:
// err". It is for checks made after loading, such as the simulator
// refusing the fleet's layout, so that they point into the file as the
// loader's own do.
func (s *Scenario) IssueAt(path string, err error) *Issue {
	p := posOf(s.keyPos, path)
	return &Issue{File: s.posFile, Line: p.line, Col: p.col, Msg: path + ": " + err.Error()}
}

// Sets reports whether the scenario's file sets path.
func (s *Scenario) Sets(path string) bool {
	_, ok := s.keyPos[path]
	return ok
}
