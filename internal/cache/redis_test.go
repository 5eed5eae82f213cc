package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/cache/cachetest"
	"github.com/zeval/zeval/internal/cache/redistest"
)

// newRedis makes a Redis cache on url and closes it when the test ends.
func newRedis(t *testing.T, url string, opts ...cache.RedisOption) *cache.Redis {
	t.Helper()
	c, err := cache.NewRedis(url, opts...)
	if err != nil {
		t.Fatalf("NewRedis(%s): %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisConformance(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	cachetest.Run(t, func(t *testing.T, _ int64) cache.Cache {
		// Every cache its own prefix: the server outlives each subtest's cache.
		return newRedis(t, srv.URL(), cache.WithRedisPrefix(fmt.Sprintf("conformance-%d:", n.Add(1))))
	})
}

func TestRedisOverTCP(t *testing.T) {
	srv := redistest.StartTCP(t)
	var n atomic.Int64
	cachetest.Run(t, func(t *testing.T, _ int64) cache.Cache {
		return newRedis(t, fmt.Sprintf("%s/0?prefix=tcp-%d:", srv.TCPURL(), n.Add(1)))
	})
}

func TestNewRedisBadURL(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"no scheme", "localhost:6379", "want a redis:// or unix:// URL"},
		{"http", "http://localhost:6379", "want a redis:// or unix:// URL"},
		{"TLS", "rediss://localhost:6379", "not supported"},
		{"no host", "redis:///0", "no host"},
		{"database not a number", "redis://localhost:6379/x", `database "x"`},
		{"negative database", "redis://localhost:6379/-1", `database "-1"`},
		{"db parameter on TCP", "redis://localhost/0?db=1", "as the path"},
		{"unix with a host", "unix://host/tmp/r.sock", "absolute path"},
		{"unix without a path", "unix://", "absolute path"},
		{"unix bad db", "unix:///tmp/r.sock?db=two", `db "two"`},
		{"unknown parameter", "redis://localhost?pool=3", `unknown parameter "pool"`},
		{"bad ttl", "redis://localhost?ttl=forever", `ttl="forever"`},
		{"negative ttl", "redis://localhost?ttl=-1s", "negative"},
		{"tiny ttl", "redis://localhost?ttl=10us", "under a millisecond"},
		{"zero max_value", "redis://localhost?max_value=0", "positive"},
		{"huge max_value", "redis://localhost?max_value=999999999999", "512 MiB"},
		{"zero pool", "redis://localhost?pool_size=0", "pool_size 0"},
		{"zero timeout", "redis://localhost?timeout=0s", "positive"},
		{"bad URL", "redis://[::1", "redis URL"},
		{"password is not shown", "rediss://u:secret@localhost", "u:xxxxx@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cache.NewRedis(tt.url)
			if err == nil {
				c.Close()
				t.Fatalf("NewRedis(%q) = nil error, want one saying %q", tt.url, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
				t.Errorf("NewRedis(%q) error = %q, want it to say %q (and no password)", tt.url, err, tt.want)
			}
		})
	}
	for _, ok := range []string{"redis://localhost", "redis://u:p@127.0.0.1:7000/3?prefix=a:&ttl=0&max_value=10&pool_size=2&dial_timeout=1s&timeout=50ms", "unix:///tmp/r.sock?db=2"} {
		c, err := cache.NewRedis(ok)
		if err != nil {
			t.Errorf("NewRedis(%q): %v", ok, err)
			continue
		}
		if strings.Contains(c.String(), ":p@") {
			t.Errorf("String() = %q shows the password", c.String())
		}
		c.Close()
	}
}

// TestRedisShared: two caches (two processes' worth of clients) on one Redis see each
// other's entries, and a different prefix or database is a different namespace.
func TestRedisShared(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	a, b := newRedis(t, srv.URL()), newRedis(t, srv.URL())
	a.Put(ctx, "Z10001|foo|bar", []byte("foobar"))
	if v, ok := b.Get(ctx, "Z10001|foo|bar"); !ok || string(v) != "foobar" {
		t.Errorf("b.Get after a.Put = %q, %v; want foobar, true", v, ok)
	}
	b.Put(ctx, "from b", []byte("b"))
	if v, ok := a.Get(ctx, "from b"); !ok || string(v) != "b" {
		t.Errorf("a.Get after b.Put = %q, %v; want b, true", v, ok)
	}
	other := newRedis(t, srv.URL(), cache.WithRedisPrefix("other:"))
	if _, ok := other.Get(ctx, "from b"); ok {
		t.Errorf("a cache with another prefix sees the entry")
	}
	db1 := newRedis(t, srv.URL()+"?db=1")
	if _, ok := db1.Get(ctx, "from b"); ok {
		t.Errorf("a cache on database 1 sees an entry of database 0")
	}
	db1.Put(ctx, "in 1", []byte("1"))
	if v, ok := newRedis(t, srv.URL()+"?db=1").Get(ctx, "in 1"); !ok || string(v) != "1" {
		t.Errorf("database 1 Get = %q, %v; want 1, true", v, ok)
	}
	if s := a.Stats(); s.Errors != 0 || s.Entries != -1 || s.Bytes != -1 {
		t.Errorf("Stats() = %+v, want no errors and Entries, Bytes -1", s)
	}
}

