package telemetry

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func newTestTracing(t *testing.T) (*Tracing, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tr, err := NewTracing(context.Background(), TraceOptions{Exporter: exp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	return tr, exp
}

func TestMiddleware(t *testing.T) {
	m := newTestMetrics(t)
	tr, exp := newTestTracing(t)
	var logs bytes.Buffer
	logger := slog.New(NewLogHandler(&logs, LogOptions{}))
	route, err := Routes("/{domain}/v1/evaluate/{$}", "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var seen context.Context
	h := Middleware{Metrics: m, Tracing: tr, Logger: logger, Route: route}.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Context()
		logger.InfoContext(r.Context(), "inside")
		switch r.URL.Path {
		case "/boom":
			w.WriteHeader(http.StatusBadGateway)
		case "/healthz":
			io.WriteString(w, "ok")
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	const parentTrace, parentSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	tests := []struct {
		name, method, path string
		header             map[string]string
		wantStatus         int
		wantRoute          string
		wantID             string // "" : generated
		wantParent         bool
	}{
		{name: "evaluate with traceparent and id", method: "POST", path: "/wikifunctions/v1/evaluate/",
			header:     map[string]string{"traceparent": "00-" + parentTrace + "-" + parentSpan + "-01", HeaderRequestID: "caller-7"},
			wantStatus: 404, wantRoute: "/{domain}/v1/evaluate/{$}", wantID: "caller-7", wantParent: true},
		{name: "health, generated id", method: "GET", path: "/healthz", wantStatus: 200, wantRoute: "/healthz"},
		{name: "bad id replaced", method: "GET", path: "/boom", header: map[string]string{HeaderRequestID: "a b"},
			wantStatus: 502, wantRoute: "other"},
		{name: "malformed traceparent ignored", method: "GET", path: "/healthz",
			header: map[string]string{"traceparent": "00-zz-yy-01"}, wantStatus: 200, wantRoute: "/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			exp.Reset()
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			countBefore := histogramCount(t, m, tt.wantRoute, tt.method, tt.wantStatus)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			id := rec.Header().Get(HeaderRequestID)
			if tt.wantID != "" && id != tt.wantID {
				t.Errorf("%s = %q, want %q", HeaderRequestID, id, tt.wantID)
			}
			if tt.wantID == "" && (len(id) != 32 || !validRequestID(id)) {
				t.Errorf("generated %s = %q, want 32 hex digits", HeaderRequestID, id)
			}
			if got := histogramCount(t, m, tt.wantRoute, tt.method, tt.wantStatus); got != countBefore+1 {
				t.Errorf("request count for %s %s %d = %d, want %d", tt.wantRoute, tt.method, tt.wantStatus, got, countBefore+1)
			}
			// Every line logged during the request has the request id and the trace ids.
			lines := decodeLines(t, logs.Bytes())
			if len(lines) != 2 {
				t.Fatalf("logged %d lines, want 2 (inside, access): %s", len(lines), logs.Bytes())
			}
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("exported %d spans, want 1", len(spans))
			}
			sc := spans[0].SpanContext
			for _, l := range lines {
				if l[FieldRequestID] != id {
					t.Errorf("line %v: %s = %v, want %q", l, FieldRequestID, l[FieldRequestID], id)
				}
				if l[FieldTraceID] != sc.TraceID().String() || l[FieldSpanID] != sc.SpanID().String() {
					t.Errorf("line %v: trace %v/%v, want %s/%s", l, l[FieldTraceID], l[FieldSpanID], sc.TraceID(), sc.SpanID())
				}
			}
			access := lines[1]
			for k, v := range map[string]any{FieldMethod: tt.method, FieldPath: tt.path, FieldStatus: float64(tt.wantStatus), FieldRoute: tt.wantRoute} {
				if access[k] != v {
					t.Errorf("access line %s = %v, want %v", k, access[k], v)
				}
			}
			if d, ok := access[FieldDuration].(float64); !ok || d < 0 {
				t.Errorf("access line %s = %v, want a non-negative number", FieldDuration, access[FieldDuration])
			}
			if got := trace.SpanContextFromContext(seen); got.SpanID() != sc.SpanID() {
				t.Errorf("handler saw span %s, want the server span %s", got.SpanID(), sc.SpanID())
			}
			parent := spans[0].Parent
			if tt.wantParent {
				if parent.TraceID().String() != parentTrace || parent.SpanID().String() != parentSpan || !parent.IsRemote() {
					t.Errorf("span parent = %s/%s remote %v, want the caller's %s/%s", parent.TraceID(), parent.SpanID(), parent.IsRemote(), parentTrace, parentSpan)
				}
				if sc.TraceID().String() != parentTrace {
					t.Errorf("span trace = %s, want the caller's %s", sc.TraceID(), parentTrace)
				}
			} else if parent.IsValid() {
				t.Errorf("span parent = %v, want none (a new trace)", parent)
			}
		})
	}
	if got := testutil.ToFloat64(m.httpInFlight); got != 0 {
		t.Errorf("in flight after all requests = %v, want 0", got)
	}
}

// histogramCount is the observation count of the request histogram's series.
func histogramCount(t *testing.T, m *Metrics, route, method string, status int) uint64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != MetricHTTPDuration {
			continue
		}
		for _, s := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["method"] == method && labels["status"] == strconv.Itoa(status) {
				return s.GetHistogram().GetSampleCount()
			}
		}
	}
	return 0
}

