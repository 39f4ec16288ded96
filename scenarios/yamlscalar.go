package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Scalars of the scenario YAML: what kind a node is (for messages), its
// text, and the numbers it reads as (YAML 1.2 floats, exponents the
// parser leaves as strings, no NaN or infinities).

// isNull reports whether n is absent or YAML null (~, null).
func isNull(n ast.Node) bool {
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

func kindName(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		if _, err := strconv.ParseFloat(strings.TrimSpace(scalarText(n)), 64); err == nil {
			return fmt.Sprintf("the string %q (quoted numbers are strings: write it without quotes)", scalarText(n))
		}
		return fmt.Sprintf("the string %q", scalarText(n))
	case *ast.IntegerNode, *ast.FloatNode:
		return "the number " + scalarText(n)
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode:
		return "nothing"
	}
	return "a " + n.Type().String()
}

// isString reports whether n is a string scalar.
func isString(n ast.Node) bool {
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		return true
	}
	return false
}

func scalarText(n ast.Node) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value
		}
		return ""
	case *ast.IntegerNode:
		return v.GetToken().Value
	case *ast.FloatNode:
		return v.GetToken().Value
	case *ast.BoolNode:
		return strconv.FormatBool(v.Value)
	case *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value
	}
	return ""
}

// isNumber reports whether n is a numeric scalar: an integer, a float,
// .inf or .nan (refused by number, with a message saying so) or an
// unquoted exponent such as 1e9, which the parser leaves as a string.
func isNumber(n ast.Node) bool {
	switch v := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return true
	case *ast.StringNode:
		_, ok := plainFloat(v)
		return ok
	}
	return false
}

// number reads a numeric scalar, rejecting NaN and infinities.
func (d *decoder) number(n ast.Node, path string) (float64, bool) {
	var f float64
	switch v := n.(type) {
	case *ast.InfinityNode, *ast.NanNode:
		d.fail(n, path, "%s: expected a finite number, got %s", keyName(path), scalarText(n))
		return 0, false
	case *ast.IntegerNode:
		switch x := v.Value.(type) {
		case int64:
			f = float64(x)
		case uint64:
			f = float64(x)
		}
	case *ast.FloatNode:
		f = v.Value
	case *ast.StringNode:
		// YAML 1.2 reads an unquoted 1e9 as a float; the parser leaves
		// exponents without a dot as strings, so read them here.
		x, ok := plainFloat(v)
		if !ok {
			d.fail(n, path, "%s: expected a number, got %s", keyName(path), kindName(n))
			return 0, false
		}
		f = x
	default:
		d.fail(n, path, "%s: expected a number, got %s", keyName(path), kindName(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(n, path, "%s: expected a finite number", keyName(path))
		return 0, false
	}
	return f, true
}

// plainFloat reads an unquoted scalar in YAML 1.2's float syntax
// ([-+]?(.digits|digits(.digits*)?)([eE][-+]?digits)?), e.g. 1e9 or 2E-3.
func plainFloat(n *ast.StringNode) (float64, bool) {
	if n.Token == nil || n.Token.Type != token.StringType {
		return 0, false // quoted: the user meant a string
	}
	s := n.Value
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
