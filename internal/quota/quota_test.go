package quota

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

const (
	aliceToken = "alice-secret-token-0123456789"
	bobToken   = "bob-secret-token-abcdefghijkl"
)

func testTokens(t *testing.T) *Tokens {
	t.Helper()
	tk, err := ParseTokens([]byte("# test tokens\nalice:" + aliceToken + "\n\nbob:" + bobToken + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// reply is a refusal body.
type reply struct {
	Error  string          `json:"error"`
	Status int             `json:"status"`
	Reason string          `json:"reason"`
	Z5     json.RawMessage `json:"z5"`
}

func decodeReply(t *testing.T, rec *httptest.ResponseRecorder) reply {
	t.Helper()
	var r reply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("body %q is not a JSON refusal: %v", rec.Body.String(), err)
	}
	return r
}

// echoCaller answers the caller ID and the author header the handler saw.
var echoCaller = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, _ := CallerFrom(r.Context())
	w.Header().Set("X-Caller", c.ID)
	w.Header().Set("X-Author", r.Header.Get("X-Zeval-Author"))
	w.WriteHeader(http.StatusOK)
})

func TestIdentityAndWrites(t *testing.T) {
	tokens := testTokens(t)
	tests := []struct {
		name       string
		opts       []Option
		method     string
		headers    map[string]string
		wantStatus int
		wantCaller string
		wantReason string
		wantAuthor string
	}{
		{name: "anonymous read", method: "GET", wantStatus: 200, wantCaller: "addr:192.0.2.1"},
		{name: "token read", method: "GET", headers: map[string]string{"Authorization": "Bearer " + aliceToken},
			wantStatus: 200, wantCaller: "token:alice"},
		{name: "lower-case scheme", method: "GET", headers: map[string]string{"Authorization": "bearer " + bobToken},
			wantStatus: 200, wantCaller: "token:bob"},
		{name: "unknown token", method: "GET", headers: map[string]string{"Authorization": "Bearer nope-nope-nope-nope-nope"},
			wantStatus: 401, wantReason: ReasonBadToken},
		{name: "token prefix", method: "GET", headers: map[string]string{"Authorization": "Bearer " + aliceToken[:20]},
			wantStatus: 401, wantReason: ReasonBadToken},
		{name: "basic auth", method: "GET", headers: map[string]string{"Authorization": "Basic YWxpY2U6eA=="},
			wantStatus: 401, wantReason: ReasonBadToken},
		{name: "empty bearer", method: "GET", headers: map[string]string{"Authorization": "Bearer "},
			wantStatus: 401, wantReason: ReasonBadToken},
		{name: "untrusted header ignored", method: "GET", headers: map[string]string{"X-Zeval-User": "mallory"},
			wantStatus: 200, wantCaller: "addr:192.0.2.1"},
		{name: "trusted header", opts: []Option{WithTrustedHeader("x-zeval-user")}, method: "GET",
			headers: map[string]string{"X-Zeval-User": "carol"}, wantStatus: 200, wantCaller: "user:carol"},
		{name: "trusted header with control bytes", opts: []Option{WithTrustedHeader("X-Zeval-User")}, method: "GET",
			headers: map[string]string{"X-Zeval-User": "ca\x01rol"}, wantStatus: 400, wantReason: ReasonBadCaller},
		{name: "token wins over header", opts: []Option{WithTrustedHeader("X-Zeval-User")}, method: "GET",
			headers: map[string]string{"X-Zeval-User": "carol", "Authorization": "Bearer " + aliceToken}, wantStatus: 200, wantCaller: "token:alice"},
		{name: "write without token", method: "PUT", wantStatus: 401, wantReason: ReasonNoToken},
		{name: "write with trusted header only", opts: []Option{WithTrustedHeader("X-Zeval-User")}, method: "PUT",
			headers: map[string]string{"X-Zeval-User": "carol"}, wantStatus: 401, wantReason: ReasonNoToken},
		{name: "write with token sets author", method: "PUT",
			headers:    map[string]string{"Authorization": "Bearer " + aliceToken, "X-Zeval-Author": "bob"},
			wantStatus: 200, wantCaller: "token:alice", wantAuthor: "alice"},
		{name: "delete without token", method: "DELETE", wantStatus: 401, wantReason: ReasonNoToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hooked []string
			opts := append([]Option{WithTokens(tokens), WithRejectHook(func(r string) { hooked = append(hooked, r) })}, tc.opts...)
			l, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			called := false
			h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				echoCaller.ServeHTTP(w, r)
			}))
			req := httptest.NewRequest(tc.method, "/v1/objects/Z10001", strings.NewReader("{}"))
			req.RemoteAddr = "192.0.2.1:1234"
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus != 200 {
				if called {
					t.Error("the handler ran for a refused request")
				}
				r := decodeReply(t, rec)
				if r.Reason != tc.wantReason || r.Status != tc.wantStatus || r.Error == "" || len(r.Z5) == 0 {
					t.Errorf("refusal = %+v, want reason %s", r, tc.wantReason)
				}
				if len(hooked) != 1 || hooked[0] != tc.wantReason {
					t.Errorf("hook got %v, want [%s]", hooked, tc.wantReason)
				}
				for _, tok := range []string{aliceToken, bobToken} {
					if strings.Contains(rec.Body.String(), tok) {
						t.Error("the refusal shows a token")
					}
				}
				if tc.wantStatus == 401 && rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				return
			}
			if got := rec.Header().Get("X-Caller"); got != tc.wantCaller {
				t.Errorf("caller = %q, want %q", got, tc.wantCaller)
			}
			if tc.wantAuthor != "" && rec.Header().Get("X-Author") != tc.wantAuthor {
				t.Errorf("author = %q, want %q", rec.Header().Get("X-Author"), tc.wantAuthor)
			}
		})
	}
}

