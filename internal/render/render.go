package render

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

// Runner evaluates one function call: the orchestrator (Orchestrator.Run).
type Runner interface {
	Run(ctx context.Context, req orchestrator.Request) orchestrator.Outcome
}

// Sessions opens evaluator sessions: the *evaluator.Evaluator. A render opens one session,
// evaluates every call of the page under it and closes it at the end.
type Sessions interface {
	NewSession() *evaluator.Session
}

// Versioner gives the store-wide revision ID of an object's latest revision (store.Store's
// Version). Cache keys use it; objects it does not know are identified by a hash of their
// content instead.
type Versioner interface {
	Version(ctx context.Context, zid string) (int64, error)
}

// ErrTooManyCalls is returned for a page with more calls than the limit.
var ErrTooManyCalls = errors.New("too many function calls in the page")

// Defaults of the options.
const (
	DefaultMaxCalls = 20000
	DefaultTimeout  = 60 * time.Second
)

// Renderer renders pages. It is safe for concurrent use; each Render is independent. The zero
// value is not usable: call New.
type Renderer struct {
	runner   Runner
	resolver orchestrator.Resolver
	sessions Sessions
	cache    cache.Cache
	versions Versioner
	workers  int
	maxDepth int
	maxCalls int
	timeout  time.Duration
	logger   *slog.Logger
}

// Option sets an optional setting of New.
type Option func(*Renderer)

// WithSessions makes every render one evaluator session (without it, each call that runs code
// gets a session of its own from the evaluator, and pays for a kernel each time).
func WithSessions(s Sessions) Option { return func(r *Renderer) { r.sessions = s } }

// WithCache keeps results of deterministic functions in c across renders.
func WithCache(c cache.Cache) Option { return func(r *Renderer) { r.cache = c } }

// WithVersions sets where revision IDs for cache keys come from (the store).
func WithVersions(v Versioner) Option { return func(r *Renderer) { r.versions = v } }

// WithWorkers bounds how many calls of a page are evaluated at once (default: 16 per CPU;
// calls mostly wait for kernels, and more calls in flight keep more kernels busy).
func WithWorkers(n int) Option { return func(r *Renderer) { r.workers = n } }

// WithMaxDepth bounds the nesting of calls in markup (DefaultMaxDepth).
func WithMaxDepth(n int) Option { return func(r *Renderer) { r.maxDepth = n } }

// WithMaxCalls bounds the number of calls in a page (DefaultMaxCalls).
func WithMaxCalls(n int) Option { return func(r *Renderer) { r.maxCalls = n } }

// WithTimeout bounds the time of one render (DefaultTimeout); calls still running when it
// ends fail, and the page renders with their error markers.
func WithTimeout(d time.Duration) Option { return func(r *Renderer) { r.timeout = d } }

// WithLogger sets the logger (discarding by default).
func WithLogger(l *slog.Logger) Option { return func(r *Renderer) { r.logger = l } }

