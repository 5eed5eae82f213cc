package js

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	z "github.com/zeval/zeval/internal/zobject"
)

// Caller evaluates the function calls that user code makes with W.Call. The orchestrator (or
// the evaluator in front of it) implements it. Call gets a Z7 in which every argument is
// already a value and returns the Z22 of the call; an error means the platform failed, and
// it aborts the JavaScript call that made the nested call.
type Caller interface {
	Call(ctx context.Context, z7 *z.Object) (*z.Object, error)
}

// ErrCode is wrapped by the *CodeError NewVM returns when the code cannot be compiled.
var ErrCode = errors.New("js: the function's code cannot be compiled")

// CodeError says the code given to NewVM cannot be used: a syntax error, or a function name
// that is not a JavaScript identifier. It is a failure of the user's code, not of the
// platform: Envelope is the Z22 to answer with (Z22K1 void, the Z5 under "errors").
type CodeError struct {
	// Message is upstream's message text, e.g. "Unexpected end of input".
	Message string
}

func (e *CodeError) Error() string { return "js: " + e.Message }

// Unwrap makes errors.Is(err, ErrCode) true.
func (e *CodeError) Unwrap() error { return ErrCode }

// Z5 returns the error as upstream's executor reports it: {"Z1K1":"Z5","Z5K2":message}.
func (e *CodeError) Z5() *z.Object { return messageError(e.Message) }

// Envelope returns the Z22 upstream answers for this code.
func (e *CodeError) Envelope() *z.Object { return z.ResultEnvelope(nil, e.Z5()) }

// Defaults of the options.
const (
	DefaultMemoryLimit      = 256 << 20
	DefaultMaxCallStackSize = 10000
	// memoryCheckEvery is how often a running call's heap growth is sampled. A call shorter
	// than this is never sampled.
	memoryCheckEvery = 5 * time.Millisecond
	// maxValueDepth bounds the nesting of values converted either way (a cyclic JavaScript
	// value reaches it and fails like V8's stack overflow instead of recursing forever).
	maxValueDepth = 4096
	// maxNesting bounds re-entrant calls of one VM (A → B → A → ...), which would otherwise
	// grow the Go stack until the process dies.
	maxNesting = 200
)

// Option configures a VM.
type Option func(*config)

type config struct {
	memoryLimit int64
	maxStack    int
}

// WithMemoryLimit sets how far the Go heap may grow during one call of the VM before the call
// is stopped with a Z5 (bytes; 0 disables the check). See the package documentation for what
// this measures and what it cannot.
func WithMemoryLimit(bytes int64) Option { return func(c *config) { c.memoryLimit = bytes } }

// WithMaxCallStackSize sets the depth of JavaScript calls past which a call fails with
// "Maximum call stack size exceeded" (as V8 does).
func WithMaxCallStackSize(frames int) Option { return func(c *config) { c.maxStack = frames } }

// VM is one function's code loaded in its own JavaScript runtime: one per (session,
// function). The code is compiled by NewVM and run (its top level, once) by the first Call;
// state the code keeps at its top level lives as long as the VM.
//
// A VM is not safe for concurrent use: one goroutine calls it at a time. It is re-entrant on
// that goroutine: while a call waits in W.Call, the Caller may call the same VM again (A → B
// → A). The zero VM is not usable: call NewVM.
type VM struct {
	cfg  config
	name string
	prog *goja.Program

	// rt is nil until the first Call loads the code, and again after a call was stopped by a
	// limit (the next call starts from a fresh runtime).
	rt      *goja.Runtime
	fn      goja.Callable
	loadErr *z.Object // a Z5 from running the top level; every call answers it

	zobjectProto, zpairProto *goja.Object
	newMap                   func() (*goja.Object, func(k, v goja.Value))
	entries                  goja.Callable
	stringify                goja.Callable
	toStringTag              goja.Callable
	parseJSON                goja.Callable
	errorCtor                goja.Value

	// mu guards the interrupt bookkeeping of frames, which timers touch from other goroutines.
	mu     sync.Mutex
	frames []*frame
}

// frame is one Call in progress on the VM; nested (re-entrant) calls stack up.
type frame struct {
	ctx     context.Context
	caller  Caller
	active  bool          // guarded by VM.mu
	fired   *interruption // guarded by VM.mu: what this frame asked the runtime to stop for
	stopped bool          // the JavaScript of this call was cut short by a limit
}

type stopReason uint8

const (
	stopTime stopReason = iota + 1
	stopMemory
	stopPlatform
)

