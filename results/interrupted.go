package results

// Interrupted run (Ctrl-C on run or sim): the result holds the requests
// that finished before the stop; the ones still running are cancelled
// (run: errors) or not counted (sim), and either way their latencies are
// missing, and they are the slowest. An SLO verdict over what finished
// says FinishedOnly so that a "met" never reads as a clean one.

// Interrupted reports whether r is the result of an interrupted run
// (extra.interrupted).
func (r *Result) Interrupted() bool {
	v, _ := r.Extra["interrupted"].(bool)
	return v
}

// MarkInterrupted marks r, built over the part of a run done before an
// interruption, as such: extra.interrupted, the warning w (what was
// stopped where, and what is missing), and every class's SLO verdict as
// judged on the finished requests only.
func (r *Result) MarkInterrupted(w string) {
	if r.Extra == nil {
		r.Extra = map[string]any{}
	}
	r.Extra["interrupted"] = true
	r.Warnings = append(r.Warnings, w)
	r.markFinishedOnly()
}

// markFinishedOnly marks the SLO verdicts of an interrupted result (build
// and older files read) that were judged on finished requests: a verdict
// none of whose targets was measured (a class with no request, or none
// completed) covers no request, and the mark would say a met may not
// hold where there is no met; files that marked those read unmarked.
func (r *Result) markFinishedOnly() {
	if !r.Interrupted() {
		return
	}
	for _, c := range r.Classes {
		if c != nil && c.SLO != nil {
			c.SLO.FinishedOnly = c.SLO.judged()
		}
	}
}

// judged says whether some target of v was measured (has samples).
func (v *SLOVerdict) judged() bool {
	for _, t := range v.Targets {
		if !t.NotMeasured {
			return true
		}
	}
	return false
}

// FinishedOnlyNote explains the mark (FinishedOnlyMark) of a verdict
// judged on the finished requests of an interrupted run.
const FinishedOnlyNote = "SLO verdict over the finished requests only: the run was interrupted, and the requests still running then, the slowest, are missing from its percentiles, so a met may not hold over the whole run (SLO attainment and goodput are over the same requests)"

// FinishedOnlyMark follows a verdict cell judged on the finished requests
// only (FinishedOnlyNote).
const FinishedOnlyMark = "*"
