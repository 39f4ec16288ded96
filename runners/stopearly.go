package runners

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/fleetbench/fleetbench/results"
)

// StopEarlyMin is how many measured requests a run needs before
// Config.StopEarly may end it: fewer say too little about a rate.
const StopEarlyMin = 100

// stopEarlyInterval is how often the result so far is checked (each check
// builds it from the summary, which encodes its histograms).
const stopEarlyInterval = 250 * time.Millisecond

// errStoppedEarly cancels the run when Config.StopEarly trips.
var errStoppedEarly = errors.New("stopped early")

// earlyChecks are the limits that can stop a run early: rates that a run
// past StopEarlyMin requests has already broken. SLO verdicts are left to
// the end (a percentile of a part of a run is not the run's).
var earlyChecks = map[string]bool{results.CheckErrorRate: true, results.CheckDropRate: true, results.CheckSaturation: true}

// earlyReason checks res against l with results.Check (the end-of-run
// judge, so --stop-early and the exit status mean the same thing) and
// returns why the run should stop now, or "".
func earlyReason(res *results.Result, l results.Limits) string {
	if res == nil || res.Totals == nil || res.Totals.Requests < StopEarlyMin {
		return ""
	}
	l.SLOGate = false
	var msgs []string
	for _, f := range results.Check(res, l) {
		if earlyChecks[f.Check] {
			msgs = append(msgs, f.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

// watchEarly checks the result so far every stopEarlyInterval and cancels
// the run (stop) with the reason when a limit is crossed. The returned
// function ends the watch and returns the reason ("" = it did not trip).
func (x *run) watchEarly(stop context.CancelCauseFunc) func() string {
	if x.cfg.StopEarly == nil {
		return func() string { return "" }
	}
	quit := make(chan struct{})
	reason := make(chan string, 1)
	go func() {
		t := time.NewTicker(stopEarlyInterval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				reason <- ""
				return
			case <-t.C:
				if why := earlyReason(x.partial(), *x.cfg.StopEarly); why != "" {
					stop(errStoppedEarly)
					reason <- why
					return
				}
			}
		}
	}()
	return func() string {
		close(quit)
		return <-reason
	}
}

// partial is the result of what the run collected so far.
func (x *run) partial() *results.Result {
	x.sink.mu.Lock()
	defer x.sink.mu.Unlock()
	return x.sink.summary.Result(results.Meta{Backend: "endpoint"})
}
