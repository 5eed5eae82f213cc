package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/quota"
	"github.com/zeval/zeval/internal/render"
	"github.com/zeval/zeval/internal/sandbox"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/telemetry"
)

const serveHelp = `usage: zeval serve [flags]

Serves the Wikifunctions orchestrator API (POST /{domain}/v1/evaluate/), the object API
(/v1/objects/), the library API (/v1/functions/, with a store), page rendering (POST
/v1/render), the OpenAPI document (/openapi.json), and for operators: GET /healthz (the process is up), GET /readyz (the store
answers and the Python pool has had its minimum of idle kernels; 503 while starting and
while shutting down) and GET /metrics (Prometheus). --admin-addr adds a loopback listener
with /debug/pprof/ and /metrics.

Configuration, highest precedence first: command-line flags; environment variables named
ZEVAL_ and the flag in capitals with - as _ (ZEVAL_ADDR, ZEVAL_MAX_BODY, ...); the file of
--config (or ZEVAL_CONFIG): a JSON object {"addr": "0.0.0.0:8080", "timeout": "20s"} or lines
of "name = value" with # comments; then the defaults below. The defaults work: a SQLite store
in ./zeval.db, JavaScript embedded, Python in ipykernel (kernelspec python3).
--otlp-endpoint falls back to OTEL_EXPORTER_OTLP_ENDPOINT; without either no span is
exported. On SIGINT or SIGTERM the server reports not ready (and keeps serving for
--drain-delay, if set), stops accepting, lets in-flight requests (and their sessions' kernels)
finish within --shutdown-timeout, then exits.

Identity and limits (internal/quota) guard the API: writes need a token (--tokens FILE, its
environment variable being ZEVAL_TOKENS_FILE; or the tokens themselves in ZEVAL_TOKENS) unless
--anonymous-writes; --rate/--burst and --max-concurrent limit each caller (429), --slots and
--queue-budget shed load (503). Refusals are counted in zeval_requests_rejected_total.

flags:`

// serveOptions is the configuration of zeval serve, after flags, environment and file.
type serveOptions struct {
	addr, adminAddr          string
	db, defs                 string
	code, pythonKernel       string
	javaScriptKernel         string
	minIdle, maxKernels      int
	forkServer, sandbox      bool
	reuseKernels             bool
	cacheMB                  int64
	cache                    string
	sandboxMemoryMB          int64
	sandboxCPUs              float64
	timeout, shutdownTimeout time.Duration
	drainDelay               time.Duration
	maxDepth                 int
	maxBody, maxBatchBody    int64
	logFormat, logLevel      string
	service, otlpEndpoint    string
	traceRatio               float64
	// trace holds trace settings no flag sets (tests add an in-memory exporter).
	trace telemetry.TraceOptions
	// quota holds the identity and limit flags (--tokens, --rate, --slots, ...).
	quota *quota.Flags
}