func TestRedisBinaryValues(t *testing.T) {
	ctx := context.Background()
	c := newRedis(t, redistest.Start(t).URL())
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	values := map[string][]byte{
		"every byte":      all,
		"RESP in a value": []byte("$-1\r\n*3\r\n+OK\r\n-ERR\r\n"),
		"empty":           {},
		"512 KiB":         bytes.Repeat(all, 2048),
		"key\r\nwith\x00": []byte("v"),
	}
	for k, v := range values {
		c.Put(ctx, k, v)
	}
	for k, v := range values {
		if got, ok := c.Get(ctx, k); !ok || !bytes.Equal(got, v) {
			t.Errorf("Get(%q) = %d bytes, %v; want the %d put", k, len(got), ok, len(v))
		}
	}
}

func TestRedisMaxValue(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newRedis(t, srv.URL(), cache.WithRedisMaxValue(1000))
	c.Put(ctx, "fits", make([]byte, 1000))
	if _, ok := c.Get(ctx, "fits"); !ok {
		t.Errorf("a value of exactly the maximum size was not kept")
	}
	c.Put(ctx, "big", make([]byte, 1001))
	if _, ok := c.Get(ctx, "big"); ok {
		t.Errorf("a value over the maximum size was kept")
	}
	c.Put(ctx, "fits", make([]byte, 5000))
	if _, ok := c.Get(ctx, "fits"); ok {
		t.Errorf("an oversize Put left the key's earlier value")
	}
	// Another process with a larger limit wrote a value this one will not read: a miss, and
	// the connection stays usable.
	newRedis(t, srv.URL()).Put(ctx, "theirs", make([]byte, 4000))
	if _, ok := c.Get(ctx, "theirs"); ok {
		t.Errorf("read a value over the maximum size")
	}
	c.Put(ctx, "after", []byte("x"))
	if v, ok := c.Get(ctx, "after"); !ok || string(v) != "x" {
		t.Errorf("Get after an oversize reply = %q, %v; want x, true", v, ok)
	}
}

// logRecorder is a slog handler that keeps the records' messages.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Level.String()+" "+r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }
func (l *logRecorder) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// timed runs f and fails the test if it takes longer than limit (a hang, not a slow call).
func timed(t *testing.T, what string, limit time.Duration, f func()) {
	t.Helper()
	t0 := time.Now()
	f()
	if d := time.Since(t0); d > limit {
		t.Errorf("%s took %v, want at most %v", what, d, limit)
	}
}

// TestRedisKilledAndRestarted: with Redis killed mid-run every call is a miss without an
// error to the caller and without waiting past the timeout; errors are counted and logged
// (not once per call); when Redis is back the cache recovers on its own.
func TestRedisKilledAndRestarted(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	logs := &logRecorder{}
	const timeout = 300 * time.Millisecond
	c := newRedis(t, srv.URL(), cache.WithRedisTimeouts(timeout, timeout), cache.WithRedisLogger(slog.New(logs)))
	// Fill the pool with idle connections, which the kill leaves dead.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Put(ctx, fmt.Sprint("warm", i), []byte("v"))
		}()
	}
	wg.Wait()
	if _, ok := c.Get(ctx, "warm1"); !ok {
		t.Fatal("no hit before the kill")
	}

	srv.Kill()
	timed(t, "100 Gets and Puts against a dead Redis", 2*timeout+time.Second, func() {
		for i := 0; i < 100; i++ {
			if _, ok := c.Get(ctx, "warm1"); ok {
				t.Fatal("a hit from a dead Redis")
			}
			c.Put(ctx, "k", []byte("v"))
		}
	})
	s := c.Stats()
	if s.Errors < 200 || s.Misses < 100 {
		t.Errorf("Stats() after 100 failed Gets and Puts = %+v, want ≥ 200 errors and ≥ 100 misses", s)
	}
	if err := c.Ping(ctx); err == nil {
		t.Errorf("Ping against a dead Redis = nil")
	}
	warns := 0
	for _, m := range logs.messages() {
		if strings.HasPrefix(m, "WARN") {
			warns++
		}
	}
	if warns != 1 {
		t.Errorf("logged %d warnings for 200 failures, want 1: %q", warns, logs.messages())
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The next probe goes within the longest backoff (2 s); until then, misses.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.Put(ctx, "back", []byte("yes"))
		if v, ok := c.Get(ctx, "back"); ok && string(v) == "yes" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no hit 10 s after Redis restarted; Stats() = %+v", c.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if msgs := logs.messages(); !strings.HasPrefix(msgs[len(msgs)-1], "INFO redis cache reachable again") {
		t.Errorf("last log = %q, want the recovery", msgs[len(msgs)-1])
	}
	// A restarted Redis is empty: an entry from before is a miss, not an error.
	errs := c.Stats().Errors
	if _, ok := c.Get(ctx, "warm1"); ok {
		t.Errorf("hit for an entry the restart lost")
	}
	if got := c.Stats().Errors; got != errs {
		t.Errorf("Errors went from %d to %d on a plain miss", errs, got)
	}
}

