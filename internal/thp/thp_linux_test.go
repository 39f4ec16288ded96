//go:build linux

package thp

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCollapse checks on this machine's kernel that a pass turns a
// resident 64 MB buffer into huge pages and leaves its contents as they
// were. It skips where the kernel's THP mode gives the collapser nothing
// to do (not "madvise") or the kernel has no MADV_COLLAPSE.
func TestCollapse(t *testing.T) {
	if !enabled() {
		t.Skip("THP is not in madvise mode here (or FLEETBENCH_HUGEPAGES=off): the collapser does nothing")
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	c := collapser{done: map[uintptr]bool{}}
	changed, ok := c.pass()
	if !ok {
		t.Skip("the kernel has no MADV_COLLAPSE (Linux 6.1+)")
	}
	assert.True(t, changed, "a first pass sees new mappings")
	first := (lo + HugePage - 1) &^ (HugePage - 1)
	assert.True(t, c.done[first], "the buffer's first whole huge page was collapsed")
	for i := range buf {
		if buf[i] != byte(i*7) {
			t.Fatalf("byte %d changed by the collapse", i)
		}
	}
	// Nothing new: a second pass at once only rereads the listing.
	_, ok = c.pass()
	assert.True(t, ok)
	switch huge := anonHugeKB(t, lo); {
	case huge < 0:
		t.Skip("no /proc/self/smaps: cannot see the huge pages")
	case huge == 0:
		// A host whose free memory is fragmented has no free huge page
		// to collapse into (ENOMEM): nothing is wrong, nothing to see.
		t.Skip("the kernel made no huge page here (no free 2 MB page now?)")
	}
}

// anonHugeKB is AnonHugePages of the mapping holding addr, or -1 when
// smaps cannot be read.
func anonHugeKB(t *testing.T, addr uintptr) int {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	in := false
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			lohi := strings.SplitN(f[0], "-", 2)
			lo, err1 := strconv.ParseUint(lohi[0], 16, 64)
			hi, err2 := strconv.ParseUint(lohi[1], 16, 64)
			in = err1 == nil && err2 == nil && uintptr(lo) <= addr && addr < uintptr(hi)
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			n, err := strconv.Atoi(strings.Fields(line)[1])
			require.NoError(t, err)
			return n
		}
	}
	return -1
}

func TestStartStop(t *testing.T) {
	stop := Start()
	stop()
	stop() // a second stop is harmless
	t.Setenv("FLEETBENCH_HUGEPAGES", "off")
	assert.False(t, enabled(), "FLEETBENCH_HUGEPAGES=off turns it off")
	Start()()
}
