// Package scenarios owns the workload language: the scenario schema, its
// validation, arrival processes, length distributions, prefix and session
// models, trace importers and the built-in scenario library. It turns a
// scenario file into a deterministic stream of requests that the simulator
// (virtual clock) and the endpoint runner (wall clock) both consume.
package scenarios

// Kind is a workload class kind.
type Kind string

// Workload class kinds.
const (
	KindChat  Kind = "chat"
	KindAgent Kind = "agent"
	KindVideo Kind = "video"
	KindTrace Kind = "trace"
)

// Role says who authored a content block; the endpoint runner uses it to
// render chat messages, the simulator ignores it.
type Role uint8

// Roles of content blocks.
const (
	RoleSystem Role = iota
	RoleUser
	RoleAssistant
	RoleTool
)

// Block is a run of tokens inside a prompt. Two blocks with the same ID are
// byte-identical (same tokens), wherever they appear, so prefix caches in the
// simulator and in a real server see exactly the same sharing.
type Block struct {
	ID     uint64 // content identity; equal ID = identical tokens
	Tokens int32  // length in tokens
	Role   Role
}

// ClassHeader is the HTTP header in which the runner names each request's
// scenario class; fleetbench serve credits the request to that class
// (other servers ignore it).
const ClassHeader = "X-Fleetbench-Class"

// VideoSpec describes one video-generation clip request.
type VideoSpec struct {
	Model   string  // diffusion model id, e.g. "wan2.1-14b"
	Width   int     // pixels
	Height  int     // pixels
	Seconds float64 // clip length
	FPS     int     // frames per second
	Steps   int     // sampling steps
}

// Frames is the number of frames in the clip.
func (v VideoSpec) Frames() int { return int(v.Seconds*float64(v.FPS) + 0.5) }

// Request is one inference call (or one video clip job).
//
// Times are integer nanoseconds since the start of the run: virtual time in
// the simulator, wall time since start in the endpoint runner.
type Request struct {
	ID         uint64 // unique within a workload, deterministic
	Class      string // class name from the scenario
	ClassIndex int    // index of the class in Scenario.Classes
	Kind       Kind

	Arrival int64 // intended send time, ns since run start

	// Prompt is the ordered list of content blocks. For agent turn k it is
	// turn k-1's prompt + turn k-1's output block + the new blocks. The slice
	// may share its backing array with other requests of the same session:
	// treat it as read-only.
	Prompt       []Block
	InputTokens  int // sum of Prompt token lengths
	OutputTokens int // requested output length (max_tokens; ignore_eos)

	// Task links a request to its task. For an independent request (open-loop
	// chat, trace, video) Task is nil and the request is its own task.
	Task      Task
	TaskID    uint64 // equals ID for independent requests
	TaskStart int64  // arrival of the task's first request, ns
	Turn      int    // 0-based turn index within its (sub-)session
	Depth     int    // sub-agent nesting depth; 0 for the root session

	Video *VideoSpec // non-nil for video clip requests
}

// Task is the closed-loop part of a workload: an agent session (with its
// sub-agents) or a closed-loop user. Its next requests depend on when the
// previous ones finished.
type Task interface {
	// Complete reports that r, one of this task's requests, finished at time
	// at (ns since run start) after producing outputTokens tokens (the actual
	// count; a failed request passes 0). It returns the requests that follow,
	// each with Arrival >= at already set (think/tool time included), and
	// whether the task as a whole has now finished. Complete must be called
	// exactly once per request the task produced.
	Complete(r *Request, at int64, outputTokens int) (next []*Request, taskDone bool)
}
