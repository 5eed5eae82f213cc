package quota

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// CodeRateLimit is the Z5 type of a refusal for going over a limit: upstream's "reached rate
// limit in orchestrator".
const CodeRateLimit = "Z570"

// Reasons a request is refused, as passed to the hook of WithRejectHook.
const (
	ReasonBadToken    = "bad_token"     // 401: a token the server does not know, or a malformed Authorization
	ReasonNoToken     = "no_token"      // 401: a write without a token
	ReasonWritesOff   = "writes_off"    // 403: a write when no tokens are configured
	ReasonBadCaller   = "bad_caller"    // 400: a trusted header with an unusable value
	ReasonBodyTooBig  = "body_size"     // 413: a declared body over the limit
	ReasonRate        = "rate"          // 429: the caller's token bucket is empty
	ReasonConcurrency = "concurrency"   // 429: the caller has too many evaluations running
	ReasonOverload    = "overload"      // 503: shed, the wait for a slot would exceed the budget
	ReasonQueueFull   = "queue_full"    // 503: shed, the line for slots is full
	ReasonQueueTimout = "queue_timeout" // 503: shed after waiting the whole budget
)

// RejectReasons lists every reason the hook may receive.
var RejectReasons = []string{ReasonBadToken, ReasonNoToken, ReasonWritesOff, ReasonBadCaller, ReasonBodyTooBig,
	ReasonRate, ReasonConcurrency, ReasonOverload, ReasonQueueFull, ReasonQueueTimout}

// Clock is the time source of a Limiter. After is used only to bound the wait for a slot.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Caller is who sent a request.
type Caller struct {
	// ID is "token:NAME", "user:VALUE" (trusted header) or "addr:IP".
	ID string
	// Name is the token's caller name, the header's value or the IP address.
	Name string
	// Token reports whether the caller presented a valid token.
	Token bool
}

type callerKey struct{}

// CallerFrom returns the caller the Limiter identified for the request's context.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// Option sets an optional setting of New.
type Option func(*Limiter)

// WithClock sets the time source (the real clock otherwise).
func WithClock(c Clock) Option { return func(l *Limiter) { l.clock = c } }

// WithTokens sets the API tokens.
func WithTokens(t *Tokens) Option { return func(l *Limiter) { l.tokens = t } }

// WithAnonymousWrites lets writes through without a token when no tokens are configured (a
// server on loopback for one user). With tokens configured, writes always need one.
func WithAnonymousWrites() Option { return func(l *Limiter) { l.anonymousWrites = true } }

// WithTrustedHeader trusts the header name (as X-Zeval-User) to name the caller when the
// request has no token. Set it only when a front end sets that header on every request and
// strips it from clients'.
func WithTrustedHeader(name string) Option {
	return func(l *Limiter) { l.trustedHeader = http.CanonicalHeaderKey(name) }
}

// WithRate limits each caller to perSecond requests per second on average, with bursts of
// up to burst. perSecond <= 0 turns the limit off.
func WithRate(perSecond float64, burst int) Option {
	return func(l *Limiter) { l.rate, l.burst = perSecond, burst }
}

// WithMaxConcurrent limits each caller to n evaluations at a time (0: no limit).
func WithMaxConcurrent(n int) Option { return func(l *Limiter) { l.maxConcurrent = n } }

// WithSlots limits the server to n evaluations at a time (0: no limit); the others wait in
// line, up to the queue budget.
func WithSlots(n int) Option { return func(l *Limiter) { l.slots = n } }

// WithQueueBudget is the longest a request may wait for an evaluation slot (default 1s).
func WithQueueBudget(d time.Duration) Option { return func(l *Limiter) { l.queueBudget = d } }

// WithQueueTarget is the longest a request may wait for a slot while the line is standing
// (default: a tenth of the queue budget). The line is standing when it has not emptied for
// a whole queue budget: arrivals outpace the slots, and a longer wait would only make every
// admitted request late (CoDel's insight). While it stands, the newest request is served
// first (adaptive LIFO: it is the one whose client still waits) and the waits are cut to
// the target, so the excess is shed within the target instead of the budget.
func WithQueueTarget(d time.Duration) Option { return func(l *Limiter) { l.queueTarget = d } }

