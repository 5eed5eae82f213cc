// Package telemetry is what an operator sees of zeval: Prometheus metrics on an injected
// registry, structured JSON logs with Elastic Common Schema (ECS) field names, and
// OpenTelemetry traces.
//
// It owns: the metric names and labels (Metrics, and the collectors that read the kernel
// pools' and caches' own counters, and readiness, at scrape time), the HTTP middleware that
// gives every request an id (X-Request-Id), a server span (continuing a W3C traceparent from
// the caller), a latency observation and an access log line, the ECS log handler (which adds
// the request id and trace ids of the record's context), the tracer provider (an OTLP/HTTP
// exporter when an endpoint is configured, a no-op otherwise: then spans cost nothing), and
// the observers that plug into the orchestrator (Observers.Call for
// orchestrator.WithCallObserver, Observers.Code around its evaluator), the evaluator
// (Observers.Acquire for evaluator.Config.AcquireObserver) and the pool
// (Metrics.KernelStartObserver for pool.WithStartObserver). Spans nest as the work does:
// request → call → nested call or code run → kernel acquisition.
//
// Other parts report through small methods instead of importing Prometheus: the quota layer
// calls Metrics.Rejected (quota.WithRejectHook) and Metrics.ObserveQueueWait
// (quota.WithQueueWaitHook).
//
// It must not know: how calls are evaluated, how kernels are run, or what routes mean (the
// caller names them, see Routes). Nothing here is global: the registry, the tracer provider
// and the logger's writer are passed in; no OpenTelemetry global is set.
package telemetry
