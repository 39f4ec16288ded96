package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseFleet(t *testing.T) {
	cases := []struct {
		in   string
		want []PoolSpec
		mode string
	}{
		{"4P8D", []PoolSpec{{RolePrefill, 4, "", 0}, {RoleDecode, 8, "", 0}}, "disaggregated"},
		{"12C", []PoolSpec{{RoleColocated, 12, "", 0}}, "colocated"},
		{"4P:h200 8D:h20", []PoolSpec{{RolePrefill, 4, "h200", 0}, {RoleDecode, 8, "h20", 0}}, "disaggregated"},
		{"2P:h100x2 4D+16V", []PoolSpec{{RolePrefill, 2, "h100", 2}, {RoleDecode, 4, "", 0}, {RoleVideo, 16, "", 0}}, "disaggregated"},
		{"16V:h20", []PoolSpec{{RoleVideo, 16, "h20", 0}}, ""},
		{"3c:x4", []PoolSpec{{RoleColocated, 3, "", 4}}, "colocated"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			f, err := ParseFleet(c.in)
			require.NoError(t, err)
			require.Equal(t, c.want, f.Pools)
			require.Equal(t, c.mode, f.Mode())
			again, err := ParseFleet(f.String())
			require.NoError(t, err)
			require.Equal(t, f, again)
		})
	}
}

func TestParseFleetErrors(t *testing.T) {
	for _, in := range []string{"", "P4", "4", "4X", "0C", "4P", "8D", "4C2P2D", "4P:h100x0 2D", "99999999999999999999C"} {
		_, err := ParseFleet(in)
		require.Error(t, err, in)
	}
}

func FuzzParseFleet(f *testing.F) {
	for _, s := range []string{"4P8D", "12C", "4P:h200 8D:h20+16V", "2P:h100x2 4D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseFleet(s)
		if err != nil {
			return
		}
		again, err := ParseFleet(spec.String())
		if err != nil {
			t.Fatalf("%q -> %q does not reparse: %v", s, spec.String(), err)
		}
		require.Equal(t, spec, again)
	})
}
