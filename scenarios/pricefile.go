package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/parser"

	"github.com/fleetbench/fleetbench/pricing"
)

// PriceFile is the --price-file format: a default list for every class and
// per-class lists that replace it, keyed by class name. Each list has the
// schema of a class's `pricing:` and is validated by the same code.
//
//	default: {currency: USD, input_per_mtok: 0.6, cached_input_per_mtok: 0.15, output_per_mtok: 2.4}
//	classes:
//	  agent: {per_task: 0.05}
type PriceFile struct {
	Default *pricing.List            `yaml:"default,omitempty"`
	Classes map[string]*pricing.List `yaml:"classes,omitempty"`
}

// maxPriceFile bounds a price file; real ones are a few hundred bytes, and
// a bound keeps a hostile file from costing memory.
const maxPriceFile = 64 << 10

// ParsePriceFile parses and validates a price file (YAML, see PriceFile)
// named name and returns class -> list, with "*" for the default. Errors
// are an ErrorList whose entries read file:line:col: message, as for a
// scenario file.
func ParsePriceFile(name string, data []byte) (out map[string]*pricing.List, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, ErrorList{{File: name, Msg: fmt.Sprintf("internal error parsing price file: %v (please report)", r)}}
		}
	}()
	if len(data) > maxPriceFile {
		return nil, ErrorList{{File: name, Msg: fmt.Sprintf("price file is %d bytes, more than the %d allowed: a price file lists a few prices", len(data), maxPriceFile)}}
	}
	if err := noAliases(name, data); err != nil {
		return nil, err
	}
	f, perr := parser.ParseBytes(stripBOM(data), 0)
	if perr != nil {
		return nil, syntaxError(name, perr)
	}
	d := newDecoder(name)
	d.root = "the price file"
	d.keyPos[""] = pos{1, 1}
	var pf PriceFile
	docs := 0
	for _, doc := range f.Docs {
		if doc == nil || isNull(doc.Body) {
			continue
		}
		if docs++; docs > 1 {
			d.errAt(nodePos(doc.Body), "a price file holds one YAML document; remove the extra ---")
			continue
		}
		d.decode(doc.Body, reflect.ValueOf(&pf).Elem(), "")
	}
	v := &validator{d: d}
	out = map[string]*pricing.List{}
	if pf.Default != nil {
		v.pricing(pf.Default, "default")
		out["*"] = pf.Default
	}
	names := make([]string, 0, len(pf.Classes))
	for c := range pf.Classes {
		names = append(names, c)
	}
	slices.Sort(names)
	for _, c := range names {
		p, at := pf.Classes[c], "classes."+c
		switch {
		case p == nil:
			v.errf(at, "%s: empty price list (give at least one price, e.g. {per_task: 0.05})", at)
		case c == "*" || strings.TrimSpace(c) == "":
			v.errf(at, "classes: %q is not a class name (use the default key for every class)", c)
		default:
			v.pricing(p, at)
			out[c] = p
		}
	}
	if len(d.errs) == 0 && len(out) == 0 {
		d.errAt(pos{1, 1}, "no prices: give a default list and/or classes (e.g. `default: {input_per_mtok: 0.6, output_per_mtok: 2.4}`)")
	}
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	return out, nil
}

// noAliases rejects YAML anchors and aliases: a price file has no use for
// them, and refusing them keeps its parse cheap.
func noAliases(name string, data []byte) error {
	for i, line := range strings.Split(string(data), "\n") {
		code, _, _ := strings.Cut(line, "#")
		if j := strings.IndexAny(code, "&*"); j >= 0 {
			return ErrorList{{File: name, Line: i + 1, Col: j + 1, Msg: "YAML anchors and aliases (& and *) are not allowed in a price file"}}
		}
	}
	return nil
}
