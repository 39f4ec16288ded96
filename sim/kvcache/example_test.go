package kvcache_test

import (
	"fmt"

	"github.com/fleetbench/fleetbench/sim/kvcache"
)

// One request's life in the cache, then a second request sharing its system
// prompt, as the engine drives it.
func Example() {
	const blockTokens = 16
	c := kvcache.New(64, blockTokens)
	x := kvcache.NewIndex()
	c.SetHooks(func(h uint64) { x.Add(h, 0) }, func(h uint64) { x.Remove(h, 0) })

	// A prompt is content blocks (id, tokens): a 100-token system prompt
	// (id 1) and a 30-token user message (id 2).
	hash := func(blocks ...[2]int) []uint64 {
		hs := kvcache.NewHasher(blockTokens)
		var h []uint64
		for _, b := range blocks {
			h = hs.Add(h, uint64(b[0]), b[1])
		}
		return h
	}
	h := hash([2]int{1, 100}, [2]int{2, 30})
	a, _ := c.Admit(h, 130+1) // prompt plus the first output token
	c.Publish(a.Seq, h)       // after prefill
	c.Release(a.Seq)          // finished

	h2 := hash([2]int{1, 100}, [2]int{3, 60}) // same system prompt
	var l kvcache.Lookup
	x.Load(&l, h2)
	n, who := x.Deepest(&l)
	fmt.Println("routing:", n, "blocks on instances", who)
	b, _ := c.Admit(h2, 160)
	fmt.Println("hit blocks:", b.HitBlocks, "of", len(h2))
	// Output:
	// routing: 6 blocks on instances [0]
	// hit blocks: 6 of 10
}
