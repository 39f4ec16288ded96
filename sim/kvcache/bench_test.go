package kvcache

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// benchPrompts returns n 2048-token prompts whose first 1024 tokens (a shared
// system prompt) are identical and whose second halves are all different.
func benchPrompts(n int) [][]Span {
	ps := make([][]Span, n)
	for i := range ps {
		ps[i] = []Span{
			{ID: 1, Tokens: 1024},
			{ID: uint64(1000 + i), Tokens: 1024},
		}
	}
	return ps
}

// BenchmarkAdmitPublishRelease is one request's cache work: a 2k-token prompt
// at 16-token blocks (128 blocks) with a 50% hit, under steady eviction: 1024
// distinct tails cycle through a 16k-block cache, so every tail misses.
func BenchmarkAdmitPublishRelease(b *testing.B) {
	const n, tokens = 1024, 2048
	ps := benchPrompts(n)
	hs := make([][]uint64, n)
	for i, p := range ps {
		hs[i] = HashPrompt(p, 16, nil)
	}
	c := New(16384, 16)
	for i := range 2 * n { // warm: materialise every block and reach steady state
		a, _ := c.Admit(hs[i%n], tokens)
		c.Publish(a.Seq, hs[i%n])
		c.Release(a.Seq)
	}
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		h := hs[i%n]
		a, ok := c.Admit(h, tokens)
		if !ok {
			b.Fatal("admit failed")
		}
		hits += a.HitBlocks
		c.Publish(a.Seq, h)
		c.Release(a.Seq)
	}
	b.StopTimer()
	if rate := float64(hits) / float64(128*b.N); rate != 0.5 {
		b.Fatalf("hit rate %.3f, want 0.5", rate)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(128*b.N), "ns/block")
}

// BenchmarkDecodeGrow is the per-token decode path: Grow by one token, 512
// tokens after a 2k prompt, crossing a block boundary every 16 tokens.
func BenchmarkDecodeGrow(b *testing.B) {
	c := New(4096, 16)
	a, _ := c.Admit(nil, 2048)
	tokens := 2048
	b.ReportAllocs()
	for b.Loop() {
		tokens++
		if tokens > 2048+512 {
			c.Release(a.Seq)
			a, _ = c.Admit(nil, 2048)
			tokens = 2049
		}
		if !c.Grow(a.Seq, tokens) {
			b.Fatal("grow failed")
		}
	}
}

// BenchmarkHashPrompt hashes a 2k-token, two-content-block prompt at 16-token
// blocks.
func BenchmarkHashPrompt(b *testing.B) {
	p := benchPrompts(1)[0]
	dst := make([]uint64, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		dst = HashPrompt(p, 16, dst[:0])
	}
	if len(dst) != 128 {
		b.Fatalf("%d hashes", len(dst))
	}
}

// BenchmarkIndexDeepest routes as the cache-aware router does against a
// 10,000-instance fleet: 2000 prompt families of 128 blocks, each cached (to
// random depths) on 8 instances; the deepest holders, then one instance's
// depth.
func BenchmarkIndexDeepest(b *testing.B) {
	const insts, families, depth, replicas = 10000, 2000, 128, 8
	rng := rand.New(rand.NewPCG(1, 2))
	x := NewIndex()
	prompts := make([][]uint64, families)
	for f := range prompts {
		p := make([]uint64, depth)
		for i := range p {
			p[i] = rng.Uint64()
		}
		prompts[f] = p
		for range replicas {
			inst := int32(rng.IntN(insts))
			for _, h := range p[:1+rng.IntN(depth)] {
				x.Add(h, inst)
			}
		}
	}
	i, found := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		p := prompts[i%families]
		if n, who := x.deepestOf(p); n > 0 {
			found += x.depthOf(p, who[0])
		}
		i++
	}
	if found == 0 {
		b.Fatal("no match")
	}
}

