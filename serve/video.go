package serve

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sim/models"
)

// Video defaults, as the scenario schema's (scenarios.VideoClip).
const (
	defaultVideoModel   = "wan2.1-14b"
	defaultVideoWidth   = 1280
	defaultVideoHeight  = 720
	defaultVideoSeconds = 5
	defaultVideoFPS     = 16
	defaultVideoSteps   = 50
	// maxVideoJobs bounds the jobs remembered for polling; the oldest
	// finished ones are forgotten first.
	maxVideoJobs = 100_000
)

// videoJob is one clip job, polled through either API.
type videoJob struct {
	id      string
	model   string
	spec    scenarios.VideoSpec
	created time.Time
	j       *job
	rec     *results.Record // set once finished (cached from j)
}

// videoStore remembers jobs in creation order.
type videoStore struct {
	mu    sync.Mutex
	byID  map[string]*videoJob
	order []*videoJob // creation order; finished ones pruned lazily
}

func newVideoStore() *videoStore { return &videoStore{byID: map[string]*videoJob{}} }

func (s *Server) videoRoutes() {
	s.mux.HandleFunc("POST /v1/videos", s.handleVideoCreate)
	s.mux.HandleFunc("GET /v1/videos/{id}", s.handleVideoGet)
	s.mux.HandleFunc("GET /v1/videos/{id}/content", s.handleVideoContent)
	// The task API answers under both /api/v3 (Ark's prefix) and /v1, so
	// one base URL serves every client.
	for _, base := range []string{"/api/v3", "/v1"} {
		s.mux.HandleFunc("POST "+base+"/contents/generations/tasks", s.handleTaskCreate)
		s.mux.HandleFunc("GET "+base+"/contents/generations/tasks/{id}", s.handleTaskGet)
	}
}

// videoParams are the fields both create APIs reduce to.
type videoParams struct {
	Model, Size, Seconds string
	FPS, Steps           int
}

// spec validates p into the engine's clip spec.
func (s *Server) videoSpec(p videoParams) (scenarios.VideoSpec, *apiError) {
	v := scenarios.VideoSpec{Model: p.Model, Width: defaultVideoWidth, Height: defaultVideoHeight,
		Seconds: defaultVideoSeconds, FPS: defaultVideoFPS, Steps: defaultVideoSteps}
	if v.Model == "" {
		v.Model = defaultVideoModel
	}
	if s.videoOverride == "" {
		if _, err := models.LookupVideo(v.Model); err != nil {
			return v, badRequest("model", "%v (or start serve with a fleet whose video pool names its model)", err)
		}
	} else if p.Model != "" && p.Model != s.videoOverride {
		return v, badRequest("model", "model %q: this server's video pool runs %s (--video-model); ask for it or omit model", p.Model, s.videoOverride)
	}
	if p.Size != "" {
		w, h, ok := strings.Cut(strings.ReplaceAll(p.Size, "*", "x"), "x")
		wi, err1 := strconv.Atoi(w)
		hi, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || wi < 1 || hi < 1 || wi > scenarios.MaxVideoSide || hi > scenarios.MaxVideoSide {
			return v, badRequest("size", "size %q: want WIDTHxHEIGHT in pixels, e.g. 1280x720", p.Size)
		}
		v.Width, v.Height = wi, hi
	}
	if p.Seconds != "" {
		sec, err := strconv.ParseFloat(p.Seconds, 64)
		if err != nil || !(sec > 0) || sec > scenarios.MaxVideoSeconds {
			return v, badRequest("seconds", "seconds %q: want a clip length in (0, %d]", p.Seconds, scenarios.MaxVideoSeconds)
		}
		v.Seconds = sec
	}
	if p.FPS != 0 {
		if p.FPS < 1 || p.FPS > scenarios.MaxVideoFPS {
			return v, badRequest("fps", "fps %d: want 1 to %d", p.FPS, scenarios.MaxVideoFPS)
		}
		v.FPS = p.FPS
	}
	if p.Steps != 0 {
		if p.Steps < 1 || p.Steps > scenarios.MaxVideoSteps {
			return v, badRequest("steps", "steps %d: want 1 to %d", p.Steps, scenarios.MaxVideoSteps)
		}
		v.Steps = p.Steps
	}
	return v, nil
}

