package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/telemetry"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines to log into.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// jsDefs is a folder with Z10002, a JavaScript function that appends "!".
func jsDefs(t *testing.T) string {
	t.Helper()
	return defsWith(t, `{"Z1K1":"Z61","Z61K1":"javascript"},"Z16K2":"function Z10002( Z10002K1 ) { return Z10002K1 + '!'; }"`)
}

// pyDefs is a folder with Z10002 in Python.
func pyDefs(t *testing.T) string {
	t.Helper()
	return defsWith(t, `{"Z1K1":"Z61","Z61K1":"python-3"},"Z16K2":"def Z10002(Z10002K1):\n\treturn Z10002K1 + '!'"`)
}

// defsWith is a folder with Z10002, whose code implementation has the given language and
// code (the JSON inside Z16K1 ... Z16K2).
func defsWith(t *testing.T, code string) string {
	t.Helper()
	dir := t.TempDir()
	z2 := `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z10002"},"Z2K2":
	{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"Z10002K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
	"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z10002",
	"Z14K3":{"Z1K1":"Z16","Z16K1":` + code + `}}],"Z8K5":"Z10002"},
	"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`
	if err := os.WriteFile(filepath.Join(dir, "Z10002.json"), []byte(z2), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testOptions are the settings of zeval serve with these flags, defaults otherwise.
func testOptions(t *testing.T, args ...string) serveOptions {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o, _ := serveFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return *o
}

func newTestService(t *testing.T, o serveOptions) (*service, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	svc, err := newService(context.Background(), o, logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.close)
	return svc, logs
}

// scrape reads /metrics into a map from series ("name{labels}", labels as exposed) to value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s %s", resp.Status, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func postEvaluate(t *testing.T, base, zobject string, header map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/wikifunctions/v1/evaluate/", strings.NewReader(`{"zobject":`+zobject+`}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("evaluate reply is not JSON: %v", err)
	}
	return resp, body
}

const (
	evalSeries   = `zeval_http_request_duration_seconds_count{method="POST",route="/{domain}/v1/evaluate/{$}",status="200"}`
	jsCallSeries = `zeval_function_call_duration_seconds_count{implementation_type="Evaluated",language="javascript"}`
)

