// Command evaluator benchmarks zeval's evaluator: calls of Python functions in Jupyter kernels
// over the fast call channel, over execute_request, and through jupyter_client as the outside
// baseline, all in one run; nested calls; getting a fresh kernel; memory per idle kernel; a
// 1 MiB argument. It prints figures and ratios; it passes or fails nothing.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zeval/zeval/bench/baseline"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/forkserver"
	"github.com/zeval/zeval/internal/js"
	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/sandbox"
	z "github.com/zeval/zeval/internal/zobject"
)

const trivial = "def Z1000(Z1000K1):\n\treturn Z1000K1"

func main() {
	n := flag.Int("n", 10000, "calls per path on the fast channel")
	nExec := flag.Int("n-exec", 1000, "calls per path over execute_request (slow)")
	python := flag.String("python", "/usr/bin/python3", "Python with jupyter_client, for the baseline")
	flag.Parse()
	if err := run(*n, *nExec, *python); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func fn(zid, code string) *z.Object {
	b, _ := json.Marshal(code)
	o, err := z.Parse([]byte(fmt.Sprintf(`{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":%q,"Z14K3":{"Z1K1":"Z16","Z16K1":"Z610","Z16K2":%s}}],"Z8K5":%q}`, zid, b, zid)))
	if err != nil {
		panic(err)
	}
	return o
}

func call(f *z.Object, args ...*z.Object) *z.Object {
	zid := f.Get("Z8K5").RefID()
	fields := []z.Field{z.KV("Z7K1", f)}
	for i, a := range args {
		fields = append(fields, z.KV(fmt.Sprintf("%sK%d", zid, i+1), a))
	}
	return z.NewRecord(z.NewRef("Z7"), fields...)
}

type stats struct{ lat []float64 } // µs

func (s *stats) add(d time.Duration) { s.lat = append(s.lat, float64(d.Nanoseconds())/1000) }
func (s *stats) pct(p float64) float64 {
	x := append([]float64(nil), s.lat...)
	sort.Float64s(x)
	return x[int(float64(len(x)-1)*p/100)]
}

func measure(ctx context.Context, e *evaluator.Evaluator, n int, c *z.Object) (*stats, error) {
	s := e.NewSession()
	defer s.Close()
	ctx = evaluator.WithSession(ctx, s)
	st := &stats{}
	const warm = 200 // the first calls load the function and warm both ends up
	for i := 0; i < n+warm; i++ {
		if i == 1 {
			// The lease made the pool start a kernel to refill itself: wait until it is up, so
			// that its start does not share the CPUs with the calls measured.
			if err := settle(ctx, e.Pool()); err != nil {
				return nil, err
			}
		}
		t0 := time.Now()
		out, err := e.Evaluate(ctx, "python-3", c)
		if err != nil {
			return nil, err
		}
		if !z.IsVoid(z.EnvelopeError(out)) {
			return nil, fmt.Errorf("call failed: %s", out)
		}
		if i >= warm {
			st.add(time.Since(t0))
		}
	}
	return st, nil
}

// settle waits until the pool starts no kernel.
func settle(ctx context.Context, p *pool.Pool) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := p.WaitReady(ctx); err != nil {
		return err
	}
	for p.Stats().Starting > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func run(n, nExec int, python string) error {
	ctx := context.Background()
	fmt.Printf("zeval evaluator benchmark — %s\n\n", time.Now().UTC().Format(time.RFC3339))

	fast, err := evaluator.New(evaluator.Config{MinIdle: 2})
	if err != nil {
		return err
	}
	defer fast.Close()
	identityFn := fn("Z1000", trivial)
	fast.SetCaller(func(ctx context.Context, c *z.Object) *z.Object {
		// Nested calls in this benchmark all go to the identity function.
		out, err := fast.Evaluate(ctx, "python-3", call(identityFn, c.Get("Z1000K1")))
		if err != nil {
			return z.ResultEnvelope(nil, z.ErrorString(z.CodeInEvaluation, err.Error()))
		}
		return out
	})
	slow, err := evaluator.New(evaluator.Config{MinIdle: 1, NoChannel: true})
	if err != nil {
		return err
	}
	defer slow.Close()
	for _, p := range []*pool.Pool{fast.Pool(), slow.Pool()} {
		if err := p.WaitReady(ctx); err != nil {
			return err
		}
	}

	identity := call(identityFn, z.NewString("hello"))
	fastSt, err := measure(ctx, fast, n, identity)
	if err != nil {
		return err
	}
	slowSt, err := measure(ctx, slow, nExec, identity)
	if err != nil {
		return err
	}
	base, err := jupyterClient(ctx, python, nExec)
	if err != nil {
		return err
	}
	fmt.Printf("(a) trivial Python function (identity on a string), one session, ipykernel, µs per call\n")
	fmt.Printf("  %-40s %7s %9s %9s\n", "path", "calls", "p50", "p99")
	fmt.Printf("  %-40s %7d %9.1f %9.1f\n", "zeval, fast call channel", n, fastSt.pct(50), fastSt.pct(99))
	fmt.Printf("  %-40s %7d %9.1f %9.1f\n", "zeval, execute_request per call", nExec, slowSt.pct(50), slowSt.pct(99))
	fmt.Printf("  %-40s %7d %9.1f %9.1f\n", "jupyter_client, execute_request per call", nExec, base.pct(50), base.pct(99))
	fmt.Printf("  speed-up of the fast channel (p50): %.0f× over execute_request, %.0f× over jupyter_client\n",
		slowSt.pct(50)/fastSt.pct(50), base.pct(50)/fastSt.pct(50))
	fmt.Printf("  target: fast channel p50 ≤ 50 µs and ≥ 50× faster than execute_request\n\n")

	// (b) nested: Z1001 calls Z1000 through W.Call.
	nested := call(fn("Z1001", "def Z1001(Z1001K1):\n\treturn W.Call('Z1000', Z1000K1=Z1001K1)"), z.NewString("hi"))
	nestSt, err := measure(ctx, fast, n/5, nested)
	if err != nil {
		return err
	}
	fmt.Printf("(b) nested call round trip (Z1001 → W.Call(Z1000) in another kernel), µs per outer call\n")
	fmt.Printf("  p50 %.1f  p99 %.1f   (the nested call itself ≈ p50 − (a) p50 = %.1f)\n\n",
		nestSt.pct(50), nestSt.pct(99), nestSt.pct(50)-fastSt.pct(50))

	// (c) fresh isolated kernel.
	fmt.Printf("(c) a fresh isolated kernel, ms\n")
	lease := &stats{}
	for i := 0; i < 10; i++ {
		if err := fast.Pool().WaitReady(ctx); err != nil {
			return err
		}
		s := fast.NewSession()
		t0 := time.Now()
		if _, err := fast.Evaluate(evaluator.WithSession(ctx, s), "python-3", identity); err != nil {
			return err
		}
		lease.add(time.Since(t0))
		s.Close()
	}
	spec, err := jupyter.FindSpec(jupyter.SearchPath(), "python3")
	if err != nil {
		return err
	}
	cold := &stats{}
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		k, err := jupyter.Launch(ctx, spec)
		if err != nil {
			return err
		}
		cold.add(time.Since(t0))
		k.Shutdown(ctx)
	}
	forked, confined, err := forkStarts(ctx, spec, 20)
	if err != nil {
		return err
	}
	fmt.Printf("  %-52s p50 %7.1f  p99 %7.1f\n", "pool lease + load function + first call", lease.pct(50)/1000, lease.pct(99)/1000)
	fmt.Printf("  %-52s p50 %7.1f  p99 %7.1f\n", "fork server: fresh lean ipykernel (launch → ready)", forked.pct(50)/1000, forked.pct(99)/1000)
	fmt.Printf("  %-52s p50 %7.1f  p99 %7.1f\n", "fork server + sandbox (ipc, no network, cgroups…)", confined.pct(50)/1000, confined.pct(99)/1000)
	fmt.Printf("  %-52s p50 %7.1f  p99 %7.1f\n", "plain ipykernel cold start (launch → ready)", cold.pct(50)/1000, cold.pct(99)/1000)
	fmt.Printf("  target: fresh isolated Python kernel from the fork server ≤ 15 ms p50 (%.0f× faster than cold)\n\n", cold.pct(50)/forked.pct(50))

	// (d) memory per idle pooled kernel.
	if rss, n := idleRSS(); n > 0 {
		fmt.Printf("(d) RSS per idle pooled ipykernel (prepared with zeval's runtime): %.1f MiB (mean of %d)\n\n", rss/float64(n)/1024, n)
	}

	// (e) JavaScript in the embedded engine.
	jsCall, jsFresh, err := jsCosts(ctx, n)
	if err != nil {
		return err
	}
	fmt.Printf("(e) JavaScript (embedded goja), µs: warm call p50 %.1f p99 %.1f; fresh VM + load + call p50 %.1f p99 %.1f\n",
		jsCall.pct(50), jsCall.pct(99), jsFresh.pct(50), jsFresh.pct(99))
	fmt.Printf("  target: JavaScript call ≤ 10 µs\n\n")

	// (f) a 1 MiB argument.
	big := z.NewString(strings.Repeat("x", 1<<20))
	lenFn := fn("Z1002", "def Z1002(Z1002K1):\n\treturn str(len(Z1002K1))")
	bigSt, err := measure(ctx, fast, 200, call(lenFn, big))
	if err != nil {
		return err
	}
	fmt.Printf("(f) a 1 MiB string argument (through /dev/shm), µs per call: p50 %.0f  p99 %.0f\n", bigSt.pct(50), bigSt.pct(99))
	return nil
}

