// Package shard parses and formats shard specs: "i/n" names the work items
// with index % n == i, so n hosts (or n sweep processes) split one run, and
// "i+j/n" names the union of shards i and j (a merged sweep file).
// `fleetbench run --shard` and `fleetbench sweep --shard` take one shard;
// sweep files may carry a merged one.
package shard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxN bounds n: far beyond any real split, and keeps a typo from
// allocating per-shard state for billions of shards.
const MaxN = 1 << 20

// Parse parses a shard spec into its sorted shard numbers and n. It accepts
// "i/n" with 0 <= i < n, written in plain decimal; with merged true it also
// accepts "i+j+.../n" (distinct shard numbers, any order).
func Parse(s string, merged bool) ([]int, int, error) {
	lhs, rhs, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(rhs)
	if !ok || err != nil || strconv.Itoa(n) != rhs || n < 1 || n > MaxN {
		return nil, 0, fmt.Errorf("shard %q: want i/n with n an integer from 1 to %d, e.g. 0/4", s, MaxN)
	}
	parts := strings.Split(lhs, "+")
	if len(parts) > 1 && !merged {
		return nil, 0, fmt.Errorf("shard %q: give one shard i/n with 0 <= i < n, e.g. 0/4 (i+j/n names merged shards, found only in merged sweep files)", s)
	}
	var set []int
	for _, f := range parts {
		i, err := strconv.Atoi(f)
		if err != nil || strconv.Itoa(i) != f || i < 0 || i >= n {
			return nil, 0, fmt.Errorf("shard %q: shard number %q must be an integer from 0 to %d", s, f, n-1)
		}
		if slices.Contains(set, i) {
			return nil, 0, fmt.Errorf("shard %q names shard %d twice", s, i)
		}
		set = append(set, i)
	}
	slices.Sort(set)
	return set, n, nil
}

// Format is Parse's inverse for a sorted set; a complete set is "" (the
// whole run).
func Format(set []int, n int) string {
	if len(set) == n {
		return ""
	}
	parts := make([]string, len(set))
	for i, v := range set {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "+") + "/" + strconv.Itoa(n)
}
