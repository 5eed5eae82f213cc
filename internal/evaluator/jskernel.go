package evaluator

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/runtime"
	"github.com/zeval/zeval/internal/sandbox"
)

// javaScript is the language of JavaScript kernels (deno's). Its runtime (zeval_executor.js)
// has no call channel: every call is an execute_request, whose result and nested calls travel
// as input requests on the stdin channel.
var javaScript = kernelLanguage{
	name: "JavaScript",
	load: func(fn *function, _, _, _ string) string {
		return "__zeval.setup(" + pyLiteral(fn.code) + ", " + pyLiteral(fn.name) + ");"
	},
	fallbackCall: func(args string) string { return "await __zeval.fallbackCall(" + pyLiteral(args) + ");" },
	noChannel:    true,
}

// startJavaScriptKernels sets up the pool of Config.JavaScriptKernel, each kernel prepared with
// zeval's JavaScript executor.
func (e *Evaluator) startJavaScriptKernels() error {
	spec, err := jupyter.FindSpec(jupyter.SearchPath(), e.cfg.JavaScriptKernel)
	if err != nil {
		return fmt.Errorf("evaluator: JavaScript kernel: %w", err)
	}
	if l := strings.ToLower(spec.Language); l != "javascript" && l != "typescript" {
		return fmt.Errorf("evaluator: JavaScript kernel: kernelspec %s runs %q, not JavaScript or TypeScript", spec.Name, spec.Language)
	}
	var opts []jupyter.Option
	tcp := onlyTCP(spec)
	if !tcp {
		opts = append(opts, jupyter.WithIPC())
	}
	if e.cfg.Sandbox != nil {
		sb, err := sandbox.New(e.cfg.Sandbox...)
		if err != nil {
			return fmt.Errorf("evaluator: sandbox for the JavaScript kernel: %w", err)
		}
		if tcp && deniesNetwork(sb) {
			sb.Close()
			return fmt.Errorf("evaluator: the JavaScript kernel %s can only be reached over TCP, which its sandbox (no network) does not allow: run it without the sandbox, or with sandbox.WithNetwork", spec.Name)
		}
		e.jsSB = sb
		opts = append(opts, jupyter.WithStarter(sb.Starter(nil)))
	}
	launcher := preparedLauncher{
		inner: pool.SpecLauncher{Spec: spec, Options: append(opts, e.cfg.KernelOptions...)},
		code:  runtime.JavaScriptExecutor,
	}
	e.jsk = &kernelRuntime{
		lang:           &javaScript,
		pool:           pool.New(spec.Name, launcher, pool.WithMinIdle(e.cfg.MinIdle), pool.WithMax(e.cfg.MaxKernels), pool.WithLogger(e.log)),
		interruptGrace: time.Second,
		loadTimeout:    e.cfg.CallTimeout,
	}
	return nil
}

// onlyTCP reports whether kernels of spec must be reached over TCP: deno's kernel (2.x) listens
// with Deno.listen, which takes no ipc socket path, so it exits at startup when given one.
func onlyTCP(spec *jupyter.Spec) bool {
	if len(spec.Argv) > 1 && spec.Argv[1] == "jupyter" {
		base := filepath.Base(spec.Argv[0])
		return base == "deno" || base == "deno.exe"
	}
	return false
}

// deniesNetwork reports whether kernels in sb have no network.
func deniesNetwork(sb *sandbox.Sandbox) bool {
	for _, p := range sb.Report() {
		if p.Name == "no network" {
			return p.Active
		}
	}
	return false
}

// JavaScriptPool returns the pool of JavaScript kernels (nil when JavaScript runs embedded).
func (e *Evaluator) JavaScriptPool() *pool.Pool {
	if e.jsk == nil {
		return nil
	}
	return e.jsk.pool
}

// JavaScriptEngine says what runs JavaScript: "embedded (goja)", "kernel deno", or "" when
// JavaScript is off.
func (e *Evaluator) JavaScriptEngine() string {
	switch {
	case e.jsk != nil:
		return "kernel " + e.jsk.pool.Name()
	case e.js != nil:
		return "embedded (goja)"
	}
	return ""
}