// interruption is the value given to goja's Interrupt.
type interruption struct {
	reason stopReason
	err    error
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// NewVM compiles code, which must define the function functionName (a ZID such as "Z1000").
// Code that does not compile gives a *CodeError (errors.Is(err, ErrCode)) carrying
// upstream's message; the caller answers with its Envelope. No code runs before the first
// Call.
func NewVM(code, functionName string, opts ...Option) (*VM, error) {
	cfg := config{memoryLimit: DefaultMemoryLimit, maxStack: DefaultMaxCallStackSize}
	for _, o := range opts {
		o(&cfg)
	}
	if !identifier.MatchString(functionName) {
		return nil, &CodeError{Message: fmt.Sprintf("Function name %q is not a JavaScript identifier.", functionName)}
	}
	// The code becomes the body of a loader function, as upstream makes it the body of the
	// function it evals: a missing closing brace is then "Unexpected end of input" as in V8.
	src := "function " + loaderName + "() {\n" + code + "\n;return " + functionName + ";\n}"
	prog, err := goja.Compile("", src, true)
	if err != nil {
		return nil, &CodeError{Message: syntaxMessage(err)}
	}
	return &VM{cfg: cfg, name: functionName, prog: prog}, nil
}

const loaderName = "__zeval_load"

var (
	linePrefix = regexp.MustCompile(`^(?:[^:]*: )?Line \d+:\d+ `)
	moreErrors = regexp.MustCompile(` \(and \d+ more errors\)$`)
)

// syntaxMessage turns goja's compile error into V8's wording where they share it: goja's
// parser reports "(anonymous): Line 3:1 Unexpected end of input (and 2 more errors)" where
// V8 says "Unexpected end of input".
func syntaxMessage(err error) string {
	var se *goja.CompilerSyntaxError
	if errors.As(err, &se) {
		return moreErrors.ReplaceAllString(linePrefix.ReplaceAllString(se.Message, ""), "")
	}
	var ce *goja.CompilerReferenceError
	if errors.As(err, &ce) {
		return ce.Message
	}
	return strings.TrimPrefix(err.Error(), "SyntaxError: ")
}

// messageError is the Z5 upstream's executor builds for an exception: a Z5 whose Z5K2 is the
// message string, without an error type.
func messageError(message string) *z.Object {
	return z.NewRecord(z.NewRef(z.Z5), z.KV("Z5K2", z.NewString(message)))
}

// Call runs the function with args (sorted into key order: Z1000K1, Z1000K2, ...) and returns
// the Z22 upstream's executor returns: the converted result in Z22K1, or Z22K1 void and the Z5
// under "errors" in Z22K2 when the code threw, returned a value that cannot be converted, ran
// out of time (ctx's deadline) or memory. caller serves W.Call; nil makes W.Call throw.
//
// An error means the platform failed: ctx was cancelled (not timed out), the Caller failed,
// or the engine broke.
func (v *VM) Call(ctx context.Context, args []z.Field, caller Caller) (res *z.Object, err error) {
	if err := ctx.Err(); err != nil {
		return v.contextResult(ctx)
	}
	if len(v.frames) >= maxNesting {
		return z.ResultEnvelope(nil, z.ErrorString(z.CodeInEvaluation, fmt.Sprintf(
			"Function %s was re-entered through nested calls more than %d times.", v.name, maxNesting))), nil
	}
	f := &frame{ctx: ctx, caller: caller, active: true}
	v.mu.Lock()
	v.frames = append(v.frames, f)
	outermost := len(v.frames) == 1
	v.mu.Unlock()

	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("js: engine failure in %s: %v", v.name, r)
			v.mu.Lock()
			v.rt, v.fn, v.loadErr = nil, nil, nil // whatever state it is in, do not reuse it
			v.mu.Unlock()
		}
		v.endFrame(f, outermost)
	}()

	if v.rt == nil {
		if err := v.start(); err != nil {
			return nil, err
		}
	}
	if done := ctx.Done(); done != nil {
		stop := context.AfterFunc(ctx, func() { v.interrupt(f, &interruption{reason: stopTime}) })
		defer stop()
	}
	if outermost && v.cfg.memoryLimit > 0 {
		w := &memoryWatch{vm: v, f: f, limit: v.cfg.memoryLimit}
		w.mu.Lock()
		w.timer = time.AfterFunc(memoryCheckEvery, w.check)
		w.mu.Unlock()
		defer w.timer.Stop()
	}

	if v.fn == nil && v.loadErr == nil {
		if z22, err, stopped := v.load(f); stopped {
			return z22, err
		}
	}
	if v.loadErr != nil {
		return z.ResultEnvelope(nil, v.loadErr), nil
	}

	sorted := sortedFields(args)
	jsArgs := make([]goja.Value, len(sorted))
	for i, a := range sorted {
		jv, cerr := v.toJS(a.Value, 0)
		if cerr != nil {
			return z.ResultEnvelope(nil, messageError(cerr.Error())), nil
		}
		jsArgs[i] = jv
	}
	out, callErr := v.fn(goja.Undefined(), jsArgs...)
	if callErr != nil {
		return v.failure(f, callErr)
	}
	out, rejected := v.settle(out)
	if rejected != nil {
		return z.ResultEnvelope(nil, rejected), nil
	}
	value, serr := v.fromJS(out, 0)
	if serr != nil {
		return z.ResultEnvelope(nil, messageError(serr.Error())), nil
	}
	return z.ResultEnvelope(value, nil), nil
}

