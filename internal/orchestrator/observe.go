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

// CallObserver is told about every function call as it begins (the function and the call's
// depth) and returns the context the call is evaluated in (a tracer puts the call's span in
// it, so nested calls and code runs become its children) and the func that is told how the
// call ended. Both run on the evaluation's goroutine, so they must be quick.
type CallObserver func(ctx context.Context, function string, depth int) (context.Context, func(CallEvent))

// WithCallObserver sets an observer of function calls (none by default; without one the
// orchestrator does not read the clock per call).
func WithCallObserver(f CallObserver) Option { return func(o *Orchestrator) { o.observer = f } }
