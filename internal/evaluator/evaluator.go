package evaluator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/forkserver"
	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/sandbox"
	z "github.com/zeval/zeval/internal/zobject"
)

// errTimeLimit is wrapped by the error of a call that ran out of time.
var errTimeLimit = errors.New("time limit exceeded")

// CallFunc evaluates a function call (a Z7) made by user code and returns its Z22. It is the
// orchestrator, seen from here; ctx carries the session.
type CallFunc func(ctx context.Context, z7 *z.Object) *z.Object

// Config says how the evaluator runs code.
type Config struct {
	// PythonKernel is the kernelspec for Python (default "python3", ipykernel); "" with
	// NoPython set disables Python.
	PythonKernel string
	NoPython     bool
	// NoJavaScript disables JavaScript.
	NoJavaScript bool
	// JavaScriptKernel, when set, is the kernelspec that runs JavaScript (deno's "deno"),
	// pooled like Python's kernels, instead of the embedded engine (goja), the default.
	JavaScriptKernel string
	// MinIdle and MaxKernels size the Python pool (defaults 2 and 32; a negative MinIdle keeps
	// no kernel ready: each is started when a session needs it).
	MinIdle    int
	MaxKernels int
	// CallTimeout bounds one call, nested calls included (default 10s).
	CallTimeout time.Duration
	// AcquireTimeout bounds the wait for a kernel when a function is first called in a
	// session (default 60s): a kernel that cannot start is an error, not a hang.
	AcquireTimeout time.Duration
	// MaxDepth bounds nested calls made by code (default 32).
	MaxDepth int
	// ReuseKernels lets the next session of the same function revision reuse a kernel (state may
	// carry over). The default is a fresh kernel for every session.
	ReuseKernels bool
	// NoChannel turns the fast call channel off: every call is an execute_request (for tests
	// and benchmarks; kernels that cannot open the channel fall back to this by themselves).
	NoChannel bool
	// RuntimeDir holds the channel socket (default: a new temporary directory).
	RuntimeDir string
	// ForkServer starts ipykernel kernels by forking a server that has ipykernel imported
	// (milliseconds instead of half a second). Other kernelspecs are launched plainly.
	ForkServer bool
	// Sandbox, when not nil, confines every kernel with these options (limits, no network,
	// read-only filesystem but for its temp dir); the call channel's directories stay reachable.
	Sandbox []sandbox.Option
	// KernelOptions are passed to jupyter.Launch.
	KernelOptions []jupyter.Option
	// PoolOptions are passed to pool.New for the Python pool (a start observer, say); they
	// come after the evaluator's own.
	PoolOptions []pool.Option
	// AcquireObserver, when set, is called as a session begins to get its instance of a
	// function (for Python: lease a kernel and load the code); the func it returns is called
	// when that ends, with its error. Its context is the caller's.
	AcquireObserver func(ctx context.Context, language, function string) (context.Context, func(error))
	Logger          *slog.Logger
}

// Evaluator runs code implementations: Python in Jupyter kernels, JavaScript embedded or in
// kernels. Safe for concurrent use.
type Evaluator struct {
	cfg    Config
	py     *kernelRuntime
	jsk    *kernelRuntime   // nil unless Config.JavaScriptKernel
	jsSB   *sandbox.Sandbox // confines jsk's kernels, when Config.Sandbox
	caller CallFunc
	dir    string
	ownDir bool
	log    *slog.Logger

	js   *jsRuntime
	fork *forkserver.Server // nil unless Config.ForkServer and the kernel is ipykernel
	sb   *sandbox.Sandbox   // nil unless Config.Sandbox

	closing sync.WaitGroup // instances being closed in the background
	langs   []string       // what Languages returns, fixed by New

	mu   sync.Mutex
	warm map[fnKey][]instance // kept across sessions when ReuseKernels is set
}

