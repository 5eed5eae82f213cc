package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

func TestCallObserver(t *testing.T) {
	m := newTestMetrics(t)
	tr, exp := newTestTracing(t)
	ctx, request := tr.Tracer().Start(context.Background(), "request")
	obs := Observers{Metrics: m, Tracing: tr}.Call()
	z507 := z.ErrorString("Z507", "boom")

	// Z10001 (a composition, depth 1, fails) calls Z802 (a built-in, depth 2), then Z10003
	// (depth 2, fails before choosing an implementation: not counted as an error, being
	// nested); Z10004 is code at depth 1 (timed by Code, not here).
	ctx1, end1 := obs(ctx, "Z10001", 1)
	_, end2 := obs(ctx1, "Z802", 2)
	end2(orchestrator.CallEvent{Function: "Z802", Implementation: "Z902", Kind: "BuiltIn", Depth: 2, Duration: time.Millisecond})
	_, end3 := obs(ctx1, "Z10003", 2)
	end3(orchestrator.CallEvent{Function: "Z10003", Depth: 2, Duration: time.Millisecond, Error: z507})
	end1(orchestrator.CallEvent{Function: "Z10001", Implementation: "Z10002", Kind: "Composition", Depth: 1, Duration: 3 * time.Millisecond, Error: z507})
	_, end4 := obs(ctx, "Z10004", 1)
	end4(orchestrator.CallEvent{Function: "Z10004", Kind: "Evaluated", Depth: 1, Duration: time.Millisecond})
	request.End()

	if got := testutil.ToFloat64(m.callErrors.WithLabelValues("Z507")); got != 1 {
		t.Errorf("errors of type Z507 = %v, want 1 (the top-level failure only)", got)
	}
	if n, _ := testutil.GatherAndCount(m.Registry(), MetricCallDuration); n != 3 {
		t.Errorf("call duration series = %d, want 3 (BuiltIn, Composition, none)", n)
	}
	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range exp.GetSpans().Snapshots() {
		spans[s.Name()] = s
	}
	tests := []struct {
		span, parent string
		failed       bool
	}{
		{"call Z10001", "request", true},
		{"call Z802", "call Z10001", false},
		{"call Z10003", "call Z10001", true},
		{"call Z10004", "request", false},
	}
	for _, tt := range tests {
		t.Run(tt.span, func(t *testing.T) {
			s, ok := spans[tt.span]
			if !ok {
				t.Fatalf("no span %q among %d", tt.span, len(spans))
			}
			if p := spans[tt.parent]; p == nil || s.Parent().SpanID() != p.SpanContext().SpanID() {
				t.Errorf("parent of %s = %s, want %s", tt.span, s.Parent().SpanID(), tt.parent)
			}
			if (s.Status().Code == codes.Error) != tt.failed {
				t.Errorf("status of %s = %v, want failed %v", tt.span, s.Status(), tt.failed)
			}
		})
	}
}

func TestCallObserverWithoutTrace(t *testing.T) {
	m := newTestMetrics(t)
	tr, exp := newTestTracing(t)
	ctx := context.Background()
	got, end := Observers{Metrics: m, Tracing: tr}.Call()(ctx, "Z802", 1)
	end(orchestrator.CallEvent{Function: "Z802", Kind: "BuiltIn", Depth: 1})
	if n := len(exp.GetSpans()); n != 0 || got != ctx {
		t.Errorf("untraced call: %d spans, context changed %v; want none, unchanged (no orphan spans, no cost)", n, got != ctx)
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

// wholeEvaluator takes calls as a Z7 only, and keeps the last.
type wholeEvaluator struct {
	fakeEvaluator
	call *z.Object
}

func (w *wholeEvaluator) Evaluate(ctx context.Context, language string, call *z.Object) (*z.Object, error) {
	w.call = call
	return w.out, w.err
}

// partsEvaluator takes calls in parts.
type partsEvaluator struct {
	fakeEvaluator
	meta []z.MapEntry
}

func (p partsEvaluator) EvaluateParts(ctx context.Context, language string, fn, impl *z.Object, args []z.Field) (*z.Object, []z.MapEntry, error) {
	return p.out, p.meta, p.err
}

func TestCodeInParts(t *testing.T) {
	tr, exp := newTestTracing(t)
	o := Observers{Tracing: tr}
	fn := z.MustParse(`{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14","Z10002","Z10003"],"Z8K5":"Z10001"}`)
	impl := z.MustParse(`{"Z1K1":"Z14","Z14K1":"Z10001","Z14K3":{"Z1K1":"Z16","Z16K1":"Z610","Z16K2":"def Z10001(Z10001K1): return Z10001K1"}}`)
	args := []z.Field{z.KV("Z10001K1", z.NewString("a"))}

	// An evaluator without EvaluateParts gets the Z7 the orchestrator would have built.
	whole := &wholeEvaluator{fakeEvaluator: fakeEvaluator{out: z.ResultEnvelope(z.NewString("x"), nil)}}
	out, meta, err := o.Code(whole).(orchestrator.PartsEvaluator).EvaluateParts(context.Background(), "python-3", fn, impl, args)
	want := z.NewCall(fn.With("Z8K4", z.NewList(z.NewRef(z.Z14), impl)), args...)
	if err != nil || out != whole.out || meta != nil || !z.Equal(whole.call, want) {
		t.Errorf("EvaluateParts through Evaluate = %v, %v, %v with the call %s; want the Z22, no metadata, no error with %s", out, meta, err, whole.call, want)
	}
	// One that has it gets the parts, and its metadata comes back.
	exp.Reset()
	parts := partsEvaluator{fakeEvaluator: fakeEvaluator{out: z.ResultEnvelope(nil, z.ErrorString("Z500", "bad"))},
		meta: []z.MapEntry{{Key: z.NewString("evaluationRuntime"), Value: z.NewString("here")}}}
	out, meta, err = o.Code(parts).(orchestrator.PartsEvaluator).EvaluateParts(context.Background(), "python-3", fn, impl, args)
	if err != nil || out != parts.out || len(meta) != 1 {
		t.Errorf("EvaluateParts = %v, %v, %v; want the inner evaluator's", out, meta, err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "code Z10001" || spans[0].Status.Code != codes.Error {
		t.Errorf("spans = %v, want one \"code Z10001\" with an error status", spans)
	}
}
