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

	system := kvcache.Span{ID: 1, Tokens: 100}
	first := []kvcache.Span{system, {ID: 2, Tokens: 30}}
	h := kvcache.HashPrompt(first, blockTokens, nil)
	a, _ := c.Admit(h, 130+1) // prompt plus the first output token
	c.Publish(a.Seq, h)       // after prefill
	c.Release(a.Seq)          // finished

	second := []kvcache.Span{system, {ID: 3, Tokens: 60}}
	h2 := kvcache.HashPrompt(second, blockTokens, nil)
	fmt.Println("routing:", x.Longest(h2, 1, nil))
	b, _ := c.Admit(h2, 160)
	fmt.Println("hit blocks:", b.HitBlocks, "of", len(h2))
	// Output:
	// routing: [{0 6}]
	// hit blocks: 6 of 10
}
