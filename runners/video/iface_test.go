package video_test

import (
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/runners/video"
)

// The runner takes the video client as its runners.VideoRunner.
var _ runners.VideoRunner = (*video.Client)(nil)