// serveFlags declares the flags of zeval serve on fs and returns where they land.
func serveFlags(fs *flag.FlagSet) (*serveOptions, *string) {
	o := &serveOptions{}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.adminAddr, "admin-addr", "", "loopback address for /debug/pprof/ and /metrics (off when empty)")
	fs.StringVar(&o.db, "db", "zeval.db", `SQLite store (created if absent) to resolve ZIDs from and serve /v1/objects/; "none": built-ins and --defs only`)
	fs.StringVar(&o.defs, "defs", "", "folder of Z*.json persistent objects to resolve ZIDs from, after the store")
	fs.StringVar(&o.code, "code", "js,python", "languages code implementations run in: js, python, js,python, or none")
	fs.StringVar(&o.pythonKernel, "python-kernel", "python3", "kernelspec that runs Python code (ipykernel's python3, or xpython)")
	fs.StringVar(&o.javaScriptKernel, "javascript-kernel", "", "kernelspec that runs JavaScript code (deno), pooled like Python's; empty: the embedded engine (goja). deno's kernel speaks only TCP, so it needs --sandbox=false")
	fs.IntVar(&o.minIdle, "python-min-idle", 2, "Python kernels kept started and idle (0: start each on demand)")
	fs.IntVar(&o.maxKernels, "python-max-kernels", 32, "most Python kernels at once, idle, leased and starting")
	fs.BoolVar(&o.forkServer, "python-fork-server", true, "start ipykernel kernels by forking a warm server (milliseconds instead of half a second)")
	fs.BoolVar(&o.reuseKernels, "python-reuse-kernels", false, "keep a function's loaded kernel for the next request of the same revision (no kernel start or code load per request; module state carries over between requests)")
	fs.BoolVar(&o.sandbox, "sandbox", true, "confine every kernel: memory, CPU and process limits, no network, read-only filesystem but its temp dir (zeval doctor shows what the host supports)")
	fs.Int64Var(&o.sandboxMemoryMB, "sandbox-memory-mb", 1024, "memory of a confined kernel, in MiB")
	fs.Float64Var(&o.sandboxCPUs, "sandbox-cpus", 1, "CPU cores of a confined kernel")
	fs.StringVar(&o.cache, "cache", "memory", cacheUsage)
	fs.Int64Var(&o.cacheMB, "cache-mb", 64, "memory for cached results of page renders with --cache memory, in MiB (0: no cache)")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Second, "time budget of one evaluation")
	fs.IntVar(&o.maxDepth, "max-depth", 256, "limit on nested function calls")
	fs.Int64Var(&o.maxBody, "max-body", api.DefaultMaxBody, "limit on request body size in bytes")
	fs.Int64Var(&o.maxBatchBody, "max-batch-body", api.DefaultMaxBatchBody, "limit on the body of POST "+api.BatchPath+" (zeval import --server) in bytes")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may run after SIGTERM")
	fs.DurationVar(&o.drainDelay, "drain-delay", 0, "after SIGTERM, keep serving this long with /readyz at 503 before closing the listener (for load balancers)")
	fs.StringVar(&o.logFormat, "log-format", "json", "log format: json (ECS fields, one object a line) or text")
	fs.StringVar(&o.logLevel, "log-level", "info", "lowest level logged: debug, info, warn, error")
	fs.StringVar(&o.service, "service-name", "zeval", "service.name in logs and traces")
	fs.StringVar(&o.otlpEndpoint, "otlp-endpoint", "", "OTLP/HTTP trace collector (http://host:4318 or host:port); empty: no traces exported")
	fs.Float64Var(&o.traceRatio, "trace-sample-ratio", 1, "fraction of new traces sampled (a caller's traceparent decides for its trace)")
	config := fs.String("config", "", "configuration file (JSON object, or name = value lines)")
	o.quota = quota.RegisterFlags(fs)
	return o, config
}

// runServe runs the HTTP API until ctx ends (SIGINT, SIGTERM), then shuts down gracefully.
// serveGCPercent is the garbage collector's target of `zeval serve` unless GOGC says otherwise.
// The service's live heap is small (a few MB; kernels are other processes), so Go's default of
// 100 collected ~90 times a second under load, and those collections delayed requests: at 5× the
// sustainable rate the admitted requests' p99 measured in the server was 3.1–4.1× the unloaded
// one with 100, 1.1–1.4× with 400 (bench/load, same session).
const serveGCPercent = 400

func setServeGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
}

func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	opts, config := serveFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, serveHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitError{2}
	}
	if *config == "" {
		*config = os.Getenv(envPrefix + "CONFIG")
	}
	if err := applyConfig(fs, *config, os.LookupEnv); err != nil {
		return err
	}
	if opts.otlpEndpoint == "" {
		opts.otlpEndpoint = os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	setServeGC()
	svc, err := newService(ctx, *opts, env.stderr)
	if err != nil {
		return err
	}
	defer svc.close()

	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return err
	}
	if opts.adminAddr != "" {
		aln, err := listenAdmin(opts.adminAddr)
		if err != nil {
			ln.Close()
			return err
		}
		admin := &http.Server{Handler: svc.admin, ReadHeaderTimeout: 10 * time.Second}
		go admin.Serve(aln) // ends when Close below closes it
		defer admin.Close()
		svc.logger.Info("admin listener", "address", aln.Addr().String())
	}
	fmt.Fprintf(env.stdout, "zeval serving on http://%s\n", ln.Addr())
	svc.logger.Info("serving", "address", ln.Addr().String(), "db", opts.db, "code", opts.code)
	plan := drainPlan{draining: svc.ready.drain, grace: opts.shutdownTimeout}
	if d := opts.drainDelay; d > 0 {
		plan.delay = func() <-chan time.Time {
			svc.logger.Info("draining: not ready, still serving", "delay", d.String())
			return time.After(d)
		}
	}
	err = serveUntil(ctx, svc.server(), ln, plan)
	svc.logger.Info("stopped", "error", err)
	return err
}