func TestWritesWithoutTokens(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want int
	}{
		{"refused", nil, http.StatusForbidden},
		{"anonymous writes allowed", []Option{WithAnonymousWrites()}, http.StatusOK},
		{"anonymous writes ignored with tokens", []Option{WithAnonymousWrites(), WithTokens(testTokens(t))}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := New(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			l.Handler(echoCaller).ServeHTTP(rec, httptest.NewRequest("PUT", "/v1/objects/Z1", strings.NewReader("{}")))
			if rec.Code != tc.want {
				t.Errorf("PUT status = %d, want %d", rec.Code, tc.want)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	l, err := New(WithClock(clock), WithRate(1, 2), WithTokens(testTokens(t)))
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(echoCaller)
	do := func(path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "192.0.2.7:999"
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	steps := []struct {
		name      string
		advance   time.Duration
		path      string
		token     string
		want      int
		wantRetry string
	}{
		{name: "first", path: "/x", want: 200},
		{name: "second (burst)", path: "/x", want: 200},
		{name: "third is over", path: "/x", want: 429, wantRetry: "1"},
		{name: "probes are exempt", path: "/healthz", want: 200},
		{name: "another caller has its own bucket", path: "/x", token: aliceToken, want: 200},
		{name: "half a second is not enough", advance: 500 * time.Millisecond, path: "/x", want: 429, wantRetry: "1"},
		{name: "a second refills one", advance: 500 * time.Millisecond, path: "/x", want: 200},
		{name: "and only one", path: "/x", want: 429},
		{name: "a long pause refills to the burst only", advance: time.Hour, path: "/x", want: 200},
		{name: "burst again", path: "/x", want: 200},
		{name: "over again", path: "/x", want: 429},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		rec := do(s.path, s.token)
		if rec.Code != s.want {
			t.Fatalf("%s: status = %d, want %d", s.name, rec.Code, s.want)
		}
		if s.want == 429 {
			r := decodeReply(t, rec)
			if r.Reason != ReasonRate || !strings.Contains(string(r.Z5), CodeRateLimit) {
				t.Errorf("%s: refusal = %+v, want reason rate and a %s Z5", s.name, r, CodeRateLimit)
			}
			if s.wantRetry != "" && rec.Header().Get("Retry-After") != s.wantRetry {
				t.Errorf("%s: Retry-After = %q, want %q", s.name, rec.Header().Get("Retry-After"), s.wantRetry)
			}
		}
	}
}

func TestCallersBounded(t *testing.T) {
	clock := newFakeClock()
	l, err := New(WithClock(clock), WithRate(1, 1), WithMaxCallers(3))
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(echoCaller)
	for i := 0; i < 50; i++ {
		req := httptest.NewRequest("GET", "/x", nil)
		req.RemoteAddr = net.JoinHostPort(net.IPv4(10, 0, byte(i/256), byte(i)).String(), "1")
		h.ServeHTTP(httptest.NewRecorder(), req)
		if n := l.Stats().Callers; n > 3 {
			t.Fatalf("after %d callers %d buckets are kept, want at most 3", i+1, n)
		}
	}
}

// blocking is a handler that holds its request until released, reporting arrivals.
type blocking struct {
	arrived chan struct{}
	release chan struct{}
}

func newBlocking() *blocking {
	return &blocking{arrived: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.arrived <- struct{}{}
	<-b.release
	w.WriteHeader(http.StatusOK)
}

// start serves req in the background and returns where the response will arrive.
func start(h http.Handler, req *http.Request) <-chan *httptest.ResponseRecorder {
	out := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out <- rec
	}()
	return out
}

func evalRequest(token string) *http.Request {
	req := httptest.NewRequest("POST", "/wikifunctions.org/v1/evaluate/", strings.NewReader("{}"))
	req.RemoteAddr = "192.0.2.9:1"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func TestConcurrencyPerCaller(t *testing.T) {
	l, err := New(WithMaxConcurrent(1), WithTokens(testTokens(t)))
	if err != nil {
		t.Fatal(err)
	}
	b := newBlocking()
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			echoCaller.ServeHTTP(w, r)
			return
		}
		b.ServeHTTP(w, r)
	}))
	first := start(h, evalRequest(aliceToken))
	<-b.arrived
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, evalRequest(aliceToken))
	if rec.Code != http.StatusTooManyRequests || decodeReply(t, rec).Reason != ReasonConcurrency || rec.Header().Get("Retry-After") == "" {
		t.Errorf("second concurrent evaluation of alice: %d %s, want 429 concurrency with Retry-After", rec.Code, rec.Body)
	}
	other := start(h, evalRequest(bobToken))
	<-b.arrived
	// GETs are not evaluations and pass.
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v1/objects/Z1", nil)
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("a read beside a running evaluation: %d, want 200", rec.Code)
	}
	close(b.release)
	for _, ch := range []<-chan *httptest.ResponseRecorder{first, other} {
		if rec := <-ch; rec.Code != 200 {
			t.Errorf("admitted evaluation: %d, want 200", rec.Code)
		}
	}
	// Once alice's evaluation ended she may run another.
	rec = httptest.NewRecorder()
	b2 := newBlocking()
	close(b2.release)
	l.Handler(b2).ServeHTTP(rec, evalRequest(aliceToken))
	if rec.Code != 200 {
		t.Errorf("after the first ended: %d, want 200", rec.Code)
	}
}

