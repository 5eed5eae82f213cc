package evaluator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/runtime"
	z "github.com/zeval/zeval/internal/zobject"
)

// pyLiteral renders s as a Python string literal (JSON strings are valid Python literals, and
// JavaScript ones).
func pyLiteral(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// runtimeDefinition is the code that defines zeval's Python modules in a kernel, sent once per
// kernel when the pool prepares it. A module that is there already in this revision (a fork
// server ran the same code before forking the kernel) is kept: compiling both takes ~20 ms.
func runtimeDefinition() string {
	sum := sha256.Sum256([]byte(runtime.PythonExecutor + "\x00" + runtime.PythonChannel))
	rev := pyLiteral(hex.EncodeToString(sum[:8]))
	var b strings.Builder
	b.WriteString("import sys as _zs, types as _zt\n")
	b.WriteString("def _zeval_define(name, src):\n")
	b.WriteString("    if getattr(_zs.modules.get(name), '__zeval_rev__', None) == " + rev + ":\n")
	b.WriteString("        return\n")
	b.WriteString("    m = _zt.ModuleType(name)\n")
	b.WriteString("    m.__file__ = '<zeval ' + name + '>'\n")
	b.WriteString("    m.__zeval_rev__ = " + rev + "\n")
	b.WriteString("    exec(compile(src, m.__file__, 'exec'), m.__dict__)\n")
	b.WriteString("    _zs.modules[name] = m\n")
	b.WriteString("_zeval_define('zeval_executor', " + pyLiteral(runtime.PythonExecutor) + ")\n")
	b.WriteString("_zeval_define('zeval_channel', " + pyLiteral(runtime.PythonChannel) + ")\n")
	b.WriteString("del _zeval_define, _zs, _zt\n")
	return b.String()
}

// kernelLanguage is what the kernel runtime knows of a language: the code it sends to kernels.
type kernelLanguage struct {
	name string // "Python", for messages
	// load is the code that loads fn into a prepared kernel. With a channel (path not ""), the
	// same request then serves the call channel at path, introduced by token, until it closes.
	load func(fn *function, path, token, shmDir string) string
	// fallbackCall is the code that serves one call by execute_request: args is the JSON
	// object of the arguments. The result comes as text/x-zeval display data or, when the
	// stack of nested calls is empty, as a "zeval-result:" input request.
	fallbackCall func(args string) string
	// noChannel: the runtime has no call channel; every call is an execute_request.
	noChannel bool
	// park, when set, is code that opens the call channel before a function is loaded and
	// serves until the channel closes: the function then comes in a load frame.
	park func(path, token, shmDir string) string
}

// python is the language of ipykernel and xeus-python kernels.
var python = kernelLanguage{
	name: "Python",
	load: func(fn *function, path, token, shmDir string) string {
		return "import zeval_executor as _ze, zeval_channel as _zc\n" +
			"_zc.setup(_ze, " + pyLiteral(fn.code) + ", " + pyLiteral(fn.name) + ", " + pyLiteral(shmDir) + ")\n" +
			"_zc.serve(" + pyLiteral(path) + ", " + pyLiteral(token) + ")\n"
	},
	fallbackCall: func(args string) string { return "_zc.fallback_call(" + pyLiteral(args) + ")" },
	park: func(path, token, shmDir string) string {
		return "import zeval_executor as _ze, zeval_channel as _zc\n" +
			"_zc.park(_ze, " + pyLiteral(path) + ", " + pyLiteral(token) + ", " + pyLiteral(shmDir) + ")\n"
	},
}

// preparedLauncher launches a kernel and loads zeval's runtime modules into it, so that a lease
// only has to load the function itself.
type preparedLauncher struct {
	inner pool.Launcher
	code  string
	// ready, when set and true, says kernels have the runtime already (a fork server preloaded
	// it): the execute_request is skipped.
	ready func() bool
	// park, when set, parks the prepared kernel on the call channel (kernelRuntime.park).
	park func(ctx context.Context, k *jupyter.Kernel) error
}

func (l preparedLauncher) Launch(ctx context.Context) (*jupyter.Kernel, error) {
	k, err := l.inner.Launch(ctx)
	if err != nil {
		return nil, err
	}
	if l.ready == nil || !l.ready() {
		res, err := k.Execute(ctx, l.code, jupyter.Silent())
		if err == nil && res.Status != "ok" {
			err = fmt.Errorf("loading zeval's runtime: %s", res.Error.PlainTraceback())
		}
		if err != nil {
			k.Shutdown(context.Background())
			return nil, fmt.Errorf("preparing kernel %s: %w", k.Name(), err)
		}
	}
	if l.park != nil {
		if err := l.park(ctx, k); err != nil {
			k.Kill()
			return nil, fmt.Errorf("preparing kernel %s: %w", k.Name(), err)
		}
	}
	return k, nil
}

// parkedKernel is a prepared kernel whose call channel is open before any function is loaded
// in it: a lease loads the function with a load frame (~0.1 ms of the kernel's CPU) instead of
// an execute_request (~3.5 ms: ipykernel's request handling, IOPub status messages, IPython's
// cell machinery).
type parkedKernel struct {
	conn net.Conn
	done chan struct{} // closed when the parking execute_request ends (the serve loop returned)
}

// park opens k's call channel ahead of its lease: one execute_request that connects and then
// serves until the channel is closed. A kernel that cannot connect is left as it was (its
// leases load the classic way); one that neither connects nor ends its request in time is an
// error, as it could take no other request.
func (rt *kernelRuntime) park(ctx context.Context, k *jupyter.Kernel) error {
	token := newToken()
	conns := rt.lis.expect(token)
	defer rt.lis.forget(token)
	p := &parkedKernel{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		_, _ = k.Execute(context.Background(), rt.lang.park(rt.lis.path(), token, rt.shmDir), jupyter.Silent())
		if rt.parked.CompareAndDelete(k, p) {
			p.conn.Close()
		}
	}()
	wctx, cancel := context.WithTimeout(ctx, parkTimeout)
	defer cancel()
	c, err := waitConn(wctx, conns, p.done)
	switch {
	case errors.Is(err, errNoChannel):
		return nil
	case err != nil:
		return fmt.Errorf("opening the call channel: %w", err)
	}
	p.conn = c
	rt.parked.Store(k, p)
	select {
	case <-p.done: // it ended at once: the goroutine may have looked before the Store
		if rt.parked.CompareAndDelete(k, p) {
			c.Close()
		}
	default:
	}
	return nil
}

// parkTimeout bounds the wait for a parking kernel's connection.
const parkTimeout = 10 * time.Second

// loadParked loads fn into a parked kernel with a load frame.
func (rt *kernelRuntime) loadParked(ctx context.Context, in *kernelInstance, p *parkedKernel, fn *function) (*kernelInstance, error) {
	in.loaded = p.done
	in.cc = newChanConn(p.conn, rt.shmDir, in.zcall)
	args, _ := json.Marshal(struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}{fn.code, fn.name})
	lctx, cancel := context.WithTimeout(ctx, rt.loadTimeout)
	defer cancel()
	ch, id, err := in.cc.send(lctx, "load", args, false)
	if err == nil {
		var ok bool
		if _, ok, err = in.cc.await(lctx, ch); err == nil && !ok {
			err = in.cc.brokenErr()
		}
		if err != nil {
			in.cc.forget(id)
		}
	}
	if err != nil {
		in.cc.close()
		rt.pool.Release(in.k)
		return nil, fmt.Errorf("loading %s into kernel %s: %w", fn.name, in.k.Name(), err)
	}
	return in, nil
}

