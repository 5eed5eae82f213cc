package telemetry

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// HeaderRequestID carries the request id, from the caller (kept when it is short printable
// ASCII) or generated, and is echoed in the reply.
const HeaderRequestID = "X-Request-Id"

// Middleware wraps an HTTP handler with zeval's telemetry. Set what you have; nil parts are
// skipped.
type Middleware struct {
	Metrics *Metrics
	Tracing *Tracing
	// Logger writes one access line per request (at Info; Warn for 5xx), with the request's
	// context, so the request id and trace ids are in it. Nil: no access log.
	Logger *slog.Logger
	// Route names a request's route for labels and span names; it must return few distinct
	// values (a pattern, not a path). Nil: every request is "other".
	Route func(*http.Request) string
}

// Wrap returns next with a request id, a server span (child of the caller's traceparent, if
// any), latency and in-flight metrics and an access log line.
func (m Middleware) Wrap(next http.Handler) http.Handler {
	var tracer trace.Tracer
	var prop propagation.TextMapPropagator
	if m.Tracing != nil {
		tracer, prop = m.Tracing.Tracer(), m.Tracing.Propagator
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		route := "other"
		if m.Route != nil {
			route = m.Route(r)
		}
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(HeaderRequestID, id)
		ctx := WithRequestID(r.Context(), id)
		var span trace.Span
		if tracer != nil {
			ctx = prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					attribute.String(FieldMethod, r.Method),
					attribute.String(FieldPath, r.URL.Path),
					attribute.String(FieldRoute, route),
					attribute.String(FieldRequestID, id)))
		}
		if m.Metrics != nil {
			m.Metrics.httpInFlight.Inc()
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// A panic that escaped the handler is still measured, then passed on to net/http.
			v := recover()
			status := sw.status
			if status == 0 {
				status = http.StatusOK
				if v != nil {
					status = http.StatusInternalServerError
				}
			}
			took := time.Since(began)
			if m.Metrics != nil {
				m.Metrics.httpInFlight.Dec()
				m.Metrics.httpDuration.WithLabelValues(route, r.Method, strconv.Itoa(status)).Observe(took.Seconds())
			}
			if span != nil {
				span.SetAttributes(attribute.Int(FieldStatus, status))
				if status >= 500 {
					span.SetStatus(codes.Error, http.StatusText(status))
				}
				span.End()
			}
			if m.Logger != nil {
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelWarn
				}
				attrs := []slog.Attr{
					slog.String(FieldMethod, r.Method), slog.String(FieldPath, r.URL.Path),
					slog.String(FieldRoute, route), slog.Int(FieldStatus, status),
					slog.Int64(FieldDuration, took.Nanoseconds()), slog.String(FieldClientAddr, r.RemoteAddr),
					slog.Int64("http.response.body.bytes", sw.bytes),
				}
				if v != nil {
					attrs = append(attrs, slog.String(FieldError, fmt.Sprint(v)))
				}
				m.Logger.LogAttrs(ctx, level, "request", attrs...)
			}
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// statusWriter remembers the status code and counts the body. It passes Flush, Hijack and
// Unwrap through so streaming and http.ResponseController keep working.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("telemetry: response writer cannot hijack")
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Routes names requests by the ServeMux pattern they match among patterns (without methods,
// such as "/{domain}/v1/evaluate/{$}"), "other" when none matches. It returns an error if
// the patterns conflict or are malformed.
func Routes(patterns ...string) (func(*http.Request) string, error) {
	mux := http.NewServeMux()
	nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, p := range patterns {
		if err := safeHandle(mux, p, nop); err != nil {
			return nil, err
		}
	}
	return func(r *http.Request) string {
		_, p := mux.Handler(r)
		if p == "" {
			return "other"
		}
		return p
	}, nil
}

func safeHandle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("telemetry: route %q: %v", pattern, v)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}
