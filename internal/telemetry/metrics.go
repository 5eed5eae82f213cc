package telemetry

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/pool"
)

// Metric names, for dashboards, alert rules and tests.
const (
	MetricHTTPDuration      = "zeval_http_request_duration_seconds"
	MetricHTTPInFlight      = "zeval_http_requests_in_flight"
	MetricCallDuration      = "zeval_function_call_duration_seconds"
	MetricCallErrors        = "zeval_function_errors_total"
	MetricKernelStart       = "zeval_kernel_start_duration_seconds"
	MetricKernelAcquire     = "zeval_kernel_acquire_duration_seconds"
	MetricRejected          = "zeval_requests_rejected_total"
	MetricQueueWait         = "zeval_queue_wait_seconds"
	MetricPoolKernels       = "zeval_pool_kernels"
	MetricPoolMinIdle       = "zeval_pool_min_idle_kernels"
	MetricPoolMax           = "zeval_pool_max_kernels"
	MetricPoolStarted       = "zeval_pool_kernel_starts_total"
	MetricPoolStartFailures = "zeval_pool_kernel_start_failures_total"
	MetricPoolDeaths        = "zeval_pool_kernel_deaths_total"
	MetricCacheHits         = "zeval_cache_hits_total"
	MetricCacheMisses       = "zeval_cache_misses_total"
	MetricCacheEvictions    = "zeval_cache_evictions_total"
	MetricCacheErrors       = "zeval_cache_errors_total"
	MetricCacheEntries      = "zeval_cache_entries"
	MetricCacheBytes        = "zeval_cache_bytes"
	MetricReady             = "zeval_ready"
)

// latencyBuckets span a cached call (tens of microseconds) to a time-limited one (seconds).
func latencyBuckets() []float64 {
	return []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
}

// startBuckets suit kernel starts: a fork-server child in milliseconds, a cold ipykernel in
// about half a second, a struggling host in tens of seconds.
func startBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, .75, 1, 1.5, 2.5, 5, 10, 30}
}

// Metrics holds zeval's Prometheus metrics. Its methods are safe for concurrent use; a nil
// *Metrics ignores every observation, so parts can report without checking.
type Metrics struct {
	reg *prometheus.Registry

	httpDuration  *prometheus.HistogramVec
	httpInFlight  prometheus.Gauge
	callDuration  *prometheus.HistogramVec
	callErrors    *prometheus.CounterVec
	kernelStart   *prometheus.HistogramVec
	kernelAcquire *prometheus.HistogramVec
	rejected      *prometheus.CounterVec
	queueWait     *prometheus.HistogramVec
	ready         *readyCollector

	pools  *poolCollector
	caches *cacheCollector
}

// MetricsOption configures NewMetrics.
type MetricsOption func(*metricsConfig)

type metricsConfig struct{ runtime bool }

// WithoutRuntimeCollectors leaves out the Go runtime, process and build-info collectors (for
// a registry that has them already).
func WithoutRuntimeCollectors() MetricsOption { return func(c *metricsConfig) { c.runtime = false } }