func TestShedding(t *testing.T) {
	t.Run("expected wait over budget is shed at once", func(t *testing.T) {
		clock := newFakeClock()
		l, err := New(WithClock(clock), WithSlots(1), WithQueueBudget(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		b := newBlocking()
		h := l.Handler(b)
		// One evaluation that holds its slot for a second teaches the limiter the hold time.
		first := start(h, evalRequest(""))
		<-b.arrived
		clock.Advance(time.Second)
		b.release <- struct{}{}
		<-first
		if got := l.Stats().Hold; got != time.Second {
			t.Fatalf("hold = %v, want 1s", got)
		}
		second := start(h, evalRequest(""))
		<-b.arrived
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, evalRequest("")) // returns without the clock moving: shed at once
		if rec.Code != http.StatusServiceUnavailable || decodeReply(t, rec).Reason != ReasonOverload {
			t.Errorf("third: %d %s, want 503 overload", rec.Code, rec.Body)
		}
		if rec.Header().Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q, want 1", rec.Header().Get("Retry-After"))
		}
		b.release <- struct{}{}
		<-second
	})
	t.Run("a slowdown counts before it ends", func(t *testing.T) {
		clock := newFakeClock()
		l, err := New(WithClock(clock), WithSlots(1), WithQueueBudget(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		b := newBlocking()
		h := l.Handler(b)
		first := start(h, evalRequest("")) // no hold time known yet
		<-b.arrived
		clock.Advance(time.Second) // it has held its slot for a second, and still does
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, evalRequest("")) // returns without the clock moving: shed at once
		if rec.Code != http.StatusServiceUnavailable || decodeReply(t, rec).Reason != ReasonOverload {
			t.Errorf("behind a long-running holder: %d %s, want 503 overload", rec.Code, rec.Body)
		}
		close(b.release)
		<-first
	})
	t.Run("a wait of the whole budget is shed", func(t *testing.T) {
		clock := newFakeClock()
		var reasons []string
		var mu sync.Mutex
		var waits []time.Duration
		l, err := New(WithClock(clock), WithSlots(1), WithQueueBudget(100*time.Millisecond), WithMaxQueue(1),
			WithRejectHook(func(r string) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() }),
			WithQueueWaitHook(func(d time.Duration) { mu.Lock(); waits = append(waits, d); mu.Unlock() }))
		if err != nil {
			t.Fatal(err)
		}
		b := newBlocking()
		h := l.Handler(b)
		first := start(h, evalRequest(""))
		<-b.arrived
		waiter := start(h, evalRequest("")) // no hold time known yet: it waits in line
		for clock.pending() == 0 {
			time.Sleep(time.Millisecond) // until the waiter is in line (not a timing assertion)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, evalRequest(""))
		if rec.Code != http.StatusServiceUnavailable || decodeReply(t, rec).Reason != ReasonQueueFull {
			t.Errorf("with the line full: %d %s, want 503 queue_full", rec.Code, rec.Body)
		}
		clock.Advance(100 * time.Millisecond)
		rec = <-waiter
		if rec.Code != http.StatusServiceUnavailable || decodeReply(t, rec).Reason != ReasonQueueTimout {
			t.Errorf("waiter: %d %s, want 503 queue_timeout", rec.Code, rec.Body)
		}
		close(b.release)
		if rec := <-first; rec.Code != 200 {
			t.Errorf("first: %d, want 200", rec.Code)
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(reasons, ",") != ReasonQueueFull+","+ReasonQueueTimout {
			t.Errorf("hook reasons = %v", reasons)
		}
		if len(waits) != 1 || waits[0] != 100*time.Millisecond {
			t.Errorf("queue waits = %v, want [100ms]", waits)
		}
		if s := l.Stats(); s.Waiting != 0 || s.Busy != 0 {
			t.Errorf("after all ended: %+v, want nothing waiting or busy", s)
		}
	})
	t.Run("a waiter gets the slot when it frees", func(t *testing.T) {
		clock := newFakeClock()
		l, err := New(WithClock(clock), WithSlots(1), WithQueueBudget(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		b := newBlocking()
		h := l.Handler(b)
		first := start(h, evalRequest(""))
		<-b.arrived
		second := start(h, evalRequest(""))
		for clock.pending() == 0 {
			time.Sleep(time.Millisecond)
		}
		b.release <- struct{}{}
		<-b.arrived
		b.release <- struct{}{}
		for _, ch := range []<-chan *httptest.ResponseRecorder{first, second} {
			if rec := <-ch; rec.Code != 200 {
				t.Errorf("status %d, want 200", rec.Code)
			}
		}
	})
}

// waitWaiting waits until n requests wait for a slot (their timers are set by then).
func waitWaiting(t *testing.T, l *Limiter, n int) {
	t.Helper()
	for l.Stats().Waiting != n {
		time.Sleep(time.Millisecond) // until the goroutines are in line (not a timing assertion)
	}
}

// tagged is a handler that holds its request until released and reports which request
// (by its X-Tag header) got a slot.
type tagged struct {
	arrived chan string
	release chan struct{}
}

func (h *tagged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.arrived <- r.Header.Get("X-Tag")
	<-h.release
}

func taggedRequest(tag string) *http.Request {
	req := evalRequest("")
	req.Header.Set("X-Tag", tag)
	return req
}

func wantShed(t *testing.T, who string, ch <-chan *httptest.ResponseRecorder, reason string) {
	t.Helper()
	if rec := <-ch; rec.Code != http.StatusServiceUnavailable || decodeReply(t, rec).Reason != reason {
		t.Errorf("%s: %d %s, want 503 %s", who, rec.Code, rec.Body, reason)
	}
}

func TestStandingLine(t *testing.T) {
	t.Run("served newest first with the short target", func(t *testing.T) {
		// One slot, a budget of 100 ms, a target of 10 ms, a line of at most 2. Each evaluation
		// holds the slot for 5 ms, and each time one ends a new request joins the line, so the
		// line never empties: it moves first come, first served until it has stood for the
		// budget (t0+100ms), then newest first.
		clock := newFakeClock()
		l, err := New(WithClock(clock), WithSlots(1), WithQueueBudget(100*time.Millisecond),
			WithQueueTarget(10*time.Millisecond), WithMaxQueue(2))
		if err != nil {
			t.Fatal(err)
		}
		h := &tagged{arrived: make(chan string, 1), release: make(chan struct{})}
		handler := l.Handler(h)
		recs := map[string]<-chan *httptest.ResponseRecorder{}
		join := func(tag string, waiting int) {
			recs[tag] = start(handler, taggedRequest(tag))
			waitWaiting(t, l, waiting)
		}
		recs["h"] = start(handler, taggedRequest("h"))
		<-h.arrived
		join("w0", 1) // t0: the line forms
		join("w1", 2)
		var granted []string
		for k := 1; k <= 22; k++ {
			clock.Advance(5 * time.Millisecond)
			h.release <- struct{}{} // the holder ends; the slot goes to a waiter
			granted = append(granted, <-h.arrived)
			join(fmt.Sprintf("w%d", k+1), 2)
		}
		var want []string
		for k := 0; k < 20; k++ {
			want = append(want, fmt.Sprintf("w%d", k))
		}
		want = append(want, "w21", "w22") // from t0+105ms, newest first
		if strings.Join(granted, ",") != strings.Join(want, ",") {
			t.Errorf("slots went to %v, want %v", granted, want)
		}
		if s := l.Stats(); !s.Standing || s.Waiting != 2 || s.Busy != 1 {
			t.Errorf("Stats() = %+v, want a standing line of 2 and one slot busy", s)
		}
		// t0+110ms, the line [w20 w23] is full: a newcomer pushes out the oldest.
		join("x", 2)
		wantShed(t, "w20, the oldest of a full standing line", recs["w20"], ReasonQueueFull)
		// w23 and x joined the standing line: they wait the target, not the budget.
		clock.Advance(10 * time.Millisecond)
		wantShed(t, "w23 after the target", recs["w23"], ReasonQueueTimout)
		wantShed(t, "x after the target", recs["x"], ReasonQueueTimout)
		if s := l.Stats(); s.Standing || s.Waiting != 0 || s.Busy != 1 {
			t.Errorf("Stats() = %+v, want an empty line and w22 running", s)
		}
		close(h.release)
		for _, tag := range append([]string{"h"}, granted...) {
			if rec := <-recs[tag]; rec.Code != 200 {
				t.Errorf("%s: %d, want 200", tag, rec.Code)
			}
		}
		if s := l.Stats(); s.Busy != 0 {
			t.Errorf("after all ended: %+v, want nothing busy", s)
		}
	})
	t.Run("the slot of a client that left goes on", func(t *testing.T) {
		clock := newFakeClock()
		l, err := New(WithClock(clock), WithSlots(1), WithQueueBudget(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		h := &tagged{arrived: make(chan string, 1), release: make(chan struct{})}
		handler := l.Handler(h)
		holder := start(handler, taggedRequest("holder"))
		<-h.arrived
		ctx, cancel := context.WithCancel(context.Background())
		gone := start(handler, taggedRequest("gone").WithContext(ctx))
		waitWaiting(t, l, 1)
		b := start(handler, taggedRequest("b"))
		waitWaiting(t, l, 2)
		cancel()
		<-gone
		h.release <- struct{}{}
		<-holder
		if got := <-h.arrived; got != "b" {
			t.Errorf("the slot went to %q, want b", got)
		}
		close(h.release)
		if rec := <-b; rec.Code != 200 {
			t.Errorf("b: %d, want 200", rec.Code)
		}
		if s := l.Stats(); s.Busy != 0 || s.Waiting != 0 {
			t.Errorf("after all ended: %+v, want nothing busy or waiting", s)
		}
	})
}

func TestBodyLimit(t *testing.T) {
	l, err := New(WithMaxBody(10), WithAnonymousWrites())
	if err != nil {
		t.Fatal(err)
	}
	var readErr error
	called := false
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		_, readErr = io.ReadAll(r.Body)
	}))
	t.Run("declared length", func(t *testing.T) {
		called = false
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("PUT", "/v1/objects/Z1", strings.NewReader(strings.Repeat("x", 11))))
		if rec.Code != http.StatusRequestEntityTooLarge || called {
			t.Errorf("status %d, handler ran %v; want 413 without the handler", rec.Code, called)
		}
	})
	t.Run("undeclared length", func(t *testing.T) {
		called = false
		req := httptest.NewRequest("POST", "/x", io.MultiReader(strings.NewReader(strings.Repeat("x", 100))))
		req.ContentLength = -1
		h.ServeHTTP(httptest.NewRecorder(), req)
		var mbe *http.MaxBytesError
		if !called || !errors.As(readErr, &mbe) {
			t.Errorf("read error = %v, want a MaxBytesError", readErr)
		}
	})
}

// TestBodyLimitFor: a route with a limit of its own may take more than the others, and no
// more than its own.
func TestBodyLimitFor(t *testing.T) {
	l, err := New(WithMaxBody(10), WithAnonymousWrites(), WithMaxBodyFor(func(r *http.Request) int64 {
		if r.URL.Path == "/v1/objects:batch" {
			return 100
		}
		return 0
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
	}))
	tests := []struct {
		path string
		size int
		want int
	}{
		{"/v1/objects:batch", 100, 200},
		{"/v1/objects:batch", 101, 413},
		{"/v1/objects/Z1", 10, 200},
		{"/v1/objects/Z1", 11, 413},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", tc.path, strings.NewReader(strings.Repeat("x", tc.size))))
		if rec.Code != tc.want {
			t.Errorf("POST %s with %d bytes = %d, want %d", tc.path, tc.size, rec.Code, tc.want)
		}
	}
}

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string // token -> name
		wantErr string
	}{
		{name: "lines and comments", in: "# c\nalice:" + aliceToken + "\n bob:" + bobToken + " \n",
			want: map[string]string{aliceToken: "alice", bobToken: "bob"}},
		{name: "comma separated", in: "alice:" + aliceToken + ",bob:" + bobToken,
			want: map[string]string{aliceToken: "alice", bobToken: "bob"}},
		{name: "token with colon", in: "svc:abc:defghijklmnopqrstuvwxyz", want: map[string]string{"abc:defghijklmnopqrstuvwxyz": "svc"}},
		{name: "empty", in: "", want: map[string]string{}},
		{name: "no colon", in: aliceToken, wantErr: "want name:token"},
		{name: "short token", in: "alice:short-secret", wantErr: "at least 16"},
		{name: "space in token", in: "alice:abcdefgh ijklmnopqrstu", wantErr: "printable"},
		{name: "bad name", in: "al ice:" + aliceToken, wantErr: "caller name"},
		{name: "duplicate name", in: "alice:" + aliceToken + "\nalice:" + bobToken, wantErr: "named twice"},
		{name: "shared token", in: "alice:" + aliceToken + "\nbob:" + aliceToken, wantErr: "another caller"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk, err := ParseTokens([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, ErrTokens) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseTokens = %v, want an ErrTokens saying %q", err, tc.wantErr)
				}
				for _, secret := range []string{aliceToken, bobToken, "short-secret"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error %q shows a token", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tk.Len() != len(tc.want) {
				t.Errorf("Len = %d, want %d", tk.Len(), len(tc.want))
			}
			for tok, name := range tc.want {
				if got, ok := tk.Lookup(tok); !ok || got != name {
					t.Errorf("Lookup(token of %s) = %q %v", name, got, ok)
				}
			}
			if _, ok := tk.Lookup("not-a-token-at-all-xxxx"); ok {
				t.Error("an unknown token was found")
			}
		})
	}
}

