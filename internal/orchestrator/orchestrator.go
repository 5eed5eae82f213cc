package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// Resolver fetches persistent objects by ZID. The store, a folder of definitions or a test
// map can back it. Implementations must be safe for concurrent use.
type Resolver interface {
	// Resolve returns the persistent object (a Z2) with the given ZID. When there is none it
	// returns an error wrapping ErrNotFound; any other error means the lookup itself failed.
	Resolve(ctx context.Context, zid string) (*z.Object, error)
}

// LanguageResolver is an optional interface of a Resolver: it finds the natural language
// (Z60) with a given code, for the built-in Z860 (language code to language).
type LanguageResolver interface {
	LanguageByCode(ctx context.Context, code string) (zid string, err error)
}

// ErrNotFound is wrapped by Resolver errors for ZIDs that do not exist.
var ErrNotFound = errors.New("ZID not found")

// Evaluator runs code implementations (Z14K3). The kernel-backed evaluator lives elsewhere;
// the orchestrator only needs these two methods.
type Evaluator interface {
	// Languages returns the programming languages (Z61K1 codes) the evaluator runs.
	Languages() []string
	// Evaluate runs call, a Z7 whose Z7K1 is the function (a Z8 whose Z8K4 holds only the
	// chosen implementation) and whose arguments are evaluated, in the given language. It
	// returns the Z22 the code produced; a failure of the user's code is a Z5 inside that
	// Z22. An error means the platform failed (the kernel died, the transport broke).
	Evaluate(ctx context.Context, language string, call *z.Object) (*z.Object, error)
}

// PartsEvaluator is an optional interface of an Evaluator, for one in the same process: it
// runs the implementation impl (a Z14) of the function fn (a Z8) on the evaluated arguments,
// as Evaluate runs the Z7 of fn with impl as its only implementation and args. It returns the
// Z22 the code produced and the metadata entries Evaluate's Z22 would have set in its Z22K2
// map (as zobject.MapSet sets them), without building the Z7 or that map.
type PartsEvaluator interface {
	EvaluateParts(ctx context.Context, language string, fn, impl *z.Object, args []z.Field) (z22 *z.Object, meta []z.MapEntry, err error)
}

// Selector decides the order in which the implementations (Z14s) of a function are tried:
// the orchestrator runs the first and falls back to the next only when the platform fails
// (no evaluator for the language, evaluator unreachable).
type Selector interface {
	Order(implementations []*z.Object) []int
}

// FirstSelector tries the implementations in the order the function lists them.
type FirstSelector struct{}

// Order returns 0, 1, ..., n-1.
func (FirstSelector) Order(impls []*z.Object) []int {
	out := make([]int, len(impls))
	for i := range out {
		out[i] = i
	}
	return out
}

var _ Selector = FirstSelector{}

// Orchestrator evaluates Z7 function calls. It is safe for concurrent use; each call to
// Evaluate is independent. The zero value is not usable: call New.
type Orchestrator struct {
	defs      *Definitions
	resolver  Resolver
	evaluator Evaluator
	selector  Selector
	maxDepth  int
	maxNodes  int
	timeout   time.Duration
	hostname  string
	logger    *slog.Logger
	observer  CallObserver
	// types caches the Z4s of generic types built from built-ins only (Z881(Z6)), which
	// every evaluation would otherwise compute again. Keys are zobject.TypeKey strings.
	types     sync.Map
	typeCount atomic.Int64
}

// Option configures an Orchestrator.
type Option func(*Orchestrator)

// WithEvaluator sets the evaluator for code implementations. Without one, code
// implementations answer a Z5 saying that their language is not available.
func WithEvaluator(e Evaluator) Option { return func(o *Orchestrator) { o.evaluator = e } }

// WithSelector sets the default implementation selector (FirstSelector otherwise).
func WithSelector(s Selector) Option { return func(o *Orchestrator) { o.selector = s } }

// WithMaxDepth bounds the nesting of function calls (default 256).
func WithMaxDepth(n int) Option { return func(o *Orchestrator) { o.maxDepth = n } }

// WithTimeout bounds the time of one evaluation (default 15s); a context deadline that
// comes earlier wins.
func WithTimeout(d time.Duration) Option { return func(o *Orchestrator) { o.timeout = d } }

// WithHostname sets the orchestrationHostname metadata (os.Hostname otherwise).
func WithHostname(h string) Option { return func(o *Orchestrator) { o.hostname = h } }

// WithLogger sets the logger (discarding by default).
func WithLogger(l *slog.Logger) Option { return func(o *Orchestrator) { o.logger = l } }

// WithDefinitions shares built-in definitions between orchestrators (built fresh otherwise).
func WithDefinitions(d *Definitions) Option { return func(o *Orchestrator) { o.defs = d } }

