package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// pos is a 1-based line and column in the scenario file.
type pos struct{ line, col int }

// numberShorthand is implemented by specs that accept a bare number in place
// of a mapping (dist.Spec: `output: 256` = {dist: fixed, value: 256}).
type numberShorthand interface{ SetFixed(v float64) }

// stringShorthand is implemented by specs that accept a bare string in
// place of a mapping (ModelRef: `model: deepseek-v3` = {id: deepseek-v3}).
type stringShorthand interface{ SetShorthand(s string) }

var (
	durationType        = reflect.TypeFor[time.Duration]()
	shorthandType       = reflect.TypeFor[numberShorthand]()
	stringShorthandType = reflect.TypeFor[stringShorthand]()
)

// maxNodes bounds the work a decode does, so that a file built from nested
// aliases ("billion laughs") fails with a message instead of exhausting memory.
const maxNodes = 200_000

// decoder turns a go-yaml AST into Go structs by their `yaml` tags. Unlike
// yaml.Unmarshal it keeps going after an error, so a file with three
// mistakes reports three positions, and it records where every key was so
// that later validation errors (which only know a field path) point at the
// right line and column.
type decoder struct {
	file    string
	root    string // what the file is, for messages: "the scenario", "the price file"
	errs    ErrorList
	keyPos  map[string]pos // path -> position of the key (or of the node for the root / list items)
	anchors map[string]ast.Node
	bad     map[string]bool // paths whose value failed to decode
	nodes   int
	depth   int
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, root: "the scenario", keyPos: map[string]pos{}, anchors: map[string]ast.Node{}, bad: map[string]bool{}}
}

func tokPos(tk *token.Token) pos {
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

func nodePos(n ast.Node) pos {
	if n == nil {
		return pos{}
	}
	return tokPos(n.GetToken())
}

func (d *decoder) errAt(p pos, format string, args ...any) {
	d.errs = append(d.errs, &Issue{File: d.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
}

// fail reports a value that could not be decoded at path and remembers the
// path, so validation does not pile a second message onto the same value
// ("missing distribution name" after "expected a mapping").
func (d *decoder) fail(n ast.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.errAt(nodePos(n), format, args...)
}

// failed reports whether path or one of its ancestors failed to decode.
func (d *decoder) failed(path string) bool {
	for {
		if d.bad[path] {
			return true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return false
		}
		path = path[:i]
	}
}

// at returns the recorded position of path, or of its closest recorded
// ancestor ("classes[0].arrival.rate" falls back to "classes[0].arrival").
func (d *decoder) at(path string) pos { return posOf(d.keyPos, path) }

func posOf(keyPos map[string]pos, path string) pos {
	for {
		if p, ok := keyPos[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return keyPos[""]
		}
		path = path[:i]
	}
}

// resolve strips anchors, tags and aliases down to the content node.
func (d *decoder) resolve(n ast.Node) (ast.Node, bool) {
	for i := 0; i < 64; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			if v.Name != nil {
				d.anchors[v.Name.String()] = v.Value
			}
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = v.Value.String()
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errAt(nodePos(v), "unknown alias *%s (define the anchor &%s before using it)", name, name)
				return nil, false
			}
			n = target
		case *ast.DocumentNode:
			n = v.Body
		default:
			return n, true
		}
	}
	d.errAt(nodePos(n), "aliases nested too deeply")
	return nil, false
}

