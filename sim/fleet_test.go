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
		{"4P8D", []PoolSpec{{Role: RolePrefill, Count: 4}, {Role: RoleDecode, Count: 8}}, "disaggregated"},
		{"12C", []PoolSpec{{Role: RoleColocated, Count: 12}}, "colocated"},
		{"4P:h200 8D:h20", []PoolSpec{{Role: RolePrefill, Count: 4, GPU: "h200"}, {Role: RoleDecode, Count: 8, GPU: "h20"}}, "disaggregated"},
		{"2P:h100x2 4D+16V", []PoolSpec{{Role: RolePrefill, Count: 2, GPU: "h100", TP: 2}, {Role: RoleDecode, Count: 4}, {Role: RoleVideo, Count: 16}}, "disaggregated"},
		{"16V:h20", []PoolSpec{{Role: RoleVideo, Count: 16, GPU: "h20"}}, ""},
		{"3c:x4", []PoolSpec{{Role: RoleColocated, Count: 3, TP: 4}}, "colocated"},
		{"4P:h800x32/ep32/dp32 18D:h800x144/ep144/dp144", []PoolSpec{
			{Role: RolePrefill, Count: 4, GPU: "h800", TP: 32, EP: 32, DP: 32},
			{Role: RoleDecode, Count: 18, GPU: "h800", TP: 144, EP: 144, DP: 144}}, "disaggregated"},
		{"2C:h200x16/dp4/tp4/ep16", []PoolSpec{{Role: RoleColocated, Count: 2, GPU: "h200", TP: 16, EP: 16, DP: 4, AttnTP: 4}}, "colocated"},
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
	for _, in := range []string{"", "P4", "4", "4X", "0C", "4P", "8D", "4C2P2D", "4P:h100x0 2D", "99999999999999999999C",
		"4P:h800/ep32 2D", "4P:h800x32/ep 2D", "4P:h800x32/xx4 2D", "4P:h800x32/ep0 2D", "4P:h800x32/ep8/ep8 2D", "4P:h800x32/ep2000 2D"} {
		_, err := ParseFleet(in)
		require.Error(t, err, in)
	}
}

func FuzzParseFleet(f *testing.F) {
	for _, s := range []string{"4P8D", "12C", "4P:h200 8D:h20+16V", "2P:h100x2 4D", "4P:h800x32/ep32/dp32 18D:h800x144/ep144/dp144/tp1", "+", " , ", "99999999999C"} {
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

// Specs that used to parse to an empty fleet (String() "", no round trip)
// or to an absurd one are refused.
func TestParseFleetRefuses(t *testing.T) {
	for _, s := range []string{"+", ",", " + , ", "2000000C", "600000P600000D"} {
		_, err := ParseFleet(s)
		require.Error(t, err, s)
	}
}

func TestInheritLayout(t *testing.T) {
	base := "4P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144"
	for _, c := range []struct{ in, base, want string }{
		{"2P1D", base, "2P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144"},
		{"2P:h200x8 3D", base, "2P:h200x8 3D:h800x144/ep144/dp144"},
		{"2P4D", "4P8D", "2P4D"},
		{"2P4D", "", "2P4D"},
		{"6C", base, "6C"},
	} {
		got, err := InheritLayout(c.in, c.base)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
	}
	_, err := InheritLayout("4P", base)
	require.Error(t, err)
}
