package main

import (
	"context"
	"runtime"
	"testing"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/render"
	z "github.com/zeval/zeval/internal/zobject"
)

// BenchmarkWarmRender renders the generated page (2,000 calls of 40 functions) again and again
// in one process, each render a new session that reuses the last one's kernels (ReuseKernels):
// no kernel is leased or loaded while it is measured, so what it measures is the Go side of
// the calls — render, orchestrator, evaluator, channel, goja — with the kernels answering.
// Besides ns/op (wall, per render) it reports the CPU the process used per call (cpu-ns/call)
// and the allocations per call, which is where the Go side's cost shows on a busy machine.
func BenchmarkWarmRender(b *testing.B) {
	fns := generated()
	markup, _ := page(fns, 2000)
	lib := orchestrator.MapResolver{}
	python := 0
	for _, f := range fns {
		if f.kind == "python" {
			python++
		}
		for zid, src := range f.objects {
			o, err := z.Parse([]byte(src))
			if err != nil {
				b.Fatalf("%s: %v", zid, err)
			}
			lib[zid] = o
		}
	}
	ev, err := evaluator.New(evaluator.Config{MinIdle: python, MaxKernels: python + 2, ReuseKernels: true})
	if err != nil {
		b.Fatal(err)
	}
	defer ev.Close()
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev))
	ev.SetCaller(orch.Call)
	r := render.New(orch, lib, render.WithSessions(ev))
	ctx := context.Background()
	if err := settle(ctx, ev); err != nil {
		b.Fatal(err)
	}
	renderOnce := func() string {
		res, err := r.Render(ctx, render.Request{Markup: markup, Format: render.FormatHTML})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Errors) > 0 {
			b.Fatalf("%d calls failed, first: %+v", len(res.Errors), res.Errors[0])
		}
		return res.HTML
	}
	want := renderOnce() // loads every function into its kernel, kept for the next sessions
	renderOnce()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if got := renderOnce(); got != want {
			b.Fatalf("render %d differs from the first:\n%s", n+1, firstDifference(got, want))
		}
		n++
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&m1)
	calls := float64(n * 2000)
	b.ReportMetric(float64(cpu.Nanoseconds())/calls, "cpu-ns/call")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/calls, "allocs/call")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/calls, "B/call")
}
