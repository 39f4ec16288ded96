package results

// FleetInfo describes the serving fleet a result was measured on: the
// simulated fleet, or for endpoint runs whatever the user declared. The
// cost model reads it; it is the "fleet" object of the result file.
type FleetInfo struct {
	Spec           string     `json:"spec"`           // fleet notation, e.g. "4P8D+8V"
	Mode           string     `json:"mode,omitempty"` // disaggregated | colocated | ""
	Model          string     `json:"model,omitempty"`
	GPUs           int        `json:"gpus"` // provisioned at the end of the run
	Pools          []PoolInfo `json:"pools"`
	Routing        string     `json:"routing,omitempty"`
	DecodeRouting  string     `json:"decode_routing,omitempty"`
	BlockTokens    int        `json:"block_tokens,omitempty"`
	MaxBatchTokens int        `json:"max_batch_tokens,omitempty"`
	MaxSeqs        int        `json:"max_seqs,omitempty"`
}

// PoolInfo is one pool of the fleet.
type PoolInfo struct {
	Role            string `json:"role"` // prefill | decode | colocated | video
	Instances       int    `json:"instances"`
	GPU             string `json:"gpu"`
	GPUsPerInstance int    `json:"gpus_per_instance"` // TP (LLM) or SP (video)
	// Layout is the parallel layout of wide instances, e.g.
	// "tp1 dp32 ep32" (absent for a plain tensor-parallel group).
	Layout           string  `json:"layout,omitempty"`
	GPUs             int     `json:"gpus"`
	KVCapacityTokens int64   `json:"kv_capacity_tokens,omitempty"` // per instance
	USDPerGPUHour    float64 `json:"usd_per_gpu_hour"`
	TDPWatts         float64 `json:"tdp_watts,omitempty"` // per GPU, for energy estimates
	// GPUSeconds is the GPU time provisioned within the result window
	// (elastic pools integrate their instance count over it); 0 means
	// GPUs × window length.
	GPUSeconds float64 `json:"gpu_seconds,omitempty"`
	// BusySeconds is instance time spent executing steps within the result
	// window (utilization = BusySeconds / instance-seconds provisioned in
	// the window).
	BusySeconds float64 `json:"busy_seconds,omitempty"`
	// Wide pools (with a Layout) explain their throughput, over the whole
	// run: forward steps, mean step time, mean tokens per attention rank
	// per step (decode: sequences) against the per-rank limit, and the
	// tokens per second per node while stepping (prefill: prompt tokens
	// computed, decode: output tokens), NodeGPUs GPUs to a node.
	Steps             int64   `json:"steps,omitempty"`
	MeanStepMs        float64 `json:"mean_step_ms,omitempty"`
	RankBatch         float64 `json:"rank_batch,omitempty"`
	RankBatchLimit    int     `json:"rank_batch_limit,omitempty"`
	BusyTokensPerNode float64 `json:"busy_tokens_per_s_per_node,omitempty"`
	// WindowTokensPerNode is the same tokens over the window's length and
	// all the pool's GPUs.
	WindowTokensPerNode float64 `json:"window_tokens_per_s_per_node,omitempty"`
	NodeGPUs            int     `json:"node_gpus,omitempty"`
}