// NewMetrics creates zeval's metrics and registers them on reg, with the Go runtime, process
// and build-info (go_build_info) collectors unless told otherwise.
func NewMetrics(reg *prometheus.Registry, opts ...MetricsOption) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("telemetry: nil registry")
	}
	cfg := metricsConfig{runtime: true}
	for _, o := range opts {
		o(&cfg)
	}
	m := &Metrics{
		reg: reg,
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricHTTPDuration, Help: "Latency of HTTP requests, by route pattern, method and status code.",
			Buckets: latencyBuckets(),
		}, []string{"route", "method", "status"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: MetricHTTPInFlight, Help: "HTTP requests being served.",
		}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricCallDuration, Help: "Latency of function calls (nested calls included), by programming language (none for built-ins and compositions) and implementation type.",
			Buckets: latencyBuckets(),
		}, []string{"language", "implementation_type"}),
		callErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricCallErrors, Help: "Evaluations (top-level function calls) that answered a Z5 error, by the Z5's error type.",
		}, []string{"error_type"}),
		kernelStart: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricKernelStart, Help: "Time to start a kernel for a pool, by pool and outcome (ok, error).",
			Buckets: startBuckets(),
		}, []string{"pool", "outcome"}),
		kernelAcquire: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricKernelAcquire, Help: "Time for a session to get its instance of a function (lease a kernel, load the code), by language and outcome.",
			Buckets: startBuckets(),
		}, []string{"language", "outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRejected, Help: "Requests refused before evaluation, by reason (rate, concurrency, overload, queue_full, queue_timeout, body_size, bad_token, no_token, ...).",
		}, []string{"reason"}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricQueueWait, Help: "Time a request waited in a queue before it was admitted or shed, by queue.",
			Buckets: latencyBuckets(),
		}, []string{"queue"}),
		ready:  &readyCollector{desc: prometheus.NewDesc(MetricReady, "1 when the server is ready (as /readyz says), 0 otherwise.", nil, nil)},
		pools:  newPoolCollector(),
		caches: newCacheCollector(),
	}
	cs := []prometheus.Collector{m.httpDuration, m.httpInFlight, m.callDuration, m.callErrors, m.kernelStart,
		m.kernelAcquire, m.rejected, m.queueWait, m.ready, m.pools, m.caches}
	if cfg.runtime {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewBuildInfoCollector())
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Registry returns the registry the metrics are registered on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Rejected counts a request refused before evaluation, for the given reason. Keep reasons
// few and fixed (quota's: rate, concurrency, overload, queue_full, queue_timeout, body_size,
// bad_token, no_token, writes_off, bad_caller): each is a time series. Its signature fits
// quota.WithRejectHook.
func (m *Metrics) Rejected(reason string) {
	if m == nil {
		return
	}
	m.rejected.WithLabelValues(reason).Inc()
}

// ObserveQueueWait records how long a request waited in the named queue (admission, say)
// before it was admitted or shed.
func (m *Metrics) ObserveQueueWait(queue string, d time.Duration) {
	if m == nil {
		return
	}
	m.queueWait.WithLabelValues(queue).Observe(d.Seconds())
}

// SetReady records the server's readiness, for when no ReadyFunc is set.
func (m *Metrics) SetReady(ready bool) {
	if m == nil {
		return
	}
	m.ready.mu.Lock()
	m.ready.last = ready
	m.ready.mu.Unlock()
}

// SetReadyFunc makes zeval_ready ask f at every scrape, so the gauge is right even when
// nobody polls /readyz.
func (m *Metrics) SetReadyFunc(f func() bool) {
	if m == nil {
		return
	}
	m.ready.mu.Lock()
	m.ready.f = f
	m.ready.mu.Unlock()
}

// readyCollector exports readiness: f's answer at scrape time, else the last SetReady.
type readyCollector struct {
	desc *prometheus.Desc
	mu   sync.Mutex
	f    func() bool
	last bool
}

func (c *readyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *readyCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	f, v := c.f, c.last
	c.mu.Unlock()
	if f != nil {
		v = f()
	}
	n := 0.0
	if v {
		n = 1
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, n)
}

// KernelStartObserver returns an observer for pool.WithStartObserver that records start
// latencies under the pool's name.
func (m *Metrics) KernelStartObserver(poolName string) func(time.Duration, error) {
	return func(d time.Duration, err error) {
		if m == nil {
			return
		}
		m.kernelStart.WithLabelValues(poolName, outcome(err)).Observe(d.Seconds())
	}
}

func (m *Metrics) observeCall(language, kind string, d time.Duration) {
	m.callDuration.WithLabelValues(language, kind).Observe(d.Seconds())
}

func (m *Metrics) observeAcquire(language string, d time.Duration, err error) {
	m.kernelAcquire.WithLabelValues(language, outcome(err)).Observe(d.Seconds())
}

func (m *Metrics) countError(z5Type string) { m.callErrors.WithLabelValues(z5Type).Inc() }

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// PoolStatser is what the pool collector reads: *pool.Pool.
type PoolStatser interface {
	Stats() pool.Stats
}

var _ PoolStatser = (*pool.Pool)(nil)

// WatchPool exports a kernel pool's counts (idle, leased, starting, minimum, maximum, starts,
// failed starts, deaths), read from its Stats at each scrape under the pool's name.
func (m *Metrics) WatchPool(p PoolStatser) {
	if m == nil || p == nil {
		return
	}
	m.pools.add(p)
}

// CacheStatser is what the cache collector reads: any cache.Cache.
type CacheStatser interface {
	Stats() cache.Stats
}

