// Command render benchmarks page rendering: a generated page of 40 distinct functions (Python,
// JavaScript and compositions of the two) and 2,000 calls with distinct arguments, rendered
// with warm kernel pools (kernels pre-started, a new session per render), from a cold start of
// the zeval binary (process start to rendered page), with the result cache hot, and by the
// baseline of one execute_request per call through jupyter_client (baseline.py, where every
// function is written in Python). It checks that zeval and the baseline produce the same page,
// and prints figures and ratios; it passes or fails nothing. The generated library is used for
// the ratios because the baseline needs every function in Python with the same results; the
// demo library's scaled page (package library) is rendered afterwards, warm and cache hot.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/library"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/render"
	z "github.com/zeval/zeval/internal/zobject"
)

//go:embed baseline.py
var baselineScript []byte

// op is one function's behaviour, written in Python (an expression of x) and, for the
// JavaScript functions, in JavaScript with the same results.
type op struct{ py, js string }

var pythonOps = []op{
	{py: "x.upper()"}, {py: "x[::-1]"}, {py: "x.title()"}, {py: "str(len(x))"}, {py: "x + '!'"},
	{py: "x.replace('w', 'W')"}, {py: "'<' + x + '>'"}, {py: "x * 2"}, {py: "x.center(12, '*')"},
	{py: "str(sum(ord(c) for c in x))"}, {py: "x.swapcase()"}, {py: "'-'.join(x)"}, {py: "x.capitalize()"},
	{py: "str(int(x[1:]) * 3)"}, {py: "hex(int(x[1:]))"}, {py: "x.zfill(8)"}, {py: "x.lower() + '_' + str(len(x))"},
	{py: "''.join(sorted(x))"}, {py: "x[:2]"}, {py: "x + ':' + x"},
}

var jsOps = []op{
	{"x.upper()", "x.toUpperCase()"}, {"x[::-1]", "x.split('').reverse().join('')"}, {"str(len(x))", "String(x.length)"},
	{"x + '?'", "x + '?'"}, {"x * 3", "x.repeat(3)"}, {"'[' + x + ']'", "'[' + x + ']'"},
	{"x.replace('w', 'v')", "x.replace(/w/g, 'v')"}, {"x.rjust(10, '.')", "x.padStart(10, '.')"},
	{"x.ljust(10, '_')", "x.padEnd(10, '_')"}, {"str(int(x[1:]) + 1)", "String(parseInt(x.slice(1), 10) + 1)"},
	{"x[1:]", "x.slice(1)"}, {"x[0]", "x.charAt(0)"}, {"'.'.join(x)", "x.split('').join('.')"},
	{"x.upper()[:2]", "x.toUpperCase().slice(0, 2)"},
}

const compositions = 6 // C_k(x) = Python_k(JavaScript_k(x))

type function struct {
	zid, kind string // kind: python, javascript, composition
	pyDef     string // the function in Python, for the baseline
	objects   map[string]string
}

