package dist

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

// empirical samples a weighted table in O(1) with Walker's alias method
// (Vose's construction): one uniform draw picks a column and, from its
// fractional part, either the column's own value or its alias.
type empirical struct {
	clamp
	values []float64
	prob   []float64 // probability of keeping column i rather than its alias
	alias  []int32
	mean   float64
}

func newEmpirical(c clamp, values, weights []float64) *empirical {
	n := len(values)
	e := &empirical{clamp: c, values: values, prob: make([]float64, n), alias: make([]int32, n)}
	total := 0.0
	for i := range values {
		total += weight(weights, i)
	}
	scaled := make([]float64, n)
	small := make([]int32, 0, n)
	large := make([]int32, 0, n)
	for i := range values {
		w := weight(weights, i) / total
		e.mean += w * values[i]
		scaled[i] = w * float64(n)
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		e.prob[s], e.alias[s] = scaled[s], l
		// The large column gives away what fills the small one.
		scaled[l] = scaled[l] + scaled[s] - 1
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What is left is 1 up to rounding error: keep those columns whole.
	for _, i := range large {
		e.prob[i], e.alias[i] = 1, i
	}
	for _, i := range small {
		e.prob[i], e.alias[i] = 1, i
	}
	return e
}

func weight(weights []float64, i int) float64 {
	if len(weights) == 0 {
		return 1
	}
	return weights[i]
}

func (e *empirical) Sample(r *rand.Rand) float64 {
	u := r.Float64() * float64(len(e.values))
	i := int(u)
	if i >= len(e.values) { // u rounds up to n only if n is huge; be safe
		i = len(e.values) - 1
	}
	v := e.values[i]
	if u-float64(i) >= e.prob[i] {
		v = e.values[e.alias[i]]
	}
	return e.apply(v)
}

func (e *empirical) Mean() float64 { return e.mean }

// maxEmpiricalLines bounds an empirical file so that a wrong path (a trace, a
// binary) fails fast instead of loading gigabytes into a sampling table.
const maxEmpiricalLines = 10_000_000

// readEmpiricalFile loads a table for {dist: empirical, file: ...}.
func readEmpiricalFile(path string) (values, weights []float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fielderr.New("file", "the path is relative to the scenario file's folder", "cannot open empirical table: %v", err)
	}
	defer f.Close()
	values, weights, err = ParseEmpirical(f, path)
	if err != nil {
		return nil, nil, fielderr.New("file", "write one value per line, or value,weight; # starts a comment", "%v", err)
	}
	return values, weights, nil
}

// ParseEmpirical reads an empirical table: one value per line, or
// "value,weight" (a line without a weight has weight 1). Blank lines and
// lines starting with # are skipped, and so is a first line that does not
// start with a digit (a header such as "tokens,count"). Errors read
// "name:line: message". weights is nil when no line carries a weight.
func ParseEmpirical(r io.Reader, name string) (values, weights []float64, err error) {
	values, weights, _, err = parseEmpirical(r, name)
	return values, weights, err
}

// Largest is where an empirical table's largest value is: its value and
// the 1-based line and column of the entry in the file.
type Largest struct {
	Value     float64
	Line, Col int
}

// FileLargest reads the empirical table of s (dist: empirical with file,
// relative to baseDir) and returns its largest value and where it is, for
// validation against the limits. ok is false when s has no file or the
// file does not read (New reports why).
func FileLargest(s Spec, baseDir string) (top Largest, ok bool) {
	if s.Dist != "empirical" || s.File == "" {
		return top, false
	}
	path := s.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return top, false
	}
	defer f.Close()
	if _, _, top, err = parseEmpirical(f, path); err != nil {
		return top, false
	}
	return top, true
}

// parseEmpirical is ParseEmpirical that also finds the largest value.
func parseEmpirical(r io.Reader, name string) (values, weights []float64, top Largest, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line, anyWeight, seen, total := 0, false, false, 0.0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		b := bytes.TrimSpace(raw)
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		first := !seen
		seen = true
		if first && !startsNumeric(b) {
			continue // header
		}
		vs, ws, hasW := b, []byte(nil), false
		if i := bytes.IndexByte(b, ','); i >= 0 {
			vs, ws, hasW = bytes.TrimSpace(b[:i]), bytes.TrimSpace(b[i+1:]), true
		}
		v, perr := strconv.ParseFloat(string(vs), 64)
		if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, nil, top, fmt.Errorf("%s:%d: value %q is not a finite non-negative number", name, line, vs)
		}
		w := 1.0
		if hasW {
			w, perr = strconv.ParseFloat(string(ws), 64)
			if perr != nil || math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return nil, nil, top, fmt.Errorf("%s:%d: weight %q is not a finite non-negative number", name, line, ws)
			}
			anyWeight = true
		}
		if len(values) >= maxEmpiricalLines {
			return nil, nil, top, fmt.Errorf("%s:%d: more than %d entries; is this the right file?", name, line, maxEmpiricalLines)
		}
		if len(values) == 0 || v > top.Value {
			top = Largest{Value: v, Line: line, Col: len(raw) - len(bytes.TrimLeft(raw, " \t")) + 1}
		}
		values = append(values, v)
		weights = append(weights, w)
		total += w
	}
	if err := sc.Err(); err != nil {
		return nil, nil, top, fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	if len(values) == 0 {
		return nil, nil, top, fmt.Errorf("%s: no values", name)
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, nil, top, fmt.Errorf("%s: weights sum to %v; at least one must be positive and the sum finite", name, total)
	}
	if !anyWeight {
		weights = nil
	}
	return values, weights, top, nil
}

// startsNumeric reports whether b looks like the start of a number, which is
// how a header line is told apart from data.
func startsNumeric(b []byte) bool {
	c := b[0]
	return c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+'
}
