// Package schema generates the JSON Schemas of fleetbench's result file
// (fleetbench.result/v1) and sweep file (fleetbench.sweep/v1) from their Go
// types, so the schema cannot drift from what fleetbench writes. The
// checked-in copies live in docs/schema/ (a test fails when they differ
// from the generated ones); `fleetbench schema` prints them.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Names are the schemas Generate knows, in the order `fleetbench schema`
// lists them.
var Names = []string{"result", "sweep"}

// ID is the $id of schema name.
func ID(name string) string {
	return "https://fleetbench.dev/schema/" + name + ".schema.json"
}

// Generate returns the JSON Schema (draft 2020-12) of the named file kind,
// indented, with a trailing newline.
func Generate(name string) ([]byte, error) {
	var v any
	var id, title string
	switch name {
	case "result":
		v, id, title = &results.Result{}, results.Schema, "fleetbench result file"
	case "sweep":
		v, id, title = &sweepfile.Sweep{}, sweepfile.Schema, "fleetbench sweep file"
	default:
		return nil, fmt.Errorf("no schema %q (want %s)", name, strings.Join(Names, " or "))
	}
	r := &jsonschema.Reflector{}
	s := r.Reflect(v)
	s.ID = jsonschema.ID(ID(name))
	s.Title = title
	s.Description = "Generated from fleetbench's Go types (schema field: " + id + "); do not edit: run go test ./schema -update."
	allowNulls(s, reflect.TypeOf(v).Elem())
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// allowNulls lets every property that encoding/json can write as null
// (a pointer, slice, map or interface field without omitempty), and every
// element of a slice of pointers to numbers, be null:
// the reflector types them as their element only, but fleetbench writes
// null for what was not measured.
func allowNulls(s *jsonschema.Schema, root reflect.Type) {
	types := map[string]reflect.Type{}
	collect(root, types)
	for name, def := range s.Definitions {
		t, ok := types[name]
		if !ok || def.Properties == nil {
			continue
		}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			key, opts, _ := strings.Cut(tag, ",")
			if tag == "-" || !f.IsExported() {
				continue
			}
			if key == "" {
				key = f.Name
			}
			if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Pointer && f.Type.Elem().Elem().Kind() != reflect.Struct {
				// A nil number is written as null (a timeline bucket
				// nothing was measured in); lists of structs hold none.
				if p, ok := def.Properties.Get(key); ok && p != nil && p.Items != nil {
					alt := *p.Items
					p.Items = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{&alt, {Type: "null"}}}
				}
			}
			if strings.Contains(opts, "omitempty") {
				continue
			}
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			default:
				continue
			}
			p, ok := def.Properties.Get(key)
			if !ok || p == nil || (p.Type == "" && p.Ref == "") {
				continue // an untyped schema already admits null
			}
			alt := *p
			*p = jsonschema.Schema{AnyOf: []*jsonschema.Schema{&alt, {Type: "null"}}, Description: alt.Description}
			alt.Description = ""
		}
	}
}

// collect maps the reflector's definition names (the bare type names) to
// every struct type reachable from t.
func collect(t reflect.Type, seen map[string]reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	if _, ok := seen[t.Name()]; ok {
		return
	}
	seen[t.Name()] = t
	for i := range t.NumField() {
		collect(t.Field(i).Type, seen)
	}
}
