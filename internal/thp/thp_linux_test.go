//go:build linux

package thp

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
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
	c := newCollapser()
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

// TestFreshRegionsCollapseEarly checks that a region that appeared since
// the previous pass is collapsed with a single page resident (a new piece
// of heap being filled), while one listed from the first pass needs half
// its pages (memory mapped ahead and barely used is left alone).
func TestFreshRegionsCollapseEarly(t *testing.T) {
	if !enabled() {
		t.Skip("THP is not in madvise mode here (or FLEETBENCH_HUGEPAGES=off): the collapser does nothing")
	}
	const size = 8 * HugePage
	touchOnePage := func(b []byte) (first uintptr) {
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		first = (lo + HugePage - 1) &^ (HugePage - 1)
		for p := first; p+HugePage <= lo+uintptr(len(b)); p += HugePage {
			b[p-lo] = 1
		}
		return first
	}
	old, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer unix.Munmap(old)
	oldFirst := touchOnePage(old)
	c := newCollapser()
	if _, ok := c.pass(); !ok {
		t.Skip("the kernel has no MADV_COLLAPSE (Linux 6.1+)")
	}
	assert.False(t, c.done[oldFirst], "a first pass leaves a region with one page resident alone")

	fresh, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	defer unix.Munmap(fresh)
	freshFirst := touchOnePage(fresh)
	_, ok := c.pass()
	require.True(t, ok)
	assert.True(t, c.done[freshFirst], "a region new since the last pass is collapsed with one page resident")
	assert.False(t, c.done[oldFirst], "an old region still needs half its pages")
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(fresh)))
	for i := range fresh {
		want := byte(0)
		if p := lo + uintptr(i); p >= freshFirst && (p-freshFirst)%HugePage == 0 && p+HugePage <= lo+size {
			want = 1
		}
		if fresh[i] != want {
			t.Fatalf("byte %d is %d after the collapse, want %d", i, fresh[i], want)
		}
	}
}

// TestCheckPassesWhenTheHeapGrows checks that Check runs a pass when the
// runtime has mapped more memory, and is a no-op when no collapser runs.
func TestCheckPassesWhenTheHeapGrows(t *testing.T) {
	Check() // none running: nothing to do, nothing to break
	if !enabled() {
		t.Skip("THP is not in madvise mode here (or FLEETBENCH_HUGEPAGES=off): the collapser does nothing")
	}
	stop := Start()
	defer stop()
	c := active.Load()
	require.NotNil(t, c)
	c.mu.Lock()
	before := c.checked
	c.mu.Unlock()
	grow := make([]byte, 64<<20) // more than the heap holds free: the runtime maps more
	for {
		Check()
		c.mu.Lock()
		after := c.checked
		c.mu.Unlock()
		if after > before {
			break
		}
		if active.Load() == nil {
			t.Skip("the kernel refused (no MADV_COLLAPSE): the collapser stopped")
		}
		runtime.Gosched() // the goroutine held the lock: try again
	}
	runtime.KeepAlive(grow)
}

func TestStartStop(t *testing.T) {
	stop := Start()
	stop()
	stop() // a second stop is harmless
	t.Setenv("FLEETBENCH_HUGEPAGES", "off")
	assert.False(t, enabled(), "FLEETBENCH_HUGEPAGES=off turns it off")
	Start()()
}