// start makes a fresh runtime with the prelude (ZObject, ZPair, W, console) and the code.
func (v *VM) start() error {
	prelude, err := preludeProgram()
	if err != nil {
		return fmt.Errorf("js: prelude: %w", err)
	}
	rt := goja.New()
	rt.SetMaxCallStackSize(v.cfg.maxStack)
	if err := rt.Set("__zeval_call", v.wCall); err != nil {
		return err
	}
	if err := rt.Set("__zeval_pairType", v.pairType); err != nil {
		return err
	}
	if _, err := rt.RunProgram(prelude); err != nil {
		return fmt.Errorf("js: prelude: %w", err)
	}
	h, err := rt.RunString("[ZObject.prototype, ZPair.prototype, __zeval_entries, JSON.stringify, JSON.parse, Map, Error, Object.prototype.toString]")
	if err != nil {
		return fmt.Errorf("js: prelude: %w", err)
	}
	hs := h.(*goja.Object)
	get := func(i int) goja.Value { return hs.Get(fmt.Sprint(i)) }
	v.zobjectProto = get(0).(*goja.Object)
	v.zpairProto = get(1).(*goja.Object)
	v.entries, _ = goja.AssertFunction(get(2))
	v.stringify, _ = goja.AssertFunction(get(3))
	v.parseJSON, _ = goja.AssertFunction(get(4))
	mapCtor := get(5)
	v.errorCtor = get(6)
	v.toStringTag, _ = goja.AssertFunction(get(7))
	setFn, _ := goja.AssertFunction(mapCtor.(*goja.Object).Get("prototype").(*goja.Object).Get("set"))
	v.newMap = func() (*goja.Object, func(k, val goja.Value)) {
		m, err := rt.New(mapCtor)
		if err != nil {
			panic(err)
		}
		return m, func(k, val goja.Value) {
			if _, err := setFn(m, k, val); err != nil {
				panic(err)
			}
		}
	}
	if _, err := rt.RunProgram(v.prog); err != nil {
		return fmt.Errorf("js: loading %s: %w", v.name, err)
	}
	v.mu.Lock()
	v.rt, v.fn, v.loadErr = rt, nil, nil
	v.mu.Unlock()
	return nil
}

// load runs the top level of the code once and finds the function. A failure of the code is
// kept: every later call answers the same Z5. stopped reports that the call must end with
// z22/err (a limit or a platform failure stopped the loading).
func (v *VM) load(f *frame) (z22 *z.Object, err error, stopped bool) {
	loader, ok := goja.AssertFunction(v.rt.Get(loaderName))
	if !ok {
		return nil, fmt.Errorf("js: %s: the loader is missing", v.name), true
	}
	fnVal, lerr := loader(goja.Undefined())
	if lerr != nil {
		var ie *goja.InterruptedError
		if errors.As(lerr, &ie) {
			z22, err := v.failure(f, lerr)
			return z22, err, true
		}
		if z5 := v.exceptionError(lerr); z5 != nil {
			v.loadErr = z5
			return nil, nil, false
		}
		z22, err := v.failure(f, lerr)
		return z22, err, true
	}
	fn, ok := goja.AssertFunction(fnVal)
	if !ok {
		v.loadErr = messageError(v.name + " is not a function")
		return nil, nil, false
	}
	v.fn = fn
	_ = v.rt.GlobalObject().Delete(loaderName)
	return nil, nil, false
}

// settle unwraps a promise the function returned (an async function): its value once
// fulfilled, or the Z5 of its reason when rejected. A pending promise stays as it is and
// fails to convert, as upstream's executor fails on any promise.
func (v *VM) settle(out goja.Value) (goja.Value, *z.Object) {
	o, ok := out.(*goja.Object)
	if !ok || v.tag(o) != "Promise" {
		return out, nil
	}
	p, ok := o.Export().(*goja.Promise)
	if !ok {
		return out, nil
	}
	switch p.State() {
	case goja.PromiseStateFulfilled:
		return p.Result(), nil
	case goja.PromiseStateRejected:
		return nil, messageError(v.exceptionMessage(p.Result()))
	}
	return out, nil
}