// New returns a Renderer that evaluates calls with runner and looks functions up (for their
// argument and return types) with resolver, normally the orchestrator's. When runner has the
// orchestrator's built-in definitions (a Definitions method), built-in functions such as Z866
// are found there too.
func New(runner Runner, resolver orchestrator.Resolver, opts ...Option) *Renderer {
	chain := orchestrator.Chain{resolver}
	if d, ok := runner.(interface {
		Definitions() *orchestrator.Definitions
	}); ok && d.Definitions() != nil {
		chain = append(chain, builtins{d.Definitions()})
	}
	r := &Renderer{runner: runner, resolver: chain}
	for _, o := range opts {
		o(r)
	}
	if r.workers <= 0 {
		r.workers = 16 * runtime.GOMAXPROCS(0)
	}
	if r.maxDepth <= 0 {
		r.maxDepth = DefaultMaxDepth
	}
	if r.maxCalls <= 0 {
		r.maxCalls = DefaultMaxCalls
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// builtins resolves the orchestrator's built-in objects.
type builtins struct{ defs *orchestrator.Definitions }

func (b builtins) Resolve(_ context.Context, zid string) (*z.Object, error) {
	if o := b.defs.Get(zid); o != nil {
		return o, nil
	}
	return nil, fmt.Errorf("%s: %w", zid, orchestrator.ErrNotFound)
}

// Request is one page to render.
type Request struct {
	Markup string `json:"markup"`
	Format Format `json:"format"`
	// Metadata asks for Result.Calls.
	Metadata bool `json:"metadata"`
}

// Result is a rendered page.
type Result struct {
	// HTML is the page with every call replaced by its result (see the package doc).
	HTML string `json:"html"`
	// Calls describes each call in source order (outer calls before the calls in their
	// arguments); only when the request asked for metadata.
	Calls []CallInfo `json:"calls"`
	// Errors lists the calls that failed, in source order.
	Errors []CallError `json:"errors"`
	Stats  Stats       `json:"stats"`
}

// CallInfo is the metadata of one call of the page.
type CallInfo struct {
	Function string `json:"function"`
	Pos      Pos    `json:"position"`
	// Arguments are the values passed, in canonical JSON.
	Arguments []json.RawMessage `json:"arguments"`
	// Implementation is the ZID of the implementation that ran (empty for built-ins named
	// by their function, or when the call failed before one was chosen).
	Implementation     string `json:"implementation,omitempty"`
	ImplementationType string `json:"implementationType,omitempty"`
	// Language is the programming language of a code implementation (its kernel or engine).
	Language   string  `json:"language,omitempty"`
	DurationMS float64 `json:"durationMs"`
	// Cache is "hit" (answered from the cache), "miss" (evaluated, then stored), "off" (no
	// cache, a non-deterministic function, or a failed call).
	Cache string `json:"cache"`
	// Deduplicated: an identical call earlier on the page was evaluated and this one shares
	// its result (DurationMS is then the time it waited).
	Deduplicated bool   `json:"deduplicated,omitempty"`
	Error        string `json:"error,omitempty"`
}

// CallError is a failed call.
type CallError struct {
	Function string          `json:"function"`
	Pos      Pos             `json:"position"`
	Message  string          `json:"message"`
	Error    json.RawMessage `json:"error"` // the Z5, canonical JSON
}

// Stats summarises a render.
type Stats struct {
	Calls       int     `json:"calls"`       // calls in the page, nested ones included
	Evaluations int     `json:"evaluations"` // calls evaluated by the orchestrator
	CacheHits   int     `json:"cacheHits"`
	Failed      int     `json:"failed"`
	Workers     int     `json:"workers"`
	DurationMS  float64 `json:"durationMs"`
	// Cache is the cache's counters after the render (nil without a cache).
	Cache *cache.Stats `json:"cache,omitempty"`
}

// Render parses the page and evaluates its calls in one evaluator session. Failed calls do
// not fail the render: they show an error marker and are listed in Errors. The error is a
// *SyntaxError for bad markup, ErrFormat, ErrTooManyCalls, or the context's error when ctx
// ended before the render started.
func (r *Renderer) Render(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	format := req.Format
	if format == "" {
		format = FormatWikitext
	}
	if _, err := ParseFormat(string(format)); err != nil {
		return nil, err
	}
	doc, err := Parse(req.Markup, r.maxDepth)
	if err != nil {
		return nil, err
	}
	all := doc.Calls()
	if len(all) > r.maxCalls {
		return nil, fmt.Errorf("%w: %d, the limit is %d", ErrTooManyCalls, len(all), r.maxCalls)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if r.sessions != nil {
		s := r.sessions.NewSession()
		defer s.Close()
		ctx = evaluator.WithSession(ctx, s)
	}

	p := &page{
		r:         r,
		metadata:  req.Metadata,
		records:   make(map[*Node]*record, len(all)),
		functions: map[string]*function{},
		flights:   map[string]*flight{},
		impls:     map[string]string{},
	}
	recs := make([]record, len(all)) // one allocation for all of them
	for i, n := range all {
		p.records[n] = &recs[i]
	}
	var top []*Node
	for _, n := range doc.Nodes {
		if n.IsCall() {
			top = append(top, n)
		}
	}
	top = scheduleOrder(top)
	workers := min(r.workers, len(top))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(top) {
					return
				}
				p.eval(ctx, top[i])
			}
		}()
	}
	wg.Wait()

	res := &Result{Calls: []CallInfo{}, Errors: []CallError{}}
	esc := escaper(format)
	var b strings.Builder
	for _, n := range doc.Nodes {
		if !n.IsCall() {
			b.WriteString(n.Text)
			continue
		}
		rec := p.records[n]
		switch {
		case rec.err != nil:
			writeMarker(&b, esc, n.Call.Function, rec.err)
		case rec.html:
			h, _ := trustedHTML(rec.value)
			b.WriteString(h)
		default:
			b.WriteString(esc(textOf(rec.value)))
		}
	}
	res.HTML = b.String()
	for _, n := range all {
		rec := p.records[n]
		if rec.info.Cache == "hit" {
			res.Stats.CacheHits++
		}
		if rec.err != nil {
			res.Stats.Failed++
			res.Errors = append(res.Errors, CallError{Function: n.Call.Function, Pos: n.Pos,
				Message: errorMessage(rec.err), Error: rec.err.CanonicalJSON()})
		}
		if req.Metadata {
			info := rec.info
			info.Function, info.Pos = n.Call.Function, n.Pos
			if rec.err != nil {
				info.Error = errorMessage(rec.err)
			}
			if info.Arguments == nil {
				info.Arguments = []json.RawMessage{}
			}
			res.Calls = append(res.Calls, info)
		}
	}
	res.Stats.Calls = len(all)
	res.Stats.Evaluations = int(p.evaluations.Load())
	res.Stats.Workers = workers
	if r.cache != nil {
		s := r.cache.Stats()
		res.Stats.Cache = &s
	}
	res.Stats.DurationMS = millis(time.Since(start))
	return res, nil
}

