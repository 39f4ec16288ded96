//go:build linux

package thp

import (
	"bytes"
	"os"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// minResident is how many of a region's 512 base pages must be resident
// before it is collapsed: collapsing makes the whole 2 MB resident, so a
// region mostly untouched (memory the runtime mapped ahead or returned to
// the OS) is left alone and the process's RSS grows by at most about as
// much as it already holds. Regions new since the previous pass are the
// exception (minFreshResident): new heap, about to be filled.
const minResident = 256

// The collapser looks for new memory every pollMin while the mappings
// change (a large run's heap grows by ~100 MB/s, mapped 4 MB at a time:
// advised before its first touch, a 2 MB region faults in as one huge page
// and needs no collapse, which copies), backing off to pollMax when they
// stop changing.
const (
	pollMin = 10 * time.Millisecond
	pollMax = 500 * time.Millisecond
)

// minFreshResident is minResident for a region that appeared since the
// previous pass: a new piece of heap that the program has begun to
// fill. Collapsing it at once copies the few pages already touched and
// turns the rest of the region into one huge page before they too are
// faulted in one by one (and copied by a later collapse).
const minFreshResident = 1

// active is the running collapser, shared by its goroutine and Check; nil
// when none runs.
var active atomic.Pointer[collapser]

// Start begins backing the process's anonymous memory with huge pages
// (package doc) and returns a function that stops it and waits for it.
// Where it has nothing to do it starts nothing.
func Start() (stop func()) {
	if !enabled() {
		return func() {}
	}
	c := newCollapser()
	active.Store(c)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer active.CompareAndSwap(c, nil)
		wait := pollMin
		t := time.NewTimer(wait)
		defer t.Stop()
		for {
			c.mu.Lock()
			changed, ok := c.pass()
			c.mu.Unlock()
			if !ok {
				return // the kernel refuses: nothing more to gain
			}
			if changed {
				wait = pollMin
			} else {
				wait = min(2*wait, pollMax)
			}
			t.Reset(wait)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done); wg.Wait() })
	}
}

// Check runs a pass at once if the Go runtime has mapped more memory since
// the last one Check ran, and does nothing otherwise (one runtime/metrics
// read, ~0.3 us) or when no collapser runs. A long computation calls it
// every millisecond or so: with GOMAXPROCS=1 the collapser's goroutine
// runs only when the scheduler preempts the computation (every 10-20 ms),
// by which time a new 4 MB piece of heap is mostly faulted in as 4 KB
// pages; from Check it is advised (and its head collapsed) while nearly
// untouched.
func Check() {
	c := active.Load()
	if c == nil || !c.mu.TryLock() {
		return // none runs, or its goroutine is in a pass right now
	}
	defer c.mu.Unlock()
	metrics.Read(c.mapped[:])
	if v := c.mapped[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() >= c.checked+HugePage/2 {
		c.checked = v.Uint64()
		if _, ok := c.pass(); !ok {
			active.CompareAndSwap(c, nil)
		}
	}
}

// enabled reports whether there is work for the collapser: Linux THP in
// "madvise" mode and not turned off by the environment.
func enabled() bool {
	if os.Getenv("FLEETBENCH_HUGEPAGES") == "off" {
		return false
	}
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && modeFrom(b) == "madvise"
}

// collapser remembers the huge-page regions it has collapsed.
type collapser struct {
	mu      sync.Mutex       // one pass at a time: the goroutine's or Check's
	done    map[uintptr]bool // 2 MB region start -> collapsed
	seen    map[uintptr]bool // 2 MB region start -> listed by an earlier pass
	passes  int
	last    []byte // the previous pass's listing
	vec     [HugePage / 4096]byte
	mapped  [1]metrics.Sample // the runtime's mapped memory, for Check
	checked uint64            // its value at Check's last pass
}

func newCollapser() *collapser {
	c := &collapser{done: map[uintptr]bool{}, seen: map[uintptr]bool{}}
	c.mapped[0].Name = "/memory/classes/total:bytes"
	return c
}

// pass advises and collapses what is new since the last pass. changed
// reports that the mappings changed or a region was collapsed; ok is false
// when there is nothing to gain (no listing, or a kernel without
// MADV_COLLAPSE, older than 6.1). The caller holds c.mu.
func (c *collapser) pass() (changed, ok bool) {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return false, false
	}
	changed = !bytes.Equal(b, c.last)
	c.last = b
	for _, r := range parseMaps(b) {
		a := r.aligned()
		if a.Hi <= a.Lo {
			continue
		}
		// Later faults in the mapping get huge pages directly (the
		// common "defrag: madvise" lets them compact for it).
		madvise(a.Lo, a.Hi-a.Lo, unix.MADV_HUGEPAGE)
		for p := a.Lo; p < a.Hi; p += HugePage {
			if c.done[p] {
				continue
			}
			need := minResident
			if c.passes > 0 && !c.seen[p] {
				need = minFreshResident
			}
			c.seen[p] = true
			if c.resident(p) < need {
				continue
			}
			// Any answer but EINVAL marks the region done: EAGAIN and
			// ENOMEM (busy, or no free huge page now) leave it on base
			// pages rather than retrying it every pass.
			if madvise(p, HugePage, unix.MADV_COLLAPSE) == unix.EINVAL {
				return changed, false
			}
			c.done[p] = true
			changed = true
		}
	}
	c.passes++
	return changed, true
}

// resident returns how many of the 2 MB region's base pages are in memory
// (0 if the kernel cannot say).
func (c *collapser) resident(p uintptr) int {
	_, _, e := unix.Syscall(unix.SYS_MINCORE, p, HugePage, uintptr(unsafe.Pointer(&c.vec[0])))
	if e != 0 {
		return 0
	}
	n := 0
	for _, v := range c.vec {
		n += int(v & 1)
	}
	return n
}

func madvise(p, n uintptr, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, p, n, uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
