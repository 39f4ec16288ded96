package sweepfile

import "testing"

// FuzzParseLoadGates: compare's --fail-on for sweeps takes any text
// without panicking.
func FuzzParseLoadGates(f *testing.F) {
	f.Add("max_load<-10%, max_load>+0.5")
	f.Add("max_load<")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseLoadGates(s)
	})
}
