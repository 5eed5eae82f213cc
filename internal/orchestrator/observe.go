package orchestrator

import (
	"context"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// CallEvent describes one function call the orchestrator executed, for metrics and traces.
type CallEvent struct {
	// Function is the function's identity (Z8K5), Implementation the chosen implementation's
	// ZID (or the built-in's name), Kind its implementationType (BuiltIn, Composition,
	// Evaluated).
	Function, Implementation, Kind string
	// Depth is the nesting depth of the call: 1 for the top-level call of an evaluation.
	Depth int
	// Start and Duration bound the call, its arguments' evaluation included.
	Start    time.Time
	Duration time.Duration
	// Error is the Z5 the call failed with, nil on success.
	Error *z.Object
}

// CallObserver is told about every function call once it has finished. It runs on the
// evaluation's goroutine, so it must be quick; ctx is the evaluation's context.
type CallObserver func(ctx context.Context, e CallEvent)

// WithCallObserver sets an observer of function calls (none by default; without one the
// orchestrator does not read the clock per call).
func WithCallObserver(f CallObserver) Option { return func(o *Orchestrator) { o.observer = f } }