func z2(zid, value string) string {
	return fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":%s,"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":%q}]}}`, zid, value, "bench "+zid)
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// generated makes the 40 functions: 20 Python, 14 JavaScript, 6 compositions.
func generated() []function {
	var fns []function
	n := 20001
	add := func(kind, pyBody, implBody string) function {
		zid, impl := fmt.Sprintf("Z%d", n), fmt.Sprintf("Z%d", n+1000)
		n++
		z8 := fmt.Sprintf(`{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"%sK1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14",%q],"Z8K5":%q}`, zid, impl, zid)
		f := function{zid: zid, kind: kind, objects: map[string]string{zid: z2(zid, z8)}}
		f.pyDef = fmt.Sprintf("def %s(x):\n    return %s\n", zid, strings.ReplaceAll(pyBody, "@", ""))
		f.objects[impl] = z2(impl, strings.ReplaceAll(implBody, "@self", zid))
		fns = append(fns, f)
		return f
	}
	code := func(lang, src string) string {
		return fmt.Sprintf(`{"Z1K1":"Z14","Z14K1":"@self","Z14K3":{"Z1K1":"Z16","Z16K1":{"Z1K1":"Z61","Z61K1":%q},"Z16K2":%s}}`, lang, quoteJSON(src))
	}
	var py, js []function
	for _, o := range pythonOps {
		src := fmt.Sprintf("def @self(@selfK1):\n    x = @selfK1\n    return %s\n", o.py)
		py = append(py, add("python", o.py, code("python-3", src)))
	}
	for _, o := range jsOps {
		src := fmt.Sprintf("function @self(@selfK1) {\n\tconst x = @selfK1;\n\treturn %s;\n}\n", o.js)
		js = append(js, add("javascript", o.py, code("javascript", src)))
	}
	for k := 0; k < compositions; k++ {
		p, j := py[k], js[k]
		body := fmt.Sprintf(`{"Z1K1":"Z14","Z14K1":"@self","Z14K2":{"Z1K1":"Z7","Z7K1":%q,"%sK1":{"Z1K1":"Z7","Z7K1":%q,"%sK1":{"Z1K1":"Z18","Z18K1":"@selfK1"}}}}`, p.zid, p.zid, j.zid, j.zid)
		add("composition", fmt.Sprintf("%s(%s(x))", p.zid, j.zid), body)
	}
	return fns
}

// page generates the page: calls round-robin over the functions, each with its own argument.
func page(fns []function, calls int) (markup string, list [][2]string) {
	var b strings.Builder
	b.WriteString("<h1>Benchmark page</h1>\n<ul>\n")
	for i := 0; i < calls; i++ {
		f := fns[i%len(fns)]
		arg := fmt.Sprintf("w%d", i)
		fmt.Fprintf(&b, "<li>{{#function:%s|%s}}</li>\n", f.zid, arg)
		list = append(list, [2]string{f.zid, arg})
	}
	b.WriteString("</ul>\n")
	return b.String(), list
}

// expected is the page with the baseline's results, escaped as render escapes HTML.
func expected(results []string) string {
	var b strings.Builder
	b.WriteString("<h1>Benchmark page</h1>\n<ul>\n")
	for _, r := range results {
		fmt.Fprintf(&b, "<li>%s</li>\n", html.EscapeString(r))
	}
	b.WriteString("</ul>\n")
	return b.String()
}

func main() {
	calls := flag.Int("calls", 2000, "calls in the page")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the warm and hot renders to this file")
	rounds := flag.Int("rounds", 3, "warm renders to measure (the best is reported, and the median)")
	python := flag.String("python", "/usr/bin/python3", "Python with jupyter_client, for the baseline")
	workers := flag.Int("workers", 0, "render workers (default: the renderer's)")
	quick := flag.Bool("quick", false, "skip the baseline and the cold start (for profiling; no ratios)")
	demoOnly := flag.Bool("demo", false, "only the demo library's page, with where its time goes")
	keep := flag.Bool("keep", false, "keep the page and its definitions (printed) for profiling `zeval render --defs DIR/defs DIR/page.html`")
	flag.Parse()
	if *demoOnly {
		if err := demo(context.Background(), *calls, *rounds, true); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(config{calls: *calls, rounds: *rounds, python: *python, cpuProfile: *cpuProfile, quick: *quick, workers: *workers, keep: *keep}); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type env struct {
	ev   *evaluator.Evaluator
	orch *orchestrator.Orchestrator
	lib  orchestrator.MapResolver
}

type config struct {
	calls, rounds int
	python        string
	cpuProfile    string
	quick         bool
	workers       int
	keep          bool
}

func run(cfg config) error {
	calls, rounds, python := cfg.calls, cfg.rounds, cfg.python
	ctx := context.Background()
	fmt.Printf("zeval page render benchmark — %s\n\n", time.Now().UTC().Format(time.RFC3339))
	fns := generated()
	markup, list := page(fns, calls)
	count := map[string]int{}
	for _, f := range fns {
		count[f.kind]++
	}
	fmt.Printf("page: %d calls of %d functions (%d Python, %d JavaScript, %d compositions of the two), distinct arguments, %d bytes of HTML\n\n",
		calls, len(fns), count["python"], count["javascript"], count["composition"], len(markup))

	dir, err := os.MkdirTemp("", "zeval-bench-render-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Printf("page and definitions kept in %s\n\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	defs := filepath.Join(dir, "defs")
	if err := os.Mkdir(defs, 0o755); err != nil {
		return err
	}
	lib := orchestrator.MapResolver{}
	for _, f := range fns {
		for zid, src := range f.objects {
			if err := os.WriteFile(filepath.Join(defs, zid+".json"), []byte(src), 0o644); err != nil {
				return err
			}
			o, err := z.Parse([]byte(src))
			if err != nil {
				return fmt.Errorf("%s: %w", zid, err)
			}
			lib[zid] = o
		}
	}
	pagePath := filepath.Join(dir, "page.html")
	if err := os.WriteFile(pagePath, []byte(markup), 0o644); err != nil {
		return err
	}

	// The baseline first: it also gives the expected page. -quick skips it and the cold start.
	var base *baselineResult
	var want string
	var cold time.Duration
	var coldNote string
	if !cfg.quick {
		fmt.Println("baseline: one execute_request per call through jupyter_client (all 40 functions in Python, one ipykernel) …")
		if base, err = baseline(ctx, python, fns, list); err != nil {
			return err
		}
		want = expected(base.Results)

		// Cold: a zeval process, from its start to the rendered page.
		bin := filepath.Join(dir, "zeval")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/zeval").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
		// Each run is a new zeval process (nothing of it warm but the OS's file cache): the
		// best and the median are reported, as for the warm renders.
		fmt.Printf("cold: zeval render as a new process, %d runs …\n", rounds)
		var colds []time.Duration
		for i := 0; i < rounds; i++ {
			d, coldOut, failed, err := timeCommand(bin, "render", "--defs", defs, pagePath)
			if err != nil {
				return err
			}
			if failed > 0 {
				coldNote = fmt.Sprintf("   (%d calls FAILED — see zeval render's messages above)", failed)
			} else if coldOut != want {
				return fmt.Errorf("the cold render differs from the baseline's page:\n%s", firstDifference(coldOut, want))
			}
			colds = append(colds, d)
		}
		sort.Slice(colds, func(i, j int) bool { return colds[i] < colds[j] })
		cold = colds[0]
		if coldNote == "" {
			coldNote = fmt.Sprintf("   (best of %d; median %.1f)", len(colds), float64(colds[len(colds)/2].Microseconds())/1000)
		}
	}
	// Cold in process: the evaluator and its fork server started from nothing, then the page.
	var coldFork time.Duration
	if !cfg.quick {
		fmt.Println("cold: in process, evaluator and fork server started from nothing …")
		var out string
		if coldFork, out, err = coldForkServer(ctx, lib, markup); err != nil {
			fmt.Println("  (fork server unavailable:", err, ")")
		} else if out != want {
			return fmt.Errorf("the fork-server render differs from the baseline's page:\n%s", firstDifference(out, want))
		}
	}
	check := func(what, got string) error {
		if want != "" && got != want {
			return fmt.Errorf("the %s render differs from the baseline's page:\n%s", what, firstDifference(got, want))
		}
		return nil
	}
	// Warm: pools filled before each render, a new session per render.
	e, err := newEnv(ctx, lib, count["python"])
	if err != nil {
		return err
	}
	defer e.ev.Close()
	// The profile starts once the pool is up; the renders' samples carry the label
	// render=warm or render=hot (pprof -tagfocus), the pool's refills between them none.
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	r := render.New(e.orch, e.lib, render.WithSessions(e.ev), render.WithWorkers(cfg.workers))
	fmt.Printf("warm: %d renders, kernels pre-started (%d idle), a new session each …\n", rounds, count["python"]+2)
	var warm, goCPU []time.Duration
	var allocs []uint64
	var last *render.Result
	for i := 0; i < rounds; i++ {
		if err := settle(ctx, e.ev); err != nil {
			return err
		}
		m0 := mallocs()
		t0, cpu0 := time.Now(), cpuTime()
		res, err := labelled(ctx, "warm", func(ctx context.Context) (*render.Result, error) {
			return r.Render(ctx, render.Request{Markup: markup, Format: render.FormatHTML, Metadata: cfg.quick})
		})
		goCPU = append(goCPU, cpuTime()-cpu0)
		allocs = append(allocs, mallocs()-m0)
		if err != nil {
			return err
		}
		warm = append(warm, time.Since(t0))
		if cfg.quick {
			describe(res)
		}
		if len(res.Errors) > 0 {
			return fmt.Errorf("warm render: %d calls failed, first: %+v", len(res.Errors), res.Errors[0])
		}
		if err := check("warm", res.HTML); err != nil {
			return err
		}
		last = res
	}

	// Hot cache: the same page again with every result cached.
	c := cache.NewMemory(0)
	rc := render.New(e.orch, e.lib, render.WithSessions(e.ev), render.WithCache(c))
	if err := settle(ctx, e.ev); err != nil {
		return err
	}
	if _, err := rc.Render(ctx, render.Request{Markup: markup, Format: render.FormatHTML}); err != nil {
		return err
	}
	if err := settle(ctx, e.ev); err != nil {
		return err
	}
	var hot []time.Duration
	var hotRes *render.Result
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		hotRes, err = labelled(ctx, "hot", func(ctx context.Context) (*render.Result, error) {
			return rc.Render(ctx, render.Request{Markup: markup, Format: render.FormatHTML})
		})
		if err != nil {
			return err
		}
		hot = append(hot, time.Since(t0))
		if err := check("cached", hotRes.HTML); err != nil {
			return err
		}
	}

	sort.Slice(warm, func(i, j int) bool { return warm[i] < warm[j] })
	sort.Slice(hot, func(i, j int) bool { return hot[i] < hot[j] })
	bestWarm, medWarm := warm[0], warm[len(warm)/2]
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

	fmt.Printf("\nresults (%d calls)\n", calls)
	fmt.Printf("  %-58s %10s\n", "", "wall ms")
	fmt.Printf("  %-58s %10.1f   (median of %d: %.1f; %d evaluations, %d workers)\n", "zeval, warm pools, new session", ms(bestWarm), len(warm), ms(medWarm), last.Stats.Evaluations, last.Stats.Workers)
	fmt.Printf("  %-58s %10.1f   (CPU of the zeval process during the render, median; %.0f µs a call, %d allocations a call)\n",
		"", ms(median(goCPU)), float64(median(goCPU).Microseconds())/float64(calls), medianUint(allocs)/uint64(calls))
	fmt.Printf("  %-58s %10.1f   (best of %d; %d cache hits)\n", "zeval, cache hot", ms(hot[0]), len(hot), hotRes.Stats.CacheHits)
	fmt.Printf("  calls per second: warm %.0f, cache hot %.0f\n", float64(calls)/bestWarm.Seconds(), float64(calls)/hot[0].Seconds())
	fmt.Printf("  cache hot vs warm: %.1f× faster\n", bestWarm.Seconds()/hot[0].Seconds())
	if base == nil {
		fmt.Println("\n  (-quick: no baseline, no cold start, pages not compared)")
		return nil
	}
	baseWall := time.Duration(base.WallS * float64(time.Second))
	fmt.Printf("  %-58s %10.1f%s\n", "zeval render, cold process (start → rendered page, exit)", ms(cold), coldNote)
	if coldFork > 0 {
		fmt.Printf("  %-58s %10.1f   (in process: fork server + evaluator start → page)\n", "zeval, cold, kernels from the fork server", ms(coldFork))
	}
	fmt.Printf("  %-58s %10.1f   (+ %.0f ms kernel start, not counted)\n", "baseline: jupyter_client, one execute_request per call", ms(baseWall), base.KernelStartS*1000)
	fmt.Printf("  every page is identical to the baseline's\n")
	fmt.Printf("\n  calls per second of the baseline: %.0f\n", float64(calls)/baseWall.Seconds())
	fmt.Printf("  speed-up over the baseline: warm %.1f×, cold %.1f×, cache hot %.0f×\n",
		baseWall.Seconds()/bestWarm.Seconds(), baseWall.Seconds()/cold.Seconds(), baseWall.Seconds()/hot[0].Seconds())
	fmt.Printf("\n  targets: warm ≤ 150 ms (%s), cold ≤ 1 s (%s), ≥ 30× faster than the baseline (%s)\n",
		verdict(bestWarm <= 150*time.Millisecond), verdict(cold <= time.Second), verdict(baseWall >= 30*bestWarm))
	e.ev.Close() // its kernels would share the CPUs with the next part
	return demo(ctx, calls, rounds, false)
}

// demo renders the demo library's scaled page (library.ScaledPage: the same number of calls
// over its functions, every call different) with warm pools and with the cache hot. There is
// no baseline: not every library function has a Python implementation to run in one kernel.
func demo(ctx context.Context, calls, rounds int, details bool) error {
	objs, err := library.Objects()
	lib := orchestrator.MapResolver(objs)
	if err != nil {
		return err
	}
	markup := library.ScaledPage(calls)
	fmt.Printf("\ndemo library page (library.ScaledPage(%d): %d functions, every call different)\n", calls, library.ScaledFunctions())
	// Enough pre-started kernels for every Python implementation of the library (41). As for
	// the generated page, Max = MinIdle: the pool refills after a session closes, not while a
	// measured render runs (a plain ipykernel start is ~0.5 s of CPU; eight refills took 40% of
	// the CPUs during a render).
	const kernels = 44
	ev, err := evaluator.New(evaluator.Config{MinIdle: kernels, MaxKernels: kernels})
	if err != nil {
		return err
	}
	defer ev.Close()
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev))
	ev.SetCaller(orch.Call)
	r := render.New(orch, lib, render.WithSessions(ev))
	var warm []time.Duration
	var res *render.Result
	for i := 0; i < rounds; i++ {
		if err := settle(ctx, ev); err != nil {
			return err
		}
		t0 := time.Now()
		if res, err = r.Render(ctx, render.Request{Markup: markup, Metadata: details}); err != nil {
			return err
		}
		if details {
			describe(res)
		}
		warm = append(warm, time.Since(t0))
		if len(res.Errors) > 0 {
			fmt.Printf("  %d calls failed, first: %s %s\n", len(res.Errors), res.Errors[0].Function, res.Errors[0].Message)
		}
	}
	rc := render.New(orch, lib, render.WithSessions(ev), render.WithCache(cache.NewMemory(0)))
	if err := settle(ctx, ev); err != nil {
		return err
	}
	if _, err := rc.Render(ctx, render.Request{Markup: markup}); err != nil {
		return err
	}
	if err := settle(ctx, ev); err != nil {
		return err
	}
	t0 := time.Now()
	hotRes, err := rc.Render(ctx, render.Request{Markup: markup})
	if err != nil {
		return err
	}
	hot := time.Since(t0)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("  %-58s %10.1f   (median of %d: %.1f; %d evaluations, %d kernels pre-started)\n", "zeval, warm pools, new session", ms(minimum(warm)), len(warm), ms(median(warm)), res.Stats.Evaluations, kernels)
	fmt.Printf("  %-58s %10.1f   (%d cache hits)\n", "zeval, cache hot", ms(hot), hotRes.Stats.CacheHits)
	fmt.Printf("  calls per second: warm %.0f, cache hot %.0f\n", float64(calls)/minimum(warm).Seconds(), float64(calls)/hot.Seconds())
	return nil
}

func minimum(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

// describe prints where the time of a render went, by language.
func describe(res *render.Result) {
	type agg struct {
		n          int
		sum, worst float64
		slow       int
	}
	by := map[string]*agg{}
	for _, c := range res.Calls {
		k := c.Language + "/" + c.ImplementationType
		a := by[k]
		if a == nil {
			a = &agg{}
			by[k] = a
		}
		a.n++
		a.sum += c.DurationMS
		a.worst = max(a.worst, c.DurationMS)
		if c.DurationMS > 10 {
			a.slow++
		}
	}
	for k, a := range by {
		fmt.Printf("    %-28s %5d calls, mean %7.2f ms, worst %7.1f ms, %d over 10 ms\n", k, a.n, a.sum/float64(a.n), a.worst, a.slow)
	}
	fmt.Printf("    render %.1f ms\n", res.Stats.DurationMS)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// labelled runs a render with the pprof label render=what, which the goroutines it starts inherit.
func labelled(ctx context.Context, what string, f func(context.Context) (*render.Result, error)) (res *render.Result, err error) {
	pprof.Do(ctx, pprof.Labels("render", what), func(ctx context.Context) { res, err = f(ctx) })
	return res, err
}

// mallocs is the number of heap objects allocated so far.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

func medianUint(xs []uint64) uint64 {
	s := append([]uint64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// cpuTime is the CPU time (user and system) of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

func newEnv(ctx context.Context, lib orchestrator.MapResolver, pythonFunctions int) (*env, error) {
	// Max = MinIdle: the pool holds exactly the pre-started kernels, so it refills after a
	// session closes, not while a measured render runs.
	ev, err := evaluator.New(evaluator.Config{MinIdle: pythonFunctions + 2, MaxKernels: pythonFunctions + 2})
	if err != nil {
		return nil, err
	}
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev))
	ev.SetCaller(orch.Call)
	return &env{ev: ev, orch: orch, lib: lib}, nil
}

// coldForkServer renders the page in process from nothing: a fork server, an evaluator whose
// kernels it forks on demand, the render; it returns the time from start to page.
func coldForkServer(ctx context.Context, lib orchestrator.MapResolver, markup string) (time.Duration, string, error) {
	t0 := time.Now()
	ev, err := evaluator.New(evaluator.Config{MinIdle: -1, ForkServer: true})
	if err != nil {
		return 0, "", err
	}
	defer ev.Close()
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev))
	ev.SetCaller(orch.Call)
	res, err := render.New(orch, lib, render.WithSessions(ev)).Render(ctx, render.Request{Markup: markup, Format: render.FormatHTML})
	if err != nil {
		return 0, "", err
	}
	d := time.Since(t0)
	if len(res.Errors) > 0 {
		return 0, "", fmt.Errorf("%d calls failed, first: %+v", len(res.Errors), res.Errors[0])
	}
	return d, res.HTML, nil
}

// settle waits until the Python pool holds its minimum of idle kernels and starts none, so
// that a measured render does not share the CPUs with kernels starting.
func settle(ctx context.Context, ev *evaluator.Evaluator) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	p := ev.Pool()
	for {
		if err := p.WaitReady(ctx); err != nil {
			return err
		}
		if p.Stats().Starting == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // discarded kernels of the last session finish exiting
	return nil
}

// timeCommand runs a zeval command and returns its wall time, its output and, when it exits
// with status 1 (calls of the page failed), how many calls failed; it prints their messages.
func timeCommand(name string, args ...string) (time.Duration, string, int, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 && out.Len() > 0 {
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		for i, l := range lines {
			if i == 5 {
				fmt.Printf("  … %d more\n", len(lines)-5)
				break
			}
			fmt.Println("  " + l)
		}
		return d, out.String(), len(lines), nil
	}
	if err != nil {
		return 0, "", 0, fmt.Errorf("%s: %v\n%s", name, err, errb.String())
	}
	return d, out.String(), 0, nil
}

type baselineResult struct {
	Results      []string `json:"results"`
	WallS        float64  `json:"wall_s"`
	KernelStartS float64  `json:"kernel_start_s"`
}

func baseline(ctx context.Context, python string, fns []function, list [][2]string) (*baselineResult, error) {
	var defs strings.Builder
	for _, f := range fns {
		defs.WriteString(f.pyDef)
	}
	spec, _ := json.Marshal(map[string]any{"definitions": defs.String(), "calls": list})
	f, err := os.CreateTemp("", "zeval-render-baseline-*.py")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(baselineScript); err != nil {
		return nil, err
	}
	f.Close()
	cmd := exec.CommandContext(ctx, python, f.Name())
	cmd.Stdin = bytes.NewReader(spec)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("baseline: %v\n%s", err, errb.String())
	}
	var res baselineResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("baseline output: %w", err)
	}
	if len(res.Results) != len(list) {
		return nil, fmt.Errorf("baseline answered %d results for %d calls", len(res.Results), len(list))
	}
	return &res, nil
}

func firstDifference(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if gl[i] != wl[i] {
			return fmt.Sprintf("line %d: zeval %q, baseline %q", i+1, gl[i], wl[i])
		}
	}
	return fmt.Sprintf("zeval %d lines, baseline %d lines", len(gl), len(wl))
}