// New returns an Orchestrator that fetches non-built-in objects from resolver (which may be
// nil: then only built-ins are known).
func New(resolver Resolver, opts ...Option) *Orchestrator {
	o := &Orchestrator{resolver: resolver, selector: FirstSelector{}, timeout: 15 * time.Second}
	for _, opt := range opts {
		opt(o)
	}
	if o.defs == nil {
		o.defs = NewDefinitions()
	}
	if o.hostname == "" {
		o.hostname, _ = os.Hostname()
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.maxDepth <= 0 {
		o.maxDepth = 256
	}
	if o.maxNodes <= 0 {
		o.maxNodes = defaultMaxResultNodes
	}
	return o
}

// Definitions returns the built-in definitions the orchestrator uses.
func (o *Orchestrator) Definitions() *Definitions { return o.defs }

// Languages returns the programming languages code implementations can use: those of the
// evaluator, none without one.
func (o *Orchestrator) Languages() []string {
	if o.evaluator == nil {
		return []string{}
	}
	return o.evaluator.Languages()
}

// Request is one evaluation.
type Request struct {
	// Call is the function call (a Z7). Anything else answers a Z539 error.
	Call *z.Object
	// DoValidate runs the static checks of upstream's doValidate before evaluating.
	DoValidate bool
	// Selector overrides the orchestrator's implementation selector.
	Selector Selector
}

// Outcome is the result of Run: what an envelope says, before it is built.
type Outcome struct {
	// Value is the result, nil on error.
	Value *z.Object
	// Error is the Z5 on error, nil otherwise.
	Error *z.Object
	// Metadata holds the other metadata of the top-level call (implementationId,
	// implementationType, what the evaluator reported), in order.
	Metadata []z.MapEntry
}

// Run evaluates the request like Evaluate but returns the outcome without building the Z22
// envelope or measuring the call: the cheaper entry point for callers in the same process
// (page rendering) that only need the value.
func (o *Orchestrator) Run(ctx context.Context, req Request) Outcome {
	ctx, cancel := o.budget(ctx)
	defer cancel()
	res := o.limitResult(newRun(ctx, o, req.Selector).safeOrchestrate(req.Call, req.DoValidate))
	out := Outcome{Value: res.value, Error: res.err()}
	for _, e := range res.meta {
		if e.key != "errors" {
			if out.Metadata == nil {
				out.Metadata = make([]z.MapEntry, 0, len(res.meta))
			}
			out.Metadata = append(out.Metadata, z.MapEntry{Key: metaString(e.key), Value: e.value})
		}
	}
	if out.Error != nil {
		out.Value = nil
	} else if out.Value != nil {
		out.Value = foldLists(out.Value)
	}
	return out
}

// Evaluate evaluates the request and returns the Z22 envelope: Z22K1 the result (void on
// error), Z22K2 a Z883 map of metadata whose "errors" entry holds the Z5 on failure. It never
// returns nil and never panics on bad input; failures of the input or of the user's code are
// in the envelope.
func (o *Orchestrator) Evaluate(ctx context.Context, req Request) *z.Object {
	start := time.Now()
	cpu0 := cpuTime()
	ctx, cancel := o.budget(ctx)
	defer cancel()
	r := newRun(ctx, o, req.Selector)
	res := o.limitResult(r.safeOrchestrate(req.Call, req.DoValidate))
	end := time.Now()
	meta := res.meta
	meta = meta.set("orchestrationMemoryUsage", z.NewString(memoryUsage()))
	meta = meta.set("orchestrationCpuUsage", z.NewString(formatMillis(cpuTime()-cpu0)))
	meta = meta.set("orchestrationStartTime", z.NewString(isoTime(start)))
	meta = meta.set("orchestrationEndTime", z.NewString(isoTime(end)))
	meta = meta.set("orchestrationDuration", z.NewString(formatWholeMillis(end.Sub(start))))
	meta = meta.set("orchestrationHostname", z.NewString(o.hostname))
	return envelope(res.value, meta)
}

// budget bounds ctx by the orchestrator's timeout, unless it has an earlier deadline already
// (a page render sets one for all its calls, and this spares each call a timer).
func (o *Orchestrator) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout <= 0 {
		return ctx, func() {}
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= o.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, o.timeout)
}

// safeOrchestrate is orchestrate, with a bug in it turned into an error result: the server
// or the page render that called keeps running.
func (r *run) safeOrchestrate(call *z.Object, doValidate bool) (res result) {
	defer func() {
		if v := recover(); v != nil {
			r.o.logger.ErrorContext(r.ctx, "orchestrator panic", "panic", v, "stack", string(debug.Stack()))
			res = failure(z.ErrorString(z.CodeUnknown, fmt.Sprintf("Internal error in the orchestrator: %v", v)))
		}
	}()
	return r.orchestrate(call, doValidate)
}

// orchestrate is upstream's orchestrate() without the timing metadata.
func (r *run) orchestrate(call *z.Object, doValidate bool) result {
	switch {
	case call == nil:
		return failure(z.ErrorString(z.CodeWrongContentType, "The provided object is not a function call"))
	case z.IsError(call):
		return failure(call)
	case !isCall(call):
		return failure(z.ErrorString(z.CodeWrongContentType, "The provided object is not a function call"))
	}
	if e := wellformed(call); e != nil {
		return failure(e)
	}
	if doValidate {
		if errs := r.staticValidate(call); len(errs) > 0 {
			if len(errs) == 1 {
				return failure(errs[0])
			}
			return failure(z.Error(z.CodeList, z.NewList(ref(z.Z5), errs...)))
		}
	}
	return r.execute(call, nil)
}

// Call evaluates a function call made by user code (W.Call in a kernel) and returns its Z22:
// the shape of the evaluator's callback for nested calls. ctx carries the outer call's
// deadline, so nested calls share its time budget.
func (o *Orchestrator) Call(ctx context.Context, call *z.Object) *z.Object {
	return o.Evaluate(ctx, Request{Call: call})
}
