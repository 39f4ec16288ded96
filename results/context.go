package results

import (
	"fmt"
	"strings"
)

// Requests over the model's context (docs/metrics.md#context-length).
//
// A server refuses a request whose prompt plus requested output exceeds
// the model's maximum length (vLLM's max_model_len: a 400). The simulator
// serves it anyway, and its figures stay as simulated; the result counts
// such requests per class, so that nobody reads them as servable.

// OverContext counts a class's completed measured requests whose prompt
// plus output tokens exceed the model's context (ClassInfo.ContextTokens).
type OverContext struct {
	// Requests is how many completed requests were over the context.
	Requests int64 `json:"requests"`
	// LongestTokens is the longest of them, prompt plus output.
	LongestTokens int64 `json:"longest_tokens"`
	// ContextTokens is the model's context length (maximum model length).
	ContextTokens int64 `json:"context_tokens"`
}

// overContext counts r, a completed measured request, when its prompt
// plus output exceed the class's context.
func (c *classAcc) overContext(r *Record) {
	if lim := int64(c.info.ContextTokens); lim > 0 {
		if n := int64(r.InputTokens) + int64(r.OutputTokens); n > lim {
			c.overCtx++
			c.overCtxLongest = max(c.overCtxLongest, n)
		}
	}
}

// exportOverContext is the class's count, nil when none was over.
func (c *classAcc) exportOverContext() *OverContext {
	if c.overCtx == 0 {
		return nil
	}
	return &OverContext{Requests: c.overCtx, LongestTokens: c.overCtxLongest, ContextTokens: int64(c.info.ContextTokens)}
}

// importOverContext sets the accumulator from a result's count (Merge).
func (c *classAcc) importOverContext(o *OverContext) {
	if o == nil {
		return
	}
	c.overCtx, c.overCtxLongest, c.info.ContextTokens = o.Requests, o.LongestTokens, int(o.ContextTokens)
}

// OverContextWarn starts the warning on requests over the context (build
// writes it; Merge recomputes it rather than carry a part's; sweep notes
// count it apart from the other warnings).
const OverContextWarn = "over the model's context:"

// overContextWarning names the classes with requests over the model's
// context; "" when none.
func overContextWarning(names []string, r *Result) string {
	var parts []string
	ctx := int64(0)
	for _, n := range names {
		if c := r.Classes[n]; c != nil && c.OverContext != nil {
			o := c.OverContext
			parts = append(parts, fmt.Sprintf("class %s: %d, the longest %d tokens", n, o.Requests, o.LongestTokens))
			ctx = o.ContextTokens
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf(OverContextWarn+" completed requests whose prompt + output exceed its %d-token context (%s); "+
		"a real server would refuse them (HTTP 400: over its maximum model length), while these results count them as served: "+
		"lower the class's input/output maximums or agent turns, or pick a model with a longer context",
		ctx, strings.Join(parts, "; "))
}

// markOverContext marks the SLO verdict of each class that served requests
// over the model's context (build, and files written before the mark).
func (r *Result) markOverContext() {
	for _, c := range r.Classes {
		if c != nil && c.SLO != nil && c.OverContext != nil {
			c.SLO.OverContext = true
		}
	}
}

// OverContextNote explains the mark (OverContextMark) of a verdict whose
// class served requests over the model's context.
const OverContextNote = "SLO verdict over requests that include some over the model's context (see the warning): a real server would refuse those (HTTP 400), " +
	"so they would be errors, lowering SLO attainment and goodput, and would leave the percentiles; the verdict is not judged again without them"

// OverContextMark follows a verdict cell whose class served requests over
// the model's context (OverContextNote).
const OverContextMark = "†"
