package sim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Role is what a pool of instances does.
type Role byte

// Pool roles in the fleet notation of docs/design.md.
const (
	RolePrefill   Role = 'P'
	RoleDecode    Role = 'D'
	RoleColocated Role = 'C'
	RoleVideo     Role = 'V'
)

func (r Role) String() string {
	switch r {
	case RolePrefill:
		return "prefill"
	case RoleDecode:
		return "decode"
	case RoleColocated:
		return "colocated"
	case RoleVideo:
		return "video"
	}
	return "unknown"
}

// PoolSpec is one pool of the fleet notation: Count instances (for video
// pools: GPUs) of GPU type GPU with TP GPUs each. Empty GPU or zero TP means
// "use the fleet default". Without suffixes the TP GPUs form one
// tensor-parallel group; EP, DP and AttnTP (the /epN, /dpN, /tpN
// suffixes) lay them out as expert-parallel MoE layers over EP ranks and
// attention data-parallel over DP ranks of AttnTP GPUs each (0: default).
type PoolSpec struct {
	Role  Role
	Count int
	GPU   string
	TP    int // GPUs per instance ("x" N)
	EP    int
	DP    int
	// AttnTP is the attention tensor-parallel degree inside one DP rank.
	AttnTP int
}

// Parallel reports whether the pool gives a parallel layout beyond xN.
func (p PoolSpec) Parallel() bool { return p.EP > 0 || p.DP > 0 || p.AttnTP > 0 }

// FleetSpec is a parsed fleet notation such as "4P8D", "12C",
// "4P:h200 8D:h20", "2P:h100x2 4D+16V".
type FleetSpec struct {
	Pools []PoolSpec
}

// Mode is "disaggregated" when the fleet has prefill and decode pools,
// "colocated" when it has colocated pools, "" for a video-only fleet.
func (f FleetSpec) Mode() string {
	for _, p := range f.Pools {
		switch p.Role {
		case RolePrefill, RoleDecode:
			return "disaggregated"
		case RoleColocated:
			return "colocated"
		}
	}
	return ""
}

// String renders the spec back in canonical notation.
func (f FleetSpec) String() string {
	var b strings.Builder
	for i, p := range f.Pools {
		if i > 0 {
			if p.Role == RoleVideo {
				b.WriteByte('+')
			} else {
				b.WriteByte(' ')
			}
		}
		fmt.Fprintf(&b, "%d%c", p.Count, p.Role)
		if p.GPU != "" || p.TP > 0 || p.Parallel() {
			b.WriteByte(':')
			b.WriteString(p.GPU)
			if p.TP > 0 {
				fmt.Fprintf(&b, "x%d", p.TP)
			}
			for _, x := range []struct {
				k string
				v int
			}{{"ep", p.EP}, {"dp", p.DP}, {"tp", p.AttnTP}} {
				if x.v > 0 {
					fmt.Fprintf(&b, "/%s%d", x.k, x.v)
				}
			}
		}
	}
	return b.String()
}

