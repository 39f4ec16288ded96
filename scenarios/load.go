package scenarios

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// builtinFS holds the built-in scenario library (builtin/*.yaml) and the
// trace slices it replays (builtin/traces/).
//
//go:embed builtin
var builtinFS embed.FS

// maxFileBytes bounds a scenario file; real ones are a few KiB.
const maxFileBytes = MaxFileBytes

// Load reads, parses and validates a scenario file. Errors are an ErrorList
// whose entries read file:line:col: message.
func Load(path string) (*Scenario, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read scenario %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a scenario file", path)
	}
	// Bounded while reading, not by stat: /dev/zero, pipes and files that
	// grow report size 0 or lie.
	data, err := readBounded(path, maxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("cannot read scenario %s: %w", path, err)
	}
	s, err := Parse(path, data, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	s.Source = path
	return s, nil
}

// readBounded reads at most limit bytes of path and fails past them.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes, the limit for a scenario file (docs/scenarios.md, Limits)", limit)
	}
	return data, nil
}

// Parse parses and validates scenario YAML. name labels error positions
// (usually the file path); baseDir resolves relative file references.
func Parse(name string, data []byte, baseDir string) (*Scenario, error) {
	return parse(name, data, baseDir, false)
}

func parse(name string, data []byte, baseDir string, builtin bool) (s *Scenario, err error) {
	defer func() {
		// The decoder is written not to panic; this guard turns a bug in a
		// dependency into a message instead of a crash of the whole CLI.
		if r := recover(); r != nil {
			s, err = nil, ErrorList{{File: name, Msg: fmt.Sprintf("internal error parsing scenario: %v (please report)", r)}}
		}
	}()
	if len(data) > maxFileBytes {
		return nil, ErrorList{{File: name, Msg: "file too large for a scenario"}}
	}
	f, perr := parser.ParseBytes(stripBOM(data), 0)
	if perr != nil {
		return nil, syntaxError(name, perr)
	}
	d := newDecoder(name)
	var body ast.Node
	docs := 0
	for _, doc := range f.Docs {
		if doc == nil || isNull(doc.Body) {
			continue
		}
		docs++
		if docs == 1 {
			body = doc.Body
		} else {
			d.errAt(nodePos(doc.Body), "a scenario file holds one YAML document; remove the extra ---")
		}
	}
	if body == nil {
		return nil, ErrorList{{File: name, Line: 1, Col: 1, Msg: "empty scenario file (see `fleetbench scenario show chat` for an example)"}}
	}
	s = &Scenario{baseDir: baseDir, Source: name}
	d.keyPos[""] = pos{1, 1}
	if m, ok := body.(*ast.MappingNode); ok && len(m.Values) > 0 && m.Values[0].Key != nil {
		d.keyPos[""] = nodePos(m.Values[0].Key) // the first key, past any leading comments
	}
	d.decode(body, reflect.ValueOf(s).Elem(), "")
	if len(d.errs) == 0 || !onlyStructural(d.errs) {
		v := &validator{d: d, baseDir: baseDir, builtin: builtin}
		v.scenario(s)
	}
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	s.posFile, s.keyPos = name, d.keyPos
	return s, nil
}

// onlyStructural is true when decoding failed so badly (not a mapping at the
// top) that validation would only add noise.
func onlyStructural(errs ErrorList) bool {
	return len(errs) == 1 && strings.Contains(errs[0].Msg, "document: expected a mapping")
}

// syntaxError converts a go-yaml parse error to an ErrorList entry.
func syntaxError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		p := tokPos(ye.GetToken())
		return ErrorList{{File: name, Line: p.line, Col: p.col, Msg: "YAML syntax error: " + ye.GetMessage()}}
	}
	return ErrorList{{File: name, Msg: "YAML syntax error: " + err.Error()}}
}

// Builtin returns a scenario of the embedded library by name.
func Builtin(name string) (*Scenario, error) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil || strings.ContainsAny(name, "/\\") {
		return nil, fmt.Errorf("no built-in scenario %q (built-ins: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	s, err := parse("builtin:"+name+".yaml", data, "", true)
	if err != nil {
		return nil, err
	}
	s.Source = "builtin:" + name
	return s, nil
}

// BuiltinNames lists the embedded scenarios, sorted.
func BuiltinNames() []string {
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func builtinTraces() []string {
	entries, _ := fs.ReadDir(builtinFS, "builtin/traces")
	var names []string
	for _, e := range entries {
		names = append(names, "traces/"+e.Name())
	}
	return names
}

// Resolve loads a built-in by name, or else a scenario file by path. A
// path that exists wins over a built-in of the same name.
func Resolve(nameOrPath string) (*Scenario, error) {
	if _, err := os.Stat(nameOrPath); err == nil {
		return Load(nameOrPath)
	}
	name := strings.TrimPrefix(nameOrPath, "builtin:")
	for _, n := range BuiltinNames() {
		if n == name {
			return Builtin(name)
		}
	}
	if strings.ContainsAny(nameOrPath, "/\\.") {
		return Load(nameOrPath) // reports the missing file
	}
	return nil, fmt.Errorf("%q is neither a built-in scenario (%s) nor a file", nameOrPath, strings.Join(BuiltinNames(), ", "))
}

// Normalized renders the scenario as YAML with every default filled in.
// Parsing the output yields the same scenario (and Hash).
func (s *Scenario) Normalized() ([]byte, error) {
	return yaml.MarshalWithOptions(s, yaml.IndentSequence(true))
}

// Hash is a stable hash of the normalized scenario: two files that differ
// only in spelling (defaults written out, a bare number vs {dist: fixed})
// hash the same.
func (s *Scenario) Hash() string {
	if s.hash != "" {
		return s.hash
	}
	b, err := s.Normalized()
	if err != nil {
		return "unhashable"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// stripBOM drops a UTF-8 byte order mark at the start of a file (YAML
// allows one; Windows editors write it): the parser read it as part of
// the first key ("unknown key \"\ufeffname\"").
func stripBOM(data []byte) []byte {
	return bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
}
