package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/codes"

	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

func TestCallObserver(t *testing.T) {
	m := newTestMetrics(t)
	tr, exp := newTestTracing(t)
	ctx, parent := tr.Tracer().Start(context.Background(), "request")
	obs := Observers{Metrics: m, Tracing: tr}.Call()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	z507 := z.ErrorString("Z507", "boom")
	events := []orchestrator.CallEvent{
		{Function: "Z802", Implementation: "Z902", Kind: "BuiltIn", Depth: 2, Start: start, Duration: time.Millisecond},
		{Function: "Z10001", Implementation: "Z10002", Kind: "Composition", Depth: 1, Start: start, Duration: 3 * time.Millisecond, Error: z507},
		{Function: "Z10003", Kind: "", Depth: 2, Start: start, Duration: time.Millisecond, Error: z507}, // nested: not counted as an error
		{Function: "Z10004", Kind: "Evaluated", Depth: 1, Start: start, Duration: time.Millisecond},
	}
	for _, e := range events {
		obs(ctx, e)
	}
	parent.End()
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"errors Z507", testutil.ToFloat64(m.callErrors.WithLabelValues("Z507")), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("= %v, want %v", tt.got, tt.want)
			}
		})
	}
	// Built-ins and compositions are timed here; code calls by the Code wrapper.
	if n, _ := testutil.GatherAndCount(m.Registry(), MetricCallDuration); n != 3 {
		t.Errorf("call duration series = %d, want 3 (BuiltIn, Composition, none)", n)
	}
	spans := exp.GetSpans()
	if len(spans) != len(events)+1 {
		t.Fatalf("spans = %d, want %d", len(spans), len(events)+1)
	}
	for i, e := range events {
		s := spans[i]
		if s.Name != "call "+e.Function {
			t.Errorf("span %d name = %q, want %q", i, s.Name, "call "+e.Function)
		}
		if s.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %d parent = %s, want the request span", i, s.Parent.SpanID())
		}
		if !s.StartTime.Equal(e.Start) || s.EndTime.Sub(s.StartTime) != e.Duration {
			t.Errorf("span %d = %v + %v, want %v + %v", i, s.StartTime, s.EndTime.Sub(s.StartTime), e.Start, e.Duration)
		}
		if wantErr := e.Error != nil; (s.Status.Code == codes.Error) != wantErr {
			t.Errorf("span %d status = %v, want error %v", i, s.Status, wantErr)
		}
	}
}

func TestCallObserverWithoutTrace(t *testing.T) {
	m := newTestMetrics(t)
	tr, exp := newTestTracing(t)
	Observers{Metrics: m, Tracing: tr}.Call()(context.Background(), orchestrator.CallEvent{Function: "Z802", Kind: "BuiltIn", Depth: 1})
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("spans without a request span = %d, want 0 (no orphan call spans)", n)
	}
}

type fakeEvaluator struct {
	out *z.Object
	err error
}

func (f fakeEvaluator) Languages() []string { return []string{"python-3", "javascript"} }
func (f fakeEvaluator) Evaluate(ctx context.Context, language string, call *z.Object) (*z.Object, error) {
	return f.out, f.err
}

func TestCodeAndAcquire(t *testing.T) {
	m := newTestMetrics(t)
	tr, exp := newTestTracing(t)
	o := Observers{Metrics: m, Tracing: tr}
	ok := z.ResultEnvelope(z.NewString("x"), nil)
	failed := z.ResultEnvelope(nil, z.ErrorString("Z500", "bad"))
	tests := []struct {
		name, language, wantLabel string
		ev                        fakeEvaluator
		wantStatus                codes.Code
	}{
		{"python ok", "python-3-9", "python", fakeEvaluator{out: ok}, codes.Unset},
		{"javascript z5", "javascript-es2020", "javascript", fakeEvaluator{out: failed}, codes.Error},
		{"platform error", "python", "python", fakeEvaluator{err: errors.New("kernel died")}, codes.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp.Reset()
			before := histogramSamples(t, m, MetricCallDuration, map[string]string{"language": tt.wantLabel, "implementation_type": "Evaluated"})
			if _, err := o.Code(tt.ev).Evaluate(context.Background(), tt.language, z.NewString("call")); err != tt.ev.err {
				t.Fatalf("Evaluate error = %v, want %v", err, tt.ev.err)
			}
			if got := histogramSamples(t, m, MetricCallDuration, map[string]string{"language": tt.wantLabel, "implementation_type": "Evaluated"}); got != before+1 {
				t.Errorf("samples = %d, want %d", got, before+1)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 || spans[0].Status.Code != tt.wantStatus {
				t.Fatalf("spans = %v, want one with status %v", spans, tt.wantStatus)
			}
		})
	}
	exp.Reset()
	acquire := o.Acquire()
	ctx, done := acquire(context.Background(), "python-3", "Z10002")
	_, inner := tr.Tracer().Start(ctx, "lease")
	inner.End()
	done(errors.New("no kernel"))
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[1].Name != "kernel.acquire" || spans[0].Parent.SpanID() != spans[1].SpanContext.SpanID() {
		t.Fatalf("spans = %v, want lease inside kernel.acquire", spans)
	}
	if got := histogramSamples(t, m, MetricKernelAcquire, map[string]string{"language": "python", "outcome": "error"}); got != 1 {
		t.Errorf("acquire samples = %d, want 1", got)
	}
}

// histogramSamples is the sample count of the histogram series with the given labels.
func histogramSamples(t *testing.T, m *Metrics, name string, want map[string]string) uint64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
					continue next
				}
			}
			return s.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func TestErrorType(t *testing.T) {
	tests := []struct {
		name string
		z5   *z.Object
		want string
	}{
		{"reference", z.ErrorString("Z507", "x"), "Z507"},
		{"nil", nil, "unknown"},
		{"generic", z.MustParse(`{"Z1K1":"Z5","Z5K1":{"Z1K1":"Z7","Z7K1":"Z885","Z885K1":"Z504"},"Z5K2":"x"}`), "Z504"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorType(tt.z5); got != tt.want {
				t.Errorf("errorType = %q, want %q", got, tt.want)
			}
		})
	}
}