// scheduleOrder is the order in which the top-level calls go to the workers: the first call of
// each function, in page order, so that the session's kernels are all leased (or started) at
// once; then the other calls grouped by function, so that a function's kernel finds several
// calls waiting and serves them back to back while its code and data are in the CPU's caches.
// In page order each kernel got one call at a time, and every call paid for a switch to a cold
// process: a trivial Python call took 100-170 µs of the kernel's CPU in a 2,000-call render
// instead of the ~11 µs it takes in a loop.
func scheduleOrder(top []*Node) []*Node {
	seen := make(map[string]bool)
	order := make([]*Node, 0, len(top))
	var rest []*Node
	for _, n := range top {
		if !seen[n.Call.Function] {
			seen[n.Call.Function] = true
			order = append(order, n)
		} else {
			rest = append(rest, n)
		}
	}
	slices.SortStableFunc(rest, func(a, b *Node) int { return strings.Compare(a.Call.Function, b.Call.Function) })
	return append(order, rest...)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeMarker writes the inline marker of a failed call.
func writeMarker(b *strings.Builder, esc func(string) string, fn string, e *z.Object) {
	b.WriteString(`<span class="zeval-error" data-function="`)
	b.WriteString(esc(fn))
	b.WriteString(`" data-error="`)
	b.WriteString(esc(z.ErrorType(e)))
	b.WriteString(`" title="`)
	b.WriteString(esc(errorMessage(e)))
	b.WriteString(`">Error in `)
	b.WriteString(esc(fn))
	b.WriteString(`</span>`)
}

// page is the state of one render.
type page struct {
	r           *Renderer
	metadata    bool              // the request asked for Result.Calls
	records     map[*Node]*record // one per call node; each written by one goroutine only
	evaluations atomic.Int64

	mu        sync.Mutex
	functions map[string]*function
	flights   map[string]*flight
	impls     map[string]string // implementation ZID → language ("" for compositions)
}

// record is what became of one call of the page.
type record struct {
	value *z.Object
	err   *z.Object
	html  bool // value is an HTML fragment the function declares
	info  CallInfo
}

// flight is one evaluation that identical calls share; done is closed when out is set.
type flight struct {
	done chan struct{}
	out  outcome
}

type outcome struct {
	value    *z.Object
	err      *z.Object
	impl     string
	implType string
	language string
	cache    string
}

// eval evaluates the call n: its argument calls first, then the call itself (once per
// distinct function and arguments on the page).
func (p *page) eval(ctx context.Context, n *Node) *record {
	rec := p.records[n]
	start := time.Now()
	defer func() { rec.info.DurationMS = millis(time.Since(start)) }()
	c := n.Call
	fn := p.function(ctx, c.Function)
	if fn.err != nil {
		rec.err = fn.err
		rec.info.Cache = "off"
		return rec
	}
	if len(c.Args) != len(fn.args) {
		rec.err = z.Error(z.CodeArgumentCount, z.NewString(itoa(len(fn.args))), z.NewString(itoa(len(c.Args))),
			z.NewString(fmt.Sprintf("%s takes %d argument(s), the call gives %d", c.Function, len(fn.args), len(c.Args))))
		rec.info.Cache = "off"
		return rec
	}
	fields := make([]z.Field, 0, len(c.Args))
	if p.metadata {
		rec.info.Arguments = make([]json.RawMessage, 0, len(c.Args))
	}
	for i, a := range c.Args {
		v, e := p.argument(ctx, a, fn.args[i])
		if e != nil {
			rec.err = e
			rec.info.Cache = "off"
			return rec
		}
		fields = append(fields, z.KV(fn.args[i].key, v))
		if p.metadata {
			rec.info.Arguments = append(rec.info.Arguments, v.CanonicalJSON())
		}
	}
	key := callKey(c.Function, fields)

	p.mu.Lock()
	f, shared := p.flights[key]
	if !shared {
		f = &flight{done: make(chan struct{})}
		p.flights[key] = f
	}
	p.mu.Unlock()
	if shared {
		select {
		case <-f.done:
		case <-ctx.Done():
			rec.err = z.ErrorString(z.CodeInEvaluation, "The page ran out of time: "+ctx.Err().Error())
			rec.info.Cache = "off"
			return rec
		}
		rec.info.Deduplicated = true
	} else {
		f.out = p.run(ctx, fn, key, fields)
		close(f.done)
	}
	o := f.out
	rec.value, rec.err = o.value, o.err
	rec.html = rec.err == nil && fn.returnsHTML && isHTML(o.value)
	rec.info.Implementation, rec.info.ImplementationType, rec.info.Language = o.impl, o.implType, o.language
	rec.info.Cache = o.cache
	return rec
}

func isHTML(v *z.Object) bool {
	_, ok := trustedHTML(v)
	return ok
}

// argument evaluates one argument: a single call passes its value on (converted through text
// when it does not fit the declared type); text, with the text of any calls inside it, is
// converted to the declared type.
func (p *page) argument(ctx context.Context, a Arg, d argDecl) (*z.Object, *z.Object) {
	if single := a.Single(); single != nil {
		inner := p.eval(ctx, single)
		if inner.err != nil {
			return nil, z.Error(z.CodeInEvaluation, z.NewString(single.Call.Function), inner.err)
		}
		if fits(inner.value, d.typ) {
			return inner.value, nil
		}
		return p.convert(textOf(inner.value), d)
	}
	var b strings.Builder
	for _, part := range a.Parts {
		if !part.IsCall() {
			b.WriteString(part.Text)
			continue
		}
		inner := p.eval(ctx, part)
		if inner.err != nil {
			return nil, z.Error(z.CodeInEvaluation, z.NewString(part.Call.Function), inner.err)
		}
		b.WriteString(textOf(inner.value))
	}
	return p.convert(b.String(), d)
}

func (p *page) convert(s string, d argDecl) (*z.Object, *z.Object) {
	v, msg := fromText(s, d.typ, false)
	if msg != "" {
		return nil, z.Error(z.CodeArgumentType, d.typ, z.NewString(z.Z6), z.NewString(d.key),
			z.ErrorString(z.CodeArgumentValue, d.key, "argument "+d.key+": "+msg))
	}
	return v, nil
}

// callKey identifies a call by function and canonical arguments.
func callKey(fn string, fields []z.Field) string {
	b := make([]byte, 0, 64)
	b = append(b, fn...)
	for _, f := range fields {
		b = append(b, 0)
		b = append(b, f.Key...)
		b = append(b, '=')
		b = z.AppendCanonical(b, f.Value)
	}
	return string(b)
}

// run evaluates a distinct call, through the cache when the function may be cached.
func (p *page) run(ctx context.Context, fn *function, key string, fields []z.Field) outcome {
	var ckey string
	if p.r.cache != nil && fn.deterministic {
		if fp := p.fingerprint(ctx, fn); fp != "" {
			ckey = cacheKey(fp, key)
			if data, ok := p.r.cache.Get(ctx, ckey); ok {
				if o, ok := decodeCached(data); ok {
					o.cache = "hit"
					return o
				}
			}
		}
	}
	p.evaluations.Add(1)
	call := z.NewCall(z.NewRef(fn.zid), fields...)
	res := p.r.runner.Run(ctx, orchestrator.Request{Call: call})
	o := outcome{value: res.Value, err: res.Error, cache: "off"}
	for _, m := range res.Metadata {
		switch m.Key.StringValue() {
		case "implementationId":
			o.impl = m.Value.StringValue()
		case "implementationType":
			o.implType = m.Value.StringValue()
		}
	}
	if o.err == nil && o.value == nil {
		o.err = z.ErrorString(z.CodeNotWellformed, "The function returned no value.")
	}
	if o.implType == "Evaluated" && o.impl != "" {
		o.language = p.language(ctx, o.impl)
	}
	if o.err == nil && ckey != "" {
		p.r.cache.Put(ctx, ckey, encodeCached(o))
		o.cache = "miss"
	}
	return o
}

// cachedEntry is what the cache holds for a call.
type cachedEntry struct {
	Value    json.RawMessage `json:"v"`
	Impl     string          `json:"i,omitempty"`
	ImplType string          `json:"t,omitempty"`
	Language string          `json:"l,omitempty"`
}

func encodeCached(o outcome) []byte {
	data, _ := json.Marshal(cachedEntry{Value: o.value.CanonicalJSON(), Impl: o.impl, ImplType: o.implType, Language: o.language})
	return data
}

func decodeCached(data []byte) (outcome, bool) {
	var e cachedEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return outcome{}, false
	}
	v, err := z.Parse(e.Value)
	if err != nil {
		return outcome{}, false
	}
	return outcome{value: v, impl: e.Impl, implType: e.ImplType, language: e.Language}, true
}

// errorMessage is a one-line reading of a Z5: its error type and the texts inside it.
func errorMessage(e *z.Object) string {
	var parts []string
	seen := map[string]bool{}
	var walk func(o *z.Object, depth int)
	walk = func(o *z.Object, depth int) {
		if o == nil || depth > 12 || len(parts) >= 8 {
			return
		}
		switch {
		case o.IsString():
			if s := o.StringValue(); s != "" && !seen[s] {
				seen[s] = true
				parts = append(parts, s)
			}
		case o.IsList():
			for _, it := range o.Items() {
				walk(it, depth+1)
			}
		case o.IsRecord():
			for _, f := range o.Fields() {
				if f.Key != z.KeyType && f.Key != "Z5K1" {
					walk(f.Value, depth+1)
				}
			}
		}
	}
	walk(e.Get("Z5K2"), 0)
	msg := z.ErrorType(e)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return msg
}
