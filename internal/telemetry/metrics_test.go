package telemetry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/pool"
)

type fakePool struct{ s pool.Stats }

func (f *fakePool) Stats() pool.Stats { return f.s }

func newTestMetrics(t *testing.T) *Metrics {
	t.Helper()
	m, err := NewMetrics(prometheus.NewRegistry(), WithoutRuntimeCollectors())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewMetricsErrors(t *testing.T) {
	if _, err := NewMetrics(nil); err == nil {
		t.Error("NewMetrics(nil) = nil error, want one")
	}
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("NewMetrics on a registry that has them = nil error, want a duplicate registration error")
	}
}

func TestRuntimeCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var goRoutines, process bool
	for _, mf := range mfs {
		goRoutines = goRoutines || mf.GetName() == "go_goroutines"
		process = process || strings.HasPrefix(mf.GetName(), "process_")
	}
	if !goRoutines || !process {
		t.Errorf("gathered go_goroutines %v, process_* %v; want both", goRoutines, process)
	}
}

func TestCounters(t *testing.T) {
	m := newTestMetrics(t)
	m.Rejected("rate")
	m.Rejected("rate")
	m.Rejected("overload")
	m.ObserveQueueWait("admission", 3*time.Millisecond)
	m.KernelStartObserver("python3")(500*time.Millisecond, nil)
	m.KernelStartObserver("python3")(time.Second, errors.New("boom"))
	m.SetReady(true)
	tests := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"rejected rate", m.rejected.WithLabelValues("rate"), 2},
		{"rejected overload", m.rejected.WithLabelValues("overload"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testutil.ToFloat64(tt.c); got != tt.want {
				t.Errorf("value = %v, want %v", got, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name, metric string
		want         int
	}{
		{"queue wait", MetricQueueWait, 1},
		{"kernel starts", MetricKernelStart, 2}, // ok and error series
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := testutil.GatherAndCount(m.Registry(), tt.metric)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Errorf("series of %s = %d, want %d", tt.metric, n, tt.want)
			}
		})
	}
}

func TestReady(t *testing.T) {
	m := newTestMetrics(t)
	ready := func() float64 {
		t.Helper()
		mfs, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == MetricReady {
				return mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatalf("%s not gathered", MetricReady)
		return 0
	}
	if got := ready(); got != 0 {
		t.Errorf("ready at start = %v, want 0", got)
	}
	m.SetReady(true)
	if got := ready(); got != 1 {
		t.Errorf("ready after SetReady(true) = %v, want 1", got)
	}
	answer := false
	m.SetReadyFunc(func() bool { return answer })
	if got := ready(); got != 0 {
		t.Errorf("ready with a func answering false = %v, want 0", got)
	}
	answer = true
	if got := ready(); got != 1 {
		t.Errorf("ready with a func answering true = %v, want 1 (asked at scrape)", got)
	}
}

func TestNilMetricsIgnoresObservations(t *testing.T) {
	var m *Metrics
	m.Rejected("x")
	m.ObserveQueueWait("q", time.Second)
	m.SetReady(true)
	m.SetReadyFunc(nil)
	m.KernelStartObserver("p")(time.Second, nil)
	m.WatchPool(&fakePool{})
	m.WatchCache("c", cache.NewMemory(10))
}

func TestPoolCollector(t *testing.T) {
	m := newTestMetrics(t)
	p := &fakePool{s: pool.Stats{Name: "python3", Idle: 2, Leased: 3, Starting: 1, MinIdle: 2, Max: 8, Started: 7, Failed: 1, Died: 2}}
	m.WatchPool(p)
	want := `
# HELP zeval_pool_kernels Kernels of a pool, by state (idle, leased, starting).
# TYPE zeval_pool_kernels gauge
zeval_pool_kernels{pool="python3",state="idle"} 2
zeval_pool_kernels{pool="python3",state="leased"} 3
zeval_pool_kernels{pool="python3",state="starting"} 1
# HELP zeval_pool_kernel_start_failures_total Kernel starts that failed.
# TYPE zeval_pool_kernel_start_failures_total counter
zeval_pool_kernel_start_failures_total{pool="python3"} 1
# HELP zeval_pool_max_kernels Most kernels a pool has at once.
# TYPE zeval_pool_max_kernels gauge
zeval_pool_max_kernels{pool="python3"} 8
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), MetricPoolKernels, MetricPoolStartFailures, MetricPoolMax); err != nil {
		t.Error(err)
	}
	// The collector reads the pool at each scrape: a change shows without any update call.
	p.s.Idle, p.s.Leased = 0, 5
	want = strings.Replace(strings.Replace(want, `state="idle"} 2`, `state="idle"} 0`, 1), `state="leased"} 3`, `state="leased"} 5`, 1)
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), MetricPoolKernels, MetricPoolStartFailures, MetricPoolMax); err != nil {
		t.Error(err)
	}
}

func TestCacheCollector(t *testing.T) {
	m := newTestMetrics(t)
	c := cache.NewMemory(1 << 20)
	m.WatchCache("results", c)
	ctx := context.Background()
	c.Put(ctx, "a", []byte("1"))
	c.Get(ctx, "a")
	c.Get(ctx, "a")
	c.Get(ctx, "b")
	tests := []struct {
		metric string
		want   float64
	}{
		{MetricCacheHits, 2},
		{MetricCacheMisses, 1},
		{MetricCacheEntries, 1},
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			for _, mf := range mfs {
				if mf.GetName() != tt.metric {
					continue
				}
				ms := mf.GetMetric()
				if len(ms) != 1 || ms[0].GetLabel()[0].GetValue() != "results" {
					t.Fatalf("%s: %v, want one series labelled results", tt.metric, ms)
				}
				got := ms[0].GetCounter().GetValue() + ms[0].GetGauge().GetValue()
				if got != tt.want {
					t.Errorf("%s = %v, want %v", tt.metric, got, tt.want)
				}
				return
			}
			t.Errorf("%s not gathered", tt.metric)
		})
	}
}

type fakeCache struct{ s cache.Stats }

func (f fakeCache) Stats() cache.Stats { return f.s }

// TestCacheCollectorShared: a shared backend's errors are exported; its entries and bytes,
// which it cannot tell (-1), are not.
func TestCacheCollectorShared(t *testing.T) {
	m := newTestMetrics(t)
	m.WatchCache("render", fakeCache{cache.Stats{Hits: 4, Misses: 7, Errors: 3, Entries: -1, Bytes: -1}})
	want := `
# HELP zeval_cache_errors_total Lookups and writes a shared cache backend failed or skipped while unreachable.
# TYPE zeval_cache_errors_total counter
zeval_cache_errors_total{cache="render"} 3
# HELP zeval_cache_hits_total Cache lookups that found a value.
# TYPE zeval_cache_hits_total counter
zeval_cache_hits_total{cache="render"} 4
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), MetricCacheErrors, MetricCacheHits, MetricCacheEntries, MetricCacheBytes); err != nil {
		t.Error(err)
	}
}
