//go:build linux

package thp

import (
	"bytes"
	"os"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// minResident is how many of a region's 512 base pages must be resident
// before it is collapsed: collapsing makes the whole 2 MB resident, so a
// region mostly untouched (memory the runtime mapped ahead or returned to
// the OS) is left alone and the process's RSS grows by at most about as
// much as it already holds.
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

// Start begins backing the process's anonymous memory with huge pages
// (package doc) and returns a function that stops it and waits for it.
// Where it has nothing to do it starts nothing.
func Start() (stop func()) {
	if !enabled() {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := collapser{done: map[uintptr]bool{}}
		wait := pollMin
		t := time.NewTimer(wait)
		defer t.Stop()
		for {
			changed, ok := c.pass()
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
	done map[uintptr]bool // 2 MB region start -> collapsed
	last []byte           // the previous pass's listing
	vec  [HugePage / 4096]byte
}

// pass advises and collapses what is new since the last pass. changed
// reports that the mappings changed or a region was collapsed; ok is false
// when there is nothing to gain (no listing, or a kernel without
// MADV_COLLAPSE, older than 6.1).
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
			if c.done[p] || !c.resident(p) {
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
	return changed, true
}

// resident reports whether at least minResident of the region's base
// pages are in memory.
func (c *collapser) resident(p uintptr) bool {
	_, _, e := unix.Syscall(unix.SYS_MINCORE, p, HugePage, uintptr(unsafe.Pointer(&c.vec[0])))
	if e != 0 {
		return false
	}
	n := 0
	for _, v := range c.vec {
		n += int(v & 1)
	}
	return n >= minResident
}

func madvise(p, n uintptr, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, p, n, uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