func TestServeTelemetry(t *testing.T) {
	o := testOptions(t)
	o.db, o.defs, o.code, o.service = "none", jsDefs(t), "js", "zeval-test"
	exp := tracetest.NewInMemoryExporter()
	o.trace.Exporter = exp
	svc, logs := newTestService(t, o)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()

	before := scrape(t, srv.URL)
	if _, ok := before[evalSeries]; ok {
		t.Fatalf("%s before any evaluation", evalSeries)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "zeval_ready"} {
		if _, ok := before[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
	if before["zeval_ready"] != 1 {
		t.Errorf("zeval_ready = %v before anyone asked /readyz, want 1 (nothing to wait for)", before["zeval_ready"])
	}

	const callerTrace, callerSpan = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	call := `{"Z1K1":"Z7","Z7K1":"Z10002","Z10002K1":"hi"}`
	resp, body := postEvaluate(t, srv.URL, call, map[string]string{
		"traceparent": "00-" + callerTrace + "-" + callerSpan + "-01", telemetry.HeaderRequestID: "test-req-1"})
	if resp.StatusCode != 200 || body["Z22K1"] != "hi!" {
		t.Fatalf("evaluate = %s %v, want 200 with Z22K1 hi!", resp.Status, body["Z22K1"])
	}
	if got := resp.Header.Get(telemetry.HeaderRequestID); got != "test-req-1" {
		t.Errorf("reply %s = %q, want the caller's", telemetry.HeaderRequestID, got)
	}
	mid := scrape(t, srv.URL)
	postEvaluate(t, srv.URL, call, nil)
	postEvaluate(t, srv.URL, `{"Z1K1":"Z7","Z7K1":"Z10099"}`, nil) // no such function: a Z5
	after := scrape(t, srv.URL)

	t.Run("metrics move", func(t *testing.T) {
		for _, tt := range []struct {
			series     string
			mid, after float64
		}{
			{evalSeries, 1, 3},
			{jsCallSeries, 1, 2},
		} {
			if mid[tt.series] != tt.mid || after[tt.series] != tt.after {
				t.Errorf("%s = %v then %v, want %v then %v", tt.series, mid[tt.series], after[tt.series], tt.mid, tt.after)
			}
		}
		var errs float64
		for k, v := range after {
			if strings.HasPrefix(k, "zeval_function_errors_total{") {
				errs += v
			}
		}
		if errs != 1 {
			t.Errorf("zeval_function_errors_total sums to %v, want 1 (the unknown function)", errs)
		}
		if after[`zeval_http_request_duration_seconds_count{method="GET",route="/metrics",status="200"}`] < 2 {
			t.Errorf("scrapes of /metrics were not counted")
		}
	})

	t.Run("log lines", func(t *testing.T) {
		var access []map[string]any
		for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
			var m map[string]any
			if err := json.Unmarshal(l, &m); err != nil {
				t.Fatalf("log line %q is not JSON: %v", l, err)
			}
			for _, k := range []string{telemetry.FieldTimestamp, telemetry.FieldLevel, telemetry.FieldMessage} {
				if _, ok := m[k]; !ok {
					t.Errorf("log line %s has no %s", l, k)
				}
			}
			if m[telemetry.FieldService] != "zeval-test" {
				t.Errorf("log line %s: service.name = %v, want zeval-test", l, m[telemetry.FieldService])
			}
			if m[telemetry.FieldRequestID] == "test-req-1" {
				access = append(access, m)
			}
		}
		if len(access) != 1 {
			t.Fatalf("%d lines with the request id, want the access line", len(access))
		}
		a := access[0]
		for k, v := range map[string]any{telemetry.FieldTraceID: callerTrace, telemetry.FieldMethod: "POST",
			telemetry.FieldPath: "/wikifunctions/v1/evaluate/", telemetry.FieldStatus: 200.0} {
			if a[k] != v {
				t.Errorf("access line %s = %v, want %v", k, a[k], v)
			}
		}
	})

	t.Run("spans", func(t *testing.T) {
		// The caller's trace holds: server span → call Z10002 → code Z10002 → kernel.acquire.
		byName := map[string][]tracetest.SpanStub{}
		for _, s := range exp.GetSpans() {
			if s.SpanContext.TraceID().String() == callerTrace {
				byName[s.Name] = append(byName[s.Name], s)
			}
		}
		chain := []string{"POST /{domain}/v1/evaluate/{$}", "call Z10002", "code Z10002", "kernel.acquire"}
		parent := callerSpan
		for _, name := range chain {
			spans := byName[name]
			if len(spans) != 1 {
				t.Fatalf("%d spans %q in the caller's trace, want 1 (have %v)", len(spans), name, keys(byName))
			}
			if got := spans[0].Parent.SpanID().String(); got != parent {
				t.Errorf("parent of %q = %s, want %s", name, got, parent)
			}
			parent = spans[0].SpanContext.SpanID().String()
		}
		if !byName[chain[0]][0].Parent.IsRemote() {
			t.Errorf("server span's parent is not the remote caller")
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestHealthz(t *testing.T) {
	o := testOptions(t)
	o.db, o.code = filepath.Join(t.TempDir(), "zeval.db"), "none"
	svc, _ := newTestService(t, o)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET %s = %s %s, want 200", path, resp.Status, body)
			}
		})
	}
}

type fakeStats struct{ s pool.Stats }

func (f *fakeStats) Stats() pool.Stats { return f.s }

func TestReadiness(t *testing.T) {
	ok := func(context.Context) error { return nil }
	broken := func(context.Context) error { return errors.New("database is locked") }
	cold := &fakeStats{pool.Stats{Name: "python3", Idle: 1, MinIdle: 2}}
	warm := &fakeStats{pool.Stats{Name: "python3", Idle: 2, MinIdle: 2}}
	tests := []struct {
		name  string
		r     *readiness
		drain bool
		want  int
	}{
		{"nothing to wait for", &readiness{}, false, 200},
		{"store ok, pool warm", &readiness{store: ok, pool: warm}, false, 200},
		{"store broken", &readiness{store: broken, pool: warm}, false, 503},
		{"pool cold", &readiness{store: ok, pool: cold}, false, 503},
		{"draining", &readiness{store: ok, pool: warm}, true, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.drain {
				tt.r.drain()
			}
			rec := httptest.NewRecorder()
			tt.r.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != tt.want {
				t.Errorf("/readyz = %d %s, want %d", rec.Code, rec.Body, tt.want)
			}
			var rep readyReport
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rep.Ready != (tt.want == 200) {
				t.Errorf("/readyz body %s (%v), want ready %v", rec.Body, err, tt.want == 200)
			}
		})
	}
	// Once warm, a busy pool (no idle kernel) keeps the server ready.
	p := &fakeStats{pool.Stats{Idle: 0, MinIdle: 1}}
	r := &readiness{pool: p}
	for i, tt := range []struct {
		idle int
		want bool
	}{{0, false}, {1, true}, {0, true}} {
		p.s.Idle = tt.idle
		if got := r.check(context.Background()).Ready; got != tt.want {
			t.Errorf("step %d (idle %d): ready %v, want %v", i, tt.idle, got, tt.want)
		}
	}
}