// kernelRuntime runs the functions of one language in pooled Jupyter kernels.
type kernelRuntime struct {
	lang           *kernelLanguage
	pool           *pool.Pool
	lis            *listener // nil when the language has no call channel
	shmDir         string
	noChannel      bool
	interruptGrace time.Duration
	loadTimeout    time.Duration
	parked         sync.Map // *jupyter.Kernel → *parkedKernel: idle kernels with their channel open
}

// kernelInstance is one function loaded in one leased kernel.
type kernelInstance struct {
	rt     *kernelRuntime
	k      *jupyter.Kernel
	cc     *chanConn     // nil in fallback mode
	loaded chan struct{} // closed when the loading execute_request ends (the serve loop returned)
	zcall  zcallFunc     // answers nested calls

	fbMu sync.Mutex // fallback calls are one execute_request at a time

	whereOnce sync.Once
	whereStr  *z.Object // where's answer, which does not change once loaded

	mu       sync.Mutex
	parked   []chan injected // fallback: nested calls waiting in input_request, innermost last
	broken   error
	inflight int
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// load leases a kernel and loads fn into it. zcall answers the function's nested calls.
func (rt *kernelRuntime) load(ctx context.Context, fn *function, zcall zcallFunc) (*kernelInstance, error) {
	k, err := rt.pool.Lease(ctx)
	if err != nil {
		return nil, fmt.Errorf("leasing a %s kernel: %w", rt.pool.Name(), err)
	}
	in := &kernelInstance{rt: rt, k: k, loaded: make(chan struct{}), zcall: zcall}
	if v, ok := rt.parked.LoadAndDelete(k); ok {
		p := v.(*parkedKernel)
		select {
		case <-p.done: // its channel closed: load the classic way
			p.conn.Close()
		default:
			return rt.loadParked(ctx, in, p, fn)
		}
	}
	if rt.lang.noChannel {
		return in, rt.loadPlain(ctx, in, fn)
	}
	token := newToken()
	path := rt.lis.path()
	if rt.noChannel {
		path = "/nonexistent/zeval-no-channel.sock"
	}
	conns := rt.lis.expect(token)
	code := rt.lang.load(fn, path, token, rt.shmDir)
	var loadErr error
	go func() {
		defer close(in.loaded)
		res, err := k.Execute(context.Background(), code, jupyter.Silent())
		if err == nil && res.Status != "ok" {
			err = fmt.Errorf("loading the function: %s", res.Error.PlainTraceback())
		}
		loadErr = err
	}()
	lctx, cancel := context.WithTimeout(ctx, rt.loadTimeout)
	defer cancel()
	c, err := waitConn(lctx, conns, in.loaded)
	rt.lis.forget(token)
	switch {
	case err == nil:
		in.cc = newChanConn(c, rt.shmDir, zcall)
		return in, nil
	case errors.Is(err, errNoChannel) && loadErr == nil:
		return in, nil // fallback: calls go through execute_request
	case errors.Is(err, errNoChannel):
		err = loadErr
	}
	rt.pool.Release(k)
	return nil, fmt.Errorf("loading %s into kernel %s: %w", fn.name, k.Name(), err)
}

// loadPlain loads fn with one execute_request that returns (no call channel). A failure of the
// platform, or loading past the time limit, gives the kernel back and is an error.
func (rt *kernelRuntime) loadPlain(ctx context.Context, in *kernelInstance, fn *function) error {
	close(in.loaded)
	lctx, cancel := context.WithTimeout(ctx, rt.loadTimeout)
	defer cancel()
	res, err := in.k.Execute(lctx, rt.lang.load(fn, "", "", ""), jupyter.Silent())
	if err == nil && res.Status != "ok" {
		err = fmt.Errorf("loading the function: %s", res.Error.PlainTraceback())
	}
	if err != nil {
		in.k.Shutdown(context.Background()) // it may still be running the code's top level
		rt.pool.Release(in.k)
		return fmt.Errorf("loading %s into kernel %s: %w", fn.name, in.k.Name(), err)
	}
	return nil
}

func (in *kernelInstance) enter() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.broken != nil {
		return in.broken
	}
	in.inflight++
	return nil
}

