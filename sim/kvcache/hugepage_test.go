package kvcache

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNewSlotsLarge: a slot array big enough to be advised onto huge
// pages is an ordinary zeroed array of the size asked.
func TestNewSlotsLarge(t *testing.T) {
	n := hugeMin/12 + 1000
	s := newSlots(n)
	require.Len(t, s, n)
	require.Equal(t, tslot{}, s[0])
	require.Equal(t, tslot{}, s[n-1])
}

// TestTableReserve: reserving room keeps every entry and makes room for
// the count asked without another growth.
func TestTableReserve(t *testing.T) {
	var tb table
	for k := range uint64(1000) {
		tb.set(k*7919, int32(k))
	}
	tb.reserve(5000)
	size := len(tb.slots)
	for k := range uint64(1000) {
		v, ok := tb.get(k * 7919)
		require.True(t, ok)
		require.Equal(t, int32(k), v)
	}
	for k := uint64(1000); k < 5000; k++ {
		tb.set(k*7919, int32(k))
	}
	require.Equal(t, size, len(tb.slots), "no growth within the reserved count")
	require.Equal(t, 5000, tb.n)
}
