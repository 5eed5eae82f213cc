package cache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Redis cache; each can be changed in the URL's query or by an option.
const (
	DefaultRedisPrefix      = "zeval:"
	DefaultRedisTTL         = 24 * time.Hour
	DefaultRedisMaxValue    = 1 << 20
	DefaultRedisPoolSize    = 16
	DefaultRedisDialTimeout = time.Second
	DefaultRedisTimeout     = time.Second
)

// After a connection failure the backend is left alone (every call a miss, no network) for
// a while, then one call probes it; each failed probe doubles the wait, up to the maximum.
const (
	redisFirstBackoff = 100 * time.Millisecond
	redisMaxBackoff   = 2 * time.Second
	redisLogEvery     = 10 * time.Second
)

// errRedisDown is what a call gets while the backend is left alone after failures.
var errRedisDown = errors.New("redis unavailable, waiting before the next try")

// errPoolTimeout: every connection stayed busy for the whole timeout.
var errPoolTimeout = errors.New("redis: no free connection within the timeout")

// errClosed: the cache was closed.
var errClosed = errors.New("redis cache closed")

// Redis is a cache shared by every process that points at the same Redis server: keys are
// stored under a prefix, values with an expiry (SET PX), and Redis itself evicts (its
// maxmemory policy), so Stats cannot tell entries, bytes or evictions. It speaks RESP2 over a
// bounded pool of connections with dial and I/O timeouts.
//
// Get and Put never fail for the caller: when Redis is unreachable or answers an error, Get
// reports a miss and Put drops the value; Stats.Errors counts them and the logger says so (at
// most once per 10 s, plus once on recovery). After a connection failure calls do not touch
// the network for a short, growing while (100 ms up to 2 s), then one call probes again, so
// a dead Redis costs a page nothing but misses. Safe for concurrent use; make it with NewRedis
// and Close it when done.
type Redis struct {
	cfg redisConfig

	slots chan struct{} // a token per connection in use: the pool's bound

	mu         sync.Mutex
	idle       []*redisConn
	closed     bool
	down       bool      // after a connection failure, until a call succeeds
	retryAt    time.Time // while down: when the next probe may go
	backoff    time.Duration
	probing    bool // while down: a probe is in flight
	lastLog    time.Time
	suppressed int // warnings not logged since lastLog

	hits, misses, puts, errs atomic.Int64
}

var _ Cache = (*Redis)(nil)

type redisConfig struct {
	network, addr      string // "tcp" host:port, or "unix" path
	username, password string
	db                 int
	prefix             string
	ttl                time.Duration // 0: no expiry
	maxValue           int64
	poolSize           int
	dialTimeout        time.Duration
	timeout            time.Duration
	logger             *slog.Logger
	display            string // the URL without its password, for logs
}

// RedisOption changes a setting of a Redis cache; options apply after the URL's query.
type RedisOption func(*redisConfig)