// WatchCache exports a cache's counters (hits, misses, evictions, errors, entries, bytes)
// under name; entries and bytes only when the backend can tell (not Redis).
func (m *Metrics) WatchCache(name string, c CacheStatser) {
	if m == nil || c == nil {
		return
	}
	m.caches.add(name, c)
}

// poolCollector reads pool stats at scrape time, so the gauges are never stale.
type poolCollector struct {
	kernels, minIdle, max, started, failed, died *prometheus.Desc

	mu    sync.Mutex
	pools []PoolStatser
}

func newPoolCollector() *poolCollector {
	return &poolCollector{
		kernels: prometheus.NewDesc(MetricPoolKernels, "Kernels of a pool, by state (idle, leased, starting).", []string{"pool", "state"}, nil),
		minIdle: prometheus.NewDesc(MetricPoolMinIdle, "Idle kernels a pool keeps ready.", []string{"pool"}, nil),
		max:     prometheus.NewDesc(MetricPoolMax, "Most kernels a pool has at once.", []string{"pool"}, nil),
		started: prometheus.NewDesc(MetricPoolStarted, "Kernels a pool started successfully.", []string{"pool"}, nil),
		failed:  prometheus.NewDesc(MetricPoolStartFailures, "Kernel starts that failed.", []string{"pool"}, nil),
		died:    prometheus.NewDesc(MetricPoolDeaths, "Idle kernels found dead.", []string{"pool"}, nil),
	}
}

func (c *poolCollector) add(p PoolStatser) {
	c.mu.Lock()
	c.pools = append(c.pools, p)
	c.mu.Unlock()
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.kernels, c.minIdle, c.max, c.started, c.failed, c.died} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	pools := append([]PoolStatser(nil), c.pools...)
	c.mu.Unlock()
	for _, p := range pools {
		s := p.Stats()
		g := func(d *prometheus.Desc, v int, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), append([]string{s.Name}, labels...)...)
		}
		cnt := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), s.Name)
		}
		g(c.kernels, s.Idle, "idle")
		g(c.kernels, s.Leased, "leased")
		g(c.kernels, s.Starting, "starting")
		g(c.minIdle, s.MinIdle)
		g(c.max, s.Max)
		cnt(c.started, s.Started)
		cnt(c.failed, s.Failed)
		cnt(c.died, s.Died)
	}
}

type namedCache struct {
	name string
	c    CacheStatser
}

// cacheCollector reads cache counters at scrape time.
type cacheCollector struct {
	hits, misses, evictions, errors, entries, bytes *prometheus.Desc

	mu     sync.Mutex
	caches []namedCache
}

func newCacheCollector() *cacheCollector {
	return &cacheCollector{
		hits:      prometheus.NewDesc(MetricCacheHits, "Cache lookups that found a value.", []string{"cache"}, nil),
		misses:    prometheus.NewDesc(MetricCacheMisses, "Cache lookups that found nothing.", []string{"cache"}, nil),
		evictions: prometheus.NewDesc(MetricCacheEvictions, "Entries a cache evicted.", []string{"cache"}, nil),
		errors:    prometheus.NewDesc(MetricCacheErrors, "Lookups and writes a shared cache backend failed or skipped while unreachable.", []string{"cache"}, nil),
		entries:   prometheus.NewDesc(MetricCacheEntries, "Entries a cache holds.", []string{"cache"}, nil),
		bytes:     prometheus.NewDesc(MetricCacheBytes, "Bytes a cache holds.", []string{"cache"}, nil),
	}
}

func (c *cacheCollector) add(name string, cs CacheStatser) {
	c.mu.Lock()
	c.caches = append(c.caches, namedCache{name, cs})
	c.mu.Unlock()
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hits, c.misses, c.evictions, c.errors, c.entries, c.bytes} {
		ch <- d
	}
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	caches := append([]namedCache(nil), c.caches...)
	c.mu.Unlock()
	for _, nc := range caches {
		s := nc.c.Stats()
		ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.Hits), nc.name)
		ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.Misses), nc.name)
		ch <- prometheus.MustNewConstMetric(c.evictions, prometheus.CounterValue, float64(s.Evictions), nc.name)
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(s.Errors), nc.name)
		if s.Entries >= 0 {
			ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(s.Entries), nc.name)
		}
		if s.Bytes >= 0 {
			ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(s.Bytes), nc.name)
		}
	}
}