// createVideo submits a clip job to the engine.
func (s *Server) createVideo(r *http.Request, p videoParams, prefix string) (*videoJob, *apiError) {
	spec, e := s.videoSpec(p)
	if e != nil {
		return nil, e
	}
	class, e := s.class(r, true, "")
	if e != nil {
		return nil, e
	}
	id := s.nextID.Add(1)
	j := newJob()
	sp := spec
	j.req = scenarios.Request{ID: id, Class: class, Kind: scenarios.KindVideo, TaskID: id, Video: &sp, Arrival: s.lp.now()}
	if err := s.lp.submit(j); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, typ: errInvalidRequest, msg: err.Error()}
	}
	vj := &videoJob{id: prefix + strconv.FormatUint(id, 16), model: p.Model, spec: spec, created: time.Now(), j: j}
	if vj.model == "" {
		vj.model = defaultVideoModel
	}
	st := s.videos
	st.mu.Lock()
	st.byID[vj.id] = vj
	st.order = append(st.order, vj)
	if len(st.order) > maxVideoJobs {
		old := st.order[0]
		st.order = st.order[1:]
		delete(st.byID, old.id)
	}
	st.mu.Unlock()
	return vj, nil
}

// videoState is a job's status: queued, in_progress, completed or failed.
type videoState struct {
	status   string
	progress int
	rec      *results.Record
}

// state reports where job vj stands. The video pool is first-in
// first-out, so among unfinished jobs in creation order the first
// (busy instances) are generating and the rest wait.
func (s *Server) state(vj *videoJob) (videoState, error) {
	st := s.videos
	st.mu.Lock()
	defer st.mu.Unlock()
	if vj.rec == nil {
		if _, _, rec := vj.j.take(); rec != nil {
			vj.rec = rec
		}
	}
	if rec := vj.rec; rec != nil {
		if rec.ErrorClass != "" {
			return videoState{status: "failed", rec: rec}, nil
		}
		return videoState{status: "completed", progress: 100, rec: rec}, nil
	}
	var g sim.LiveGauges
	if err := s.lp.query(func(l *sim.Live) { g = l.Gauges() }); err != nil {
		return videoState{}, err
	}
	pos := 0
	for _, o := range st.order {
		if o == vj {
			break
		}
		if o.rec == nil {
			if _, _, rec := o.j.take(); rec != nil {
				o.rec = rec
			}
		}
		if o.rec == nil {
			pos++
		}
	}
	if pos < g.Videos {
		return videoState{status: "in_progress", progress: 50}, nil
	}
	return videoState{status: "queued"}, nil
}

func (s *Server) lookupVideo(w http.ResponseWriter, r *http.Request) *videoJob {
	id := r.PathValue("id")
	s.videos.mu.Lock()
	vj := s.videos.byID[id]
	s.videos.mu.Unlock()
	if vj == nil {
		writeError(w, http.StatusNotFound, errInvalidRequest, "id", fmt.Sprintf("no video job %q on this server (ids are forgotten after %d newer jobs)", id, maxVideoJobs))
	}
	return vj
}

// handleVideoCreate is OpenAI's POST /v1/videos (JSON or multipart form:
// model, prompt, seconds, size; fleetbench extensions fps and steps).
func (s *Server) handleVideoCreate(w http.ResponseWriter, r *http.Request) {
	p, e := videoCreateParams(r)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	vj, e := s.createVideo(r, p, "video_fb")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.writeVideo(w, vj, videoState{status: "queued"})
}

func (s *Server) handleVideoGet(w http.ResponseWriter, r *http.Request) {
	vj := s.lookupVideo(w, r)
	if vj == nil {
		return
	}
	vs, err := s.state(vj)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, errServer, "", err.Error())
		return
	}
	s.writeVideo(w, vj, vs)
}

