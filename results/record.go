// Package results owns what every backend produces and every report reads:
// the per-request Record, streaming per-class summaries built on HDR
// histograms, the result JSON contract (fleetbench.result/v1), cost, SLO and
// goodput, renderers, compare and merge. It imports neither sim/ nor runners/.
package results

// Record is one request's measurement, identical in shape for simulated and
// real runs. Times are integer nanoseconds since the run started (virtual
// time in the simulator). A zero FirstToken or LastToken means "never".
type Record struct {
	ID     uint64 `json:"id"`
	Class  string `json:"class"`
	Kind   string `json:"kind"` // chat | agent | video | trace
	TaskID uint64 `json:"task_id"`
	Turn   int    `json:"turn,omitempty"`

	Intended   int64 `json:"intended_ns"`    // intended send time (schedule)
	Sent       int64 `json:"sent_ns"`        // actual send time
	FirstToken int64 `json:"first_token_ns"` // first token (video: generation start)
	LastToken  int64 `json:"last_token_ns"`  // last token (video: clip ready)
	QueueNs    int64 `json:"queue_ns"`       // waiting before service began

	InputTokens  int `json:"input_tokens"`
	CachedTokens int `json:"cached_tokens"`
	OutputTokens int `json:"output_tokens"`

	// ITL holds per-token inter-token gaps in ns when the backend keeps them
	// per request (real runs); the simulator feeds ITL straight into the
	// summary instead, so this is empty there.
	ITL []int64 `json:"itl_ns,omitempty"`

	Status     int    `json:"status,omitempty"`      // HTTP status for real runs
	ErrorClass string `json:"error_class,omitempty"` // "" = success
	Error      string `json:"error,omitempty"`

	Preemptions int    `json:"preemptions,omitempty"`
	Instance    string `json:"instance,omitempty"`

	// TaskDone is set on the request that completed its task (the last turn
	// of an agent session; every independent request). TaskStart is the
	// task's first intended send time, so task E2E = LastToken - TaskStart.
	TaskDone  bool  `json:"task_done,omitempty"`
	TaskStart int64 `json:"task_start_ns,omitempty"`

	VideoSeconds float64 `json:"video_seconds,omitempty"` // generated video length
}