// BenchmarkFleetRequests is one request's cache work on a fleet whose caches
// are far bigger than the CPU's: 64 instances of 26,092 blocks (70B TP4 on
// H100 at 16-token blocks), chat-shaped prompts (one of 32 system prompts of
// 25 blocks, Zipf-popular, then 47 blocks of the user's own), each request
// admitted, published and released on a random instance, with a shared
// prefix index sampling one hash in four, wired as the simulator wires it.
// The caches are filled first, so every request evicts; ns/op is per
// request (one instance).
func BenchmarkFleetRequests(b *testing.B) {
	const insts, capacity, sysBlocks, userBlocks = 64, 26092, 25, 47
	const every = 4
	rng := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(5, 6)), 1.1, 1, 31)
	_, caches := benchFleet(insts, capacity, every)
	h := make([]uint64, sysBlocks+userBlocks)
	req := uint64(0)
	request := func() {
		sys := zipf.Uint64()
		for i := range sysBlocks {
			h[i] = mum(sys+1, uint64(i)+hashRoot)
		}
		req++
		for i := sysBlocks; i < len(h); i++ {
			h[i] = mum(req^hashID, uint64(i)+hashSpan)
		}
		c := caches[rng.IntN(insts)]
		a, ok := c.Admit(h, len(h)*16)
		if !ok {
			b.Fatal("admit failed")
		}
		c.Publish(a.Seq, h)
		c.Release(a.Seq)
	}
	for range insts * capacity / userBlocks * 3 / 2 {
		request()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		request()
	}
}

// BenchmarkColdRequests is one request's cache work when every instance's
// state is cold, as in the simulator at thousands of instances (one
// request a second each): 2,048 caches of 26,092 blocks filling up (as in
// BenchmarkSimScale) with chat-shaped prompts (BenchmarkFleetRequests), and
// a request's Admit, Publish and Release 512 requests apart, so that other
// instances' work evicts its lines from the CPU caches in between (~300 MB
// of slots and index in all). ns/op and
// cpu-ns/op are per request; compare them with BenchmarkFleetRequests'
// warmer figure.
func BenchmarkColdRequests(b *testing.B) {
	const insts, capacity, sysBlocks, userBlocks, lag = 2048, 26092, 25, 47, 512
	const every = 4
	rng := rand.New(rand.NewPCG(7, 8))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(9, 10)), 1.1, 1, 31)
	x, caches := benchFleet(insts, capacity, every)
	x.SetInstances(insts)
	type inflight struct {
		c *Cache
		s *Seq
		h []uint64
	}
	ring := make([]inflight, 2*lag)
	for i := range ring {
		ring[i].h = make([]uint64, sysBlocks+userBlocks)
	}
	req := uint64(0)
	step := func() {
		// Release the request admitted 2*lag steps ago, publish the one
		// admitted lag steps ago, admit a new one in the freed ring slot.
		r := &ring[req%(2*lag)]
		if r.s != nil {
			r.c.Release(r.s)
		}
		if p := &ring[(req+lag)%(2*lag)]; p.s != nil {
			p.c.Publish(p.s, p.h)
		}
		sys := zipf.Uint64()
		for i := range sysBlocks {
			r.h[i] = mum(sys+1, uint64(i)+hashRoot)
		}
		req++
		for i := sysBlocks; i < len(r.h); i++ {
			r.h[i] = mum(req^hashID, uint64(i)+hashSpan)
		}
		r.c = caches[rng.IntN(insts)]
		a, ok := r.c.Admit(r.h, len(r.h)*16)
		if !ok {
			b.Fatal("admit failed")
		}
		r.s = a.Seq
	}
	for range insts * 100 { // fill to ~5,000 blocks per cache
		step()
	}
	if b.N > insts*300 {
		b.Fatalf("at most %d requests (the caches would fill)", insts*300)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time this process has used: per-request cost that a
// busy shared machine inflates less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchFleet returns insts caches of capacity 16-token blocks wired to one
// prefix index as the simulator wires them (one hash in every indexed).
func benchFleet(insts, capacity int, every uint64) (*Index, []*Cache) {
	x := NewIndex()
	caches := make([]*Cache, insts)
	for i := range caches {
		c := New(capacity, 16)
		inst := int32(i)
		c.SetHooks(func(h uint64) {
			if h%every == 0 {
				x.Add(h, inst)
			}
		}, func(h uint64) {
			if h%every == 0 {
				x.Remove(h, inst)
			}
		})
		c.SetTouchHook(func(hs []uint64) { x.Touch(hs, every) })
		caches[i] = c
	}
	return x, caches
}