// WithRedisLogger sets where failures and recoveries are logged (default: discarded).
func WithRedisLogger(l *slog.Logger) RedisOption {
	return func(c *redisConfig) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithRedisPrefix sets the prefix of every key (default "zeval:"), so that several
// deployments, or other programs, can share one Redis database.
func WithRedisPrefix(p string) RedisOption { return func(c *redisConfig) { c.prefix = p } }

// WithRedisTTL sets how long Redis keeps a value (default 24 h; 0: until evicted).
func WithRedisTTL(d time.Duration) RedisOption { return func(c *redisConfig) { c.ttl = d } }

// WithRedisMaxValue sets the largest value stored and read back, in bytes (default 1 MiB).
func WithRedisMaxValue(n int64) RedisOption { return func(c *redisConfig) { c.maxValue = n } }

// WithRedisPoolSize bounds the connections open at once (default 16).
func WithRedisPoolSize(n int) RedisOption { return func(c *redisConfig) { c.poolSize = n } }

// WithRedisTimeouts sets the dial timeout and the timeout of one command (a round trip,
// including the wait for a free connection). Defaults: 1 s each.
func WithRedisTimeouts(dial, op time.Duration) RedisOption {
	return func(c *redisConfig) { c.dialTimeout, c.timeout = dial, op }
}

// NewRedis returns a cache on the Redis server of rawURL:
//
//	redis://[[user]:password@]host[:port][/db][?param=value&...]
//	unix://[[user]:password@]/path/to/redis.sock[?db=N&param=value&...]
//
// with params prefix (default "zeval:"), ttl (a Go duration, default 24h, 0 for none),
// max_value (bytes, default 1048576), pool_size (default 16), dial_timeout and timeout (Go
// durations, default 1s each). It does not connect: the first call does (see Ping). Bad
// URLs and settings are errors.
func NewRedis(rawURL string, opts ...RedisOption) (*Redis, error) {
	cfg, err := parseRedisURL(rawURL)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Redis{cfg: cfg, slots: make(chan struct{}, cfg.poolSize)}, nil
}

func parseRedisURL(raw string) (redisConfig, error) {
	cfg := redisConfig{
		prefix: DefaultRedisPrefix, ttl: DefaultRedisTTL, maxValue: DefaultRedisMaxValue,
		poolSize: DefaultRedisPoolSize, dialTimeout: DefaultRedisDialTimeout, timeout: DefaultRedisTimeout,
		logger: slog.New(slog.DiscardHandler),
	}
	u, err := url.Parse(raw)
	if err != nil {
		return cfg, fmt.Errorf("redis URL: %w", err)
	}
	bad := func(format string, a ...any) (redisConfig, error) {
		return cfg, fmt.Errorf("redis URL %s: %s", u.Redacted(), fmt.Sprintf(format, a...))
	}
	q := u.Query()
	switch u.Scheme {
	case "redis":
		if u.Hostname() == "" {
			return bad("no host (want redis://host:6379/0)")
		}
		port := u.Port()
		if port == "" {
			port = "6379"
		}
		cfg.network, cfg.addr = "tcp", net.JoinHostPort(u.Hostname(), port)
		if p := strings.Trim(u.Path, "/"); p != "" {
			if cfg.db, err = strconv.Atoi(p); err != nil || cfg.db < 0 {
				return bad("database %q is not a number ≥ 0", p)
			}
		}
		if q.Has("db") {
			return bad("give the database as the path (redis://host:6379/0), not db=")
		}
	case "unix":
		if u.Host != "" || u.Path == "" {
			return bad("want unix:///path/to/redis.sock (an absolute path, no host)")
		}
		cfg.network, cfg.addr = "unix", u.Path
		if v := q.Get("db"); v != "" {
			if cfg.db, err = strconv.Atoi(v); err != nil || cfg.db < 0 {
				return bad("db %q is not a number ≥ 0", v)
			}
		}
	case "rediss":
		return bad("TLS (rediss://) is not supported; use redis:// over a trusted network or a unix socket")
	default:
		return bad("want a redis:// or unix:// URL")
	}
	if u.User != nil {
		cfg.username = u.User.Username()
		cfg.password, _ = u.User.Password()
	}
	cfg.display = u.Redacted()
	for name, vals := range q {
		v := vals[len(vals)-1]
		var err error
		switch name {
		case "db":
			continue
		case "prefix":
			cfg.prefix = v
		case "ttl":
			cfg.ttl, err = time.ParseDuration(v)
		case "max_value":
			cfg.maxValue, err = strconv.ParseInt(v, 10, 64)
		case "pool_size":
			cfg.poolSize, err = strconv.Atoi(v)
		case "dial_timeout":
			cfg.dialTimeout, err = time.ParseDuration(v)
		case "timeout":
			cfg.timeout, err = time.ParseDuration(v)
		default:
			return bad("unknown parameter %q (want prefix, ttl, max_value, pool_size, dial_timeout, timeout, and db for unix://)", name)
		}
		if err != nil {
			return bad("%s=%q: %v", name, v, err)
		}
	}
	return cfg, nil
}

func (c *redisConfig) validate() error {
	switch {
	case c.ttl < 0:
		return fmt.Errorf("redis cache: ttl %v is negative", c.ttl)
	case c.ttl > 0 && c.ttl < time.Millisecond:
		return fmt.Errorf("redis cache: ttl %v is under a millisecond", c.ttl)
	case c.maxValue <= 0:
		return fmt.Errorf("redis cache: max_value %d: want a positive number of bytes", c.maxValue)
	case c.maxValue > 512<<20:
		return fmt.Errorf("redis cache: max_value %d is over Redis's 512 MiB", c.maxValue)
	case c.poolSize <= 0 || c.poolSize > 4096:
		return fmt.Errorf("redis cache: pool_size %d: want 1 to 4096", c.poolSize)
	case c.dialTimeout <= 0 || c.timeout <= 0:
		return fmt.Errorf("redis cache: timeouts must be positive (dial_timeout %v, timeout %v)", c.dialTimeout, c.timeout)
	}
	return nil
}

// String names the server, without the password.
func (r *Redis) String() string { return r.cfg.display }

// Get returns the value under key, or a miss when there is none, it is larger than the
// maximum value size, or Redis did not answer.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool) {
	rep, err := r.do(ctx, r.cfg.maxValue, []byte("GET"), r.key(key))
	if err == nil && rep.kind != '$' {
		err = fmt.Errorf("%w: GET answered %q", ErrProtocol, rep.kind)
	}
	if err != nil || rep.null {
		r.misses.Add(1)
		return nil, false
	}
	r.hits.Add(1)
	return rep.str, true
}

