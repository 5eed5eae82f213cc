package telemetry

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TracerName is the instrumentation scope of zeval's spans.
const TracerName = "github.com/zeval/zeval"

// TraceOptions configures NewTracing.
type TraceOptions struct {
	// Service is the service.name resource attribute (default "zeval").
	Service string
	// Endpoint is the OTLP/HTTP collector: a URL (http://host:4318, the path defaulting to
	// /v1/traces) or host:port (plain HTTP). Empty: no OTLP exporter.
	Endpoint string
	// Exporter, when set, receives the spans (tests use an in-memory exporter); it is used
	// with a synchronous processor, in addition to the OTLP exporter if there is one.
	Exporter sdktrace.SpanExporter
	// SampleRatio is the fraction of new traces sampled (default 1); a caller's sampled
	// flag is always followed.
	SampleRatio float64
}

// Tracing is the tracer provider of a process. Without an exporter it is a no-op provider:
// spans cost nothing, but a caller's trace context still passes through (and into the logs).
type Tracing struct {
	Provider   trace.TracerProvider
	Propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
}

// NewTracing builds the tracer provider. It does not set any OpenTelemetry global.
func NewTracing(ctx context.Context, opts TraceOptions) (*Tracing, error) {
	t := &Tracing{Propagator: propagation.TraceContext{}, shutdown: func(context.Context) error { return nil }}
	if opts.Endpoint == "" && opts.Exporter == nil {
		t.Provider = noop.NewTracerProvider()
		return t, nil
	}
	if opts.Service == "" {
		opts.Service = "zeval"
	}
	ratio := opts.SampleRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(opts.Service)))
	if err != nil {
		return nil, err
	}
	popts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	}
	if opts.Endpoint != "" {
		eopts, err := otlpOptions(opts.Endpoint)
		if err != nil {
			return nil, err
		}
		exp, err := otlptracehttp.New(ctx, eopts...)
		if err != nil {
			return nil, err
		}
		popts = append(popts, sdktrace.WithBatcher(exp))
	}
	if opts.Exporter != nil {
		popts = append(popts, sdktrace.WithSyncer(opts.Exporter))
	}
	tp := sdktrace.NewTracerProvider(popts...)
	t.Provider = tp
	t.shutdown = tp.Shutdown
	return t, nil
}

// otlpOptions turns an endpoint setting into exporter options.
func otlpOptions(endpoint string) ([]otlptracehttp.Option, error) {
	if !strings.Contains(endpoint, "://") {
		if strings.ContainsAny(endpoint, "/ ") {
			return nil, errors.New("telemetry: OTLP endpoint must be a URL or host:port: " + endpoint)
		}
		return []otlptracehttp.Option{otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure()}, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("telemetry: bad OTLP endpoint URL: " + endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return []otlptracehttp.Option{otlptracehttp.WithEndpointURL(u.String())}, nil
}

// Tracer returns zeval's tracer.
func (t *Tracing) Tracer() trace.Tracer { return t.Provider.Tracer(TracerName) }

// Shutdown flushes and stops the exporters.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }
