// Package kvcache models one serving instance's paged KV cache the way vLLM's
// automatic prefix caching works: fixed-size KV blocks, a block's hash chains
// its parent's hash and its own token content, only complete blocks are
// cached, a hit is the longest cached prefix, unreferenced cached blocks are
// evicted in LRU order and running sequences pin their blocks.
//
// Around the per-instance Cache sit a pool-shared second tier (Tier, a
// Mooncake-style DRAM/SSD store, LRU by hash) and a fleet-wide prefix index
// (Index, hash -> instances) for cache-aware routing whose lookups cost is
// proportional to the blocks matched, never to the fleet size.
//
// Everything here is single-threaded and deterministic (no clocks, no
// goroutines, no randomness), as the simulator requires. Hot paths (Admit,
// Grow, Publish, Release, Index.Longest) do not allocate in steady state.
package kvcache

import "math/bits"

// Odd 64-bit constants (wyhash's primes) that key the block hash chain. Any
// fixed values work; they only have to differ from each other and from 0.
const (
	hashRoot = 0xa0761d6478bd642f // parent hash of a prompt's first block
	hashID   = 0xe7037ed1a0b428db // keys the absorption of a content-block id
	hashSpan = 0x8ebc6af09c88c6e3 // keys the absorption of (offset, length)
	hashMix  = 0x589965cc75374cc3 // keys the second operand
)

// mum is wyhash's 64x64->128 multiply-fold: one instruction-level multiply
// that mixes every input bit into the result, far cheaper than a crypto hash.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// Hasher computes a prompt's KV block hashes one content block at a time;
// callers pass plain (content id, tokens) pairs from whatever type they
// hold. The zero Hasher is not usable: use NewHasher.
//
// The hashes are those of the complete blockTokens-sized KV blocks covering
// the prompt (content blocks of arbitrary lengths). Two prompts
// sharing their first n·blockTokens tokens (same content-block ids and lengths
// up to there) share their first n hashes; any difference changes that block's
// hash and every later one.
//
// A KV block is hashed as the chain of the content-block spans it holds, each
// span being (content id, offset inside the content block, length). The total
// length of a content block is deliberately not hashed: tokens [0,k) of a
// content block are the same whatever its length, so a block that lies inside
// a shared prefix hashes the same even if the content block straddling the end
// of that prefix differs in length. Zero or negative lengths add no tokens and
// are skipped; a partial last block gets no hash (vLLM caches complete blocks
// only). blockTokens < 1 appends nothing.
type Hasher struct {
	bt   int64  // KV block size in tokens; < 1 hashes nothing
	h    uint64 // running hash: at a block end it is that block's hash
	fill int64  // tokens already in the current KV block
}

// NewHasher starts the hash chain of a prompt cut into blockTokens-sized
// KV blocks.
func NewHasher(blockTokens int) Hasher {
	return Hasher{bt: int64(blockTokens), h: hashRoot}
}

// Add absorbs the next content block (id, tokens) and appends to dst the
// hashes of the KV blocks it completes.
func (hs *Hasher) Add(dst []uint64, id uint64, tokens int) []uint64 {
	if hs.bt < 1 {
		return dst
	}
	n := int64(tokens)
	for off := int64(0); off < n; {
		take := min(hs.bt-hs.fill, n-off)
		hs.h = mum(hs.h^hashID, id^hashMix)
		hs.h = mum(hs.h^hashSpan, (uint64(off)<<32|uint64(take))^hashMix)
		off += take
		hs.fill += take
		if hs.fill == hs.bt {
			dst = append(dst, hs.h)
			hs.fill = 0
		}
	}
	return dst
}
