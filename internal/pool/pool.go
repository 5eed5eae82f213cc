package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
)

// Launcher starts one ready kernel.
type Launcher interface {
	Launch(ctx context.Context) (*jupyter.Kernel, error)
}

// LaunchFunc adapts a function to Launcher.
type LaunchFunc func(ctx context.Context) (*jupyter.Kernel, error)

// Launch calls f.
func (f LaunchFunc) Launch(ctx context.Context) (*jupyter.Kernel, error) { return f(ctx) }

// SpecLauncher launches kernels from a kernelspec with jupyter.Launch.
type SpecLauncher struct {
	Spec    *jupyter.Spec
	Options []jupyter.Option
}

// Launch starts a kernel from the spec.
func (l SpecLauncher) Launch(ctx context.Context) (*jupyter.Kernel, error) {
	return jupyter.Launch(ctx, l.Spec, l.Options...)
}

var _ Launcher = SpecLauncher{}

// ErrClosed is returned by Lease after Close.
var ErrClosed = errors.New("pool: closed")

// ErrExhausted is returned (wrapped) when no kernel could be had before the lease's context ended
// because the pool was at its maximum.
var ErrExhausted = errors.New("pool: exhausted")

// Stats is a snapshot of a pool's counts.
type Stats struct {
	Name      string        `json:"name"`
	Idle      int           `json:"idle"`
	Leased    int           `json:"leased"`
	Starting  int           `json:"starting"`
	MinIdle   int           `json:"min_idle"`
	Max       int           `json:"max"`
	Started   int64         `json:"started"`    // kernels started successfully, ever
	Failed    int64         `json:"failed"`     // failed starts, ever
	Died      int64         `json:"died"`       // idle kernels found dead
	LastError string        `json:"last_error"` // of the last failed start
	LastStart time.Duration `json:"last_start"` // duration of the last successful start
}

// Option configures a Pool.
type Option func(*Pool)

// WithMinIdle sets how many ready kernels the pool keeps (default 1).
func WithMinIdle(n int) Option { return func(p *Pool) { p.minIdle = n } }

// WithMax sets the most kernels the pool has at once, idle, leased and starting (default 16).
func WithMax(n int) Option { return func(p *Pool) { p.max = n } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(p *Pool) { p.log = l } }

// WithStartObserver calls f after every kernel start, with its duration and error.
func WithStartObserver(f func(d time.Duration, err error)) Option {
	return func(p *Pool) { p.observe = f }
}

// WithStartGate makes the starts that refill the pool pass gate first (quota.Limiter.Occupy,
// say): gate returns once the start may go, and the release the start calls when it is done; an
// error (ctx ended) drops the start. A start for a Lease that waits for a kernel does not pass
// the gate, and takes over from refills still waiting at it: the lease may hold the very slot
// the gate waits for.
func WithStartGate(gate func(ctx context.Context) (release func(), err error)) Option {
	return func(p *Pool) { p.gate = gate }
}

// Pool keeps warm kernels of one kind. Safe for concurrent use.
type Pool struct {
	name     string
	launcher Launcher
	minIdle  int
	max      int
	log      *slog.Logger
	observe  func(time.Duration, error)
	gate     func(context.Context) (func(), error)

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	idle     []*jupyter.Kernel
	leased   int
	starting int                      // starts under way, those at the gate included
	gated    map[*gatedStart]struct{} // refills waiting at the gate
	waiting  int                      // Lease calls waiting for a kernel
	closed   bool
	changed  chan struct{} // closed and replaced whenever counts change
	failures int           // consecutive failed starts, for backoff
	stats    Stats
}

// New creates a pool and starts filling it in the background.
func New(name string, l Launcher, opts ...Option) *Pool {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{
		name: name, launcher: l, minIdle: 1, max: 16,
		log:     slog.New(slog.DiscardHandler),
		ctx:     ctx,
		cancel:  cancel,
		changed: make(chan struct{}),
		gated:   map[*gatedStart]struct{}{},
	}
	for _, o := range opts {
		o(p)
	}
	if p.max < 1 {
		p.max = 1
	}
	if p.minIdle > p.max {
		p.minIdle = p.max
	}
	p.mu.Lock()
	p.refillLocked()
	p.mu.Unlock()
	return p
}

