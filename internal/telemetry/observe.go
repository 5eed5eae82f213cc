package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

// Observers turns what the orchestrator and the evaluator report into metrics and spans.
type Observers struct {
	Metrics *Metrics
	Tracing *Tracing
}

func (o Observers) tracer() trace.Tracer {
	if o.Tracing == nil {
		return noop.NewTracerProvider().Tracer(TracerName)
	}
	return o.Tracing.Tracer()
}

// Call returns an orchestrator.CallObserver: every function call is a span named "call Z…"
// (nested calls, code runs and kernel acquisitions are its children) when the request is
// traced, and a latency observation by implementation type for built-ins and compositions
// (code calls are timed by Code, which knows their language); an evaluation whose top-level
// call fails counts its Z5 type.
func (o Observers) Call() orchestrator.CallObserver {
	tracer := o.tracer()
	// The label lookups of the common kinds are done once: this runs for every call.
	var builtIn, composition prometheus.Observer
	if o.Metrics != nil {
		builtIn = o.Metrics.callDuration.WithLabelValues("none", "BuiltIn")
		composition = o.Metrics.callDuration.WithLabelValues("none", "Composition")
	}
	return func(ctx context.Context, function string, depth int) (context.Context, func(orchestrator.CallEvent)) {
		var span trace.Span
		if trace.SpanFromContext(ctx).SpanContext().IsSampled() {
			ctx, span = tracer.Start(ctx, "call "+function, trace.WithAttributes(
				attribute.String("zeval.function", function), attribute.Int("zeval.depth", depth)))
		}
		return ctx, func(e orchestrator.CallEvent) {
			kind := e.Kind
			if kind == "" {
				kind = "none" // failed before an implementation was chosen
			}
			if o.Metrics != nil {
				switch kind {
				case "BuiltIn":
					builtIn.Observe(e.Duration.Seconds())
				case "Composition":
					composition.Observe(e.Duration.Seconds())
				case "Evaluated":
				default:
					o.Metrics.observeCall("none", kind, e.Duration)
				}
				if e.Depth == 1 && e.Error != nil {
					o.Metrics.countError(errorType(e.Error))
				}
			}
			if span != nil {
				span.SetAttributes(attribute.String("zeval.implementation", e.Implementation),
					attribute.String("zeval.implementation_type", kind))
				if e.Error != nil {
					span.SetStatus(codes.Error, errorType(e.Error))
				}
				span.End()
			}
		}
	}
}

// Acquire returns an observer for evaluator.Config.AcquireObserver: a "kernel.acquire" span
// and a latency observation for each instance a session gets (a kernel leased and the code
// loaded, for Python).
func (o Observers) Acquire() func(ctx context.Context, language, function string) (context.Context, func(error)) {
	tracer := o.tracer()
	return func(ctx context.Context, language, function string) (context.Context, func(error)) {
		began := time.Now()
		ctx, span := tracer.Start(ctx, "kernel.acquire", trace.WithAttributes(
			attribute.String("zeval.language", language), attribute.String("zeval.function", function)))
		return ctx, func(err error) {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, err.Error())
			}
			span.End()
			if o.Metrics != nil {
				o.Metrics.observeAcquire(languageLabel(language), time.Since(began), err)
			}
		}
	}
}

// Code wraps the orchestrator's evaluator: each code call is a "code Z…" span (the kernel
// acquisition nests under it) and a latency observation by language with implementation
// type Evaluated.
func (o Observers) Code(ev orchestrator.Evaluator) orchestrator.Evaluator {
	return &codeEvaluator{inner: ev, o: o, tracer: o.tracer()}
}

type codeEvaluator struct {
	inner  orchestrator.Evaluator
	o      Observers
	tracer trace.Tracer
}

func (c *codeEvaluator) Languages() []string { return c.inner.Languages() }

func (c *codeEvaluator) Evaluate(ctx context.Context, language string, call *z.Object) (*z.Object, error) {
	return c.observe(ctx, language, call.Get("Z7K1"), func(ctx context.Context) (*z.Object, error) {
		return c.inner.Evaluate(ctx, language, call)
	})
}

// EvaluateParts passes the call on in parts when the evaluator takes them (see
// orchestrator.PartsEvaluator), and as a Z7 otherwise.
func (c *codeEvaluator) EvaluateParts(ctx context.Context, language string, fn, impl *z.Object, args []z.Field) (*z.Object, []z.MapEntry, error) {
	var meta []z.MapEntry
	out, err := c.observe(ctx, language, fn, func(ctx context.Context) (*z.Object, error) {
		if pe, ok := c.inner.(orchestrator.PartsEvaluator); ok {
			var z22 *z.Object
			var err error
			z22, meta, err = pe.EvaluateParts(ctx, language, fn, impl, args)
			return z22, err
		}
		call := z.NewCall(fn.With("Z8K4", z.NewList(z.NewRef(z.Z14), impl)), args...)
		return c.inner.Evaluate(ctx, language, call)
	})
	return out, meta, err
}

// observe runs a code call of the function fn in a span and measures it.
func (c *codeEvaluator) observe(ctx context.Context, language string, fn *z.Object, run func(context.Context) (*z.Object, error)) (*z.Object, error) {
	began := time.Now()
	id := fn.Get("Z8K5")
	name := id.StringValue()
	if id.IsRef() {
		name = id.RefID()
	}
	ctx, span := c.tracer.Start(ctx, "code "+name, trace.WithAttributes(
		attribute.String("zeval.language", language), attribute.String("zeval.function", name)))
	out, err := run(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else if e := out.Get("Z22K2"); e != nil && z.IsMap(e) {
		if zerr := z.MapGetString(e, "errors"); zerr != nil {
			span.SetStatus(codes.Error, errorType(zerr))
		}
	}
	span.End()
	if c.o.Metrics != nil {
		c.o.Metrics.observeCall(languageLabel(language), "Evaluated", time.Since(began))
	}
	return out, err
}

var (
	_ orchestrator.Evaluator      = (*codeEvaluator)(nil)
	_ orchestrator.PartsEvaluator = (*codeEvaluator)(nil)
)

// languageLabel folds Wikifunctions' language codes (python-3-9, javascript-es2020) into
// their family, so the label has few values.
func languageLabel(code string) string {
	switch {
	case code == "":
		return "none"
	case len(code) >= 6 && code[:6] == "python":
		return "python"
	case len(code) >= 10 && code[:10] == "javascript":
		return "javascript"
	}
	return "other"
}

// errorType is a Z5's error type (Z5K1) as a ZID, "unknown" when it has none.
func errorType(z5 *z.Object) string {
	t := z5.Get("Z5K1")
	switch {
	case t.IsRef():
		return t.RefID()
	case t.IsString():
		return t.StringValue()
	case t.IsRecord():
		// A generic error type: a Z885 call whose Z885K1 names the error.
		if k := t.Get("Z885K1"); k.IsRef() {
			return k.RefID()
		}
	}
	return "unknown"
}
