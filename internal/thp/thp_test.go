package thp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseMaps(t *testing.T) {
	listing := `00400000-01cfc000 r-xp 00000000 fe:00 10183666                           /tmp/fb
01d78000-03dbe000 rw-p 00000000 00:00 0
218c1000-218e2000 rw-p 00000000 00:00 0                                  [heap]
e297e800000-e2993000000 rw-p 00000000 00:00 0
e2993000000-e2993100000 rw-p 00000000 00:00 0
e2993200000-e2993600000 rw-p 00000000 00:00 0
7f4ac0000000-7f4ad0000000 rw-p 00000000 00:00 0                          [anon: Go: heap]
7f4ad0000000-7f4ae0000000 rw-s 00000000 00:01 77                         /dev/shm/x
7f4ae0000000-7f4af0000000 rw-p 00001000 fe:00 42                         /tmp/data
7f4af0000000-7f4b00000000 ---p 00000000 00:00 0
7ffc00000000-7ffc01000000 rw-p 00000000 00:00 0                          [stack]
zzzz-7f4b00000000 rw-p 00000000 00:00 0
7f4b00000000 rw-p 00000000 00:00 0
7f4c00000000-7f4b00000000 rw-p 00000000 00:00 0
`
	got := parseMaps([]byte(listing))
	assert.Equal(t, []region{
		{0x01d78000, 0x03dbe000},         // anonymous, 32 MB
		{0xe297e800000, 0xe2993000000},   // the Go heap (unnamed)
		{0xe2993200000, 0xe2993600000},   // a 4 MB piece of heap, mapped later
		{0x7f4ac0000000, 0x7f4ad0000000}, // named anonymous
	}, got, "only anonymous private read-write mappings of at least 2 MB; broken lines skipped")
}

func TestAligned(t *testing.T) {
	for _, tc := range []struct {
		in, want region
	}{
		{region{0x200000, 0x600000}, region{0x200000, 0x600000}},
		{region{0x200001, 0x600000}, region{0x400000, 0x600000}},
		{region{0x200001, 0x5fffff}, region{0x400000, 0x400000}},
		{region{0x200001, 0x300000}, region{0x400000, 0x400000}}, // no whole huge page: empty
	} {
		assert.Equal(t, tc.want, tc.in.aligned(), "%x", tc.in)
	}
}

func TestModeFrom(t *testing.T) {
	assert.Equal(t, "madvise", modeFrom([]byte("always [madvise] never\n")))
	assert.Equal(t, "always", modeFrom([]byte("[always] madvise never\n")))
	assert.Equal(t, "never", modeFrom([]byte("always madvise [never]\n")))
	assert.Equal(t, "", modeFrom([]byte("")))
	assert.Equal(t, "", modeFrom([]byte("] [")))
}

func FuzzParseMaps(f *testing.F) {
	f.Add([]byte("e297e800000-e2993000000 rw-p 00000000 00:00 0\n"))
	f.Add([]byte("7f4ac0000000-7f4ad0000000 rw-p 00000000 00:00 0 [anon: Go: heap]\n-\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range parseMaps(b) {
			if r.Hi <= r.Lo || r.Hi-r.Lo < minRegionBytes {
				t.Fatalf("region %x too small", r)
			}
			a := r.aligned()
			if a.Lo%HugePage != 0 || a.Hi%HugePage != 0 || a.Hi < a.Lo || a.Lo < r.Lo || a.Hi > r.Hi {
				t.Fatalf("aligned %x of %x", a, r)
			}
		}
	})
}