// New starts the evaluator: the Python pool begins to fill in the background.
func New(cfg Config) (*Evaluator, error) {
	if cfg.PythonKernel == "" {
		cfg.PythonKernel = "python3"
	}
	switch {
	case cfg.MinIdle == 0:
		cfg.MinIdle = 2
	case cfg.MinIdle < 0:
		cfg.MinIdle = 0
	}
	if cfg.MaxKernels == 0 {
		cfg.MaxKernels = 32
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.AcquireTimeout == 0 {
		cfg.AcquireTimeout = 60 * time.Second
	}
	if cfg.MaxDepth == 0 {
		cfg.MaxDepth = 32
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Evaluator{cfg: cfg, log: cfg.Logger, warm: map[fnKey][]instance{}}
	if !cfg.NoJavaScript && cfg.JavaScriptKernel == "" {
		e.js = &jsRuntime{e: e}
	}
	if !cfg.NoPython {
		if err := e.startPython(); err != nil {
			return nil, err
		}
	}
	if !cfg.NoJavaScript && cfg.JavaScriptKernel != "" {
		if err := e.startJavaScriptKernels(); err != nil {
			e.Close()
			return nil, err
		}
	}
	e.langs = e.languages()
	return e, nil
}

// startPython sets up the Python pool and the call channel.
func (e *Evaluator) startPython() error {
	cfg := e.cfg
	spec, err := jupyter.FindSpec(jupyter.SearchPath(), cfg.PythonKernel)
	if err != nil {
		return fmt.Errorf("evaluator: Python kernel: %w", err)
	}
	e.dir = cfg.RuntimeDir
	if e.dir == "" {
		e.dir, err = os.MkdirTemp("", "zeval-")
		if err != nil {
			return err
		}
		e.ownDir = true
	}
	shm := sharedMemoryDir(e.dir)
	lis, err := newListener(e.dir, shm)
	if err != nil {
		e.removeDir()
		return err
	}
	kopts, err := e.kernelOptions(spec, shm)
	if err != nil {
		lis.close()
		e.closeConfinement()
		os.RemoveAll(shm)
		e.removeDir()
		return err
	}
	launcher := preparedLauncher{
		inner: pool.SpecLauncher{Spec: spec, Options: append(kopts, cfg.KernelOptions...)},
		code:  runtimeDefinition(),
	}
	if e.fork != nil {
		launcher.ready = e.fork.Preloaded
	}
	e.py = &kernelRuntime{
		lang:           &python,
		lis:            lis,
		shmDir:         shm,
		noChannel:      cfg.NoChannel,
		interruptGrace: time.Second,
		loadTimeout:    cfg.CallTimeout, // loading runs the code's top level: it counts as code time
	}
	if !cfg.NoChannel {
		launcher.park = e.py.park
	}
	e.py.pool = pool.New(spec.Name, launcher, append([]pool.Option{pool.WithMinIdle(cfg.MinIdle), pool.WithMax(cfg.MaxKernels), pool.WithLogger(cfg.Logger)}, cfg.PoolOptions...)...)
	return nil
}

// kernelOptions sets up how kernels start: from the fork server when asked and possible, confined
// by the sandbox when asked.
func (e *Evaluator) kernelOptions(spec *jupyter.Spec, shm string) ([]jupyter.Option, error) {
	// ipc: kernels talk over Unix sockets in private directories, so no TCP port picked for a
	// kernel can be taken by another process before it binds, and sandboxed kernels (no network)
	// are reachable the same way.
	// The kernels' directories are not under e.dir: xeus-python aborts when an ipc socket path
	// is long, and jupyter keeps them short under the temp dir.
	opts := []jupyter.Option{jupyter.WithIPC()}
	var starter jupyter.Starter
	if e.cfg.ForkServer {
		if err := forkserver.CanUse(spec); err != nil {
			e.log.Info("fork server not used", "kernel", spec.Name, "reason", err)
		} else {
			// In the background: the caller's own start-up (a store, a page's parse and its
			// JavaScript calls) goes on beside the server's imports.
			fs, err := forkserver.New(context.Background(), spec, forkserver.WithLogger(e.log),
				forkserver.WithPreload(runtimeDefinition()), forkserver.WithLeanKernels(), forkserver.WithBackgroundStart())
			if err != nil {
				return nil, fmt.Errorf("evaluator: fork server: %w", err)
			}
			e.fork, starter = fs, fs
		}
	}
	if e.cfg.Sandbox != nil {
		sb, err := sandbox.New(append(append([]sandbox.Option(nil), e.cfg.Sandbox...), sandbox.WithReadWrite(filepath.Join(e.dir, "channel"), shm))...)
		if err != nil {
			e.closeConfinement()
			return nil, fmt.Errorf("evaluator: sandbox: %w", err)
		}
		e.sb, starter = sb, sb.Starter(starter)
	}
	if starter != nil {
		opts = append(opts, jupyter.WithStarter(starter))
	}
	return opts, nil
}

// Sandbox is the sandbox confining the kernels, or nil.
func (e *Evaluator) Sandbox() *sandbox.Sandbox { return e.sb }

func (e *Evaluator) closeConfinement() {
	if e.fork != nil {
		e.fork.Close()
	}
	if e.sb != nil {
		e.sb.Close()
	}
}

// sharedMemoryDir is where large frames go: a private directory on /dev/shm when there is one.
func sharedMemoryDir(fallback string) string {
	if d, err := os.MkdirTemp("/dev/shm", "zeval-"); err == nil {
		return d
	}
	return fallback
}

func (e *Evaluator) removeDir() {
	if e.ownDir {
		os.RemoveAll(e.dir)
	}
}

// SetCaller installs the function that evaluates nested calls made by code (the orchestrator).
// Call it once, before the first evaluation.
func (e *Evaluator) SetCaller(f CallFunc) { e.caller = f }

// Languages lists the programming languages (Z61K1) the evaluator runs. The slice is shared by
// every caller (the orchestrator asks on every call of code): do not modify it.
func (e *Evaluator) Languages() []string { return e.langs }

func (e *Evaluator) languages() []string {
	var langs []string
	if e.js != nil || e.jsk != nil {
		langs = append(langs, "javascript", "javascript-es2015", "javascript-es2016", "javascript-es2017",
			"javascript-es2018", "javascript-es2019", "javascript-es2020")
	}
	if e.py != nil {
		langs = append(langs, "python", "python-3", "python-3-7", "python-3-8", "python-3-9", "python3")
	}
	return langs
}

// Pool returns the Python kernel pool (nil without Python), for stats and readiness.
func (e *Evaluator) Pool() *pool.Pool {
	if e.py == nil {
		return nil
	}
	return e.py.pool
}

// Close shuts everything down: sessions should be closed first.
func (e *Evaluator) Close() {
	e.mu.Lock()
	warm := e.warm
	e.warm = map[fnKey][]instance{}
	e.mu.Unlock()
	for _, list := range warm {
		for _, in := range list {
			in.close()
		}
	}
	e.closing.Wait()
	if e.jsk != nil {
		e.jsk.pool.Close()
	}
	if e.jsSB != nil {
		e.jsSB.Close()
	}
	if e.py != nil {
		e.py.lis.close()
		e.py.pool.Close()
		os.RemoveAll(e.py.shmDir)
	}
	e.closeConfinement()
	e.removeDir()
}

// function is a code implementation ready to load.
type function struct {
	name     string // the function's ZID, which the code defines
	language string
	code     string
	key      fnKey // identifies the revision
}

// fnKey identifies a revision of a function: its language, name and code. (A map hashes the
// code faster than a cryptographic hash would, and compares it exactly.)
type fnKey struct{ language, name, code string }

// parseCall takes apart the Z7 the orchestrator hands over: the function (a Z8 with the chosen
// implementation as the only item of Z8K4) and the evaluated arguments.
func parseCall(language string, call *z.Object) (function, []z.Field, *z.Object) {
	fn := call.Get("Z7K1")
	if !fn.IsRecord() {
		return function{}, nil, z.ErrorString(z.CodeInEvaluation, "The function call has no literal function (Z8).")
	}
	impls := fn.Get("Z8K4")
	var impl *z.Object
	if impls.IsList() && len(impls.Items()) > 0 {
		impl = impls.Items()[0]
	}
	f, zerr := parseFunction(language, fn, impl)
	if zerr != nil {
		return function{}, nil, zerr
	}
	keys := call.Keys()
	args := make([]z.Field, 0, len(keys))
	for _, k := range keys {
		if k != "Z1K1" && k != "Z7K1" {
			args = append(args, z.KV(k, call.Get(k)))
		}
	}
	return f, args, nil
}

// parseFunction takes the implementation impl (a Z14, or nil) of the function fn (a Z8) apart.
func parseFunction(language string, fn, impl *z.Object) (function, *z.Object) {
	name := refOrString(fn.Get("Z8K5"))
	code := impl.Get("Z14K3").Get("Z16K2")
	if impl == nil || !code.IsString() {
		return function{}, z.ErrorString(z.CodeInEvaluation, "The function has no code implementation (Z14K3).")
	}
	if name == "" {
		return function{}, z.ErrorString(z.CodeInEvaluation, "The function has no identity (Z8K5).")
	}
	return function{
		name: name, language: language, code: code.StringValue(),
		key: fnKey{language, name, code.StringValue()},
	}, nil
}

func refOrString(o *z.Object) string {
	switch {
	case o.IsRef():
		return o.RefID()
	case o.IsString():
		return o.StringValue()
	}
	return ""
}

// failed wraps a Z5 in a Z22 with no value.
func failed(err *z.Object) *z.Object { return z.ResultEnvelope(nil, err) }

// Evaluate runs a code implementation: call is a Z7 whose Z7K1 is the function with its chosen
// implementation, and whose arguments are evaluated. The session in ctx (WithSession) owns the
// kernel; without one, the call gets a session of its own. Failures of the code come back as a
// Z5 in the Z22; an error means the platform failed.
func (e *Evaluator) Evaluate(ctx context.Context, language string, call *z.Object) (*z.Object, error) {
	callsInFlight.Add(1)
	defer callsInFlight.Add(-1)
	fn, args, zerr := parseCall(language, call)
	if zerr != nil {
		return failed(zerr), nil
	}
	z22, meta, err := e.evaluate(ctx, fn, args)
	if err != nil || meta == nil {
		return z22, err
	}
	return withMetadata(z22, meta), nil
}

// EvaluateParts is Evaluate for the orchestrator in the same process: it runs the
// implementation impl of the function fn (a Z8) on args, as Evaluate runs a Z7 of fn with impl
// as the only implementation, without that Z7 to build and take apart. It returns the Z22 of
// the code and the metadata entries Evaluate sets in its Z22K2 map (the runtime, the duration;
// none when the call failed before the code ran), for the caller to merge.
func (e *Evaluator) EvaluateParts(ctx context.Context, language string, fn, impl *z.Object, args []z.Field) (*z.Object, []z.MapEntry, error) {
	callsInFlight.Add(1)
	defer callsInFlight.Add(-1)
	f, zerr := parseFunction(language, fn, impl)
	if zerr != nil {
		return failed(zerr), nil, nil
	}
	return e.evaluate(ctx, f, args)
}

// evaluate runs fn on args; see EvaluateParts.
func (e *Evaluator) evaluate(ctx context.Context, f function, args []z.Field) (*z.Object, []z.MapEntry, error) {
	fn := &f // does not escape: the slow path below copies it
	language := fn.language
	if !e.runs(language) {
		return failed(z.ErrorString(z.CodeInEvaluation, "No evaluator is available for "+language+".")), nil, nil
	}
	s := SessionFrom(ctx)
	if s == nil {
		s = e.NewSession()
		defer s.Close()
		ctx = WithSession(ctx, s)
	}
	// Getting the kernel has its own limit: a cold start under load is not the code's time.
	// Most calls find their function loaded already, and need no timer for that.
	in, err := s.loaded(fn)
	acquireExpired := false
	if in == nil && err == nil {
		actx, cancelAcquire := context.WithTimeout(ctx, e.cfg.AcquireTimeout)
		loading := f // escapes, to the loader
		in, err = s.instance(actx, &loading)
		acquireExpired = actx.Err() != nil
		cancelAcquire()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if acquireExpired {
			return failed(z.ErrorString(z.CodeInEvaluation, fmt.Sprintf("No %s kernel became available for %s within %v: %v",
				language, fn.name, e.cfg.AcquireTimeout, err))), nil, nil
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return failed(timeLimitError(fn, e.cfg.CallTimeout)), nil, nil // its top level never finished
		}
		return failed(z.ErrorString(z.CodeInEvaluation, "No "+language+" kernel for "+fn.name+": "+err.Error())), nil, nil
	}
	callCtx, cancel := e.callContext(ctx)
	defer cancel()
	began := time.Now()
	out, err := in.invoke(callCtx, args)
	switch {
	case errors.Is(err, errTimeLimit):
		if !in.usable() {
			s.drop(fn.key, in)
		}
		return failed(timeLimitError(fn, e.cfg.CallTimeout)), nil, nil
	case err != nil:
		s.drop(fn.key, in)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return failed(z.ErrorString(z.CodeInEvaluation, "The "+language+" runtime failed while running "+fn.name+": "+err.Error())), nil, nil
	}
	return out, []z.MapEntry{{Key: metaRuntime, Value: in.where()}, {Key: metaDuration, Value: durationString(time.Since(began))}}, nil
}

// withMetadata adds what the evaluator knows about a call (meta: where it ran and how long
// the code took) to the Z22's metadata map (the executor's own entries, such as errors, stay).
func withMetadata(z22 *z.Object, meta []z.MapEntry) *z.Object {
	m := z22.Get("Z22K2")
	if !z.IsMap(m) { // the usual case, a value and no metadata: one map built at once
		return z22.With("Z22K2", z.NewMetadata(meta...))
	}
	for _, e := range meta {
		m = z.MapSet(m, e.Key, e.Value)
	}
	return z22.With("Z22K2", m)
}

// durationString formats the evaluationDuration of a call: milliseconds with three decimals.
func durationString(took time.Duration) *z.Object {
	var b [32]byte
	return z.NewString(string(append(strconv.AppendFloat(b[:0], float64(took.Microseconds())/1000, 'f', 3, 64), " ms"...)))
}

var (
	metaRuntime  = z.NewString("evaluationRuntime")
	metaDuration = z.NewString("evaluationDuration")
)

// instance is one function loaded in one runtime (a kernel, a JavaScript VM) for one session.
type instance interface {
	// invoke calls the function; it returns the Z22, or an error when the platform failed or
	// the time ran out (errTimeLimit).
	invoke(ctx context.Context, args []z.Field) (*z.Object, error)
	// where says where the function runs, for metadata: the string "ipykernel pid 123 (call
	// channel)". It does not change, and is the same object every time.
	where() *z.Object
	usable() bool
	close()
}

// loader loads functions of one language.
type loader interface {
	load(ctx context.Context, fn *function) (instance, error)
}

// runs reports whether runtimeFor has a loader for language (without making one).
func (e *Evaluator) runs(language string) bool {
	switch {
	case isPython(language):
		return e.py != nil
	case isJavaScript(language):
		return e.jsk != nil || e.js != nil
	}
	return false
}

// runtimeFor returns the loader for a programming language, or nil.
func (e *Evaluator) runtimeFor(language string) loader {
	switch {
	case e.py != nil && isPython(language):
		return kernelLoader{e.py, e}
	case e.jsk != nil && isJavaScript(language):
		return kernelLoader{e.jsk, e}
	case e.js != nil && isJavaScript(language):
		return e.js
	}
	return nil
}

func isPython(language string) bool {
	return language == "python" || language == "python3" || strings.HasPrefix(language, "python-")
}

func isJavaScript(language string) bool {
	return language == "javascript" || strings.HasPrefix(language, "javascript-")
}

// kernelLoader loads functions into the kernels of a runtime, answering their nested calls.
type kernelLoader struct {
	rt *kernelRuntime
	e  *Evaluator
}

func (l kernelLoader) load(ctx context.Context, fn *function) (instance, error) {
	in, err := l.rt.load(ctx, fn, l.e.nested)
	if err != nil {
		return nil, err
	}
	return in, nil
}

// callContext applies the per-call time limit; a nested call shares its outer call's deadline.
func (e *Evaluator) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok && depthOf(ctx) > 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, e.cfg.CallTimeout)
}