// idleRSS sums the RSS (KiB) of the idle kernels of this process's pools: children running
// ipykernel_launcher.
func idleRSS() (float64, int) {
	entries, _ := os.ReadDir("/proc")
	var total float64
	n := 0
	me := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 2 || f[1] != me {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if !strings.Contains(string(cmd), "ipykernel") {
			continue
		}
		status, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
				total += kb
				n++
			}
		}
	}
	return total, n
}

// jupyterClient runs the identity call as one execute_request per call through jupyter_client on a
// kernel of its own that has the function defined.
func jupyterClient(ctx context.Context, python string, n int) (*stats, error) {
	spec, err := jupyter.FindSpec(jupyter.SearchPath(), "python3")
	if err != nil {
		return nil, err
	}
	k, err := jupyter.Launch(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer k.Shutdown(ctx)
	if _, err := k.Execute(ctx, trivial); err != nil {
		return nil, err
	}
	res, err := baseline.Run(python, k.ConnectionFile(), n, "Z1000(Z1000K1='hello')")
	if err != nil {
		return nil, err
	}
	return &stats{lat: res.Latencies}, nil
}

// forkStarts times fresh kernels from a fork server, plain and sandboxed, as zeval's evaluator
// starts them: lean (forkserver.WithLeanKernels), over ipc, and killed when done with (as the
// pool discards them; a shutdown_request would have the kernel run its exit work beside the
// next start).
func forkStarts(ctx context.Context, spec *jupyter.Spec, n int) (plain, confined *stats, err error) {
	fs, err := forkserver.New(ctx, spec, forkserver.WithLeanKernels())
	if err != nil {
		return nil, nil, err
	}
	defer fs.Close()
	sb, err := sandbox.New()
	if err != nil {
		return nil, nil, err
	}
	defer sb.Close()
	plain, confined = &stats{}, &stats{}
	for _, c := range []struct {
		st   *stats
		opts []jupyter.Option
	}{
		{plain, []jupyter.Option{jupyter.WithStarter(fs), jupyter.WithIPC()}},
		{confined, []jupyter.Option{jupyter.WithStarter(sb.Starter(fs)), jupyter.WithIPC()}},
	} {
		for i := 0; i < n+2; i++ {
			t0 := time.Now()
			k, err := jupyter.Launch(ctx, spec, c.opts...)
			if err != nil {
				return nil, nil, err
			}
			if i >= 2 { // the first starts warm the server up
				c.st.add(time.Since(t0))
			}
			k.Kill()
		}
	}
	return plain, confined, nil
}

// jsCosts times a warm call of a trivial JavaScript function and a fresh VM.
func jsCosts(ctx context.Context, n int) (call, fresh *stats, err error) {
	const code = "function Z1000(Z1000K1) { return Z1000K1; }"
	args := []z.Field{z.KV("Z1000K1", z.NewString("hello"))}
	vm, err := js.NewVM(code, "Z1000")
	if err != nil {
		return nil, nil, err
	}
	call, fresh = &stats{}, &stats{}
	for i := 0; i < n+100; i++ {
		t0 := time.Now()
		if _, err := vm.Call(ctx, args, nil); err != nil {
			return nil, nil, err
		}
		if i >= 100 {
			call.add(time.Since(t0))
		}
	}
	for i := 0; i < 500; i++ {
		t0 := time.Now()
		v, err := js.NewVM(code, "Z1000")
		if err != nil {
			return nil, nil, err
		}
		if _, err := v.Call(ctx, args, nil); err != nil {
			return nil, nil, err
		}
		fresh.add(time.Since(t0))
	}
	return call, fresh, nil
}
