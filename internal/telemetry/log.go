package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// ECS field names written by the log handler and the HTTP middleware.
const (
	FieldTimestamp  = "@timestamp"
	FieldLevel      = "log.level"
	FieldMessage    = "message"
	FieldService    = "service.name"
	FieldTraceID    = "trace.id"
	FieldSpanID     = "span.id"
	FieldRequestID  = "http.request.id"
	FieldMethod     = "http.request.method"
	FieldPath       = "url.path"
	FieldStatus     = "http.response.status_code"
	FieldDuration   = "event.duration" // nanoseconds, as ECS defines it
	FieldError      = "error.message"
	FieldRoute      = "http.route"
	FieldClientAddr = "client.address"
)

// LogOptions configures NewLogHandler.
type LogOptions struct {
	// Service is written as service.name on every line (default "zeval").
	Service string
	// Level is the lowest level written (default Info).
	Level slog.Leveler
}

// NewLogHandler returns an slog.Handler that writes one JSON object per line with ECS field
// names: @timestamp (UTC, RFC 3339 with nanoseconds), log.level, message, service.name, and,
// when the record's context has them, http.request.id, trace.id and span.id. An attribute
// named err or error becomes error.message. Other attributes keep their keys. Safe for
// concurrent use (writes to w are serialized by slog's JSON handler).
func NewLogHandler(w io.Writer, opts LogOptions) slog.Handler {
	if opts.Service == "" {
		opts.Service = "zeval"
	}
	if opts.Level == nil {
		opts.Level = slog.LevelInfo
	}
	inner := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: opts.Level, ReplaceAttr: ecsAttr})
	return &ecsHandler{inner: inner.WithAttrs([]slog.Attr{slog.String(FieldService, opts.Service)})}
}

func ecsAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey:
			if t, ok := a.Value.Any().(time.Time); ok {
				return slog.String(FieldTimestamp, t.UTC().Format(time.RFC3339Nano))
			}
			a.Key = FieldTimestamp
			return a
		case slog.LevelKey:
			return slog.String(FieldLevel, strings.ToLower(a.Value.String()))
		case slog.MessageKey:
			a.Key = FieldMessage
			return a
		}
	}
	if a.Key == "err" || a.Key == "error" {
		if a.Value.Kind() == slog.KindAny && a.Value.Any() == nil {
			return slog.Attr{} // a nil error: no field
		}
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(FieldError, err.Error())
		}
		a.Key = FieldError
	}
	return a
}

// ecsHandler adds the request id and the trace context of the record's context. After
// WithGroup they land inside the group, as any record attribute would.
type ecsHandler struct {
	inner slog.Handler
}

func (h *ecsHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *ecsHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if id := RequestID(ctx); id != "" {
			r.AddAttrs(slog.String(FieldRequestID, id))
		}
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r.AddAttrs(slog.String(FieldTraceID, sc.TraceID().String()), slog.String(FieldSpanID, sc.SpanID().String()))
		}
	}
	return h.inner.Handle(ctx, r)
}

func (h *ecsHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &ecsHandler{inner: h.inner.WithAttrs(as)}
}

func (h *ecsHandler) WithGroup(name string) slog.Handler {
	return &ecsHandler{inner: h.inner.WithGroup(name)}
}

var _ slog.Handler = (*ecsHandler)(nil)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, "" if none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validRequestID accepts a caller's X-Request-Id if it is short printable ASCII, so a
// hostile header cannot forge log structure or blow up lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
