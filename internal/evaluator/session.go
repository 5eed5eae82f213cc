package evaluator

import (
	"context"
	"errors"
	"sync"
)

// Session groups the calls of one request, tester run or page render. Each function gets its
// own kernel in a session, loaded on its first call; Close gives the kernels back. Safe for
// concurrent use.
type Session struct {
	e      *Evaluator
	mu     sync.Mutex
	slots  map[fnKey]*slot
	closed bool
}

// slot is the instance of one function in a session; ready is closed once loading ended.
type slot struct {
	ready chan struct{}
	in    instance
	err   error
}

// ErrSessionClosed is returned for calls in a closed session.
var ErrSessionClosed = errors.New("evaluator: session is closed")

// NewSession opens a session.
func (e *Evaluator) NewSession() *Session {
	return &Session{e: e, slots: map[fnKey]*slot{}}
}

type sessionKey struct{}

// WithSession returns a context that carries s: evaluations under it use s's kernels.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom returns the session ctx carries, or nil.
func SessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// instance returns the session's instance of fn, loading it on first use. Concurrent first calls
// share one load.
func (s *Session) instance(ctx context.Context, fn *function) (instance, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrSessionClosed
	}
	sl := s.slots[fn.key]
	if sl == nil {
		sl = &slot{ready: make(chan struct{})}
		s.slots[fn.key] = sl
		s.mu.Unlock()
		sl.in, sl.err = s.e.acquire(ctx, fn)
		if sl.err != nil {
			s.mu.Lock()
			delete(s.slots, fn.key) // let a later call try again
			s.mu.Unlock()
		}
		close(sl.ready)
		return sl.in, sl.err
	}
	s.mu.Unlock()
	select {
	case <-sl.ready:
		return sl.in, sl.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// loaded returns the session's instance of fn when it is loaded already (nil otherwise), or
// ErrSessionClosed. It never waits.
func (s *Session) loaded(fn *function) (instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSessionClosed
	}
	if sl := s.slots[fn.key]; sl != nil {
		select {
		case <-sl.ready:
			if sl.err == nil {
				return sl.in, nil
			}
		default:
		}
	}
	return nil, nil
}

// drop forgets a broken instance so that the function's next call gets a new kernel.
func (s *Session) drop(key fnKey, in instance) {
	s.mu.Lock()
	if sl := s.slots[key]; sl != nil && sl.in == in {
		delete(s.slots, key)
	}
	s.mu.Unlock()
	in.close()
}

// Kernels is the number of kernels the session holds.
func (s *Session) Kernels() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.slots)
}

// Close gives the session's kernels back (discarded, or kept for reuse when configured).
func (s *Session) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	slots := s.slots
	s.slots = nil
	s.mu.Unlock()
	for key, sl := range slots {
		<-sl.ready
		if sl.in != nil {
			s.e.giveBack(key, sl.in)
		}
	}
}

// acquire loads fn into a kernel: a kept one of the same revision when reuse is on, else a
// fresh lease.
func (e *Evaluator) acquire(ctx context.Context, fn *function) (in instance, err error) {
	if obs := e.cfg.AcquireObserver; obs != nil {
		var done func(error)
		ctx, done = obs(ctx, fn.language, fn.name)
		defer func() { done(err) }()
	}
	if e.cfg.ReuseKernels {
		e.mu.Lock()
		list := e.warm[fn.key]
		for len(list) > 0 {
			in := list[len(list)-1]
			list = list[:len(list)-1]
			e.warm[fn.key] = list
			if in.usable() {
				e.mu.Unlock()
				return in, nil
			}
			e.closeLater(in)
		}
		e.mu.Unlock()
	}
	return e.runtimeFor(fn.language).load(ctx, fn)
}

// giveBack ends a session's use of an instance.
func (e *Evaluator) giveBack(key fnKey, in instance) {
	if e.cfg.ReuseKernels && in.usable() {
		e.mu.Lock()
		if len(e.warm[key]) < 4 {
			e.warm[key] = append(e.warm[key], in)
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
	}
	e.closeLater(in)
}

// closeLater closes an instance in the background; Close waits for it.
func (e *Evaluator) closeLater(in instance) {
	e.closing.Add(1)
	go func() {
		defer e.closing.Done()
		in.close()
	}()
}
