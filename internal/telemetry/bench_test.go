package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zeval/zeval/internal/orchestrator"
)

// BenchmarkCallObserver is the cost the observer adds to every function call the
// orchestrator executes, untraced (the common case) and traced.
func BenchmarkCallObserver(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry(), WithoutRuntimeCollectors())
	if err != nil {
		b.Fatal(err)
	}
	noop, err := NewTracing(context.Background(), TraceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	e := orchestrator.CallEvent{Function: "Z802", Kind: "BuiltIn", Depth: 2, Duration: time.Microsecond}
	b.Run("untraced", func(b *testing.B) {
		obs := Observers{Metrics: m, Tracing: noop}.Call()
		ctx := context.Background()
		for b.Loop() {
			_, end := obs(ctx, "Z802", 2)
			end(e)
		}
	})
}

// BenchmarkMiddleware is the cost of the HTTP middleware around a handler that does nothing.
func BenchmarkMiddleware(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry(), WithoutRuntimeCollectors())
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTracing(context.Background(), TraceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	route, err := Routes("/{domain}/v1/evaluate/{$}")
	if err != nil {
		b.Fatal(err)
	}
	h := Middleware{Metrics: m, Tracing: tr, Route: route}.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("POST", "/wikifunctions/v1/evaluate/", nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