// TestRedisRestartedQuietly: a Redis restarted between two calls (no call saw it down) is
// used again at once: the dead idle connections are replaced, no miss for the caller.
func TestRedisRestartedQuietly(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newRedis(t, srv.URL())
	c.Put(ctx, "k", []byte("v"))
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	c.Put(ctx, "k", []byte("again"))
	if v, ok := c.Get(ctx, "k"); !ok || string(v) != "again" {
		t.Errorf("Get after a restart = %q, %v; want again, true (Stats %+v)", v, ok, c.Stats())
	}
	if s := c.Stats(); s.Errors != 0 {
		t.Errorf("Stats().Errors = %d after a quiet restart, want 0", s.Errors)
	}
}

// TestRedisUnreachable: a cache on a socket nothing listens on answers misses at once.
func TestRedisUnreachable(t *testing.T) {
	ctx := context.Background()
	c := newRedis(t, "unix://"+filepath.Join(t.TempDir(), "none.sock"))
	timed(t, "1000 Gets against no Redis", 5*time.Second, func() {
		for i := 0; i < 1000; i++ {
			if _, ok := c.Get(ctx, "k"); ok {
				t.Fatal("hit from no Redis")
			}
		}
	})
	if s := c.Stats(); s.Errors != 1000 || s.Misses != 1000 {
		t.Errorf("Stats() = %+v, want 1000 errors and misses", s)
	}
}

// TestRedisHung: a server that accepts and never answers costs one timeout, then nothing
// while the cache leaves it alone.
func TestRedisHung(t *testing.T) {
	ctx := context.Background()
	sock := filepath.Join(t.TempDir(), "hung.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			defer nc.Close() // held open, never answered, until the listener closes
		}
	}()
	const timeout = 200 * time.Millisecond
	c := newRedis(t, "unix://"+sock, cache.WithRedisTimeouts(timeout, timeout))
	timed(t, "Get from a hung Redis", timeout+time.Second, func() {
		if _, ok := c.Get(ctx, "k"); ok {
			t.Error("hit from a hung server")
		}
	})
	timed(t, "100 more Gets", 100*time.Millisecond+time.Second, func() {
		for i := 0; i < 100; i++ {
			c.Get(ctx, "k")
		}
	})
	// The caller's own deadline, shorter than the cache's, is kept too.
	c2 := newRedis(t, "unix://"+sock, cache.WithRedisTimeouts(time.Minute, time.Minute))
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	timed(t, "Get with a 100 ms context", time.Second, func() { c2.Get(cctx, "k") })
	if s := c2.Stats(); s.Errors != 0 || s.Misses != 1 {
		t.Errorf("Stats() after the caller's timeout = %+v, want 1 miss and no error (the caller gave up)", s)
	}
}

// TestRedisPassword: AUTH is sent when the URL has a password; a wrong one is a miss.
func TestRedisPassword(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	admin := newRedis(t, srv.URL())
	if err := cache.SetPasswordForTest(ctx, admin, "s3cret"); err != nil {
		t.Fatal(err)
	}
	good := newRedis(t, "unix://:s3cret@"+srv.Socket())
	good.Put(ctx, "k", []byte("v"))
	if v, ok := good.Get(ctx, "k"); !ok || string(v) != "v" {
		t.Errorf("Get with the password = %q, %v; want v, true (Stats %+v)", v, ok, good.Stats())
	}
	bad := newRedis(t, "unix://:wrong@"+srv.Socket())
	if _, ok := bad.Get(ctx, "k"); ok || bad.Stats().Errors != 1 {
		t.Errorf("Get with a wrong password: found %v, Stats %+v; want a miss and an error", ok, bad.Stats())
	}
}

func BenchmarkRedisGet(b *testing.B) {
	ctx := context.Background()
	c, err := cache.NewRedis(redistest.Start(b).URL())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.Put(ctx, "key", bytes.Repeat([]byte("v"), 200))
	b.ResetTimer()
	for b.Loop() {
		if _, ok := c.Get(ctx, "key"); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkRedisPut(b *testing.B) {
	ctx := context.Background()
	c, err := cache.NewRedis(redistest.Start(b).URL())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	v := bytes.Repeat([]byte("v"), 200)
	for b.Loop() {
		c.Put(ctx, "key", v)
	}
}