// WithMaxQueue bounds the line for slots (default 8 per slot).
func WithMaxQueue(n int) Option { return func(l *Limiter) { l.maxQueue = n } }

// WithRequestTimeout gives each request's context a deadline d from its arrival (0: none).
func WithRequestTimeout(d time.Duration) Option { return func(l *Limiter) { l.requestTimeout = d } }

// WithMaxBody refuses bodies over n bytes (0: no limit here; the handlers have their own).
func WithMaxBody(n int64) Option { return func(l *Limiter) { l.maxBody = n } }

// WithMaxBodyFor gives some requests a limit of their own: f(r) when it is more than 0, else
// the WithMaxBody limit. A route that takes many objects at once may allow more than the
// others.
func WithMaxBodyFor(f func(*http.Request) int64) Option { return func(l *Limiter) { l.maxBodyFor = f } }

// WithMaxCallers bounds how many callers' buckets are remembered (default 10000); past it
// the longest idle are forgotten, which only ever gives a caller a full bucket again.
func WithMaxCallers(n int) Option { return func(l *Limiter) { l.maxCallers = n } }

// WithRejectHook calls f with the reason of every refusal (see RejectReasons), for metrics.
// f must be safe for concurrent use and quick.
func WithRejectHook(f func(reason string)) Option { return func(l *Limiter) { l.onReject = f } }

// WithQueueWaitHook calls f with how long each request that had to wait in line for an
// evaluation slot waited, whether it was then admitted or shed. f must be quick.
func WithQueueWaitHook(f func(time.Duration)) Option { return func(l *Limiter) { l.onWait = f } }

// WithLogger sets the logger (discarding by default). Refusals are logged at debug level
// with the caller's ID; tokens never are.
func WithLogger(lg *slog.Logger) Option { return func(l *Limiter) { l.logger = lg } }

// WithIsWrite sets which requests are writes (DefaultIsWrite otherwise).
func WithIsWrite(f func(*http.Request) bool) Option { return func(l *Limiter) { l.isWrite = f } }

// WithIsEvaluation sets which requests take an evaluation slot (DefaultIsEvaluation
// otherwise).
func WithIsEvaluation(f func(*http.Request) bool) Option {
	return func(l *Limiter) { l.isEvaluation = f }
}

// WithExempt sets which requests skip rate limits (DefaultExempt otherwise): probes and
// metrics, which must answer while the server is loaded. Identity checks still apply.
func WithExempt(f func(*http.Request) bool) Option { return func(l *Limiter) { l.exempt = f } }

// DefaultIsWrite: PUT, PATCH, DELETE and POST /v1/objects....
func DefaultIsWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	case http.MethodPost:
		return strings.HasPrefix(r.URL.Path, "/v1/objects")
	}
	return false
}

// DefaultIsEvaluation: POST requests that are not writes (evaluate, render, run testers).
func DefaultIsEvaluation(r *http.Request) bool {
	return r.Method == http.MethodPost && !DefaultIsWrite(r)
}

