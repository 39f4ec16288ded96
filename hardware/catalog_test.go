package hardware

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLookupAllIDs(t *testing.T) {
	want := []string{"910b", "a100", "b200", "gb200", "h100", "h20", "h200", "h800", "l40s"}
	require.Equal(t, want, IDs())
	for _, id := range want {
		s, err := Lookup(id)
		require.NoError(t, err)
		require.Equal(t, id, s.ID)
		require.Positive(t, s.HBMBytes, id)
		require.Positive(t, s.HBMBandwidth, id)
		require.Positive(t, s.BF16FLOPS, id)
		require.GreaterOrEqual(t, s.FP8FLOPS, 0.0, id)
		require.Positive(t, s.ScaleUpBandwidth, id)
		require.Equal(t, DefaultNICBandwidth, s.NICBandwidth, id)
		require.Positive(t, s.TDPWatts, id)
		require.Positive(t, s.USDPerHour, id)
		require.NotEmpty(t, s.Source, id)
		for _, f := range s.Unverified {
			require.Contains(t, []string{"HBMBandwidth", "BF16FLOPS", "FP8FLOPS", "FA2FLOPS", "ScaleUpBandwidth", "TDPWatts", "USDPerHour"}, f, id)
		}
	}
}

func TestCatalogFacts(t *testing.T) {
	cases := []struct {
		id                    string
		hbmGB, tbs, bf16, fp8 float64
		price                 float64
	}{
		{"h100", 80, 3.35, 989, 1979, 2.69},
		{"h200", 141, 4.8, 989, 1979, 3.59},
		{"h800", 80, 3.35, 989, 1979, 2.00},
		{"h20", 96, 4.0, 148, 296, 1.20},
		{"b200", 192, 8.0, 2250, 4500, 5.98},
		{"a100", 80, 2.039, 312, 0, 1.39},
		{"l40s", 48, 0.864, 366, 733, 0.90},
	}
	for _, c := range cases {
		s, err := Lookup(c.id)
		require.NoError(t, err)
		require.InDelta(t, c.hbmGB*1e9, s.HBMBytes, 1, c.id)
		require.InDelta(t, c.tbs*1e12, s.HBMBandwidth, 1, c.id)
		require.InDelta(t, c.bf16*1e12, s.BF16FLOPS, 1, c.id)
		require.InDelta(t, c.fp8*1e12, s.FP8FLOPS, 1, c.id)
		require.InDelta(t, c.price, s.USDPerHour, 1e-9, c.id)
	}
	h20, _ := Lookup("H20 ")
	require.Contains(t, h20.Unverified, "FP8FLOPS")
	require.NotContains(t, h20.Unverified, "HBMBytes")
}

func TestSystemFacts(t *testing.T) {
	cases := []struct {
		id           string
		node, domain int
	}{
		{"h100", 8, 8}, {"h800", 8, 8}, {"h20", 8, 8}, {"h200", 8, 8}, {"b200", 8, 8}, {"gb200", 4, 72},
	}
	for _, c := range cases {
		s, err := Lookup(c.id)
		require.NoError(t, err)
		require.Equal(t, c.node, s.Node(), c.id)
		require.Equal(t, c.domain, s.Domain(), c.id)
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("tpu-v5")
	require.ErrorContains(t, err, `unknown GPU "tpu-v5"`)
	require.ErrorContains(t, err, "h100, h20, h200")
}

func TestLookupReturnsCopy(t *testing.T) {
	a, _ := Lookup("h20")
	a.Unverified[0] = "changed"
	b, _ := Lookup("h20")
	require.NotEqual(t, "changed", b.Unverified[0])
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"h100", " H200", "", "x\x00", "910B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		s, err := Lookup(id)
		if err == nil {
			require.NotEmpty(t, s.ID)
		} else {
			require.Contains(t, err.Error(), "known GPUs")
		}
	})
}