// failure turns the error of a JavaScript call into the call's result.
func (v *VM) failure(f *frame, callErr error) (*z.Object, error) {
	var ie *goja.InterruptedError
	if errors.As(callErr, &ie) {
		in, _ := ie.Value().(*interruption)
		f.stopped = true
		if in == nil {
			return nil, fmt.Errorf("js: %s interrupted: %w", v.name, callErr)
		}
		switch in.reason {
		case stopPlatform:
			return nil, in.err
		case stopMemory:
			return z.ResultEnvelope(nil, z.ErrorString(z.CodeInEvaluation, fmt.Sprintf(
				"Function %s exceeded the memory limit of %d MiB and was stopped.", v.name, v.cfg.memoryLimit>>20))), nil
		}
		return v.contextResult(f.ctx)
	}
	var so *goja.StackOverflowError
	if errors.As(callErr, &so) {
		return z.ResultEnvelope(nil, messageError("Maximum call stack size exceeded")), nil
	}
	if z5 := v.exceptionError(callErr); z5 != nil {
		return z.ResultEnvelope(nil, z5), nil
	}
	return nil, fmt.Errorf("js: %s: %w", v.name, callErr)
}

// contextResult answers a call whose context is done: a time-limit Z5 for a deadline, the
// context's error (a platform failure: the caller gave up) otherwise.
func (v *VM) contextResult(ctx context.Context) (*z.Object, error) {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || ctx.Err() == nil {
		return z.ResultEnvelope(nil, z.ErrorString(z.CodeInEvaluation, fmt.Sprintf(
			"Function %s exceeded the time limit and was stopped.", v.name))), nil
	}
	return nil, ctx.Err()
}

// exceptionError returns the Z5 for a JavaScript exception (nil when err is not one): its
// message property, as upstream reports e.message.
func (v *VM) exceptionError(err error) *z.Object {
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return nil
	}
	return messageError(v.exceptionMessage(ex.Value()))
}

func (v *VM) exceptionMessage(val goja.Value) string {
	if o, ok := val.(*goja.Object); ok {
		if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
			return m.String()
		}
	}
	if val == nil {
		return "undefined"
	}
	return val.String()
}

// interrupt stops the runtime for f, unless f has already ended.
func (v *VM) interrupt(f *frame, in *interruption) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !f.active || f.fired != nil {
		return
	}
	f.fired = in
	if v.rt != nil {
		v.rt.Interrupt(in)
	}
}

// endFrame retires f. goja keeps its interrupt flag set until cleared, so the flag is
// cleared when no enclosing call asked for a stop (an enclosing one must keep unwinding). A
// runtime stopped by a limit is dropped when the outermost call ends.
func (v *VM) endFrame(f *frame, outermost bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f.active = false
	v.frames = v.frames[:len(v.frames)-1]
	if f.fired == nil {
		return
	}
	for _, g := range v.frames {
		if g.fired != nil {
			return
		}
	}
	if v.rt != nil {
		v.rt.ClearInterrupt()
	}
	if outermost && f.stopped && f.fired.reason != stopPlatform {
		// Stopped mid-way: the code's state may be half-updated; start afresh next time.
		v.rt, v.fn, v.loadErr = nil, nil, nil
	}
}

// memoryWatch samples the heap while a call runs. It is approximate by nature: the Go heap is
// shared by the whole process, so other goroutines' allocations count too, and garbage counts
// until a collection frees it (a suspected overrun is confirmed after a collection).
type memoryWatch struct {
	vm       *VM
	f        *frame
	limit    int64
	mu       sync.Mutex // guards timer, set after the timer may already have fired
	timer    *time.Timer
	baseline int64 // only check touches these, one run at a time
	sampled  bool
	lastGC   time.Time
}

// minGCInterval spaces the collections that confirm a suspected overrun, so a call that
// makes much short-lived garbage is not slowed by a collection every sample.
const minGCInterval = 100 * time.Millisecond

const heapSample = "/memory/classes/heap/objects:bytes"

func heapBytes() int64 {
	s := []metrics.Sample{{Name: heapSample}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

func (w *memoryWatch) check() {
	w.vm.mu.Lock()
	active := w.f.active && w.f.fired == nil
	w.vm.mu.Unlock()
	if !active {
		return
	}
	now := heapBytes()
	if !w.sampled {
		w.baseline, w.sampled = now, true
	} else if now-w.baseline > w.limit && time.Since(w.lastGC) >= minGCInterval {
		runtime.GC()
		w.lastGC = time.Now()
		if now = heapBytes(); now-w.baseline > w.limit {
			w.vm.interrupt(w.f, &interruption{reason: stopMemory})
			return
		}
	}
	w.mu.Lock()
	w.timer.Reset(memoryCheckEvery)
	w.mu.Unlock()
}
