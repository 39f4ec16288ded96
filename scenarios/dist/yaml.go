package dist

// SetFixed makes s the fixed distribution v. The scenario decoder calls it
// when a distribution key holds a bare number (`output: 256`), the shorthand
// for {dist: fixed, value: 256}.
func (s *Spec) SetFixed(v float64) { *s = Fixed(v) }

// UnmarshalYAML lets plain YAML decoders (yaml.Unmarshal of go-yaml or any
// decoder with the same callback convention) accept the bare-number
// shorthand too; a mapping decodes field by field as usual.
func (s *Spec) UnmarshalYAML(unmarshal func(any) error) error {
	var f float64
	if err := unmarshal(&f); err == nil {
		s.SetFixed(f)
		return nil
	}
	type plain Spec // no methods: avoids recursing into UnmarshalYAML
	var p plain
	if err := unmarshal(&p); err != nil {
		return err
	}
	*s = Spec(p)
	return nil
}