// writeVideo renders OpenAI's video object.
func (s *Server) writeVideo(w http.ResponseWriter, vj *videoJob, vs videoState) {
	body := map[string]any{"id": vj.id, "object": "video", "model": vj.model, "status": vs.status,
		"progress": vs.progress, "created_at": vj.created.Unix(),
		"size":    fmt.Sprintf("%dx%d", vj.spec.Width, vj.spec.Height),
		"seconds": strconv.FormatFloat(vj.spec.Seconds, 'g', -1, 64)}
	if vs.rec != nil {
		body["completed_at"] = time.Now().Unix()
		if vs.rec.ErrorClass != "" {
			body["error"] = map[string]any{"code": vs.rec.ErrorClass, "message": s.failure(vs.rec).msg}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// handleVideoContent serves a completed clip: a minimal MP4 header (an
// ftyp box and a free box), since the emulator renders no pixels.
func (s *Server) handleVideoContent(w http.ResponseWriter, r *http.Request) {
	vj := s.lookupVideo(w, r)
	if vj == nil {
		return
	}
	vs, err := s.state(vj)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, errServer, "", err.Error())
		return
	}
	if vs.status != "completed" {
		writeError(w, http.StatusConflict, errInvalidRequest, "id", fmt.Sprintf("video %s is %s, not completed: poll GET /v1/videos/%s until its status is completed", vj.id, vs.status, vj.id))
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	_, _ = w.Write(fakeMP4)
}

// fakeMP4 is an ftyp box (isom) followed by an empty free box.
var fakeMP4 = []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41\x00\x00\x00\x08free")

// handleTaskCreate is the task-style create of content-generation APIs
// in Volcengine Ark's (Seedance) shape: body {"model", "content": [{"type":
// "text", "text": "PROMPT --resolution 720p --ratio 16:9 --duration 5"}]},
// clip parameters as text commands after the prompt (also --fps and
// --steps); answers {"id"}.
func (s *Server) handleTaskCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model   string `json:"model"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	}
	if e := decodeBody(r, &body); e != nil {
		writeAPIError(w, e)
		return
	}
	var txt strings.Builder
	for _, c := range body.Content {
		if c.Type == "text" {
			txt.WriteString(c.Text)
			txt.WriteByte(' ')
		}
	}
	p, e := taskParams(txt.String())
	if e != nil {
		writeAPIError(w, e)
		return
	}
	p.Model = body.Model
	vj, e := s.createVideo(r, p, "cgt-fb")
	if e != nil {
		writeAPIError(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": vj.id})
}

// taskParams reads the text commands of a task prompt: --resolution
// (480p/720p/1080p: the short side), --ratio W:H (default 16:9),
// --duration seconds, --fps (or --framepersecond), --steps.
func taskParams(txt string) (videoParams, *apiError) {
	var p videoParams
	short, rw, rh := 0, 16, 9
	f := strings.Fields(txt)
	for i := 0; i+1 < len(f); i++ {
		k, v := f[i], f[i+1]
		var err error
		switch k {
		case "--resolution", "--rs":
			short, err = strconv.Atoi(strings.TrimSuffix(strings.ToLower(v), "p"))
			if err == nil && (short < 1 || short > scenarios.MaxVideoSide) {
				err = fmt.Errorf("out of range")
			}
		case "--ratio", "--rt":
			a, b, ok := strings.Cut(v, ":")
			rw, err = strconv.Atoi(a)
			if err == nil {
				rh, err = strconv.Atoi(b)
			}
			if err == nil && (!ok || rw < 1 || rh < 1 || rw > 64 || rh > 64) {
				err = fmt.Errorf("out of range")
			}
		case "--duration", "--dur":
			p.Seconds = v
		case "--fps", "--framepersecond":
			p.FPS, err = strconv.Atoi(v)
		case "--steps":
			p.Steps, err = strconv.Atoi(v)
		default:
			continue
		}
		if err != nil {
			return p, badRequest("content", "text command %s %q: %v", k, v, err)
		}
		i++
	}
	if short > 0 {
		w, h := short*rw/rh, short
		if rw < rh {
			w, h = short, short*rh/rw
		}
		p.Size = fmt.Sprintf("%dx%d", w, h)
	}
	return p, nil
}

// taskStatus maps a job state to the task API's words.
var taskStatus = map[string]string{"queued": "queued", "in_progress": "running", "completed": "succeeded", "failed": "failed"}

func (s *Server) handleTaskGet(w http.ResponseWriter, r *http.Request) {
	vj := s.lookupVideo(w, r)
	if vj == nil {
		return
	}
	vs, err := s.state(vj)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, errServer, "", err.Error())
		return
	}
	body := map[string]any{"id": vj.id, "model": vj.model, "status": taskStatus[vs.status],
		"created_at": vj.created.Unix(), "updated_at": time.Now().Unix()}
	switch vs.status {
	case "completed":
		body["content"] = map[string]any{"video_url": "http://" + r.Host + "/v1/videos/" + vj.id + "/content"}
		body["usage"] = map[string]any{"completion_tokens": 0}
	case "failed":
		body["error"] = map[string]any{"code": vs.rec.ErrorClass, "message": s.failure(vs.rec).msg}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// videoFields are the fields /v1/videos accepts (OpenAI's create-video
// parameters plus fps and steps); any other is a 400, not ignored.
var videoFields = map[string]bool{"model": true, "prompt": true, "size": true, "seconds": true,
	"fps": true, "steps": true, "input_reference": true, "user": true}

// videoCreateParams reads a /v1/videos body: JSON, multipart/form-data
// (what OpenAI's SDKs send) or url-encoded form. Unknown fields and values
// that do not parse are 400s naming the field.
func videoCreateParams(r *http.Request) (videoParams, *apiError) {
	var p videoParams
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" || ct == "application/x-www-form-urlencoded" {
		var err error
		if ct == "multipart/form-data" {
			err = r.ParseMultipartForm(maxBodyBytes)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return p, badRequest("", "reading the form: %v", err)
		}
		form := r.PostForm
		if r.MultipartForm != nil {
			form = r.MultipartForm.Value
			for k := range r.MultipartForm.File {
				if !videoFields[k] {
					return p, badRequest(k, "unknown field %q (fields: model, prompt, size, seconds, fps, steps, input_reference)", k)
				}
			}
		}
		for k, vs := range form {
			if !videoFields[k] {
				return p, badRequest(k, "unknown field %q (fields: model, prompt, size, seconds, fps, steps, input_reference)", k)
			}
			if len(vs) > 1 {
				return p, badRequest(k, "field %q given %d times", k, len(vs))
			}
		}
		p.Model, p.Size, p.Seconds = form.Get("model"), form.Get("size"), form.Get("seconds")
		for _, f := range []struct {
			key string
			dst *int
		}{{"fps", &p.FPS}, {"steps", &p.Steps}} {
			if v := form.Get(f.key); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n == 0 {
					return p, badRequest(f.key, "%s %q: want a positive whole number", f.key, v)
				}
				*f.dst = n
			}
		}
		return p, nil
	}
	var body struct {
		Model          string          `json:"model"`
		Prompt         string          `json:"prompt"`
		Size           string          `json:"size"`
		Seconds        json.RawMessage `json:"seconds"` // "4" (OpenAI) or 4
		FPS            *int            `json:"fps"`
		Steps          *int            `json:"steps"`
		InputReference json.RawMessage `json:"input_reference"`
		User           string          `json:"user"`
	}
	if e := decodeJSON(r, &body, true); e != nil {
		return p, e
	}
	p = videoParams{Model: body.Model, Size: body.Size, Seconds: strings.Trim(string(body.Seconds), `"`)}
	if p.Seconds == "null" {
		p.Seconds = ""
	}
	for _, f := range []struct {
		key string
		src *int
		dst *int
	}{{"fps", body.FPS, &p.FPS}, {"steps", body.Steps, &p.Steps}} {
		if f.src != nil {
			if *f.src == 0 {
				return p, badRequest(f.key, "%s 0: want a positive whole number", f.key)
			}
			*f.dst = *f.src
		}
	}
	return p, nil
}