func (in *kernelInstance) leave() {
	in.mu.Lock()
	in.inflight--
	in.mu.Unlock()
}

func (in *kernelInstance) breakWith(err error) {
	in.mu.Lock()
	if in.broken == nil {
		in.broken = err
	}
	in.mu.Unlock()
}

// call runs the function on args (a JSON object of normal ZObjects). An error means the platform
// failed or the time ran out (errTimeLimit); the instance is then unusable.
func (in *kernelInstance) call(ctx context.Context, args json.RawMessage, zcall zcallFunc) (callResult, error) {
	if err := in.enter(); err != nil {
		return callResult{}, err
	}
	defer in.leave()
	if in.cc == nil {
		return in.fallbackCall(ctx, args, zcall)
	}
	ch, id, err := in.cc.start(ctx, args)
	if err != nil {
		return callResult{}, in.platformError(err)
	}
	r, ok, err := in.cc.await(ctx, ch)
	if err == nil {
		if !ok {
			return callResult{}, in.platformError(in.cc.brokenErr())
		}
		return r, nil
	}
	// Out of time: interrupt the code, and kill the kernel if it does not stop.
	defer in.cc.forget(id)
	_ = in.k.Interrupt(context.Background())
	gctx, cancel := context.WithTimeout(context.Background(), in.rt.interruptGrace)
	defer cancel()
	go func() { // the grace period also ends when the kernel dies
		select {
		case <-in.k.Done():
			cancel()
		case <-gctx.Done():
		}
	}()
	if r, ok, err := in.cc.await(gctx, ch); err == nil && ok && !r.interrupted {
		return r, nil // it finished just in time
	}
	in.breakWith(errTimeLimit)
	in.k.Shutdown(context.Background())
	return callResult{}, fmt.Errorf("%w: %w", errTimeLimit, ctx.Err())
}

