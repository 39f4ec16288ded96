package results

// SweepSchema identifies a sweep file (the output of "fleetbench sweep"), as
// opposed to a single-run result (Schema).
const SweepSchema = "fleetbench.sweep/v1"

// Sweep is the result of "fleetbench sweep": one simulation per grid point
// (fleet × GPU × TP × routing × traffic multiplier), or the points a search
// visited, plus the search's pick. Shards of one sweep merge (MergeSweeps).
type Sweep struct {
	// Schema is SweepSchema.
	Schema string `json:"schema"`
	// Scenario names the scenario every point ran.
	Scenario ScenarioInfo `json:"scenario"`
	// Search is the search that produced the points: "" (a plain grid),
	// "min-fleet", "max-load", "best-split" or "scale".
	Search string `json:"search,omitempty"`
	// Shard is "i/n" when this file holds only the points with
	// index % n == i; empty for a whole sweep.
	Shard string `json:"shard,omitempty"`
	// Points are ordered by Index.
	Points []SweepPoint `json:"points"`
	// Answer is the search's pick; nil for a plain grid or when no point
	// qualifies (Notes then say why).
	Answer *SweepPoint `json:"answer,omitempty"`
	// Notes are human-readable remarks (why no answer, bisection bounds…).
	Notes []string `json:"notes,omitempty"`
}

// SweepPoint is one simulation of a sweep.
type SweepPoint struct {
	// Index is the position in the full grid, stable across shards.
	Index int `json:"index"`
	// Fleet is the fleet in DESIGN.md notation (e.g. "4P8D").
	Fleet string `json:"fleet"`
	// GPU is the GPU type of the instances (catalog key, e.g. "h100").
	GPU string `json:"gpu"`
	// TP is the tensor-parallel degree (GPUs per instance).
	TP int `json:"tp"`
	// Routing is the routing policy.
	Routing string `json:"routing"`
	// RateScale multiplies every class's arrival rate.
	RateScale float64 `json:"rate_scale"`
	// Scale is the scale-curve multiplier applied to traffic and fleet
	// together; 0 outside a scale curve.
	Scale float64 `json:"scale,omitempty"`
	// GPUs is the total GPU count of the fleet.
	GPUs int `json:"gpus"`
	// MeetsSLO is true when every class met every SLO.
	MeetsSLO bool `json:"meets_slo"`
	// Metrics are totals of the run: ttft_p50_ms, ttft_p99_ms, tpot_p99_ms,
	// e2e_p99_ms, cache_hit_rate, slo_attainment, goodput_rps, usd_per_task,
	// usd_per_hour, utilization, output_tok_s (a metric that does not apply
	// is absent).
	Metrics map[string]float64 `json:"metrics"`
	// Result is the full result, kept only with --keep-results.
	Result *Result `json:"result,omitempty"`
	// Error says why the point did not run (bad configuration); the other
	// fields except the grid coordinates are then zero.
	Error string `json:"error,omitempty"`
}
