package results

// Telemetry is GPU telemetry recorded during a run (see gpu/ for the
// sampler). Owned by the GPU telemetry work; extend freely.
type Telemetry struct{}
