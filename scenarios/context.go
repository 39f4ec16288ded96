package scenarios

import (
	"fmt"
	"path/filepath"

	"github.com/fleetbench/fleetbench/scenarios/dist"
	"github.com/fleetbench/fleetbench/sim/models"
)

// MinRequestTokens is the fewest tokens, prompt plus output, that any one
// request of c can have: its lengths' floors (dist.Spec.Floor) of the
// first prompt (shared prefix or system prompt, and the input) and of the
// output; the smaller of a parent's and a sub-agent's first request. 0
// for kinds whose requests the scenario does not size (video, trace).
func (c *Class) MinRequestTokens() int {
	floor := func(s *dist.Spec) int {
		if s == nil || s.Dist == "" {
			return 0
		}
		return s.Floor()
	}
	out := floor(c.Output)
	switch c.Kind {
	case KindChat:
		n := floor(c.Input) + out
		if c.SystemPrompts != nil {
			n += floor(&c.SystemPrompts.Tokens)
		}
		return n
	case KindAgent:
		if c.Agent == nil {
			return 0
		}
		n := floor(c.Agent.SharedPrefix) + floor(c.Input) + out
		if sa := c.Agent.Subagents; sa != nil && sa.Probability > 0 {
			childOut := out
			if sa.Output != nil {
				childOut = floor(sa.Output)
			}
			n = min(n, floor(sa.SharedPrefix)+floor(&sa.Task)+childOut)
		}
		return n
	}
	return 0
}

// fleetModel is the scenario's own model (fleet.model, a config.json
// relative to dir), when it is known and has a context length.
func fleetModel(s *Scenario, dir string) (models.Model, bool) {
	if s.Fleet == nil {
		return models.Model{}, false
	}
	var m models.Model
	var err error
	switch ref := s.Fleet.Model; {
	case ref.Config != "":
		path := ref.Config
		if !filepath.IsAbs(path) && dir != "" {
			path = filepath.Join(dir, path)
		}
		m, _, err = models.LoadHFConfig(path)
	case ref.ID != "":
		m, err = models.Lookup(ref.ID)
	default:
		return m, false
	}
	return m, err == nil && m.ContextTokens > 0
}

// contextLimits refuses a class whose every request is longer than the
// context of the scenario's model (fleet.model): a server refuses each
// of them (HTTP 400), so nothing of the class could be served. A model
// the catalog does not know, or a config without a context length, is
// left to the simulator.
func (v *validator) contextLimits(s *Scenario) {
	dir := v.baseDir
	if v.builtin {
		dir = ""
	}
	m, ok := fleetModel(s, dir)
	if !ok {
		return
	}
	for i := range s.Classes {
		c := &s.Classes[i]
		if n := c.MinRequestTokens(); n > m.ContextTokens {
			p := fmt.Sprintf("classes[%d]", i)
			at := p + ".input"
			if !v.has(at) {
				at = p
			}
			v.errf(at, "%s: every request of class %q has at least %d tokens (prompt + output), over the %d-token context of model %s (fleet.model): a server refuses each of them (HTTP 400); shorten the class's input, prefix or output, or pick a model with a longer context",
				at, c.Name, n, m.ContextTokens, m.ID)
		}
	}
}
