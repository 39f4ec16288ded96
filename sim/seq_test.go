package sim

import (
	"testing"
	"unsafe"
)

// TestSeqStateHotLines keeps the fields a decoding sequence's completion
// touches (decoders.flushITL and remove, instance.complete, engine.finish
// on a pipelined run) in the first two cache lines of seqState, and the
// struct in a size class of whole lines (so that it starts on a line).
func TestSeqStateHotLines(t *testing.T) {
	var s seqState
	hot := map[string]uintptr{
		"joinClock": unsafe.Offsetof(s.joinClock), "base": unsafe.Offsetof(s.base), "doneAt": unsafe.Offsetof(s.doneAt),
		"lastTok": unsafe.Offsetof(s.lastTok), "firstGap": unsafe.Offsetof(s.firstGap), "gen0": unsafe.Offsetof(s.gen0),
		"generated": unsafe.Offsetof(s.generated), "target": unsafe.Offsetof(s.target), "inst": unsafe.Offsetof(s.inst),
		"kv": unsafe.Offsetof(s.kv), "itl": unsafe.Offsetof(s.itl) + unsafe.Sizeof(s.itl) - 1,
		"ownBlocks": unsafe.Offsetof(s.ownBlocks), "classIdx": unsafe.Offsetof(s.classIdx), "included": unsafe.Offsetof(s.included),
		"task": unsafe.Offsetof(s.task), "hasITL": unsafe.Offsetof(s.hasITL), "inflightHs": unsafe.Offsetof(s.inflightHs),
		"req": unsafe.Offsetof(s.req) + unsafe.Sizeof(s.req) - 1,
	}
	for name, off := range hot {
		if off >= 128 {
			t.Errorf("seqState.%s ends at byte %d, past the first two cache lines", name, off)
		}
	}
	if n := unsafe.Sizeof(s); n > 576 {
		t.Errorf("seqState is %d bytes: past the 576-byte size class (9 lines)", n)
	}
}

// TestLinkIsOneLine keeps a link in one 64-byte line: fleet.links is an
// array of them, so a transfer event's link is one line, not two.
func TestLinkIsOneLine(t *testing.T) {
	if n := unsafe.Sizeof(link{}); n != 64 {
		t.Errorf("link is %d bytes, not one 64-byte line", n)
	}
}

// TestInstanceLines keeps an instance a whole number of 64-byte lines, so
// that each instance of a pool's slab starts on a line of its own (adjust
// instance's trailing padding after adding or removing a field).
func TestInstanceLines(t *testing.T) {
	if n := unsafe.Sizeof(instance{}); n%64 != 0 {
		t.Errorf("instance is %d bytes, not whole 64-byte lines: grow its trailing padding by %d bytes or shrink it by %d", n, 64-n%64, n%64)
	}
}

// TestStepLines: loadAhead requests the lines of an instance before its
// link, which must hold every field a step reads (up to the KV cache).
func TestStepLines(t *testing.T) {
	var in instance
	if end := unsafe.Offsetof(in.cache) + unsafe.Sizeof(in.cache); end > stepLines*64 {
		t.Errorf("instance.cache ends at byte %d, past the %d lines loadAhead requests", end, stepLines)
	}
	if stepLines >= unsafe.Sizeof(in)/64 {
		t.Errorf("stepLines = %d covers the whole %d-byte instance: nothing is spared", stepLines, unsafe.Sizeof(in))
	}
}
