// Package fielderr carries validation errors that name the offending field,
// so the scenario loader can point at file:line:col of that key.
package fielderr

import "fmt"

// Error is a validation failure of one field of a spec.
type Error struct {
	Field string // key path relative to the spec being validated, e.g. "max" or "steps[2].rate"
	Msg   string // what is wrong
	Hint  string // what to do about it; may be empty
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Field != "" {
		s = fmt.Sprintf("%s: %s", e.Field, e.Msg)
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// New returns an *Error for field.
func New(field, hint, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...), Hint: hint}
}