// TestReadyzPythonPool uses a real ipykernel pool: /readyz is 200 once the pool is warm, and
// the pool gauges and kernel start latency are exported.
func TestReadyzPythonPool(t *testing.T) {
	o := testOptions(t)
	o.db, o.code, o.minIdle, o.maxKernels = "none", "python", 1, 2
	svc, _ := newTestService(t, o)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	p, ok := svc.ready.pool.(*pool.Pool)
	if !ok {
		t.Fatalf("readiness watches %T, want the Python pool", svc.ready.pool)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.WaitReady(ctx); err != nil {
		t.Fatalf("pool never warm: %v (%+v)", err, p.Stats())
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz with a warm pool = %s, want 200", resp.Status)
	}
	m := scrape(t, srv.URL)
	for series, min := range map[string]float64{
		`zeval_pool_kernels{pool="python3",state="idle"}`:                        1,
		`zeval_pool_min_idle_kernels{pool="python3"}`:                            1,
		`zeval_kernel_start_duration_seconds_count{outcome="ok",pool="python3"}`: 1,
		`zeval_pool_kernel_starts_total{pool="python3"}`:                         1,
		`zeval_ready`: 1,
	} {
		if v, ok := m[series]; !ok || v < min {
			t.Errorf("%s = %v (present %v), want at least %v", series, v, ok, min)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	tests := []struct {
		name    string
		grace   time.Duration
		wantErr bool
	}{
		{"waits for the in-flight request", time.Minute, false},
		{"cuts off after the grace period", time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			mux := http.NewServeMux()
			mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				<-release
				io.WriteString(w, "done")
			})
			srv := &http.Server{Handler: telemetry.Middleware{}.Wrap(mux)}
			shutdownStarted := make(chan struct{})
			srv.RegisterOnShutdown(func() { close(shutdownStarted) })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			drained := make(chan struct{})
			returned := make(chan error, 1)
			go func() {
				returned <- serveUntil(ctx, srv, ln, drainPlan{draining: func() { close(drained) }, grace: tt.grace})
			}()
			type reply struct {
				body string
				err  error
			}
			got := make(chan reply, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
				if err != nil {
					got <- reply{err: err}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				got <- reply{string(b), err}
			}()
			<-entered
			cancel()
			<-drained
			if !tt.wantErr {
				<-shutdownStarted
				select {
				case err := <-returned:
					t.Fatalf("serveUntil returned %v with a request in flight", err)
				default:
				}
				if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
					c.Close()
					t.Error("listener still accepts after shutdown began")
				}
				close(release)
				if r := <-got; r.err != nil || r.body != "done" {
					t.Errorf("in-flight request got %q, %v; want done", r.body, r.err)
				}
				if err := <-returned; err != nil {
					t.Errorf("serveUntil = %v, want nil", err)
				}
				return
			}
			err = <-returned
			close(release)
			if err == nil || !strings.Contains(err.Error(), "cut off") {
				t.Errorf("serveUntil = %v, want a cut-off error", err)
			}
			<-got
		})
	}
}

func TestListenAdmin(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"localhost:0", true},
		{"[::1]:0", true},
		{"0.0.0.0:0", false},
		{":0", false},
		{"example.com:0", false},
		{"no-port", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ln, err := listenAdmin(tt.addr)
			if ln != nil {
				ln.Close()
			}
			if tt.ok && err != nil && !strings.Contains(err.Error(), "cannot assign") && !strings.Contains(err.Error(), "address family") {
				t.Errorf("listenAdmin(%q) = %v, want it to listen", tt.addr, err)
			}
			if !tt.ok && err == nil {
				t.Errorf("listenAdmin(%q) listened, want an error", tt.addr)
			}
		})
	}
}

