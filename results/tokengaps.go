package results

// TokenGaps records one class's inter-token gaps (the PerToken metric,
// ITL) in bulk, for a producer that knows them by the batch rather than by
// the request: a simulated decode step gives every sequence in its batch
// the same gap, so it records the gap once with the number of sequences
// instead of copying it into each Record.ITL. The histogram is the same as
// from the records' ITL value by value (an HDR histogram is a count per
// bucket). The producer must then leave those records' ITL empty, and may
// record only gaps of requests that complete successfully and that the
// summary includes (Summary.Includes), as Add would.
type TokenGaps struct {
	c *classAcc
	m metric
}

// TokenGaps returns the bulk recorder of class's per-token gaps (kind as
// in Record.Kind, for a class the summary was not given).
func (s *Summary) TokenGaps(class, kind string) *TokenGaps {
	c := s.class(class, kind)
	if c.info.Kind == "" {
		c.info.Kind = kind
	}
	for i := range Metrics {
		if Metrics[i].PerToken {
			return &TokenGaps{c: c, m: metric(i)}
		}
	}
	panic("results: no per-token metric") // Metrics has ITL; unreachable
}

// Add records count gaps of ns nanoseconds (nothing when count < 1).
func (g *TokenGaps) Add(ns, count int64) {
	if count > 0 {
		g.c.record(g.m, ns, count)
	}
}

// AddRun records gaps[0] first times and every later gap rest times, one
// histogram update per run of gaps on the same microsecond.
func (g *TokenGaps) AddRun(gaps []int64, first, rest int64) {
	if len(gaps) == 0 {
		return
	}
	g.Add(gaps[0], first)
	if rest < 1 {
		return
	}
	for i := 1; i < len(gaps); {
		us := nsToUs(gaps[i])
		j := i + 1
		for j < len(gaps) && nsToUs(gaps[j]) == us {
			j++
		}
		g.c.record(g.m, gaps[i], int64(j-i)*rest)
		i = j
	}
}
