// Command cache benchmarks the result cache's backends: the demo library's scaled page
// (library.ScaledPage, every call different) rendered with the cache hot, once with the
// in-process memory cache and once with a Redis cache (a real redis-server on a unix socket,
// and on loopback TCP), plus a second client of the same Redis rendering the page the first
// one filled (what another zeval server sees), and the round trip of one Get and one Put
// against Redis next to the memory cache's. Memory is the baseline of every ratio; all of it
// is measured in the same run. It prints figures and passes or fails nothing.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/cache/redistest"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/library"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/render"
)

func main() {
	calls := flag.Int("calls", 2000, "calls in the page")
	rounds := flag.Int("rounds", 11, "cache-hot renders measured per backend (best and median reported)")
	ops := flag.Int("ops", 20000, "Get and Put round trips measured per backend")
	flag.Parse()
	if err := run(context.Background(), *calls, *rounds, *ops); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func loadDemo() (orchestrator.MapResolver, error) {
	objs, err := library.Objects()
	return orchestrator.MapResolver(objs), err
}

// hot is how one backend did: the renders with the cache hot.
type hot struct {
	name        string
	best, med   time.Duration
	hits, evals int
	html        string
}

func run(ctx context.Context, calls, rounds, ops int) error {
	fmt.Printf("zeval result cache benchmark — %s\n\n", time.Now().UTC().Format(time.RFC3339))
	srv, err := redistest.New(true)
	if err != nil {
		return err
	}
	defer srv.Close()
	lib, err := loadDemo()
	if err != nil {
		return err
	}
	ev, err := evaluator.New(evaluator.Config{MinIdle: -1, MaxKernels: 48, ForkServer: true})
	if err != nil {
		return err
	}
	defer ev.Close()
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev))
	ev.SetCaller(orch.Call)
	markup := library.ScaledPage(calls)

	// measure fills c with one render, then renders the page hot.
	measure := func(name string, c cache.Cache, fill bool) (hot, error) {
		r := render.New(orch, lib, render.WithSessions(ev), render.WithCache(c))
		if fill {
			res, err := r.Render(ctx, render.Request{Markup: markup})
			if err != nil {
				return hot{}, err
			}
			if len(res.Errors) > 0 {
				fmt.Printf("  (%s: %d calls failed while filling, first: %s %s)\n", name, len(res.Errors), res.Errors[0].Function, res.Errors[0].Message)
			}
		}
		h := hot{name: name}
		var ds []time.Duration
		for i := 0; i < rounds; i++ {
			t0 := time.Now()
			res, err := r.Render(ctx, render.Request{Markup: markup})
			if err != nil {
				return hot{}, err
			}
			ds = append(ds, time.Since(t0))
			h.hits, h.evals, h.html = res.Stats.CacheHits, res.Stats.Evaluations, res.HTML
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		h.best, h.med = ds[0], ds[len(ds)/2]
		return h, nil
	}

	mem := cache.NewMemory(0)
	unix, err := cache.NewRedis(srv.URL())
	if err != nil {
		return err
	}
	defer unix.Close()
	tcp, err := cache.NewRedis(srv.TCPURL() + "?prefix=tcp:")
	if err != nil {
		return err
	}
	defer tcp.Close()
	second, err := cache.NewRedis(srv.URL()) // another process's client of the same Redis
	if err != nil {
		return err
	}
	defer second.Close()

	var results []hot
	for _, b := range []struct {
		name string
		c    cache.Cache
		fill bool
	}{
		{"memory (baseline)", mem, true},
		{"Redis, unix socket", unix, true},
		{"Redis, loopback TCP", tcp, true},
		{"Redis, unix socket, second client (filled by the first)", second, false},
	} {
		h, err := measure(b.name, b.c, b.fill)
		if err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
		results = append(results, h)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	fmt.Printf("cache-hot render of library.ScaledPage(%d) (ms; best of %d, median)\n", calls, rounds)
	base := results[0]
	for _, h := range results {
		same := "same page"
		if h.html != base.html {
			same = "DIFFERENT PAGE"
		}
		fmt.Printf("  %-58s %8.1f %8.1f   %.2f× memory   (%d hits, %d evaluated; %s)\n",
			h.name, ms(h.best), ms(h.med), h.best.Seconds()/base.best.Seconds(), h.hits, h.evals, same)
	}
	if s := unix.Stats(); s.Errors > 0 {
		fmt.Printf("  Redis errors: %d\n", s.Errors)
	}

	fmt.Printf("\nround trips, %d each (µs per call; 200-byte value)\n", ops)
	val := bytes.Repeat([]byte("v"), 200)
	for _, b := range []struct {
		name string
		c    cache.Cache
	}{{"memory (baseline)", cache.NewMemory(0)}, {"Redis, unix socket", unix}, {"Redis, loopback TCP", tcp}} {
		get, put, par := roundTrips(ctx, b.c, val, ops)
		fmt.Printf("  %-22s Get %7.2f   Put %7.2f   Get from 16 goroutines: %8.0f per second\n",
			b.name, us(get), us(put), par)
	}
	return nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// roundTrips measures a Get that hits and a Put, one at a time, and Gets from 16 goroutines.
func roundTrips(ctx context.Context, c cache.Cache, val []byte, ops int) (get, put time.Duration, perSecond float64) {
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench-key-%d", i)
		c.Put(ctx, keys[i], val)
	}
	t0 := time.Now()
	for i := 0; i < ops; i++ {
		c.Put(ctx, keys[i%len(keys)], val)
	}
	put = time.Since(t0) / time.Duration(ops)
	t0 = time.Now()
	for i := 0; i < ops; i++ {
		c.Get(ctx, keys[i%len(keys)])
	}
	get = time.Since(t0) / time.Duration(ops)
	const workers = 16
	var wg sync.WaitGroup
	t0 = time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < ops/workers; i++ {
				c.Get(ctx, keys[(w+i)%len(keys)])
			}
		}()
	}
	wg.Wait()
	return get, put, float64(ops/workers*workers) / time.Since(t0).Seconds()
}
