package perf

// PublishedThroughput is one published offline-throughput measurement.
type PublishedThroughput struct {
	In, Out  int     // input / output tokens per request
	Requests int     // requests in the run (the overview's dataset size)
	Value    float64 // total output tokens per second
}

// TRTLLMOfflineRows are TensorRT-LLM's published offline throughputs for
// Llama-3.1-8B FP8 on 1×H100 SXM (NVIDIA/TensorRT-LLM
// docs/source/performance/perf-overview.md; docs/calibration.md §1).
// Both this package's model test and the engine's end-to-end calibration
// test check against them.
var TRTLLMOfflineRows = []PublishedThroughput{
	{128, 128, 30000, 28312},
	{128, 2048, 3000, 22714},
	{128, 4096, 1500, 14325},
	{500, 2000, 3000, 17660},
	{1000, 1000, 3000, 15220},
	{1000, 2000, 1500, 13899},
	{2048, 128, 3000, 3450},
	{2048, 2048, 1500, 9305},
	{5000, 500, 1500, 3459},
	{20000, 2000, 1000, 1351},
}