// listenAdmin listens on addr, which must be a loopback address: pprof shows memory and
// lets anyone with access burn CPU.
func listenAdmin(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--admin-addr: %w", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--admin-addr %s: must be a loopback address (127.0.0.1:PORT, [::1]:PORT, localhost:PORT)", addr)
	}
	return net.Listen("tcp", addr)
}

// drainPlan says how serveUntil stops.
type drainPlan struct {
	// draining is called first, so that /readyz answers 503.
	draining func()
	// delay, when set, is waited for next, while the server still serves: load balancers
	// see the 503 and stop sending before the listener closes (--drain-delay).
	delay func() <-chan time.Time
	// grace is how long in-flight requests may run after the listener closes.
	grace time.Duration
}

// serveUntil serves on ln until ctx ends, then shuts down as plan says.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, plan drainPlan) error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	if plan.draining != nil {
		plan.draining()
	}
	if plan.delay != nil {
		select {
		case <-plan.delay():
		case err := <-done:
			return err
		}
	}
	grace := plan.grace
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		return fmt.Errorf("shutdown: requests still running after %s were cut off", grace)
	}
	return err
}

// service is zeval serve's parts, wired.
type service struct {
	handler http.Handler // the public listener's
	admin   http.Handler // pprof and metrics
	ready   *readiness
	metrics *telemetry.Metrics
	tracing *telemetry.Tracing
	logger  *slog.Logger
	budget  time.Duration // of one evaluation, for the server's write timeout
	closers []func()
	// limiter admits the API's evaluations; set once built (after the evaluator, whose pool
	// refills take its slots: kernelStartGate).
	limiter atomic.Pointer[quota.Limiter]
}

// kernelStartGate makes the Python pool's refills take an evaluation slot (quota.Limiter.Occupy)
// while they start a kernel. Each Python call of a fresh session uses up a kernel, and its
// replacement costs more CPU than the call (~50 ms on two CPUs): unslotted, refills ran beside
// the admitted requests under overload and stretched them. Before the limiter exists, and
// without --slots, the gate is open.
func (s *service) kernelStartGate(ctx context.Context) (func(), error) {
	if l := s.limiter.Load(); l != nil {
		return l.Occupy(ctx)
	}
	return func() {}, nil
}

// server is the public listener's server, with timeouts against slow clients.
func (s *service) server() *http.Server {
	srv := &http.Server{Handler: s.handler, ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn)}
	quota.Harden(srv, s.budget)
	return srv
}

// close releases everything, last opened first.
func (s *service) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// routePatterns name the routes in metrics and span names; any other path is "other".
func routePatterns() []string {
	return []string{
		"/{domain}/v1/evaluate/{$}", "/{domain}/v1/evaluate", "/{domain}/v2/evaluate/{$}", "/{domain}/v2/evaluate",
		"/{domain}/v1/supported-programming-languages/{$}", "/{domain}/v1/supported-programming-languages",
		"/v1/objects/{$}", "/v1/objects", "/v1/objects/{zid}", "/v1/objects/{zid}/revisions", api.BatchPath, api.ExportPath,
		"/v1/functions/{$}", "/v1/functions", "/v1/functions/{zid}", "/v1/functions/{zid}/test",
		"/v1/render", "/openapi.json", "/healthz", "/readyz", "/metrics",
	}
}