// DefaultExempt: GET and HEAD of /healthz, /readyz and /metrics.
func DefaultExempt(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

// Limiter identifies callers and admits their requests (see the package documentation). It
// is safe for concurrent use; create it with New.
type Limiter struct {
	clock           Clock
	tokens          *Tokens
	anonymousWrites bool
	trustedHeader   string
	rate            float64
	burst           int
	maxConcurrent   int
	slots           int
	queueBudget     time.Duration
	queueTarget     time.Duration
	maxQueue        int
	requestTimeout  time.Duration
	maxBody         int64
	maxBodyFor      func(*http.Request) int64
	maxCallers      int
	onReject        func(string)
	onWait          func(time.Duration)
	logger          *slog.Logger
	isWrite         func(*http.Request) bool
	isEvaluation    func(*http.Request) bool
	exempt          func(*http.Request) bool

	mu      sync.Mutex
	buckets map[string]*bucket
	running map[string]int // evaluations per caller
	busy    int            // evaluation slots taken
	line    list.List      // of *waiter: requests waiting for a slot, oldest first
	// Background work (Occupy) waiting for a slot, oldest first, and the slots it holds.
	background     list.List
	backgroundBusy int
	lastEmpty      time.Time // when the line was last seen empty
	holdEWMA       float64   // average seconds a slot is held
	holders        int       // slots taken
	holdSum        float64   // sum of the times (seconds since base) the holders took their slot
	base           time.Time // origin of holdSum's times
}

// waiter is a request in line for a slot. Its fields change under Limiter.mu; ready is
// closed once the line is done with it: granted, it holds a slot (handed over by the release
// of another), else it was pushed out of a full line.
type waiter struct {
	ready   chan struct{}
	elem    *list.Element
	granted bool
	done    bool
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter. Without options it identifies callers, requires tokens for writes
// (refusing them, as none are configured) and limits nothing.
func New(opts ...Option) (*Limiter, error) {
	l := &Limiter{queueBudget: time.Second, maxCallers: 10000}
	for _, o := range opts {
		o(l)
	}
	switch {
	case l.rate < 0 || math.IsNaN(l.rate) || math.IsInf(l.rate, 0):
		return nil, fmt.Errorf("quota: rate %v is not a number of requests per second", l.rate)
	case l.rate > 0 && l.burst < 1:
		return nil, fmt.Errorf("quota: burst %d must be at least 1", l.burst)
	case l.maxConcurrent < 0 || l.slots < 0 || l.maxQueue < 0 || l.maxBody < 0 || l.maxCallers < 1:
		return nil, errors.New("quota: limits must not be negative")
	case l.queueBudget <= 0:
		return nil, errors.New("quota: the queue budget must be positive")
	case l.queueTarget < 0 || l.queueTarget > l.queueBudget:
		return nil, fmt.Errorf("quota: the queue target %v must be between 0 and the queue budget %v", l.queueTarget, l.queueBudget)
	}
	if l.queueTarget == 0 {
		l.queueTarget = l.queueBudget / 10
	}
	if l.clock == nil {
		l.clock = realClock{}
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	if l.isWrite == nil {
		l.isWrite = DefaultIsWrite
	}
	if l.isEvaluation == nil {
		l.isEvaluation = DefaultIsEvaluation
	}
	if l.exempt == nil {
		l.exempt = DefaultExempt
	}
	if l.slots > 0 && l.maxQueue == 0 {
		l.maxQueue = 8 * l.slots
	}
	l.buckets = map[string]*bucket{}
	l.running = map[string]int{}
	return l, nil
}

// Handler wraps next with identity and limits.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { l.serve(w, r, next) })
}

func (l *Limiter) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	caller, ok := l.identify(w, r)
	if !ok {
		return
	}
	write := l.isWrite(r)
	if write {
		switch {
		case caller.Token:
			// The write is by the token's caller, whatever the client claims.
			r.Header.Set("X-Zeval-Author", caller.Name)
		case l.tokens.Len() == 0 && l.anonymousWrites:
		case l.tokens.Len() == 0:
			l.reject(w, r, caller, http.StatusForbidden, ReasonWritesOff, 0,
				"writes are turned off: the server has no API tokens configured", z.CodeNoPermission)
			return
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="zeval"`)
			l.reject(w, r, caller, http.StatusUnauthorized, ReasonNoToken, 0,
				"writes need an API token: send Authorization: Bearer TOKEN", z.CodeNoPermission)
			return
		}
	}
	maxBody := l.maxBody
	if l.maxBodyFor != nil {
		if n := l.maxBodyFor(r); n > 0 {
			maxBody = n
		}
	}
	if maxBody > 0 {
		if r.ContentLength > maxBody {
			l.reject(w, r, caller, http.StatusRequestEntityTooLarge, ReasonBodyTooBig, 0,
				fmt.Sprintf("request body is larger than %d bytes", maxBody), z.CodeUnknown)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	exempt := l.exempt(r)
	if !exempt && l.rate > 0 {
		if wait, ok := l.take(caller.ID); !ok {
			l.reject(w, r, caller, http.StatusTooManyRequests, ReasonRate, wait,
				fmt.Sprintf("rate limit: at most %g requests per second (bursts of %d) per caller", l.rate, l.burst), CodeRateLimit)
			return
		}
	}
	ctx := context.WithValue(r.Context(), callerKey{}, caller)
	if l.requestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.requestTimeout)
		defer cancel()
	}
	r = r.WithContext(ctx)
	if exempt || !l.isEvaluation(r) {
		next.ServeHTTP(w, r)
		return
	}
	if !l.enter(caller.ID) {
		l.reject(w, r, caller, http.StatusTooManyRequests, ReasonConcurrency, time.Second,
			fmt.Sprintf("concurrency limit: at most %d evaluations at a time per caller", l.maxConcurrent), CodeRateLimit)
		return
	}
	defer l.leave(caller.ID)
	release, reason, wait := l.acquire(ctx)
	if release == nil {
		if ctx.Err() != nil && reason == "" {
			return // the client went away while in line
		}
		l.reject(w, r, caller, http.StatusServiceUnavailable, reason, wait,
			"the server is overloaded; try again later", CodeRateLimit)
		return
	}
	defer release()
	next.ServeHTTP(w, r)
}

// identify finds the caller, or answers the refusal.
func (l *Limiter) identify(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="zeval"`)
			l.reject(w, r, Caller{ID: "addr:" + clientIP(r)}, http.StatusUnauthorized, ReasonBadToken, 0,
				"the Authorization header must be Bearer TOKEN", z.CodeNoPermission)
			return Caller{}, false
		}
		name, ok := l.tokens.Lookup(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="zeval", error="invalid_token"`)
			l.reject(w, r, Caller{ID: "addr:" + clientIP(r)}, http.StatusUnauthorized, ReasonBadToken, 0,
				"the API token is not valid", z.CodeNoPermission)
			return Caller{}, false
		}
		return Caller{ID: "token:" + name, Name: name, Token: true}, true
	}
	if l.trustedHeader != "" {
		if vals := r.Header.Values(l.trustedHeader); len(vals) > 0 {
			v := strings.TrimSpace(vals[0])
			if len(vals) > 1 || v == "" || len(v) > 128 || !printableSpaces(v) {
				l.reject(w, r, Caller{ID: "addr:" + clientIP(r)}, http.StatusBadRequest, ReasonBadCaller, 0,
					l.trustedHeader+" must be given once, as 1-128 printable characters", z.CodeUnknown)
				return Caller{}, false
			}
			return Caller{ID: "user:" + v, Name: v}, true
		}
	}
	ip := clientIP(r)
	return Caller{ID: "addr:" + ip, Name: ip}, true
}

func printableSpaces(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// take takes a token from the caller's bucket, or says how long until there is one.
func (l *Limiter) take(id string) (time.Duration, bool) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		if len(l.buckets) >= l.maxCallers {
			l.forgetIdle(now)
		}
		b = &bucket{tokens: float64(l.burst), last: now}
		l.buckets[id] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(l.burst), b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// forgetIdle drops the buckets that have refilled, or else the longest idle one. Called with
// l.mu held.
func (l *Limiter) forgetIdle(now time.Time) {
	full := time.Duration(float64(l.burst) / l.rate * float64(time.Second))
	var oldest string
	var oldestT time.Time
	for id, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, id)
			continue
		}
		if oldest == "" || b.last.Before(oldestT) {
			oldest, oldestT = id, b.last
		}
	}
	if len(l.buckets) >= l.maxCallers && oldest != "" {
		delete(l.buckets, oldest)
	}
}

// enter counts an evaluation of the caller, unless the caller is at its limit.
func (l *Limiter) enter(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.maxConcurrent > 0 && l.running[id] >= l.maxConcurrent {
		return false
	}
	l.running[id]++
	return true
}

func (l *Limiter) leave(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[id] <= 1 {
		delete(l.running, id)
	} else {
		l.running[id]--
	}
}

// acquire takes an evaluation slot and returns its release, or nil with the reason for
// shedding and the Retry-After to suggest.
//
// While the line moves (it emptied within the last queue budget) it is served first come,
// first served, and a request waits up to the budget. While it stands, it is served newest
// first and a request waits up to the target; a full line then pushes out its oldest
// request rather than the newcomer.
func (l *Limiter) acquire(ctx context.Context) (release func(), reason string, retry time.Duration) {
	if l.slots == 0 {
		return func() {}, "", 0
	}
	now := l.clock.Now()
	l.mu.Lock()
	if l.busy < l.slots && l.line.Len() == 0 {
		l.busy++
		rel := l.holdLocked(now)
		l.mu.Unlock()
		return rel, "", 0
	}
	standing := l.standing(now)
	// The line ahead of this request, served by l.slots slots that each take the hold time;
	// while the line stands, the newcomer is next.
	ahead, budget := l.line.Len()+1, l.queueBudget
	if standing {
		ahead, budget = 1, l.queueTarget
	}
	expect := time.Duration(float64(ahead) / float64(l.slots) * l.holdEstimate() * float64(time.Second))
	switch {
	case expect > budget:
		l.mu.Unlock()
		return nil, ReasonOverload, expect
	case l.line.Len() >= l.maxQueue && !standing:
		l.mu.Unlock()
		return nil, ReasonQueueFull, max(expect, time.Second)
	case l.line.Len() >= l.maxQueue:
		oldest := l.line.Front().Value.(*waiter)
		l.line.Remove(oldest.elem)
		oldest.done = true
		close(oldest.ready)
	}
	if l.line.Len() == 0 {
		l.lastEmpty = now
	}
	w := &waiter{ready: make(chan struct{})}
	w.elem = l.line.PushBack(w)
	timeout := l.clock.After(budget) // set in line, so Stats().Waiting counts only timed waits
	l.mu.Unlock()
	defer func() {
		if l.onWait != nil {
			l.onWait(l.clock.Now().Sub(now))
		}
	}()
	var timedOut bool
	select {
	case <-w.ready:
	case <-timeout:
		timedOut = true
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case w.granted && ctx.Err() != nil:
		// The client went away as its turn came: the slot goes to the next in line.
		l.free(l.clock.Now())
		return nil, "", 0
	case w.granted:
		return l.holdLocked(l.clock.Now()), "", 0
	case w.done:
		return nil, ReasonQueueFull, time.Second
	}
	l.line.Remove(w.elem)
	if l.line.Len() == 0 {
		l.lastEmpty = l.clock.Now()
	}
	if !timedOut {
		return nil, "", 0
	}
	return nil, ReasonQueueTimout, budget
}

// Occupy takes an evaluation slot for background work that requests will need, such as a
// kernel start that refills a pool: under overload that work then shares the CPUs with the
// admitted requests only as far as the slots allow, instead of stretching their service beside
// them. It holds at most all slots but one, so a request always has a slot that background work
// cannot take; within that, it gets a freed slot before the requests in line (see
// backgroundMay; with a single slot, only a slot no request waits for). It is never refused; it
// waits until it has a slot or ctx ends (ctx's error). Its holds do not count in the average hold time of requests (which
// sheds them). Without slots it returns at once.
func (l *Limiter) Occupy(ctx context.Context) (release func(), err error) {
	if l.slots == 0 {
		return func() {}, nil
	}
	l.mu.Lock()
	w := &waiter{ready: make(chan struct{})}
	w.elem = l.background.PushBack(w)
	l.grantBackground()
	l.mu.Unlock()
	select {
	case <-w.ready:
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !w.granted {
		l.background.Remove(w.elem)
		return nil, ctx.Err()
	}
	if ctx.Err() != nil {
		l.releaseBackground()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.releaseBackground()
		})
	}, nil
}

// grantBackground gives free slots to background work in line, as far as Occupy allows. Called
// with l.mu held.
func (l *Limiter) grantBackground() {
	for l.background.Len() > 0 && l.busy < l.slots && l.backgroundMay() {
		w := l.background.Remove(l.background.Front()).(*waiter)
		l.busy++
		l.backgroundBusy++
		w.granted, w.done = true, true
		close(w.ready)
	}
}

// backgroundMay reports whether background work may take a free slot now: while it holds fewer
// than all slots but one, ahead of the requests in line (with a single slot: only when no
// request waits). Waiting for the line to empty starved it under overload, when the line never
// empties: the pool ran dry and requests waited for kernels started on demand (Python overload,
// admitted p90 ~70 ms against 14 ms at the same rate unlimited). Called with l.mu held.
func (l *Limiter) backgroundMay() bool {
	if l.slots == 1 {
		return l.backgroundBusy == 0 && l.line.Len() == 0
	}
	return l.backgroundBusy < l.slots-1
}

// releaseBackground gives up a slot background work held. Called with l.mu held.
func (l *Limiter) releaseBackground() {
	l.backgroundBusy--
	l.free(l.clock.Now())
}

// standing reports whether the line has not emptied for a whole queue budget. Called with
// l.mu held.
func (l *Limiter) standing(now time.Time) bool {
	return l.line.Len() > 0 && now.Sub(l.lastEmpty) > l.queueBudget
}

// free gives up a slot: to the next in line (the newest while the line stands), or back to
// the pool. Called with l.mu held.
func (l *Limiter) free(now time.Time) {
	l.busy--
	l.grantBackground() // first, as far as backgroundMay lets it
	if l.busy == l.slots || l.line.Len() == 0 {
		return
	}
	l.busy++
	e := l.line.Front()
	if l.standing(now) {
		e = l.line.Back()
	}
	w := l.line.Remove(e).(*waiter)
	w.granted, w.done = true, true
	close(w.ready)
	if l.line.Len() == 0 {
		l.lastEmpty = now
	}
}

// holdEstimate is how long a slot is expected to be held, in seconds: the average of the
// past holds, or the average age of the current holders when that is longer — so a slowdown
// (evaluations that suddenly take seconds) counts before those evaluations end. Called with
// l.mu held.
func (l *Limiter) holdEstimate() float64 {
	est := l.holdEWMA
	if l.holders > 0 {
		now := l.clock.Now().Sub(l.base).Seconds()
		if age := now - l.holdSum/float64(l.holders); age > est {
			est = age
		}
	}
	return est
}

// holdLocked records a slot taken at now and returns its release, which feeds the average
// hold time. Called with l.mu held.
func (l *Limiter) holdLocked(now time.Time) func() {
	if l.base.IsZero() {
		l.base = now
	}
	start := now.Sub(l.base).Seconds()
	l.holders++
	l.holdSum += start
	return func() {
		now := l.clock.Now()
		l.mu.Lock()
		defer l.mu.Unlock()
		held := now.Sub(l.base).Seconds() - start
		l.holders--
		l.holdSum -= start
		if l.holders == 0 {
			l.holdSum = 0 // no drift from rounding
		}
		if l.holdEWMA == 0 {
			l.holdEWMA = held
		} else {
			l.holdEWMA = 0.8*l.holdEWMA + 0.2*held
		}
		l.free(now)
	}
}

// Stats is a snapshot of the Limiter's state.
type Stats struct {
	Waiting  int           // requests in line for a slot
	Busy     int           // slots taken
	Callers  int           // buckets remembered
	Hold     time.Duration // average time a slot is held
	Standing bool          // the line has not emptied for a queue budget (see WithQueueTarget)
	// Background is the slots background work holds (Occupy), BackgroundWaiting the work
	// waiting for one.
	Background, BackgroundWaiting int
}

// Stats returns the current state, for metrics and tests.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Waiting: l.line.Len(), Busy: l.busy, Callers: len(l.buckets),
		Hold: time.Duration(l.holdEWMA * float64(time.Second)), Standing: l.standing(l.clock.Now()),
		Background: l.backgroundBusy, BackgroundWaiting: l.background.Len()}
}

// reject answers a refusal and counts it.
func (l *Limiter) reject(w http.ResponseWriter, r *http.Request, c Caller, status int, reason string, retry time.Duration, msg, code string) {
	if l.onReject != nil {
		l.onReject(reason)
	}
	l.logger.LogAttrs(r.Context(), slog.LevelDebug, "request refused", slog.String("reason", reason),
		slog.String("caller", c.ID), slog.String("method", r.Method), slog.String("path", r.URL.Path))
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	}
	if status == http.StatusRequestEntityTooLarge {
		// The body is not read; let the client's connection go.
		w.Header().Set("Connection", "close")
	}
	z5 := z.ErrorString(code, msg)
	b, err := json.Marshal(struct {
		Error  string          `json:"error"`
		Status int             `json:"status"`
		Reason string          `json:"reason"`
		Z5     json.RawMessage `json:"z5"`
	}{msg, status, reason, z5.CanonicalJSON()})
	if err != nil {
		b = []byte(`{"error":"cannot encode reply"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
