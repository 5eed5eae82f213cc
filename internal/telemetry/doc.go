// Package telemetry is what an operator sees of zeval: Prometheus metrics on an injected
// registry, structured JSON logs with Elastic Common Schema (ECS) field names, and
// OpenTelemetry traces.
//
// It owns: the metric names and labels (Metrics, and the collectors that read the kernel
// pools' and caches' own counters at scrape time), the HTTP middleware that gives every
// request an id, a server span (continuing a W3C traceparent from the caller), a latency
// observation and an access log line, the ECS log handler, the tracer provider (an OTLP/HTTP
// exporter when an endpoint is configured, a no-op otherwise), and the observers that plug
// into the orchestrator (orchestrator.WithCallObserver), the evaluator
// (evaluator.Config.AcquireObserver) and the pool (pool.WithStartObserver).
//
// Other parts report through small methods instead of importing Prometheus: the quota
// layer calls Metrics.Rejected and Metrics.ObserveQueueWait.
//
// It must not know: how calls are evaluated, how kernels are run, or what routes mean. Nothing
// here is global: the registry, the tracer provider and the logger's writer are passed in.
package telemetry