// Name is the pool's name (its kernelspec, usually).
func (p *Pool) Name() string { return p.name }

// notifyLocked wakes everyone waiting for a change.
func (p *Pool) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// refillLocked starts kernels until idle+starting reaches the minimum (within max).
func (p *Pool) refillLocked() {
	for !p.closed && len(p.idle)+p.starting < p.minIdle && len(p.idle)+p.starting+p.leased < p.max {
		p.startLocked(true)
	}
}

// gatedStart is a refill waiting at the gate.
type gatedStart struct{ cancel context.CancelFunc }

// ungateLocked drops the refills still waiting at the gate (they count as starting no more), so
// that a waiting lease starts its kernel itself.
func (p *Pool) ungateLocked() {
	for g := range p.gated {
		g.cancel()
		delete(p.gated, g)
		p.starting--
	}
}

// passGate waits at the gate for a refill. It reports false when the start is dropped: the
// gate failed (the pool closed), or a waiting lease took over (ungateLocked).
func (p *Pool) passGate(ctx context.Context, g *gatedStart) (release func(), ok bool) {
	defer g.cancel()
	release, err := p.gate(ctx)
	p.mu.Lock()
	_, mine := p.gated[g] // else ungateLocked counted it off already
	delete(p.gated, g)
	if mine && err != nil {
		p.starting--
		p.notifyLocked()
	}
	p.mu.Unlock()
	switch {
	case err != nil:
		return nil, false
	case !mine:
		release() // outside the pool's lock: the gate's own may be taken
		return nil, false
	}
	return release, true
}

// startLocked starts a kernel in the background; a refill passes the gate first.
func (p *Pool) startLocked(refill bool) {
	p.starting++
	backoff := time.Duration(0)
	if p.failures > 0 {
		backoff = min(time.Duration(1<<min(p.failures, 6))*100*time.Millisecond, 10*time.Second)
	}
	var g *gatedStart
	var gctx context.Context
	if refill && p.gate != nil {
		var cancel context.CancelFunc
		gctx, cancel = context.WithCancel(p.ctx)
		g = &gatedStart{cancel: cancel}
		p.gated[g] = struct{}{}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if g != nil {
			release, ok := p.passGate(gctx, g)
			if !ok {
				return
			}
			defer release() // the slot is held through the start
		}
		if backoff > 0 {
			select {
			case <-time.After(backoff):
			case <-p.ctx.Done():
			}
		}
		t0 := time.Now()
		k, err := p.launcher.Launch(p.ctx)
		d := time.Since(t0)
		if p.observe != nil {
			p.observe(d, err)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.starting--
		defer p.notifyLocked()
		if err != nil {
			p.failures++
			p.stats.Failed++
			p.stats.LastError = err.Error()
			if !p.closed {
				p.log.Warn("kernel start failed", "pool", p.name, "error", err)
				p.refillLocked()
			}
			return
		}
		p.failures = 0
		p.stats.Started++
		p.stats.LastStart = d
		if p.closed {
			p.discard(k)
			return
		}
		p.idle = append(p.idle, k)
		p.watch(k)
	}()
}

// watch drops an idle kernel that dies and starts a replacement.
func (p *Pool) watch(k *jupyter.Kernel) {
	done := k.Done()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-done:
		case <-p.ctx.Done():
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, x := range p.idle {
			if x == k {
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				p.stats.Died++
				p.log.Warn("idle kernel died", "pool", p.name, "error", k.Err())
				p.discard(k) // reap and clean up
				p.refillLocked()
				p.notifyLocked()
				return
			}
		}
	}()
}