// keyName is the last element of a path, for messages ("rate", "classes[1]").
func keyName(path string) string {
	if path == "" {
		return "document"
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// decode fills v from node n; path names v in messages ("classes[0].arrival").
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.errAt(nodePos(n), "document too large or too deeply aliased (over %d nodes)", maxNodes)
		}
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > 100 {
		d.fail(n, path, "%s: nested too deeply", keyName(path))
		return
	}
	n, ok := d.resolve(n)
	if !ok {
		return
	}
	if isNull(n) {
		return // leave the zero value: "key:" with no value means default
	}
	if _, present := d.keyPos[path]; !present {
		d.keyPos[path] = nodePos(n)
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decode(n, v.Elem(), path)
		return
	}
	if reflect.PointerTo(t).Implements(shorthandType) {
		if isNumber(n) {
			if f, ok := d.number(n, path); ok {
				v.Addr().Interface().(numberShorthand).SetFixed(f)
			}
			return
		}
		if _, scalar := n.(ast.ScalarNode); scalar {
			d.fail(n, path, "%s: expected a number or a mapping such as {dist: lognormal, mean: 1155, median: 1020}, got %s", keyName(path), kindName(n))
			return
		}
	}
	if reflect.PointerTo(t).Implements(stringShorthandType) {
		switch n.(type) {
		case *ast.StringNode, *ast.LiteralNode:
			v.Addr().Interface().(stringShorthand).SetShorthand(scalarText(n))
			return
		}
	}
	if t == durationType {
		d.duration(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Slice:
		d.list(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.String:
		switch n.(type) {
		case *ast.StringNode, *ast.LiteralNode, *ast.IntegerNode, *ast.FloatNode:
			v.SetString(scalarText(n))
		default:
			d.fail(n, path, "%s: expected a string, got %s", keyName(path), kindName(n))
		}
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.fail(n, path, "%s: expected true or false, got %s", keyName(path), kindName(n))
			return
		}
		v.SetBool(b.Value)
	case reflect.Float32, reflect.Float64:
		if f, ok := d.number(n, path); ok {
			v.SetFloat(f)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f, ok := d.number(n, path)
		if !ok {
			return
		}
		if f != math.Trunc(f) || v.OverflowInt(int64(f)) || math.Abs(f) > 1<<53 {
			d.fail(n, path, "%s: expected a whole number, got %s", keyName(path), scalarText(n))
			return
		}
		v.SetInt(int64(f))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		in, ok := n.(*ast.IntegerNode)
		if !ok && isNumber(n) {
			// 1e3 or 1000.0: a whole number written as a float.
			f, ok := d.number(n, path)
			if !ok {
				return
			}
			if f != math.Trunc(f) || f < 0 || f > 1<<53 {
				d.fail(n, path, "%s: expected a whole number >= 0, got %s", keyName(path), scalarText(n))
				return
			}
			v.SetUint(uint64(f))
			return
		}
		if !ok {
			d.fail(n, path, "%s: expected a whole number >= 0, got %s", keyName(path), kindName(n))
			return
		}
		switch x := in.Value.(type) {
		case uint64:
			v.SetUint(x)
		case int64:
			if x < 0 {
				d.fail(n, path, "%s: must be >= 0, got %d", keyName(path), x)
				return
			}
			v.SetUint(uint64(x))
		}
	default:
		d.fail(n, path, "%s: unsupported field type %s", keyName(path), t)
	}
}

// duration accepts "10m", "90s", "1h30m" or a bare number of seconds.
func (d *decoder) duration(n ast.Node, v reflect.Value, path string) {
	var dur time.Duration
	switch {
	case isNumber(n):
		f, ok := d.number(n, path)
		if !ok {
			return
		}
		if math.Abs(f) > float64(math.MaxInt64)/1e9 {
			d.fail(n, path, "%s: %v seconds is out of range", keyName(path), f)
			return
		}
		dur = time.Duration(f * 1e9)
	case isString(n):
		var err error
		dur, err = time.ParseDuration(scalarText(n))
		if err != nil {
			d.fail(n, path, "%s: %q is not a duration (write 90s, 10m, 1h30m or a number of seconds)", keyName(path), scalarText(n))
			return
		}
	default:
		d.fail(n, path, "%s: expected a duration such as 10m or 90, got %s", keyName(path), kindName(n))
		return
	}
	if dur < 0 {
		d.fail(n, path, "%s: must not be negative, got %s", keyName(path), scalarText(n))
		return
	}
	v.SetInt(int64(dur))
}

// fieldIndex maps yaml keys of struct type t to field index paths, in
// declaration order; `,inline` struct fields contribute their own keys.
func fieldIndex(t reflect.Type) (map[string][]int, []string) {
	idx := map[string][]int{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			sub, subNames := fieldIndex(f.Type)
			for _, n := range subNames {
				idx[n] = append([]int{i}, sub[n]...)
				names = append(names, n)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		idx[name] = []int{i}
		names = append(names, name)
	}
	return idx, names
}

func (d *decoder) structure(n ast.Node, v reflect.Value, path string) {
	values, ok := d.pairs(n, path)
	if !ok {
		return
	}
	idx, names := fieldIndex(v.Type())
	seen := map[string]bool{}
	for _, mv := range values {
		key, kp, ok := d.key(mv)
		if !ok {
			continue
		}
		i, known := idx[key]
		if !known {
			d.errAt(kp, "unknown key %q in %s (%s)", key, d.sectionName(path), suggest(key, names))
			continue
		}
		if seen[key] {
			d.errAt(kp, "duplicate key %q in %s (remove one of them)", key, d.sectionName(path))
			continue
		}
		seen[key] = true
		sub := joinPath(path, key)
		d.keyPos[sub] = kp
		d.decode(mv.Value, v.FieldByIndex(i), sub)
	}
}

func (d *decoder) sectionName(path string) string {
	if path == "" {
		return d.root
	}
	return path
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// pairs returns the key/value pairs of a mapping node (a single-pair mapping
// is parsed by go-yaml as a bare MappingValueNode).
func (d *decoder) pairs(n ast.Node, path string) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	d.fail(n, path, "%s: expected a mapping (key: value pairs), got %s", keyName(path), kindName(n))
	return nil, false
}

func (d *decoder) key(mv *ast.MappingValueNode) (string, pos, bool) {
	if mv.Key == nil {
		d.errAt(nodePos(mv), "mapping entry without a key")
		return "", pos{}, false
	}
	if mv.Key.IsMergeKey() {
		d.errAt(nodePos(mv.Key), "merge keys (<<) are not supported; repeat the keys or use an alias for the whole value")
		return "", pos{}, false
	}
	k, ok := d.resolve(mv.Key)
	if !ok {
		return "", pos{}, false
	}
	switch k.(type) {
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return scalarText(k), nodePos(k), true
	}
	d.errAt(nodePos(mv.Key), "keys must be plain words, got %s", kindName(k))
	return "", pos{}, false
}

func (d *decoder) list(n ast.Node, v reflect.Value, path string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(n, path, "%s: expected a list, got %s", keyName(path), kindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		sub := fmt.Sprintf("%s[%d]", path, i)
		d.keyPos[sub] = nodePos(item)
		d.decode(item, out.Index(i), sub)
	}
	v.Set(out)
}

func (d *decoder) mapping(n ast.Node, v reflect.Value, path string) {
	if v.Type().Key().Kind() != reflect.String {
		d.fail(n, path, "%s: unsupported map key type", keyName(path))
		return
	}
	values, ok := d.pairs(n, path)
	if !ok {
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(values))
	for _, mv := range values {
		key, kp, ok := d.key(mv)
		if !ok {
			continue
		}
		kv := reflect.ValueOf(key).Convert(v.Type().Key())
		if m.MapIndex(kv).IsValid() {
			d.errAt(kp, "duplicate key %q in %s", key, d.sectionName(path))
			continue
		}
		sub := joinPath(path, key)
		d.keyPos[sub] = kp
		ev := reflect.New(v.Type().Elem()).Elem()
		d.decode(mv.Value, ev, sub)
		m.SetMapIndex(kv, ev)
	}
	v.Set(m)
}
