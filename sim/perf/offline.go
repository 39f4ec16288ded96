package perf

import "math"

// Sched bounds one continuous-batching step.
type Sched struct {
	// MaxBatchTokens is the most tokens (prefill chunks plus one per
	// decoding sequence) one step may compute; default 8192.
	MaxBatchTokens int
	// MaxSeqs is the most sequences in flight; default: as many as the KV
	// cache holds at full length.
	MaxSeqs int
}

// TRTLLMBenchSched returns the limits TensorRT-LLM's trtllm-bench derives
// for an offline run of fixed input/output lengths: the batch size is the
// number of full-length requests the KV cache holds (capped at 4096,
// rounded up to a multiple of 32/128/256 and at least 64), and the token
// budget is that batch times (1 + input/output), capped at 32768, rounded
// up to a multiple of 256/512/1024 and at least 2048 (tensorrt_llm/bench
// build tuning heuristic).
func TRTLLMBenchSched(m *Model, input, output int) Sched {
	input, output = max(input, 1), max(output, 1)
	reqs := float64(m.KVCapacityTokens()) / float64(input+output)
	bs := min(reqs, 4096)
	tokens := min(bs*(1+float64(input)/float64(output)), 32768)
	roundUp := func(x, to float64) int { return int(to * math.Ceil(x/to)) }
	var s Sched
	switch {
	case bs < 256:
		s.MaxSeqs = max(64, roundUp(bs, 32))
	case bs < 1024:
		s.MaxSeqs = roundUp(bs, 128)
	default:
		s.MaxSeqs = roundUp(bs, 256)
	}
	switch {
	case tokens < 4096:
		s.MaxBatchTokens = max(2048, roundUp(tokens, 256))
	case tokens < 8192:
		s.MaxBatchTokens = roundUp(tokens, 512)
	default:
		s.MaxBatchTokens = roundUp(tokens, 1024)
	}
	return s
}

// offlineSeq is one request in flight.
type offlineSeq struct {
	prefilled int  // prompt tokens computed so far
	generated int  // output tokens produced so far
	stepped   bool // computed a token (decode or last prefill chunk) this step
}

// prefillChunk schedules up to budget prompt tokens of q into st and
// returns how many it took. A chunk of c tokens starting at position p
// attends to c·p + c(c+1)/2 context tokens in total.
func prefillChunk(q *offlineSeq, input, budget int, st *Step) int {
	c := min(input-q.prefilled, budget)
	p := int64(q.prefilled)
	st.PrefillTokens += c
	st.PrefillAttn += int64(c)*p + int64(c)*int64(c+1)/2
	q.prefilled += c
	q.stepped = q.prefilled == input
	return c
}

// OfflineThroughput runs requests identical requests of input prompt and
// output generated tokens, all queued at time zero, through a deterministic
// continuous-batching loop on m and returns output tokens per second over
// the whole run. Each step first gives every decoding sequence one token,
// then continues unfinished prefills, then admits queued requests while
// the token budget, the sequence limit and the KV cache allow; a prompt
// that does not fit the remaining budget is prefilled in chunks. A request
// is admitted only when KV for its full length (input+output) is free, as
// TensorRT-LLM's default GUARANTEED_NO_EVICT policy does, so nothing is
// ever preempted. Zero Sched fields take defaults; invalid inputs give 0.
func OfflineThroughput(m *Model, input, output, requests int, s Sched) float64 {
	if m == nil || input < 1 || output < 1 || requests < 1 {
		return 0
	}
	if s.MaxBatchTokens <= 0 {
		s.MaxBatchTokens = 8192
	}
	full := int64(input + output)
	kvSeqs := m.KVCapacityTokens() / full
	if kvSeqs < 1 {
		return 0 // one request does not fit in KV: it could never run
	}
	if s.MaxSeqs <= 0 || int64(s.MaxSeqs) > kvSeqs {
		s.MaxSeqs = int(kvSeqs)
	}
	running := make([]offlineSeq, 0, min(s.MaxSeqs, requests))
	queued, done := requests, 0
	var now int64
	for done < requests {
		var st Step
		budget := s.MaxBatchTokens
		// Decode first: every sequence past its prefill emits one token.
		for i := range running {
			q := &running[i]
			if q.prefilled == input && budget > 0 {
				st.DecodeSeqs++
				st.DecodeCtx += int64(input + q.generated)
				budget--
				q.stepped = true
			}
		}
		// Continue unfinished prefills, then admit new requests.
		for i := range running {
			if budget == 0 {
				break
			}
			if q := &running[i]; q.prefilled < input {
				budget -= prefillChunk(q, input, budget, &st)
			}
		}
		for budget > 0 && queued > 0 && len(running) < s.MaxSeqs {
			running = append(running, offlineSeq{})
			queued--
			budget -= prefillChunk(&running[len(running)-1], input, budget, &st)
		}
		if st.PrefillTokens == 0 && st.DecodeSeqs == 0 {
			return 0 // cannot make progress (budget too small): avoid spinning
		}
		now += max(m.StepTime(st), 1)
		// Advance: decoders gained a token; finished prefills emit their
		// first token. Drop finished sequences (order kept: deterministic).
		kept := running[:0]
		for _, q := range running {
			if q.stepped {
				q.generated++
				q.stepped = false
			}
			if q.generated >= output {
				done++
				continue
			}
			kept = append(kept, q)
		}
		running = kept
	}
	return float64(requests) * float64(output) / (float64(now) / 1e9)
}