// newService opens the store, starts the evaluator and builds the handler chain:
// telemetry (request id, span, metrics, access log) → operator routes or API (with a
// session per request).
func newService(ctx context.Context, o serveOptions, logOut io.Writer) (_ *service, err error) {
	s := &service{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	switch o.logFormat {
	case "json":
		s.logger = slog.New(telemetry.NewLogHandler(logOut, telemetry.LogOptions{Service: o.service, Level: level}))
	case "text":
		s.logger = slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	default:
		return nil, fmt.Errorf("--log-format %q: want json or text", o.logFormat)
	}
	reg := prometheus.NewRegistry()
	if s.metrics, err = telemetry.NewMetrics(reg); err != nil {
		return nil, err
	}
	if o.traceRatio <= 0 || o.traceRatio > 1 {
		return nil, fmt.Errorf("--trace-sample-ratio %v: want a fraction in (0, 1]", o.traceRatio)
	}
	topts := o.trace
	topts.Service, topts.Endpoint, topts.SampleRatio = o.service, o.otlpEndpoint, o.traceRatio
	if s.tracing, err = telemetry.NewTracing(ctx, topts); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.tracing.Shutdown(sctx)
	})
	obs := telemetry.Observers{Metrics: s.metrics, Tracing: s.tracing}

	db := o.db
	if db == "none" {
		db = ""
	}
	resolver, st, closeStore, err := orchSource{db: &db, defs: &o.defs}.open(ctx)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, closeStore)

	orchOpts := []orchestrator.Option{orchestrator.WithTimeout(o.timeout), orchestrator.WithMaxDepth(o.maxDepth),
		orchestrator.WithLogger(s.logger), orchestrator.WithCallObserver(obs.Call())}
	ev, err := s.openEvaluator(o, obs)
	if err != nil {
		return nil, err
	}
	if ev != nil {
		s.closers = append(s.closers, ev.Close)
		orchOpts = append(orchOpts, orchestrator.WithEvaluator(obs.Code(ev)))
		if p := ev.Pool(); p != nil { // a nil *pool.Pool must not become a non-nil interface
			s.metrics.WatchPool(p)
		}
	}
	orch := orchestrator.New(resolver, orchOpts...)
	if ev != nil {
		ev.SetCaller(orch.Call)
	}
	apiOpts := []api.Option{api.WithMaxBody(o.maxBody), api.WithLogger(s.logger)}
	if st != nil {
		apiOpts = append(apiOpts, api.WithObjects(api.NewObjectsHandler(st, api.WithObjectsLogger(s.logger),
			api.WithObjectsMaxBatchBody(o.maxBatchBody))))
	}
	var apiHandler http.Handler = api.New(orch, apiOpts...)
	if ev != nil {
		apiHandler = withSessions(ev, apiHandler)
	}
	// The library API (/v1/functions, with a store) and /openapi.json beside the Server, and
	// the page renderer at /v1/render.
	var library http.Handler
	if st != nil {
		libOpts := []api.LibraryOption{api.WithLibraryLogger(s.logger)}
		if ev != nil {
			libOpts = append(libOpts, api.WithLibraryEvaluator(ev))
		}
		library = api.NewLibraryHandler(st, orch, libOpts...)
	}
	renderOpts := []render.Option{render.WithLogger(s.logger)}
	if ev != nil {
		renderOpts = append(renderOpts, render.WithSessions(ev))
	}
	if st != nil {
		renderOpts = append(renderOpts, render.WithVersions(st))
	}
	results, closeCache, err := openCache(ctx, o.cache, o.cacheMB<<20, s.logger)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, closeCache)
	if results != nil {
		s.metrics.WatchCache("render", results)
		renderOpts = append(renderOpts, render.WithCache(results))
	}
	apiMux := http.NewServeMux()
	apiMux.Handle("/v1/render", api.NewRenderHandler(render.New(orch, resolver, renderOpts...),
		api.WithRenderMaxBody(o.maxBody), api.WithRenderLogger(s.logger)))
	apiMux.Handle("/", api.Extend(apiHandler, library))
	apiHandler = apiMux
	// Identity and limits apply to the API, not to the operator routes; refusals are counted
	// in zeval_requests_rejected_total, waits for an evaluation slot in zeval_queue_wait_seconds.
	if o.maxBatchBody <= 0 {
		return nil, fmt.Errorf("--max-batch-body %d: want a positive number of bytes", o.maxBatchBody)
	}
	batchBody := quota.WithMaxBodyFor(func(r *http.Request) int64 {
		if r.URL.Path == api.BatchPath {
			return o.maxBatchBody
		}
		return 0
	})
	limiter, err := o.quota.New(s.logger, o.maxBody, batchBody, quota.WithRejectHook(s.metrics.Rejected),
		quota.WithQueueWaitHook(func(d time.Duration) { s.metrics.ObserveQueueWait("admission", d) }))
	if err != nil {
		return nil, err
	}
	apiHandler = limiter.Handler(apiHandler)
	s.limiter.Store(limiter)
	s.budget = o.timeout

	s.ready = &readiness{}
	if st != nil {
		s.ready.store = storeCheck(st)
	}
	if ev != nil && ev.Pool() != nil {
		s.ready.pool = ev.Pool()
	}
	s.metrics.SetReadyFunc(func() bool { return s.ready.check(context.Background()).Ready })
	metricsHandler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, ErrorLog: slog.NewLogLogger(s.logger.Handler(), slog.LevelError)})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`+"\n")
	})
	mux.Handle("GET /readyz", s.ready)
	mux.Handle("GET /metrics", metricsHandler)
	mux.Handle("/", apiHandler)
	route, err := telemetry.Routes(routePatterns()...)
	if err != nil {
		return nil, err
	}
	s.handler = telemetry.Middleware{Metrics: s.metrics, Tracing: s.tracing, Logger: s.logger, Route: route}.Wrap(mux)

	admin := http.NewServeMux()
	admin.HandleFunc("/debug/pprof/", pprof.Index)
	admin.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
	admin.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	admin.HandleFunc("/debug/pprof/trace", pprof.Trace)
	admin.Handle("/metrics", metricsHandler)
	s.admin = admin
	return s, nil
}

// openEvaluator starts the evaluator for the languages of --code (nil for none), with the
// pool and acquisition observed.
func (s *service) openEvaluator(o serveOptions, obs telemetry.Observers) (*evaluator.Evaluator, error) {
	if o.code == "" || o.code == "none" {
		return nil, nil
	}
	js, python := false, false
	for _, l := range strings.Split(o.code, ",") {
		switch strings.TrimSpace(l) {
		case "js", "javascript":
			js = true
		case "python", "py":
			python = true
		default:
			return nil, fmt.Errorf("--code: unknown language %q (want js, python)", l)
		}
	}
	minIdle := o.minIdle
	if minIdle == 0 {
		minIdle = -1 // the evaluator's "none ready"; its 0 means its default
	}
	var confine []sandbox.Option
	if o.sandbox {
		confine = []sandbox.Option{sandbox.WithMemory(o.sandboxMemoryMB << 20), sandbox.WithCPUs(o.sandboxCPUs)}
	}
	return evaluator.New(evaluator.Config{
		NoJavaScript: !js, NoPython: !python, PythonKernel: o.pythonKernel, JavaScriptKernel: o.javaScriptKernel,
		MinIdle: minIdle, MaxKernels: o.maxKernels, Logger: s.logger,
		ForkServer: o.forkServer, Sandbox: confine, ReuseKernels: o.reuseKernels,
		PoolOptions: []pool.Option{pool.WithStartObserver(s.metrics.KernelStartObserver(o.pythonKernel)),
			pool.WithStartGate(s.kernelStartGate)},
		AcquireObserver: obs.Acquire(),
	})
}

// storeCheck reports whether the store answers a query.
func storeCheck(st *store.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := st.Generation(ctx)
		return err
	}
}

// readiness answers /readyz: ready when the store answers and the Python pool has reached
// its minimum of idle kernels once (after that, a busy pool does not make the server
// unready: it queues), and not once shutdown began.
type readiness struct {
	store    func(context.Context) error // nil without a store
	pool     telemetry.PoolStatser       // nil without Python
	warm     atomic.Bool
	draining atomic.Bool
}

func (r *readiness) drain() { r.draining.Store(true) }

// readyReport is the body of /readyz.
type readyReport struct {
	Ready    bool        `json:"ready"`
	Store    string      `json:"store"`
	Pool     *pool.Stats `json:"pool,omitempty"`
	Draining bool        `json:"draining,omitempty"`
}

func (r *readiness) check(ctx context.Context) readyReport {
	rep := readyReport{Ready: true, Store: "none", Draining: r.draining.Load()}
	if rep.Draining {
		rep.Ready = false
	}
	if r.store != nil {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := r.store(sctx); err != nil {
			rep.Store, rep.Ready = "error: "+err.Error(), false
		} else {
			rep.Store = "ok"
		}
	}
	if r.pool != nil {
		st := r.pool.Stats()
		rep.Pool = &st
		if !r.warm.Load() && st.Idle >= st.MinIdle {
			r.warm.Store(true)
		}
		if !r.warm.Load() {
			rep.Ready = false
		}
	}
	return rep
}

func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rep := r.check(req.Context())
	status := http.StatusOK
	if !rep.Ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(rep)
}

// withSessions gives every request an evaluator session: a function called again within the
// request reuses its kernel, and the request's kernels are released when it ends.
func withSessions(ev *evaluator.Evaluator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := ev.NewSession()
		defer s.Close()
		next.ServeHTTP(w, r.WithContext(evaluator.WithSession(r.Context(), s)))
	})
}
