package video

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is an in-process video-job API. Each job is queued for queue,
// generates for gen (progress rising), then is ready, with optional
// scripted failures.
type fakeServer struct {
	api        API
	queue, gen time.Duration

	createCode   int         // non-zero: answer create with this HTTP status
	createRaw    string      // non-empty: answer create with this body (200)
	pollCode     map[int]int // poll index (1-based, over the server) -> HTTP status
	failWith     string      // jobs end "failed" with this message instead of completing
	skipRunning  bool        // never report the running state
	contentCode  int         // non-zero: download answers this status
	emptyContent bool        // download returns no bytes
	stall        bool        // jobs stay queued forever

	mu       sync.Mutex
	jobs     map[string]time.Time
	polls    int
	fields   map[string]string // last create's fields (JSON or form)
	ctype    string
	auth     string
	custom   string // a custom header's value
	download int
}

func newFake(t *testing.T, api API, queue, gen time.Duration) (*fakeServer, *httptest.Server) {
	f := &fakeServer{api: api, queue: queue, gen: gen, jobs: map[string]time.Time{}}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, ts
}

func (f *fakeServer) base(ts *httptest.Server) string {
	if f.api == Task {
		return ts.URL + "/api/v3"
	}
	return ts.URL + "/v1"
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	createPath, statusPrefix := "/v1/videos", "/v1/videos/"
	if f.api == Task {
		createPath, statusPrefix = "/api/v3/contents/generations/tasks", "/api/v3/contents/generations/tasks/"
	}
	switch {
	case r.Method == http.MethodPost && p == createPath:
		f.create(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/files/"),
		r.Method == http.MethodGet && strings.HasSuffix(p, "/content"):
		f.download++
		if f.contentCode != 0 {
			http.Error(w, `{"error":{"message":"gone"}}`, f.contentCode)
			return
		}
		if !f.emptyContent {
			_, _ = w.Write([]byte("\x00\x00\x00\x18ftypmp42 fake clip"))
		}
	case r.Method == http.MethodGet && strings.HasPrefix(p, statusPrefix):
		f.poll(w, strings.TrimPrefix(p, statusPrefix))
	default:
		http.Error(w, "no route "+r.Method+" "+p, http.StatusNotFound)
	}
}

func (f *fakeServer) create(w http.ResponseWriter, r *http.Request) {
	f.auth = r.Header.Get("Authorization")
	f.custom = r.Header.Get("X-Test")
	f.ctype = r.Header.Get("Content-Type")
	f.fields = map[string]string{}
	mt, params, _ := mime.ParseMediaType(f.ctype)
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(part)
			f.fields[part.FormName()] = string(b)
		}
	} else {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		for k, v := range m {
			if s, ok := v.(string); ok {
				f.fields[k] = s
			} else {
				b, _ := json.Marshal(v)
				f.fields[k] = string(b)
			}
		}
	}
	if f.createCode != 0 {
		w.WriteHeader(f.createCode)
		_, _ = w.Write([]byte(`{"error":{"code":"rate_limit","message":"slow down"}}`))
		return
	}
	if f.createRaw != "" {
		_, _ = w.Write([]byte(f.createRaw))
		return
	}
	id := fmt.Sprintf("video_%d", len(f.jobs)+1)
	f.jobs[id] = time.Now()
	if f.api == Task {
		fmt.Fprintf(w, `{"id":%q}`, id) // Ark answers create with the id only
		return
	}
	fmt.Fprintf(w, `{"id":%q,"object":"video","model":%q,"status":"queued","progress":0,"created_at":%d,"size":%q,"seconds":%q}`,
		id, f.fields["model"], time.Now().Unix(), f.fields["size"], f.fields["seconds"])
}

func (f *fakeServer) poll(w http.ResponseWriter, id string) {
	f.polls++
	if code := f.pollCode[f.polls]; code != 0 {
		http.Error(w, `{"error":{"message":"poll trouble"}}`, code)
		return
	}
	created, ok := f.jobs[id]
	if !ok {
		http.Error(w, `{"error":{"message":"no such job"}}`, http.StatusNotFound)
		return
	}
	el := time.Since(created)
	queued, running, done := "queued", "in_progress", "completed"
	if f.api == Task {
		running, done = "running", "succeeded"
	}
	st, progress := queued, 0
	switch {
	case f.stall || el < f.queue:
	case el < f.queue+f.gen && !f.skipRunning:
		st, progress = running, int(100*(el-f.queue)/f.gen)
	case el < f.queue+f.gen:
	default:
		st, progress = done, 100
		if f.failWith != "" {
			st = "failed"
		}
	}
	errField := "null"
	if st == "failed" {
		errField = fmt.Sprintf(`{"code":"InternalError","message":%q}`, f.failWith)
	}
	if f.api == Task {
		content := ""
		if st == done {
			content = fmt.Sprintf(`,"content":{"video_url":"/files/%s.mp4"}`, id)
		}
		fmt.Fprintf(w, `{"id":%q,"model":"seedance","status":%q,"error":%s,"created_at":%d%s}`, id, st, errField, created.Unix(), content)
		return
	}
	fmt.Fprintf(w, `{"id":%q,"object":"video","status":%q,"progress":%d,"error":%s}`, id, st, progress, errField)
}

func (f *fakeServer) snapshot() (fields map[string]string, ctype, auth, custom string, downloads int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fields, f.ctype, f.auth, f.custom, f.download
}