// invoke calls the function with the arguments as normal ZObjects over the channel.
func (in *kernelInstance) invoke(ctx context.Context, args []z.Field) (*z.Object, error) {
	buf := make([]byte, 0, 256)
	buf = append(buf, '{')
	for i, f := range args {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendQuote(buf, f.Key)
		buf = append(buf, ':')
		buf = z.AppendNormal(buf, f.Value)
	}
	buf = append(buf, '}')
	res, err := in.call(ctx, buf, in.zcall)
	if err != nil {
		return nil, err
	}
	if res.interrupted {
		return nil, errTimeLimit
	}
	out, perr := z.Parse(res.z22)
	if perr != nil {
		return failed(z.ErrorString(z.CodeInEvaluation, "The "+in.rt.lang.name+" runtime returned an invalid result: "+perr.Error())), nil
	}
	return out, nil
}

// platformError explains a broken channel by the kernel's death when that is the cause (the
// channel usually breaks a moment before the death is reported).
func (in *kernelInstance) platformError(err error) error {
	select {
	case <-in.k.Done():
	case <-time.After(500 * time.Millisecond):
	}
	if kerr := in.k.Err(); kerr != nil {
		err = kerr
	}
	in.breakWith(err)
	return err
}

// injected is a call handed to a kernel that waits in a nested call (fallback mode).
type injected struct {
	args  json.RawMessage
	reply chan callResult
}

