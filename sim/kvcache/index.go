package kvcache

import "slices"

// Index maps block hashes to the instances holding them, for cache-aware
// routing across a fleet. Wire it to each instance's Cache with SetHooks:
//
//	c.SetHooks(func(h uint64) { x.Add(h, inst) }, func(h uint64) { x.Remove(h, inst) })
//
// Holders of a hash are kept as a sorted slice, so a lookup intersects short
// sorted lists and never visits instances that do not hold the prompt's first
// block. It is single-threaded, like the simulator.
type Index struct {
	m     map[uint64][]int32 // hash -> sorted instances; no empty slices
	act   []int32            // Longest: instances still matching
	drops []Match            // Longest: instances that stopped, in order
}

// Match is one instance's prefix match length, in blocks.
type Match struct {
	Instance int32
	Blocks   int
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{m: make(map[uint64][]int32)} }

// Len returns the number of distinct hashes held anywhere.
func (x *Index) Len() int { return len(x.m) }

// Replicas returns how many instances hold hash.
func (x *Index) Replicas(hash uint64) int { return len(x.m[hash]) }

// Add records that instance inst holds hash (idempotent).
func (x *Index) Add(hash uint64, inst int32) {
	l := x.m[hash]
	i, found := slices.BinarySearch(l, inst)
	if found {
		return
	}
	x.m[hash] = slices.Insert(l, i, inst)
}

// Remove records that inst no longer holds hash (absent pairs are ignored).
func (x *Index) Remove(hash uint64, inst int32) {
	l, ok := x.m[hash]
	if !ok {
		return
	}
	i, found := slices.BinarySearch(l, inst)
	if !found {
		return
	}
	if len(l) == 1 {
		delete(x.m, hash)
		return
	}
	x.m[hash] = slices.Delete(l, i, i+1)
}

// Longest returns, for the instances holding hashes[0], how many leading
// blocks each holds, appended to out best first (most blocks, then lowest
// instance id) and at most max entries. The cost is proportional to the
// blocks matched times the replicas involved, never to the fleet size.
func (x *Index) Longest(hashes []uint64, max int, out []Match) []Match {
	if len(hashes) == 0 || max <= 0 {
		return out
	}
	first := x.m[hashes[0]]
	if len(first) == 0 {
		return out
	}
	act := append(x.act[:0], first...)
	drops := x.drops[:0]
	depth := 1 // every instance in act holds hashes[:depth]
	for ; depth < len(hashes) && len(act) > 0; depth++ {
		holders := x.m[hashes[depth]]
		w := 0
		if len(holders) > 8*len(act) {
			// A hash held fleet-wide (a common system prompt): probe it by
			// binary search instead of walking every holder.
			for _, inst := range act {
				if _, ok := slices.BinarySearch(holders, inst); ok {
					act[w] = inst
					w++
				} else {
					drops = append(drops, Match{inst, depth})
				}
			}
		} else {
			k := 0
			for _, inst := range act {
				for k < len(holders) && holders[k] < inst {
					k++
				}
				if k < len(holders) && holders[k] == inst {
					act[w] = inst
					w++
				} else {
					drops = append(drops, Match{inst, depth})
				}
			}
		}
		act = act[:w]
	}
	// Survivors matched everything up to depth; then the dropped ones, latest
	// (longest) group first, each group in instance order.
	for _, inst := range act {
		if max == 0 {
			break
		}
		out = append(out, Match{inst, depth})
		max--
	}
	for end := len(drops); end > 0 && max > 0; {
		start := end - 1
		for start > 0 && drops[start-1].Blocks == drops[end-1].Blocks {
			start--
		}
		for _, m := range drops[start:end] {
			if max == 0 {
				break
			}
			out = append(out, m)
			max--
		}
		end = start
	}
	x.act, x.drops = act, drops
	return out
}