// Lease takes a ready kernel, waiting for one to start if none is idle. The caller owns it
// until Release or Reuse.
func (p *Pool) Lease(ctx context.Context) (*jupyter.Kernel, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		for len(p.idle) > 0 {
			k := p.idle[len(p.idle)-1]
			p.idle = p.idle[:len(p.idle)-1]
			if k.Err() != nil { // died since the watcher last looked
				p.discard(k)
				continue
			}
			p.leased++
			p.refillLocked()
			p.mu.Unlock()
			return k, nil
		}
		// Nothing idle: make sure a start is under way for each waiter, as the maximum allows.
		p.waiting++
		p.ungateLocked()
		for p.starting < p.waiting && p.starting+p.leased < p.max {
			p.startLocked(false)
		}
		changed := p.changed
		full := p.starting == 0 && p.leased >= p.max
		p.mu.Unlock()
		select {
		case <-changed:
			p.mu.Lock()
			p.waiting--
			p.mu.Unlock()
		case <-ctx.Done():
			p.mu.Lock()
			p.waiting--
			p.mu.Unlock()
			if full {
				return nil, fmt.Errorf("%w: %d kernels leased (max %d): %w", ErrExhausted, p.max, p.max, ctx.Err())
			}
			return nil, fmt.Errorf("pool %s: waiting for a kernel: %w", p.name, ctx.Err())
		case <-p.ctx.Done():
			p.mu.Lock()
			p.waiting--
			p.mu.Unlock()
			return nil, ErrClosed
		}
	}
}

// Release ends a lease: the kernel is shut down (in the background) and the pool refills.
func (p *Pool) Release(k *jupyter.Kernel) {
	p.mu.Lock()
	p.leased--
	p.refillLocked()
	p.notifyLocked()
	p.mu.Unlock()
	p.discard(k)
}

// Reuse ends a lease and keeps the kernel for the next Lease, if it is alive and the pool has
// room for it among its idle kernels; otherwise it is shut down.
func (p *Pool) Reuse(k *jupyter.Kernel) {
	p.mu.Lock()
	p.leased--
	keep := !p.closed && k.Err() == nil && len(p.idle) < max(p.minIdle, 1)*2
	if keep {
		p.idle = append(p.idle, k)
		p.watch(k)
	} else {
		p.refillLocked()
	}
	p.notifyLocked()
	p.mu.Unlock()
	if !keep {
		p.discard(k)
	}
}

// discard kills k in the background; Close waits for it, so that no kernel outlives the pool
// and no kernel directory is left behind. A discarded kernel's state is thrown away: it gets no
// shutdown_request, whose handling (atexit hooks, thread joins) costs the kernel a few hundred
// milliseconds of its own.
func (p *Pool) discard(k *jupyter.Kernel) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		k.Kill()
	}()
}

// Stats returns the current counts.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Name, s.Idle, s.Leased, s.Starting, s.MinIdle, s.Max = p.name, len(p.idle), p.leased, p.starting, p.minIdle, p.max
	return s
}

// WaitReady blocks until the pool has its minimum of idle kernels, or ctx ends.
func (p *Pool) WaitReady(ctx context.Context) error {
	for {
		p.mu.Lock()
		ok := len(p.idle) >= p.minIdle
		changed := p.changed
		p.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			s := p.Stats()
			if s.LastError != "" {
				return fmt.Errorf("pool %s: %d of %d kernels ready; last start failed: %s", p.name, s.Idle, s.MinIdle, s.LastError)
			}
			return fmt.Errorf("pool %s: %d of %d kernels ready: %w", p.name, s.Idle, s.MinIdle, ctx.Err())
		}
	}
}

// Close shuts down the idle kernels and stops refilling. Leased kernels stay with their owners,
// who still Release them. It waits for starts under way to finish.
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.notifyLocked()
	p.mu.Unlock()
	p.cancel()
	var wg sync.WaitGroup
	for _, k := range idle {
		wg.Add(1)
		go func() { defer wg.Done(); k.Kill() }()
	}
	wg.Wait()
	p.wg.Wait()
}