// fallbackCall serves one call with an execute_request: the result comes back as display data,
// nested calls travel as input_request on the stdin channel. While the code waits in such a
// nested call, the kernel cannot take another execute_request, so a call into it (A → B → A) is
// handed over in the reply to the waiting input_request and served on top, as on the channel.
func (in *kernelInstance) fallbackCall(ctx context.Context, args json.RawMessage, zcall zcallFunc) (callResult, error) {
	in.mu.Lock()
	if n := len(in.parked); n > 0 {
		park := in.parked[n-1]
		in.mu.Unlock()
		inj := injected{args: args, reply: make(chan callResult, 1)}
		select {
		case park <- inj:
		case <-ctx.Done():
			return callResult{}, fmt.Errorf("%w: %w", errTimeLimit, ctx.Err())
		}
		select {
		case r := <-inj.reply:
			return r, nil
		case <-ctx.Done():
			return callResult{}, fmt.Errorf("%w: %w", errTimeLimit, ctx.Err())
		}
	}
	in.mu.Unlock()

	in.fbMu.Lock()
	defer in.fbMu.Unlock()
	// Out of time: interrupt, and shut the kernel down if the code does not stop (deno's
	// kernel dies of the interrupt anyway). Execute then returns.
	var killerMu sync.Mutex
	var killer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		_ = in.k.Interrupt(context.Background())
		killerMu.Lock()
		killer = time.AfterFunc(in.rt.interruptGrace, func() { in.k.Shutdown(context.Background()) })
		killerMu.Unlock()
	})
	defer func() {
		stop()
		killerMu.Lock()
		if killer != nil {
			killer.Stop()
		}
		killerMu.Unlock()
	}()
	var final *callResult // the answer, when the runtime sends it as an input request
	type nest struct {
		park    chan injected
		done    chan json.RawMessage
		pending *injected
	}
	var stack []*nest
	// wait serves the innermost nested call: its answer, or a call to run on top first.
	wait := func(top *nest) (string, error) {
		select {
		case z22 := <-top.done:
			stack = stack[:len(stack)-1]
			in.mu.Lock()
			in.parked = in.parked[:len(in.parked)-1]
			in.mu.Unlock()
			b, _ := json.Marshal(map[string]json.RawMessage{"z22": z22})
			return string(b), nil
		case inj := <-top.park:
			top.pending = &inj
			b, _ := json.Marshal(map[string]json.RawMessage{"call": inj.args})
			return string(b), nil
		}
	}
	input := func(prompt string, _ bool) (string, error) {
		if z7, ok := strings.CutPrefix(prompt, "zeval-zcall:"); ok {
			n := &nest{park: make(chan injected), done: make(chan json.RawMessage, 1)}
			stack = append(stack, n)
			in.mu.Lock()
			in.parked = append(in.parked, n.park)
			in.mu.Unlock()
			go func() { n.done <- zcall(ctx, json.RawMessage(z7)) }()
			return wait(n)
		}
		if res, ok := strings.CutPrefix(prompt, "zeval-result:"); ok {
			if len(stack) == 0 {
				r := decodeFallback([]byte(res))
				final = &r
				return "{}", nil
			}
			top := stack[len(stack)-1]
			if top.pending != nil {
				top.pending.reply <- decodeFallback([]byte(res))
				top.pending = nil
			}
			return wait(top)
		}
		return "", nil
	}
	res, err := in.k.Execute(context.WithoutCancel(ctx), in.rt.lang.fallbackCall(string(args)),
		jupyter.Silent(), jupyter.WithInput(input))
	if ctx.Err() != nil {
		in.breakWith(errTimeLimit)
		in.k.Shutdown(context.Background())
		return callResult{}, fmt.Errorf("%w: %w", errTimeLimit, ctx.Err())
	}
	if err != nil {
		return callResult{}, in.platformError(err)
	}
	if final != nil {
		return *final, nil
	}
	for _, o := range res.Outputs {
		if v, ok := o.Data["text/x-zeval"].(string); ok {
			return decodeFallback([]byte(v)), nil
		}
	}
	if res.Error != nil {
		return callResult{}, in.platformError(fmt.Errorf("fallback call failed in the runtime: %s", res.Error.PlainTraceback()))
	}
	return callResult{}, in.platformError(errors.New("fallback call produced no result"))
}

func decodeFallback(b []byte) callResult {
	var r struct {
		Z22         json.RawMessage `json:"z22"`
		Interrupted bool            `json:"interrupted"`
		Stdout      string          `json:"stdout"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return callResult{z22: failed(z.ErrorString(z.CodeInEvaluation, "bad fallback result: "+err.Error())).NormalJSON()}
	}
	return callResult{z22: r.Z22, interrupted: r.Interrupted, stdout: r.Stdout}
}

// close ends the serve loop and gives the kernel back to the pool, which shuts it down.
func (in *kernelInstance) close() {
	if in.cc != nil {
		in.cc.close()
	}
	in.rt.pool.Release(in.k)
}

func (in *kernelInstance) where() *z.Object {
	in.whereOnce.Do(func() {
		mode := "call channel"
		if in.cc == nil {
			mode = "execute_request"
		}
		in.whereStr = z.NewString(fmt.Sprintf("%s kernel pid %d (%s)", in.k.Name(), in.k.Pid(), mode))
	})
	return in.whereStr
}

// usable reports whether the instance can take more calls.
func (in *kernelInstance) usable() bool {
	in.mu.Lock()
	broken := in.broken != nil
	in.mu.Unlock()
	return !broken && in.k.Err() == nil
}