// Put stores value under key with the cache's expiry. A value over the maximum size is not
// stored, and removes what the key held.
func (r *Redis) Put(ctx context.Context, key string, value []byte) {
	r.puts.Add(1)
	args := [][]byte{[]byte("SET"), r.key(key), value}
	if int64(len(value)) > r.cfg.maxValue {
		args = [][]byte{[]byte("DEL"), r.key(key)}
	} else if r.cfg.ttl > 0 {
		args = append(args, []byte("PX"), strconv.AppendInt(nil, r.cfg.ttl.Milliseconds(), 10))
	}
	_, _ = r.do(ctx, 64, args...)
}

// Ping checks that Redis answers, for a start-up message or a readiness check. It counts
// nothing in Stats.
func (r *Redis) Ping(ctx context.Context) error {
	c, err := r.acquire(ctx, false)
	if err != nil {
		return err
	}
	rep, err := c.roundTrip(ctx, r.cfg.timeout, 64, []byte("PING"))
	if err == nil && (rep.kind != '+' || string(rep.str) != "PONG") {
		err = fmt.Errorf("%w: PING answered %q %q", ErrProtocol, rep.kind, rep.str)
	}
	r.release(c, err)
	return err
}

// Stats returns the counters. Entries, Bytes and Evictions are Redis's to know (-1, -1, 0);
// MaxBytes is 0 (Redis's maxmemory bounds it).
func (r *Redis) Stats() Stats {
	return Stats{Hits: r.hits.Load(), Misses: r.misses.Load(), Puts: r.puts.Load(), Errors: r.errs.Load(),
		Entries: -1, Bytes: -1}
}

// Close closes the idle connections, and the busy ones when they come back. Calls after
// Close are misses and dropped writes.
func (r *Redis) Close() error {
	r.mu.Lock()
	idle := r.idle
	r.idle, r.closed = nil, true
	r.mu.Unlock()
	for _, c := range idle {
		c.nc.Close()
	}
	return nil
}

func (r *Redis) key(k string) []byte {
	b := make([]byte, 0, len(r.cfg.prefix)+len(k))
	return append(append(b, r.cfg.prefix...), k...)
}