func timeLimitError(fn *function, limit time.Duration) *z.Object {
	return z.ErrorString(z.CodeInEvaluation, fmt.Sprintf("Function %s exceeded the time limit of %v and was stopped.", fn.name, limit))
}

// nested answers a call that user code makes with W.Call: z7 (normal JSON) in, Z22 out.
func (e *Evaluator) nested(ctx context.Context, z7 json.RawMessage) json.RawMessage {
	depth := depthOf(ctx) + 1
	if depth > e.cfg.MaxDepth {
		return failed(depthError(e.cfg.MaxDepth)).NormalJSON()
	}
	call, err := z.Parse(z7)
	if err != nil {
		return failed(z.ErrorString(z.CodeInEvaluation, "The nested call is not a ZObject: "+err.Error())).NormalJSON()
	}
	if e.caller == nil {
		return failed(z.ErrorString(z.CodeNotImplemented, "Nested function calls are not available here.")).NormalJSON()
	}
	return e.caller(withDepth(ctx, depth), call).NormalJSON()
}

func depthError(limit int) *z.Object {
	return z.ErrorString(z.CodeInEvaluation, fmt.Sprintf("Nested function calls went deeper than the limit of %d.", limit))
}

type depthKey struct{}

func depthOf(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

func withDepth(ctx context.Context, d int) context.Context {
	return context.WithValue(ctx, depthKey{}, d)
}
