package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// decodeLines parses every line of out as a JSON object.
func decodeLines(t *testing.T, out []byte) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q is not a JSON object: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestLogHandler(t *testing.T) {
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))
	tests := []struct {
		name   string
		ctx    context.Context
		log    func(l *slog.Logger, ctx context.Context)
		want   map[string]any
		absent []string
	}{
		{
			name:   "plain",
			ctx:    context.Background(),
			log:    func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hello", "n", 3) },
			want:   map[string]any{FieldMessage: "hello", FieldLevel: "info", FieldService: "svc", "n": 3.0},
			absent: []string{FieldRequestID, FieldTraceID, FieldSpanID, "msg", "level", "time"},
		},
		{
			name: "request and trace",
			ctx:  WithRequestID(traced, "req-1"),
			log:  func(l *slog.Logger, ctx context.Context) { l.WarnContext(ctx, "careful") },
			want: map[string]any{FieldLevel: "warn", FieldRequestID: "req-1",
				FieldTraceID: "4bf92f3577b34da6a3ce929d0e0e4736", FieldSpanID: "00f067aa0ba902b7"},
		},
		{
			name: "error attribute",
			ctx:  context.Background(),
			log: func(l *slog.Logger, ctx context.Context) {
				l.ErrorContext(ctx, "failed", "err", errors.New("disk full"))
			},
			want: map[string]any{FieldLevel: "error", FieldError: "disk full"},
		},
		{
			name:   "nil error attribute",
			ctx:    context.Background(),
			log:    func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "done", "error", nil) },
			want:   map[string]any{FieldMessage: "done"},
			absent: []string{FieldError, "error"},
		},
		{
			name:   "below level",
			ctx:    context.Background(),
			log:    func(l *slog.Logger, ctx context.Context) { l.DebugContext(ctx, "noise") },
			want:   nil,
			absent: nil,
		},
		{
			name: "with attrs",
			ctx:  WithRequestID(context.Background(), "r2"),
			log:  func(l *slog.Logger, ctx context.Context) { l.With("component", "pool").InfoContext(ctx, "x") },
			want: map[string]any{"component": "pool", FieldRequestID: "r2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(NewLogHandler(&buf, LogOptions{Service: "svc"}))
			tt.log(l, tt.ctx)
			lines := decodeLines(t, buf.Bytes())
			if tt.want == nil {
				if len(lines) != 0 {
					t.Fatalf("wrote %v, want nothing", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("wrote %d lines, want 1: %s", len(lines), buf.Bytes())
			}
			got := lines[0]
			ts, ok := got[FieldTimestamp].(string)
			if !ok {
				t.Fatalf("%s missing: %v", FieldTimestamp, got)
			}
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				t.Errorf("%s = %q: %v", FieldTimestamp, ts, err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (line %v)", k, got[k], v, got)
				}
			}
			for _, k := range tt.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s present, want absent (line %v)", k, got)
				}
			}
		})
	}
}

func TestValidRequestID(t *testing.T) {
	long := string(bytes.Repeat([]byte("a"), 129))
	tests := []struct {
		id   string
		want bool
	}{
		{"abc-123_XYZ.1", true},
		{"", false},
		{"has space", false},
		{"quote\"", false},
		{"new\nline", false},
		{"ünïcode", false},
		{long, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := validRequestID(tt.id); got != tt.want {
				t.Errorf("validRequestID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}