// do runs one command, through the breaker, on a pooled connection. A connection that was
// idle may have been closed by the server (a restart, its idle timeout): the command is then
// run once more on a new one. GET, SET and DEL can be repeated safely.
func (r *Redis) do(ctx context.Context, maxBulk int64, args ...[]byte) (reply, error) {
	if ctx.Err() != nil {
		return reply{}, ctx.Err() // the caller gave up: not the backend's failure
	}
	probe, err := r.admit()
	if err != nil {
		r.errs.Add(1)
		return reply{}, err
	}
	var rep reply
	for attempt := 0; ; attempt++ {
		var c *redisConn
		if c, err = r.acquire(ctx, attempt > 0); err == nil {
			rep, err = c.roundTrip(ctx, r.cfg.timeout, maxBulk, args...)
			r.release(c, err)
			if err != nil && attempt == 0 && c.reused && stale(err) {
				// The server closed it, so it probably closed the other idle ones too.
				r.dropIdle()
				continue
			}
		}
		break
	}
	r.settle(ctx, probe, err)
	return rep, err
}

// stale tells whether err is what a connection closed by the other end gives (not a timeout).
func stale(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	var se serverError
	return !errors.As(err, &se) && !errors.Is(err, errReplyTooLarge) && !errors.Is(err, ErrProtocol) &&
		!errors.Is(err, errPoolTimeout) && !errors.Is(err, errClosed) &&
		!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// admit lets a call through unless the backend is being left alone; while it is, one call
// becomes the probe once the wait is over.
func (r *Redis) admit() (probe bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		return false, errClosed
	case !r.down:
		return false, nil
	case r.probing || time.Now().Before(r.retryAt):
		return false, errRedisDown
	}
	r.probing = true
	return true, nil
}

// settle records how a call went: the breaker's state, the error count and the log.
func (r *Redis) settle(ctx context.Context, probe bool, err error) {
	if err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		err = nil // cut off by the caller: says nothing about Redis
	}
	var se serverError
	connFailure := err != nil && (errors.Is(err, errSetup) || !errors.As(err, &se) &&
		!errors.Is(err, errReplyTooLarge) && !errors.Is(err, errPoolTimeout) && !errors.Is(err, errClosed))
	if err != nil {
		r.errs.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if probe {
		r.probing = false
	}
	switch {
	case connFailure && !r.down:
		r.down, r.backoff = true, redisFirstBackoff
		r.retryAt = time.Now().Add(r.backoff)
		r.warnLocked("redis cache unavailable: answering misses and dropping writes until it is back", err)
	case connFailure && probe:
		r.backoff = min(2*r.backoff, redisMaxBackoff)
		r.retryAt = time.Now().Add(r.backoff)
	case err != nil:
		r.warnLocked("redis cache command failed", err)
	case r.down && probe:
		r.down = false
		r.cfg.logger.Info("redis cache reachable again", "redis", r.cfg.display)
	}
}

// warnLocked logs a warning at most once per redisLogEvery, saying how many it held back.
func (r *Redis) warnLocked(msg string, err error) {
	now := time.Now()
	if now.Sub(r.lastLog) < redisLogEvery {
		r.suppressed++
		return
	}
	r.cfg.logger.Warn(msg, "redis", r.cfg.display, "error", err.Error(), "suppressed", r.suppressed)
	r.lastLog, r.suppressed = now, 0
}

// dropIdle closes the idle connections.
func (r *Redis) dropIdle() {
	r.mu.Lock()
	idle := r.idle
	r.idle = nil
	r.mu.Unlock()
	for _, c := range idle {
		c.nc.Close()
	}
}

// acquire takes a connection token, waiting at most the command timeout, and returns an
// idle connection (unless fresh) or a new one.
func (r *Redis) acquire(ctx context.Context, fresh bool) (*redisConn, error) {
	select {
	case r.slots <- struct{}{}:
	default:
		t := time.NewTimer(r.cfg.timeout)
		defer t.Stop()
		select {
		case r.slots <- struct{}{}:
		case <-t.C:
			return nil, errPoolTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.slots
		return nil, errClosed
	}
	if n := len(r.idle); n > 0 && !fresh {
		c := r.idle[n-1]
		r.idle = r.idle[:n-1]
		r.mu.Unlock()
		c.reused = true
		return c, nil
	}
	r.mu.Unlock()
	c, err := r.dial(ctx)
	if err != nil {
		<-r.slots
		return nil, err
	}
	return c, nil
}

// release gives a connection back after a command: to the idle list when it is still in
// step with the server (no error, or an error reply), closed otherwise.
func (r *Redis) release(c *redisConn, err error) {
	var se serverError
	keep := err == nil || errors.As(err, &se)
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil // do not hold a large value's buffer for every idle connection
	}
	r.mu.Lock()
	if keep && !r.closed {
		r.idle = append(r.idle, c)
	} else {
		keep = false
	}
	r.mu.Unlock()
	if !keep {
		c.nc.Close()
	}
	<-r.slots
}

