package results

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// DrainSplitWarn starts the warning that a result's class cost split leans
// on its drain (drainSplitWarning).
const DrainSplitWarn = "class cost split:"

// noteDrainSplit adds drainSplitWarning to r's warnings, once.
func noteDrainSplit(r *Result) {
	if w := drainSplitWarning(r); w != "" && !slices.Contains(r.Warnings, w) {
		r.Warnings = append(r.Warnings, w)
	}
}

// drainSplitWarning says when the classes' shares of a pool's cost are not
// steady-state figures: the simulator shares each pool's window cost by
// the GPU time the classes' measured tasks used on it, in the window or
// after it, and tasks still running after the window (agent sessions of
// minutes) run there alone in small batches, charged the whole pool's
// time. When the drain is longer than the window and a pool serves more
// than one class, that time weighs more than the window's; the fleet's
// totals are unaffected. "" otherwise.
func drainSplitWarning(r *Result) string {
	drain := r.Window.DrainEndS - r.Window.EndS
	if len(r.Attribution) < 2 || r.Window.DurationS <= 0 || drain <= r.Window.DurationS {
		return ""
	}
	byRole := map[string][]string{}
	for _, class := range slices.Sorted(maps.Keys(r.Attribution)) {
		for role, share := range r.Attribution[class] {
			if share > 0 {
				byRole[role] = append(byRole[role], fmt.Sprintf("%s %.0f%%", class, share*100))
			}
		}
	}
	var shared []string
	for _, role := range slices.Sorted(maps.Keys(byRole)) {
		if len(byRole[role]) > 1 {
			shared = append(shared, fmt.Sprintf("%s (%s)", role, strings.Join(byRole[role], ", ")))
		}
	}
	if len(shared) == 0 {
		return ""
	}
	return fmt.Sprintf(DrainSplitWarn+" the pools' cost is shared by the GPU time each class's measured tasks used, in the window or after it, and the run served them %s s after the %s s window: tasks still running then (long agent sessions) run alone in small batches and are charged the whole pool's time, so the shares of pool %s lean toward them and per-class cost, $/Mtok, margins and break-evens are not steady-state figures (the fleet's totals are); lengthen --duration well past the longest task to compare classes",
		fmtSeconds(drain), fmtSeconds(r.Window.DurationS), strings.Join(shared, ", pool "))
}