func TestLoadTokens(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		mode    os.FileMode
		wantErr string
	}{
		{"private file", 0o600, ""},
		{"readable by others", 0o644, "chmod 600"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(p, []byte("alice:"+aliceToken+"\n"), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			tk, err := LoadTokens(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadTokens = %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name, ok := tk.Lookup(aliceToken); !ok || name != "alice" {
				t.Errorf("Lookup = %q %v", name, ok)
			}
		})
	}
	if _, err := LoadTokens(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{"negative rate", []Option{WithRate(-1, 1)}},
		{"rate without burst", []Option{WithRate(5, 0)}},
		{"negative slots", []Option{WithSlots(-1)}},
		{"zero queue budget", []Option{WithQueueBudget(0)}},
		{"negative queue target", []Option{WithQueueTarget(-time.Millisecond)}},
		{"queue target over the budget", []Option{WithQueueBudget(time.Second), WithQueueTarget(2 * time.Second)}},
		{"no callers", []Option{WithMaxCallers(0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts...); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}

// TestSlowloris: a client that sends its headers a byte at a time is cut off by the
// ReadHeaderTimeout that Harden keeps (a stricter one here, so the test is quick).
func TestSlowloris(t *testing.T) {
	srv := httptest.NewUnstartedServer(echoCaller)
	srv.Config.ReadHeaderTimeout = 200 * time.Millisecond
	Harden(srv.Config, time.Second)
	if srv.Config.ReadHeaderTimeout != 200*time.Millisecond || srv.Config.ReadTimeout != ReadTimeout ||
		srv.Config.MaxHeaderBytes != MaxHeaderBytes || srv.Config.WriteTimeout <= 0 {
		t.Fatalf("Harden: %+v", srv.Config)
	}
	srv.Start()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The deadline only bounds a broken server; the server cuts the connection long before.
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	closed := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(conn).ReadString('\n')
		closed <- err
	}()
	header := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 10000)
	for i := 0; ; i++ {
		select {
		case err := <-closed:
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the server kept the slow connection open")
			}
			return // cut off (EOF, reset, or a 408 line followed by close)
		default:
		}
		if i >= len(header) {
			t.Fatal("the server read 10 kB of headers trickled in")
		}
		if _, err := conn.Write([]byte{header[i]}); err != nil {
			return // cut off
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FuzzAuthorization: any Authorization and trusted header is either a known caller or a
// clear refusal, never a panic, and a refusal never names a token.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer " + aliceToken, "Bearer", "bearer  x", "Basic abc", "", "Bearer \x00", "Token " + bobToken} {
		f.Add(s, "carol")
	}
	tokens, err := ParseTokens([]byte("alice:" + aliceToken))
	if err != nil {
		f.Fatal(err)
	}
	l, err := New(WithTokens(tokens), WithTrustedHeader("X-Zeval-User"))
	if err != nil {
		f.Fatal(err)
	}
	h := l.Handler(echoCaller)
	f.Fuzz(func(t *testing.T, auth, user string) {
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header["Authorization"] = []string{auth}
		req.Header["X-Zeval-User"] = []string{user}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			if rec.Header().Get("X-Caller") == "" {
				t.Fatal("admitted without a caller")
			}
		case 400, 401:
			var r reply
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Reason == "" {
				t.Fatalf("refusal body %q", rec.Body)
			}
			if strings.Contains(rec.Body.String(), aliceToken) {
				t.Fatal("refusal shows the token")
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

// FuzzParseTokens: any token file parses or fails with ErrTokens; what parses looks up.
func FuzzParseTokens(f *testing.F) {
	f.Add("alice:" + aliceToken + "\nbob:" + bobToken)
	f.Add("a:b,c:d")
	f.Add("#\n\n:::")
	f.Fuzz(func(t *testing.T, in string) {
		tk, err := ParseTokens([]byte(in))
		if err != nil {
			if !errors.Is(err, ErrTokens) {
				t.Fatalf("error %v does not wrap ErrTokens", err)
			}
			return
		}
		for _, line := range strings.FieldsFunc(in, func(r rune) bool { return r == '\n' || r == ',' }) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, tok, _ := strings.Cut(line, ":")
			if got, ok := tk.Lookup(tok); !ok || got != name {
				t.Fatalf("Lookup(%q) = %q %v, want %q", tok, got, ok, name)
			}
		}
	})
}

func TestFlags(t *testing.T) {
	t.Setenv(TokensEnv, "envcaller:"+bobToken)
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens")
	if err := os.WriteFile(file, []byte("alice:"+aliceToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		nilFlag bool
		check   func(t *testing.T, l *Limiter)
		wantErr string
	}{
		{name: "nil flags are the defaults", nilFlag: true, check: func(t *testing.T, l *Limiter) {
			if l.rate != 0 || l.slots != 0 || l.tokens.Len() != 1 { // the environment's token
				t.Errorf("limiter %+v", l)
			}
		}},
		{name: "file and environment", args: []string{"--tokens", file, "--rate", "5", "--slots", "4"}, check: func(t *testing.T, l *Limiter) {
			if l.tokens.Len() != 2 || l.rate != 5 || l.burst != 10 || l.slots != 4 || l.maxQueue != 32 {
				t.Errorf("limiter rate %v burst %d slots %d queue %d tokens %d", l.rate, l.burst, l.slots, l.maxQueue, l.tokens.Len())
			}
		}},
		{name: "missing file", args: []string{"--tokens", filepath.Join(dir, "nope")}, wantErr: "no such file"},
		{name: "negative rate", args: []string{"--rate", "-1"}, wantErr: "rate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f *Flags
			if !tc.nilFlag {
				fs := flag.NewFlagSet("t", flag.ContinueOnError)
				f = RegisterFlags(fs)
				if err := fs.Parse(tc.args); err != nil {
					t.Fatal(err)
				}
			}
			l, err := f.New(nil, 1<<20)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("New = %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, l)
		})
	}
}

// Occupy takes a slot for background work, at most all slots but one, ahead of requests in line
// (with one slot: only while none waits); it waits (never refused) until ctx ends and leaves the
// hold time of requests alone.
func TestOccupy(t *testing.T) {
	clock := newFakeClock()
	l, err := New(WithClock(clock), WithSlots(2), WithQueueBudget(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rel1, err := l.Occupy(ctx)
	if s := l.Stats(); err != nil || s.Busy != 1 || s.Background != 1 {
		t.Fatalf("Occupy on a free slot: %v, %+v", err, s)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := l.Occupy(ctx)
		if err != nil {
			t.Errorf("second Occupy: %v", err)
		}
		got <- r
	}()
	for l.Stats().BackgroundWaiting != 1 {
		time.Sleep(time.Millisecond) // until it is in line (not a timing assertion)
	}
	// The last slot stays for requests: one is admitted at once, and holds it for a second.
	b := newBlocking()
	h := l.Handler(b)
	first := start(h, evalRequest(""))
	<-b.arrived
	if s := l.Stats(); s.Busy != 2 || s.Background != 1 || s.BackgroundWaiting != 1 {
		t.Errorf("with a request admitted: %+v, want 2 busy, 1 background, 1 background waiting", s)
	}
	cctx, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() { _, err := l.Occupy(cctx); gaveUp <- err }()
	for l.Stats().BackgroundWaiting != 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("Occupy whose context ended: %v, want context.Canceled", err)
	}
	clock.Advance(time.Second)
	rel1() // its slot goes to the background work in line
	rel2 := <-got
	if s := l.Stats(); s.Busy != 2 || s.Background != 1 || s.BackgroundWaiting != 0 {
		t.Errorf("after the hand-over: %+v, want 2 busy, 1 background", s)
	}
	b.release <- struct{}{}
	<-first
	rel2()
	rel2() // a second release is a no-op
	if s := l.Stats(); s.Busy != 0 || s.Background != 0 || s.Hold != time.Second {
		t.Errorf("after all released: %+v, want nothing busy and the request's hold (1s) only", s)
	}

	// Background work waiting for a slot gets the next one freed before a request in line does
	// (else it would starve while the line never empties), up to all slots but one.
	two, _ := New(WithClock(clock), WithSlots(2), WithQueueBudget(time.Minute))
	h2 := two.Handler(b)
	reqA := start(h2, evalRequest(""))
	<-b.arrived
	bg1, _ := two.Occupy(ctx)
	bg2 := make(chan func(), 1)
	go func() { r, _ := two.Occupy(ctx); bg2 <- r }()
	reqB := start(h2, evalRequest(""))
	for s := two.Stats(); s.Waiting != 1 || s.BackgroundWaiting != 1; s = two.Stats() {
		time.Sleep(time.Millisecond)
	}
	bg1() // to the background work in line, not to request B
	rel3 := <-bg2
	if s := two.Stats(); s.Background != 1 || s.Waiting != 1 || s.Busy != 2 {
		t.Errorf("after a background release: %+v, want the slot with the waiting background work", s)
	}
	b.release <- struct{}{}
	<-reqA
	<-b.arrived // B has A's slot
	b.release <- struct{}{}
	<-reqB
	rel3()

	// With one slot, background work takes it only while no request waits.
	one, _ := New(WithClock(clock), WithSlots(1), WithQueueBudget(time.Minute))
	h1 := one.Handler(b)
	r1 := start(h1, evalRequest(""))
	<-b.arrived
	bg := make(chan func(), 1)
	go func() { r, _ := one.Occupy(ctx); bg <- r }()
	for one.Stats().BackgroundWaiting != 1 {
		time.Sleep(time.Millisecond)
	}
	r2 := start(h1, evalRequest("")) // in line: it goes before the background work
	for one.Stats().Waiting != 1 {
		time.Sleep(time.Millisecond)
	}
	b.release <- struct{}{}
	<-r1
	<-b.arrived // the second request has the slot
	if s := one.Stats(); s.Background != 0 || s.BackgroundWaiting != 1 {
		t.Errorf("background work overtook a request: %+v", s)
	}
	b.release <- struct{}{}
	<-r2
	(<-bg)()

	// Without slots there is nothing to take.
	free, _ := New()
	if r, err := free.Occupy(ctx); err != nil || r == nil {
		t.Errorf("Occupy without slots: %v", err)
	}
}