func TestAdminHandler(t *testing.T) {
	o := testOptions(t)
	o.db, o.code = "none", "none"
	svc, _ := newTestService(t, o)
	srv := httptest.NewServer(svc.admin)
	defer srv.Close()
	for _, tt := range []struct{ path, want string }{
		{"/debug/pprof/", "goroutine"},
		{"/debug/pprof/goroutine?debug=1", "goroutine profile"},
		{"/metrics", "go_goroutines"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), tt.want) {
				t.Errorf("GET %s = %s, body without %q", tt.path, resp.Status, tt.want)
			}
		})
	}
}

// TestRunServe runs the command as main does: configuration from a file and the environment,
// then a stop (the signal's context) that ends it cleanly.
func TestRunServe(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "zeval.conf")
	if err := os.WriteFile(conf, []byte("addr = 127.0.0.1:0\ncode = js\ndb = "+filepath.Join(dir, "z.db")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZEVAL_CONFIG", conf)
	t.Setenv("ZEVAL_SERVICE_NAME", "from-env")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, &cliEnv{stdin: strings.NewReader(""), stdout: outW, stderr: logs}, nil)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no address line: %v (logs %s)", err, logs.Bytes())
	}
	go io.Copy(io.Discard, outR)
	base := strings.TrimSpace(strings.TrimPrefix(line, "zeval serving on "))
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %s, want 200", path, resp.Status)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("runServe after stop = %v, want nil", err)
	}
	if !bytes.Contains(logs.Bytes(), []byte(`"service.name":"from-env"`)) {
		t.Errorf("logs do not carry the service name from ZEVAL_SERVICE_NAME: %s", logs.Bytes())
	}
	if _, err := os.Stat(filepath.Join(dir, "z.db")); err != nil {
		t.Errorf("store from the config file not created: %v", err)
	}
}

// TestServeLimits: the quota layer guards the API (not the operator routes), and its
// refusals are counted by reason.
func TestServeLimits(t *testing.T) {
	o := testOptions(t, "--rate", "0.001", "--burst", "1")
	o.db, o.code = filepath.Join(t.TempDir(), "zeval.db"), "none"
	svc, _ := newTestService(t, o)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	call := `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"x"}`
	tests := []struct {
		name   string
		do     func() (*http.Response, error)
		status int
	}{
		{"first evaluation", func() (*http.Response, error) {
			return http.Post(srv.URL+"/wikifunctions/v1/evaluate/", "application/json", strings.NewReader(`{"zobject":`+call+`}`))
		}, 200},
		{"second evaluation over the rate", func() (*http.Response, error) {
			return http.Post(srv.URL+"/wikifunctions/v1/evaluate/", "application/json", strings.NewReader(`{"zobject":`+call+`}`))
		}, 429},
		{"metrics are not limited", func() (*http.Response, error) { return http.Get(srv.URL + "/metrics") }, 200},
		{"readiness is not limited", func() (*http.Response, error) { return http.Get(srv.URL + "/readyz") }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.do()
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %s, want %d", resp.Status, tt.status)
			}
			if id := resp.Header.Get(telemetry.HeaderRequestID); id == "" {
				t.Errorf("no %s on the reply", telemetry.HeaderRequestID)
			}
		})
	}
	m := scrape(t, srv.URL)
	if got := m[`zeval_requests_rejected_total{reason="rate"}`]; got != 1 {
		t.Errorf(`zeval_requests_rejected_total{reason="rate"} = %v, want 1`, got)
	}
	if got := m[`zeval_http_request_duration_seconds_count{method="POST",route="/{domain}/v1/evaluate/{$}",status="429"}`]; got != 1 {
		t.Errorf("429s in the request histogram = %v, want 1", got)
	}
}

// TestServePythonConfined evaluates Python through the fork server in sandboxed kernels.
func TestServePythonConfined(t *testing.T) {
	o := testOptions(t, "--python-fork-server", "--sandbox", "--python-min-idle", "1")
	o.db, o.defs, o.code = "none", pyDefs(t), "python"
	svc, _ := newTestService(t, o)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	resp, body := postEvaluate(t, srv.URL, `{"Z1K1":"Z7","Z7K1":"Z10002","Z10002K1":"hi"}`, nil)
	if resp.StatusCode != 200 || body["Z22K1"] != "hi!" {
		t.Fatalf("evaluate = %s %v, want 200 with Z22K1 hi!", resp.Status, body)
	}
	m := scrape(t, srv.URL)
	for _, series := range []string{
		`zeval_function_call_duration_seconds_count{implementation_type="Evaluated",language="python"}`,
		`zeval_kernel_acquire_duration_seconds_count{language="python",outcome="ok"}`,
	} {
		if m[series] != 1 {
			t.Errorf("%s = %v, want 1", series, m[series])
		}
	}
}

