package scenarios

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// arrival checks a class's arrival process against its kind.
func (v *validator) arrival(c *Class, p string) {
	ap := p + ".arrival"
	if c.Kind == KindTrace {
		if c.Arrival.Process == "" && !v.has(ap) {
			c.Arrival.Process = "trace"
		}
		if c.Arrival.Process != "trace" {
			v.errf(ap, "%s: trace classes take their arrival times from the file (use arrival: {process: trace} or omit it)", ap)
			return
		}
	} else {
		if c.Arrival.Process == "" && !v.has(ap) {
			v.errf(p, "%s: missing required key \"arrival\" (e.g. arrival: {process: poisson, rate: 5})", p)
			return
		}
		if c.Arrival.Process == "trace" {
			v.errf(ap+".process", "%s.process: only trace classes replay trace timestamps (use poisson, gamma, bursts, ... here)", ap)
			return
		}
	}
	if err := c.Arrival.Validate(); err != nil {
		v.field(ap, err)
		return
	}
	v.rates(&c.Arrival, ap)
	v.limit(ap+".think_s", c.Arrival.ThinkS, MaxToolSeconds, "seconds")
	if c.Arrival.IsClosed() && c.Arrival.Users > maxUsers {
		v.errf(ap+".users", "%s.users: at most %d users, got %d", ap, maxUsers, c.Arrival.Users)
	}
	if c.Arrival.ThinkS != nil {
		if _, err := c.Arrival.ThinkS.New(v.baseDir); err != nil {
			v.field(ap+".think_s", err)
		}
	}
}

// resolutions are the named video resolutions (16:9 landscape).
var resolutions = map[string][2]int{
	"480p":  {832, 480}, // Wan2.1's 480p output size
	"720p":  {1280, 720},
	"1080p": {1920, 1080},
}

// parseResolution accepts WxH or a named resolution.
func parseResolution(s string) (w, h int, err error) {
	if r, ok := resolutions[strings.ToLower(s)]; ok {
		return r[0], r[1], nil
	}
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err1 := strconv.Atoi(ws)
		h, err2 := strconv.Atoi(hs)
		if err1 == nil && err2 == nil && w > 0 && h > 0 && w <= MaxVideoSide && h <= MaxVideoSide {
			return w, h, nil
		}
		if err1 == nil && err2 == nil {
			return 0, 0, fmt.Errorf("resolution %q: each side must be 1 to %d pixels (docs/scenarios.md, Limits)", s, MaxVideoSide)
		}
	}
	return 0, 0, fmt.Errorf("resolution %q is not WIDTHxHEIGHT or one of 480p, 720p, 1080p", s)
}

func (v *validator) video(m *VideoMix, p string) {
	single := m.VideoClip != (VideoClip{})
	if single && len(m.Mix) > 0 {
		v.errf(p+".mix", "%s: give either one clip spec (model, resolution, ...) or a mix, not both", p)
		return
	}
	if !single && len(m.Mix) == 0 {
		m.Mix = []VideoClip{{}}
	}
	if single {
		m.Mix = []VideoClip{m.VideoClip}
		m.VideoClip = VideoClip{}
		v.clip(&m.Mix[0], p)
		if m.Mix[0].Weight != 1 && v.has(p+".weight") {
			v.errf(p+".weight", "%s.weight: weight only applies to entries of a mix", p)
		}
		m.Mix[0].Weight = 1
		return
	}
	for i := range m.Mix {
		v.clip(&m.Mix[i], fmt.Sprintf("%s.mix[%d]", p, i))
	}
}

func (v *validator) clip(c *VideoClip, p string) {
	if c.Weight < 0 {
		v.errf(p+".weight", "%s.weight: must be > 0, got %v", p, c.Weight)
	}
	if c.Weight == 0 {
		if v.has(p + ".weight") {
			v.errf(p+".weight", "%s.weight: must be > 0 (remove the entry instead)", p)
		}
		c.Weight = 1
	}
	if c.Model == "" {
		c.Model = "wan2.1-14b"
	}
	if c.Resolution == "" {
		c.Resolution = "1280x720"
	}
	if w, h, err := parseResolution(c.Resolution); err != nil {
		v.errf(p+".resolution", "%s.resolution: %v", p, err)
	} else {
		c.Resolution = fmt.Sprintf("%dx%d", w, h)
	}
	if c.Seconds == 0 && !v.has(p+".seconds") {
		c.Seconds = 5
	}
	if c.Seconds <= 0 || c.Seconds > MaxVideoSeconds {
		v.errf(p+".seconds", "%s.seconds: clip length must be in (0, %d] seconds, got %v", p, MaxVideoSeconds, c.Seconds)
	}
	if c.FPS == 0 && !v.has(p+".fps") {
		c.FPS = 16
	}
	if c.FPS <= 0 || c.FPS > MaxVideoFPS {
		v.errf(p+".fps", "%s.fps: must be in [1, %d], got %d", p, MaxVideoFPS, c.FPS)
	}
	if c.Steps == 0 && !v.has(p+".steps") {
		c.Steps = 50
	}
	if c.Steps <= 0 || c.Steps > MaxVideoSteps {
		v.errf(p+".steps", "%s.steps: must be in [1, %d], got %d", p, MaxVideoSteps, c.Steps)
	}
}

// Spec returns the clip as a request's VideoSpec (resolution parsed).
func (c VideoClip) Spec() VideoSpec {
	w, h, _ := parseResolution(c.Resolution)
	return VideoSpec{Model: c.Model, Width: w, Height: h, Seconds: c.Seconds, FPS: c.FPS, Steps: c.Steps}
}

// builtinTracePrefix marks a trace file embedded in the binary.
const builtinTracePrefix = "builtin:"

