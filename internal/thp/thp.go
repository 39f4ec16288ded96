// Package thp backs a process's large anonymous memory, the Go heap above
// all, with transparent huge pages (THP) where the kernel gives them only on
// request.
//
// Why: the simulator's state at platform scale (10,000 instances, a
// million cached KV blocks) is hundreds of MB to GBs read at random, so
// nearly every cache miss is also a TLB miss, and under a hypervisor a TLB
// miss walks two sets of page tables. On 2 MB pages the same walk is
// shorter and the TLB covers 512 times more memory: `make platform-hour`'s
// first ten simulated minutes ran in 0.76x the wall time with the host's
// THP set to "always" instead of the common default "madvise" (same
// output). Go's runtime never asks for huge pages itself (since Go 1.21.1),
// so under "madvise" its heap stays on 4 KB pages.
//
// Start runs a background collapser: a few times a second it lists the
// process's anonymous read-write mappings (/proc/self/maps), advises them
// MADV_HUGEPAGE (later page faults there get huge pages) and asks the
// kernel to collapse each 2 MB region already mostly resident into one
// huge page (MADV_COLLAPSE, Linux 6.1 and later). It changes no byte of
// memory, only how it is mapped, so it cannot change any result; what it
// costs is a little system time (about 0.1 s per GB collapsed) and at most
// the non-resident part of a region it collapses (a region qualifies only
// when at least half of it is resident, see minResident, or when it is new
// since the previous pass: heap being filled).
//
// A long single-threaded computation calls Check every millisecond or so:
// under GOMAXPROCS=1 the goroutine runs only when the computation is
// preempted, too late to advise new heap before it is touched.
//
// It does nothing where the kernel has no THP, where THP is "never", where
// it is "always" (the kernel already does it), off Linux, or when the
// environment sets FLEETBENCH_HUGEPAGES=off.
package thp

import (
	"bufio"
	"bytes"
	"strconv"
)

// HugePage is the size of a transparent huge page on x86-64 and arm64
// Linux with 4 KB base pages.
const HugePage = 2 << 20

// minRegionBytes is the smallest mapping worth advising: one that can hold
// a whole aligned huge page. Go maps its heap 4 MB at a time, and a new
// 4 MB mapping stays a VMA of its own beside an advised one (the advice is
// a flag of the VMA, so the two do not merge): a larger minimum left each
// new piece of heap unadvised until the next piece joined it, by which
// time most of it had been faulted in as 4 KB pages and had to be
// collapsed (copied). At 10,000 instances the collapser's copying fell
// from 4.2% to 1.6% of the run's samples and system time per request from
// 3.2k to 1.9k ns (BenchmarkSimScale, one profiled pair).
const minRegionBytes = HugePage

// region is an anonymous read-write private mapping [Lo, Hi).
type region struct{ Lo, Hi uintptr }

// parseMaps returns the anonymous, private, read-write mappings of at least
// minRegionBytes in a /proc/PID/maps listing. Lines it cannot read are
// skipped: the listing only decides where to advise, and a wrong guess
// costs speed, never correctness.
func parseMaps(b []byte) []region {
	var out []region
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		// 7f4acb800000-7f4acc000000 rw-p 00000000 00:00 0 [name]
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || string(f[1]) != "rw-p" || string(f[4]) != "0" {
			continue
		}
		if len(f) > 5 && !bytes.HasPrefix(f[5], []byte("[anon")) {
			continue // a named mapping: [heap] (C's brk), [stack], a file
		}
		addr := f[0]
		dash := bytes.IndexByte(addr, '-')
		if dash <= 0 {
			continue
		}
		lo, err1 := strconv.ParseUint(string(addr[:dash]), 16, 64)
		hi, err2 := strconv.ParseUint(string(addr[dash+1:]), 16, 64)
		if err1 != nil || err2 != nil || hi <= lo || hi-lo < minRegionBytes {
			continue
		}
		out = append(out, region{uintptr(lo), uintptr(hi)})
	}
	return out
}

// aligned returns r's interior on huge-page boundaries (empty if none).
func (r region) aligned() region {
	lo := (r.Lo + HugePage - 1) &^ (HugePage - 1)
	hi := r.Hi &^ (HugePage - 1)
	if hi < lo {
		hi = lo
	}
	return region{lo, hi}
}

// modeFrom reads /sys/kernel/mm/transparent_hugepage/enabled's content: the
// bracketed word ("always", "madvise" or "never"), or "" when unreadable.
func modeFrom(b []byte) string {
	i := bytes.IndexByte(b, '[')
	j := bytes.IndexByte(b, ']')
	if i < 0 || j <= i {
		return ""
	}
	return string(b[i+1 : j])
}