// TestServeRoutes: the library API, the OpenAPI document and page rendering are served, and a
// page rendered twice is answered from the results cache, which /metrics shows.
func TestServeRoutes(t *testing.T) {
	o := testOptions(t)
	o.db, o.defs, o.code = filepath.Join(t.TempDir(), "zeval.db"), jsDefs(t), "js"
	svc, _ := newTestService(t, o)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	page := `{"markup": "<p>{{#function:Z10002|hi}}</p>", "format": "html"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"openapi", "GET", "/openapi.json", "", 200, `"openapi"`},
		{"library", "GET", "/v1/functions", "", 200, ""},
		{"render", "POST", "/v1/render", page, 200, "hi!"},
		{"render again", "POST", "/v1/render", page, 200, "hi!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("%s %s = %s %.300s, want %d with %q", tt.method, tt.path, resp.Status, body, tt.status, tt.want)
			}
		})
	}
	m := scrape(t, srv.URL)
	for series, want := range map[string]float64{
		`zeval_cache_hits_total{cache="render"}`:                                                     1,
		`zeval_cache_misses_total{cache="render"}`:                                                   1,
		`zeval_http_request_duration_seconds_count{method="POST",route="/v1/render",status="200"}`:   2,
		`zeval_http_request_duration_seconds_count{method="GET",route="/openapi.json",status="200"}`: 1,
	} {
		if m[series] != want {
			t.Errorf("%s = %v, want %v", series, m[series], want)
		}
	}
}

// TestDrainDelay: during the drain delay the server still serves, and /readyz says 503.
func TestDrainDelay(t *testing.T) {
	o := testOptions(t)
	o.db, o.code = "none", "none"
	svc, _ := newTestService(t, o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inDelay, endDelay := make(chan struct{}), make(chan time.Time)
	returned := make(chan error, 1)
	go func() {
		returned <- serveUntil(ctx, svc.server(), ln, drainPlan{
			draining: svc.ready.drain,
			delay:    func() <-chan time.Time { close(inDelay); return endDelay },
			grace:    time.Minute,
		})
	}()
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/readyz"); got != 200 {
		t.Fatalf("/readyz before stop = %d, want 200", got)
	}
	cancel()
	<-inDelay
	for path, want := range map[string]int{"/readyz": 503, "/healthz": 200} {
		if got := get(path); got != want {
			t.Errorf("%s during the drain delay = %d, want %d", path, got, want)
		}
	}
	close(endDelay)
	if err := <-returned; err != nil {
		t.Errorf("serveUntil = %v, want nil", err)
	}
}

// TestServeReuseKernels: with --python-reuse-kernels a function's kernel serves the next request
// (a counter kept in its module goes on), without it every request gets a fresh kernel.
func TestServeReuseKernels(t *testing.T) {
	defs := defsWith(t, `{"Z1K1":"Z61","Z61K1":"python-3"},"Z16K2":"n = 0\ndef Z10002(Z10002K1):\n\tglobal n\n\tn += 1\n\treturn Z10002K1 + str(n)"`)
	for _, tt := range []struct {
		flag string
		want []string
	}{
		{"--python-reuse-kernels=false", []string{"a1", "b1", "c1"}},
		{"--python-reuse-kernels", []string{"a1", "b2", "c3"}},
	} {
		t.Run(tt.flag, func(t *testing.T) {
			o := testOptions(t, tt.flag, "--python-min-idle", "1", "--sandbox=false")
			o.db, o.defs, o.code = "none", defs, "python"
			svc, _ := newTestService(t, o)
			srv := httptest.NewServer(svc.handler)
			defer srv.Close()
			for i, arg := range []string{"a", "b", "c"} {
				resp, body := postEvaluate(t, srv.URL, `{"Z1K1":"Z7","Z7K1":"Z10002","Z10002K1":"`+arg+`"}`, nil)
				if resp.StatusCode != 200 || body["Z22K1"] != tt.want[i] {
					t.Errorf("request %d = %s %v, want Z22K1 %s", i+1, resp.Status, body["Z22K1"], tt.want[i])
				}
			}
		})
	}
}
