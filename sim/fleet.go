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
// "use the fleet default".
type PoolSpec struct {
	Role  Role
	Count int
	GPU   string
	TP    int
}

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
		if p.GPU != "" || p.TP > 0 {
			b.WriteByte(':')
			b.WriteString(p.GPU)
			if p.TP > 0 {
				fmt.Fprintf(&b, "x%d", p.TP)
			}
		}
	}
	return b.String()
}

// ParseFleet parses the fleet notation. Grammar (whitespace or '+' separate
// pools; pools may also be written back to back, as in "4P8D"):
//
//	fleet := pool { [sep] pool }
//	pool  := COUNT ROLE [ ":" [GPU] [ "x" TP ] ]
//	ROLE  := P | D | C | V
//
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
			for i < len(in) && (unicode.IsLetter(rune(in[i])) || unicode.IsDigit(rune(in[i])) || in[i] == '-' || in[i] == '.') {
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
				if p.TP <= 0 {
					return f, fmt.Errorf("fleet spec %q: TP degree in %q must be positive", s, opt)
				}
			}
		}
		f.Pools = append(f.Pools, p)
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

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