func (v *validator) trace(t *TraceSpec, p string) {
	if t.File == "" {
		v.errf(p, "%s: missing required key \"file\" (path relative to the scenario file, or builtin:traces/NAME)", p)
	}
	switch t.Format {
	case "mooncake", "azure":
	case "":
		switch strings.ToLower(filepath.Ext(strings.TrimSuffix(t.File, ".gz"))) {
		case ".jsonl":
			t.Format = "mooncake"
		case ".csv":
			t.Format = "azure"
		default:
			v.errf(p, "%s: missing key \"format\" (mooncake or azure)", p)
		}
	default:
		hint := suggest(t.Format, []string{"mooncake", "azure"})
		v.errf(p+".format", "%s.format: unknown trace format %q (%s)", p, t.Format, strings.Replace(hint, "valid keys", "valid formats", 1))
	}
	defaults := []struct {
		key string
		x   *float64
		lim float64
	}{{"time_scale", &t.TimeScale, MaxTraceTimeScale}, {"rate_scale", &t.RateScale, MaxTraceScale}}
	for _, d := range defaults {
		if *d.x == 0 && !v.has(p+"."+d.key) {
			*d.x = 1
		}
		if *d.x <= 0 || *d.x > d.lim {
			v.errf(p+"."+d.key, "%s.%s: must be in (0, %g] (1 = as recorded), got %v", p, d.key, d.lim, *d.x)
		}
	}
	if t.BlockTokens == 0 && !v.has(p+".block_tokens") {
		t.BlockTokens = 512 // Mooncake's hash-id block size
	}
	if t.BlockTokens <= 0 || t.BlockTokens > MaxTokens {
		v.errf(p+".block_tokens", "%s.block_tokens: must be in [1, %d], got %d", p, MaxTokens, t.BlockTokens)
	}
	if t.File == "" {
		return
	}
	if err := statTrace(t.File, v.baseDir); err != nil {
		v.errf(p+".file", "%s.file: %v", p, err)
		return
	}
	if err := checkTrace(t, v.baseDir, v.duration, v.requests); err != nil {
		v.errf(p+".file", "%s.file: %v", p, err)
	}
}

// checkTrace reads a trace file through once (streaming, constant memory)
// so that validation finds what a run would die on: a line that is not
// the format, binary data, a file with no request at all, a line past the
// token limit, or (when no duration: cuts the replay) a line sent more
// than MaxDuration after the first, as a timestamp typo would be: run
// would wait that long for it. Lines past requests: are never sent.
func checkTrace(t *TraceSpec, baseDir string, duration time.Duration, requests int) error {
	if strings.HasPrefix(t.File, builtinTracePrefix) || (t.Format != "mooncake" && t.Format != "azure") {
		return nil // embedded traces are tested; a bad format is reported already
	}
	rd, err := openTrace(t, baseDir)
	if err != nil {
		return err
	}
	defer rd.Close()
	for n := 0; ; n++ {
		en, err := rd.next()
		if err == io.EOF {
			if n == 0 {
				return fmt.Errorf("%s holds no requests", resolvePath(t.File, baseDir))
			}
			return nil
		}
		if err != nil {
			return err
		}
		if en.input > MaxTokens || en.output > MaxTokens {
			return fmt.Errorf("%s:%d: %d input and %d output tokens; the limit is %d each (docs/scenarios.md, Limits): fix or drop the line", resolvePath(t.File, baseDir), en.line, en.input, en.output, MaxTokens)
		}
		reached := requests == 0 || t.RateScale < 1 || n < requests
		// In float: a tiny time_scale overflows a Duration.
		if at := float64(en.at) / t.TimeScale; duration == 0 && reached && at > float64(MaxDuration) {
			return fmt.Errorf("%s:%d: this line is sent %s after the trace's first (time_scale %g), past the %s a replay may last (docs/scenarios.md, Limits): set duration: to cut the replay, time_scale: to speed it up, or fix the line's timestamp",
				resolvePath(t.File, baseDir), en.line, fmtSpan(at), t.TimeScale, MaxDuration)
		}
	}
}

// statTrace checks that a trace file exists without reading it.
func statTrace(file, baseDir string) error {
	if name, ok := strings.CutPrefix(file, builtinTracePrefix); ok {
		if _, err := fs.Stat(builtinFS, "builtin/"+name); err != nil {
			return fmt.Errorf("no embedded trace %q (embedded traces: %s)", name, strings.Join(builtinTraces(), ", "))
		}
		return nil
	}
	st, err := os.Stat(resolvePath(file, baseDir))
	if err != nil {
		return fmt.Errorf("cannot read trace file %s (paths are relative to the scenario file)", resolvePath(file, baseDir))
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory, not a trace file (name the .jsonl or .csv file in it)", resolvePath(file, baseDir))
	}
	return nil
}

func resolvePath(file, baseDir string) string {
	if filepath.IsAbs(file) || baseDir == "" {
		return file
	}
	return filepath.Join(baseDir, file)
}

// VideoSpecs returns a video class's clip variants and their relative
// weights (nil for other kinds).
func (c *Class) VideoSpecs() (specs []VideoSpec, weights []float64) {
	if c.Video == nil {
		return nil, nil
	}
	for _, m := range c.Video.Mix {
		specs = append(specs, m.Spec())
		weights = append(weights, m.Weight)
	}
	return specs, weights
}

// fmtSpan writes ns as a duration rounded to the second, or in hours
// when it is past what a Duration holds.
func fmtSpan(ns float64) string {
	if ns < float64(math.MaxInt64) {
		return time.Duration(ns).Round(time.Second).String()
	}
	if h := ns / float64(time.Hour); h < 1e300 {
		return fmt.Sprintf("%.3g h", h)
	}
	return "more than 1e300 h"
}