// dial connects and authenticates and selects the database, if the URL asks.
func (r *Redis) dial(ctx context.Context) (*redisConn, error) {
	d := net.Dialer{Timeout: r.cfg.dialTimeout}
	nc, err := d.DialContext(ctx, r.cfg.network, r.cfg.addr)
	if err != nil {
		dl, ok := ctx.Deadline()
		return nil, callersTimeout(err, ok && dl.Before(time.Now().Add(r.cfg.dialTimeout)))
	}
	c := &redisConn{nc: nc, br: bufio.NewReaderSize(nc, 32<<10)}
	var setup [][][]byte
	switch {
	case r.cfg.username != "":
		setup = append(setup, [][]byte{[]byte("AUTH"), []byte(r.cfg.username), []byte(r.cfg.password)})
	case r.cfg.password != "":
		setup = append(setup, [][]byte{[]byte("AUTH"), []byte(r.cfg.password)})
	}
	if r.cfg.db != 0 {
		setup = append(setup, [][]byte{[]byte("SELECT"), []byte(strconv.Itoa(r.cfg.db))})
	}
	for _, args := range setup {
		rep, err := c.roundTrip(ctx, r.cfg.timeout, 64, args...)
		if err == nil && rep.kind != '+' {
			err = fmt.Errorf("%w: %s answered %q", ErrProtocol, args[0], rep.kind)
		}
		if err != nil {
			nc.Close()
			// An error reply here (a wrong password, a database out of range) is a setting
			// that will not fix itself: treat it as the server being unusable.
			return nil, fmt.Errorf("%s: %w", args[0], errors.Join(err, errSetup))
		}
	}
	return c, nil
}

// callersTimeout turns a timeout that the caller's deadline set into
// context.DeadlineExceeded: the caller ran out of time, which says nothing about Redis.
func callersTimeout(err error, callers bool) error {
	var ne net.Error
	if callers && errors.As(err, &ne) && ne.Timeout() {
		return context.DeadlineExceeded
	}
	return err
}

// errSetup marks a failure of AUTH or SELECT on a new connection.
var errSetup = errors.New("connection setup failed")

// redisConn is one connection. Only the call that holds it uses it.
type redisConn struct {
	nc     net.Conn
	br     *bufio.Reader
	wbuf   []byte
	reused bool // taken from the idle list, so possibly closed by the server meanwhile
}

// roundTrip writes one command and reads its reply within timeout, or until ctx ends. An
// error reply comes back as a serverError.
func (c *redisConn) roundTrip(ctx context.Context, timeout time.Duration, maxBulk int64, args ...[]byte) (reply, error) {
	deadline := time.Now().Add(timeout)
	callers := false // the caller's deadline comes first
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, callers = d, true
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		return reply{}, err
	}
	// A cancelled ctx cuts the I/O short by moving the deadline to the past.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	c.wbuf = appendCommand(c.wbuf[:0], args...)
	_, err := c.nc.Write(c.wbuf)
	var rep reply
	if err == nil {
		rep, err = readReply(c.br, maxBulk)
	}
	if !stop() && err == nil {
		// ctx ended just as the reply came: the deadline may have been moved after the
		// read, so this connection must not be reused.
		err = ctx.Err()
	}
	if err != nil {
		return reply{}, callersTimeout(err, callers)
	}
	if rep.kind == '-' {
		return rep, serverError(rep.str)
	}
	return rep, nil
}