// ParseFleet parses the fleet notation. Grammar (whitespace or '+' separate
// pools; pools may also be written back to back, as in "4P8D"):
//
//	fleet := pool { [sep] pool }
//	pool  := COUNT ROLE [ ":" [GPU] [ "x" N ] { "/" ("ep" | "dp" | "tp") N } ]
//	ROLE  := P | D | C | V
//
// "x" N is the GPUs per instance; alone it is one tensor-parallel group
// (h800x16 = TP 16). /epN spreads the MoE layers' experts over N ranks,
// /dpN runs attention data-parallel over N ranks, /tpN sets the attention
// TP degree inside a rank (default N/dp), e.g. h800x32/ep32/dp32.
// Rules: prefill and decode pools come together; colocated pools exclude
// them; counts are positive.
func ParseFleet(s string) (FleetSpec, error) {
	var f FleetSpec
	in := strings.TrimSpace(s)
	if in == "" {
		return f, fmt.Errorf("empty fleet spec (write e.g. \"4P8D\", \"12C\" or \"4P:h200 8D:h20\")")
	}
	i := 0
	for i < len(in) {
		c := in[i]
		if c == ' ' || c == '\t' || c == '+' || c == ',' {
			i++
			continue
		}
		start := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if start == i {
			return f, fmt.Errorf("fleet spec %q: expected a count at offset %d, found %q (write e.g. \"4P8D\")", s, start, in[start:start+1])
		}
		n, err := strconv.Atoi(in[start:i])
		if err != nil || n <= 0 {
			return f, fmt.Errorf("fleet spec %q: pool count %q must be a positive integer", s, in[start:i])
		}
		if i >= len(in) {
			return f, fmt.Errorf("fleet spec %q: count %d has no role letter (P, D, C or V)", s, n)
		}
		role := Role(unicode.ToUpper(rune(in[i])))
		switch role {
		case RolePrefill, RoleDecode, RoleColocated, RoleVideo:
		default:
			return f, fmt.Errorf("fleet spec %q: unknown role %q (use P=prefill, D=decode, C=colocated, V=video)", s, in[i:i+1])
		}
		i++
		p := PoolSpec{Role: role, Count: n}
		if i < len(in) && in[i] == ':' {
			i++
			st := i
			for i < len(in) && (asciiAlnum(in[i]) || in[i] == '-' || in[i] == '.') {
				i++
			}
			opt := strings.ToLower(in[st:i])
			gpu, tp := opt, ""
			if k := strings.LastIndexByte(opt, 'x'); k >= 0 && k+1 < len(opt) && allDigits(opt[k+1:]) {
				gpu, tp = opt[:k], opt[k+1:]
			}
			p.GPU = gpu
			if tp != "" {
				p.TP, _ = strconv.Atoi(tp)
				if p.TP <= 0 || p.TP > 1024 {
					return f, fmt.Errorf("fleet spec %q: GPU count in %q must be 1 to 1024", s, opt)
				}
			}
			for i < len(in) && in[i] == '/' {
				i++
				st := i
				for i < len(in) && asciiAlnum(in[i]) {
					i++
				}
				if err := p.setSuffix(strings.ToLower(in[st:i])); err != nil {
					return f, fmt.Errorf("fleet spec %q: %v", s, err)
				}
			}
			if p.Parallel() && p.TP == 0 {
				return f, fmt.Errorf("fleet spec %q: %s gives a parallel layout without the GPU count: write e.g. h800x32/ep32/dp32", s, opt)
			}
		}
		f.Pools = append(f.Pools, p)
	}
	if len(f.Pools) == 0 {
		return f, fmt.Errorf("fleet spec %q names no pool (write e.g. \"4P8D\", \"12C\" or \"4P:h200 8D:h20\")", s)
	}
	total := 0
	for _, p := range f.Pools {
		total += p.Count
		if total > MaxInstances {
			return f, fmt.Errorf("fleet spec %q: more than %d instances, the simulator's limit", s, MaxInstances)
		}
	}
	var hasP, hasD, hasC bool
	for _, p := range f.Pools {
		hasP = hasP || p.Role == RolePrefill
		hasD = hasD || p.Role == RoleDecode
		hasC = hasC || p.Role == RoleColocated
	}
	switch {
	case hasC && (hasP || hasD):
		return f, fmt.Errorf("fleet spec %q mixes colocated (C) with prefill/decode (P/D) pools; pick one mode", s)
	case hasP != hasD:
		return f, fmt.Errorf("fleet spec %q: disaggregated serving needs both a prefill (P) and a decode (D) pool", s)
	}
	return f, nil
}

// setSuffix applies one "/epN", "/dpN" or "/tpN" suffix (without the
// slash).
func (p *PoolSpec) setSuffix(x string) error {
	var dst *int
	switch {
	case strings.HasPrefix(x, "ep"):
		dst = &p.EP
	case strings.HasPrefix(x, "dp"):
		dst = &p.DP
	case strings.HasPrefix(x, "tp"):
		dst = &p.AttnTP
	default:
		return fmt.Errorf("unknown layout suffix /%s (use /epN for expert parallel, /dpN for data-parallel attention, /tpN for attention tensor parallel)", x)
	}
	if !allDigits(x[2:]) {
		return fmt.Errorf("layout suffix /%s needs a number, e.g. /%s32", x, x[:2])
	}
	n, err := strconv.Atoi(x[2:])
	if err != nil || n <= 0 || n > 1024 {
		return fmt.Errorf("layout suffix /%s must be 1 to 1024", x)
	}
	if *dst != 0 {
		return fmt.Errorf("layout suffix /%s given twice", x[:2])
	}
	*dst = n
	return nil
}

// MaxInstances bounds the instances of one fleet (platform-hour, the
// largest built-in, runs 10,256).
const MaxInstances = 1_000_000

// asciiAlnum reports an ASCII letter or digit: GPU names and layout
// suffixes are ASCII, and a byte of a multi-byte character must not pass
// for a letter (it would not survive lower-casing).
func asciiAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// InheritLayout fills the pools of fleet that name neither a GPU nor a GPU
// count from the pool of the same role in base when that one has a wide
// layout, so that "2P1D" on a scenario whose default fleet is
// "4P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144" means two and one of those
// units. Other pools, and fleets when base has no wide pool, are returned
// unchanged (in canonical notation when anything was filled).
func InheritLayout(fleet, base string) (string, error) {
	spec, err := ParseFleet(fleet)
	if err != nil {
		return "", err
	}
	if base == "" {
		return fleet, nil
	}
	b, err := ParseFleet(base)
	if err != nil {
		// A broken default fleet is reported where it is used; here it
		// just has nothing to inherit.
		return fleet, nil
	}
	changed := false
	for i, p := range spec.Pools {
		if p.GPU != "" || p.TP > 0 || p.Role == RoleVideo {
			continue
		}
		for _, q := range b.Pools {
			if q.Role == p.Role && q.Parallel() {
				q.Count = p.Count
				spec.Pools[i] = q
				changed = true
				break
			}
		}
	}
	if !changed {
		return fleet, nil
	}
	return spec.String(), nil
}