func TestRoutes(t *testing.T) {
	route, err := Routes("/{domain}/v1/evaluate/{$}", "/v1/objects/{zid}", "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ method, path, want string }{
		{"POST", "/wikifunctions/v1/evaluate/", "/{domain}/v1/evaluate/{$}"},
		{"GET", "/v1/objects/Z801", "/v1/objects/{zid}"},
		{"GET", "/healthz", "/healthz"},
		{"GET", "/nowhere/at/all", "other"},
		{"GET", "/v1/objects/Z801/x/y", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if got := route(httptest.NewRequest(tt.method, tt.path, nil)); got != tt.want {
				t.Errorf("route(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
			}
		})
	}
	for _, bad := range [][]string{{"/a/{x}", "/a/{y}"}, {"/a/{x"}} {
		if _, err := Routes(bad...); err == nil {
			t.Errorf("Routes(%q) = nil error, want one", bad)
		}
	}
}

func TestMiddlewarePanicIsMeasured(t *testing.T) {
	m := newTestMetrics(t)
	h := Middleware{Metrics: m}.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("bad handler") }))
	func() {
		defer func() {
			if v := recover(); v != "bad handler" {
				t.Errorf("recovered %v, want the handler's panic passed on", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	}()
	if got := histogramCount(t, m, "other", "GET", 500); got != 1 {
		t.Errorf("count of 500s = %d, want 1", got)
	}
	if got := testutil.ToFloat64(m.httpInFlight); got != 0 {
		t.Errorf("in flight = %v, want 0", got)
	}
}

func TestOTLPOptions(t *testing.T) {
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"localhost:4318", true},
		{"http://collector:4318", true},
		{"https://collector:4318/custom/path", true},
		{"ftp://collector", false},
		{"http://", false},
		{"host:4318/path", false},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			_, err := otlpOptions(tt.endpoint)
			if (err == nil) != tt.ok {
				t.Errorf("otlpOptions(%q) error = %v, want ok %v", tt.endpoint, err, tt.ok)
			}
		})
	}
}

func TestNoExporterIsNoop(t *testing.T) {
	tr, err := NewTracing(context.Background(), TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Tracer().Start(context.Background(), "x")
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Errorf("span without exporter: recording %v, valid %v; want a no-op span", span.IsRecording(), span.SpanContext().IsValid())
	}
}

// TestOTLPExport sends spans to a fake collector over OTLP/HTTP: Shutdown flushes them.
func TestOTLPExport(t *testing.T) {
	type post struct{ path, contentType string }
	posts := make(chan post, 16)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		posts <- post{r.URL.Path, r.Header.Get("Content-Type")}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	for _, endpoint := range []string{collector.URL, strings.TrimPrefix(collector.URL, "http://")} {
		t.Run(endpoint, func(t *testing.T) {
			tr, err := NewTracing(context.Background(), TraceOptions{Endpoint: endpoint, Service: "zeval-test"})
			if err != nil {
				t.Fatal(err)
			}
			_, span := tr.Tracer().Start(context.Background(), "exported")
			span.End()
			if err := tr.Shutdown(context.Background()); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			select {
			case p := <-posts:
				if p.path != "/v1/traces" || p.contentType != "application/x-protobuf" {
					t.Errorf("collector got %s (%s), want /v1/traces (application/x-protobuf)", p.path, p.contentType)
				}
			default:
				t.Fatal("collector got nothing after Shutdown")
			}
		})
	}
}
