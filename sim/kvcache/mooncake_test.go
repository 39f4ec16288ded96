package kvcache

import (
	"bufio"
	"container/list"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// mooncakeReq is one line of a Mooncake trace.
type mooncakeReq struct {
	InputLength int   `json:"input_length"`
	HashIDs     []int `json:"hash_ids"`
}

const mooncakeBlock = 512

func loadMooncake(t testing.TB) []mooncakeReq {
	t.Helper()
	f, err := os.Open("testdata/mooncake_conversation_1000.jsonl")
	require.NoError(t, err)
	defer f.Close()
	var reqs []mooncakeReq
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		var r mooncakeReq
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "line %d", line)
		n := len(r.HashIDs)
		require.True(t, r.InputLength > (n-1)*mooncakeBlock && r.InputLength <= n*mooncakeBlock,
			"line %d: %d tokens do not fit %d blocks", line, r.InputLength, n)
		reqs = append(reqs, r)
	}
	require.NoError(t, sc.Err())
	require.Len(t, reqs, 1000)
	return reqs
}

// refLRU is the reference: an exact LRU prefix cache over raw Mooncake hash
// ids, written from the algorithm's definition with a map and container/list
// and sharing no code with Cache. Between requests every non-cached block is
// free, so free space is capacity minus cached ids.
type refLRU struct {
	capacity int
	order    *list.List // front = least recently used id
	where    map[int]*list.Element
}

// serve runs one request to completion and returns its hit blocks.
func (r *refLRU) serve(ids []int, inputLength int) int {
	complete := inputLength / mooncakeBlock
	need := (inputLength + mooncakeBlock - 1) / mooncakeBlock
	hit := 0
	for hit < complete && r.where[ids[hit]] != nil {
		hit++
	}
	// Pin the hits: out of the LRU order, still occupying space.
	for _, id := range ids[:hit] {
		r.order.Remove(r.where[id])
	}
	for r.capacity-len(r.where) < need-hit {
		front := r.order.Front()
		r.order.Remove(front)
		delete(r.where, front.Value.(int))
	}
	// The computed complete blocks become cached (an id already cached
	// further on moves to its new copy), then are released tail first: the
	// head ends most recently used.
	for i := complete - 1; i >= 0; i-- {
		id := ids[i]
		if e := r.where[id]; e != nil && i >= hit {
			r.order.Remove(e)
		}
		r.where[id] = r.order.PushBack(id)
	}
	return hit
}

// TestMooncakeMatchesReferenceLRU replays a Mooncake trace slice through a
// Cache and the reference at several capacities: per-request hits and the
// resident count must agree exactly (docs/calibration.md §4). Capacity 1000
// catches a head-first release order; 100000 never evicts (the upper bound).
func TestMooncakeMatchesReferenceLRU(t *testing.T) {
	reqs := loadMooncake(t)
	var totalTokens int
	for _, r := range reqs {
		totalTokens += r.InputLength
	}
	for _, capacity := range []int{250, 500, 1000, 2000, 4000, 10000, 100000} {
		c := New(capacity, mooncakeBlock)
		ref := &refLRU{capacity: capacity, order: list.New(), where: map[int]*list.Element{}}
		var hitCache, hitRef int
		var p []Span
		var h []uint64
		for i, r := range reqs {
			p = p[:0]
			for j, id := range r.HashIDs {
				n := mooncakeBlock
				if j == len(r.HashIDs)-1 {
					n = r.InputLength - j*mooncakeBlock
				}
				p = append(p, Span{ID: uint64(id), Tokens: int32(n)})
			}
			h = HashPrompt(p, mooncakeBlock, h[:0])
			require.Len(t, h, r.InputLength/mooncakeBlock)
			a, ok := c.Admit(h, r.InputLength)
			require.True(t, ok, "capacity %d request %d (%d tokens) must fit", capacity, i, r.InputLength)
			c.Publish(a.Seq, h)
			c.Release(a.Seq)
			want := ref.serve(r.HashIDs, r.InputLength)
			require.Equal(t, want, a.HitBlocks, "capacity %d request %d", capacity, i)
			require.Equal(t, len(ref.where), c.Cached(), "capacity %d request %d: resident blocks", capacity, i)
			hitCache += a.HitBlocks
			hitRef += want
		}
		require.NoError(t, checkInvariants(c, nil))
		rateCache := float64(hitCache*mooncakeBlock) / float64(totalTokens)
		rateRef := float64(hitRef*mooncakeBlock) / float64(totalTokens)
		require.Equal(t, rateRef, rateCache)
		t.Logf("capacity %5d blocks: token hit rate %.4f (reference %.4f), evictions %d",
			capacity, rateCache, rateRef, c.Evictions())
	}
}
