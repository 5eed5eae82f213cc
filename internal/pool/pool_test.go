package pool

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
)

func xpython(t *testing.T) Launcher {
	t.Helper()
	spec, err := jupyter.FindSpec(jupyter.SearchPath(), "xpython")
	if err != nil {
		t.Fatalf("xpython is not installed (make setup installs it): %v", err)
	}
	return SpecLauncher{Spec: spec}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

func TestLeaseReleaseRefill(t *testing.T) {
	p := New("xpython", xpython(t), WithMinIdle(2), WithMax(4))
	defer p.Close()
	ctx := ctxT(t, 60*time.Second)
	if err := p.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Idle != 2 || s.Leased != 0 {
		t.Fatalf("Stats after WaitReady = %+v, want 2 idle", s)
	}
	k, err := p.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := k.Execute(ctx, "print(1)")
	if err != nil || res.Stdout() != "1\n" {
		t.Fatalf("leased kernel: %v %+v", err, res)
	}
	if s := p.Stats(); s.Leased != 1 {
		t.Errorf("Stats().Leased = %d, want 1", s.Leased)
	}
	pid := k.Pid()
	p.Release(k)
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling a process, not waiting for readiness
	}
	if !gone(pid) {
		t.Errorf("released kernel %d still runs", pid)
	}
	if err := p.WaitReady(ctx); err != nil {
		t.Fatalf("pool did not refill: %v", err)
	}
	if s := p.Stats(); s.Idle != 2 || s.Leased != 0 {
		t.Errorf("Stats after refill = %+v, want 2 idle, 0 leased", s)
	}
}

func TestExhausted(t *testing.T) {
	p := New("xpython", xpython(t), WithMinIdle(1), WithMax(2))
	defer p.Close()
	ctx := ctxT(t, 60*time.Second)
	a, err := p.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := p.Lease(short); !errors.Is(err, ErrExhausted) {
		t.Errorf("third Lease with max 2 = %v, want ErrExhausted", err)
	}
	// A release makes room for a waiting lease.
	got := make(chan error, 1)
	go func() {
		k, err := p.Lease(ctx)
		if err == nil {
			p.Release(k)
		}
		got <- err
	}()
	p.Release(a)
	if err := <-got; err != nil {
		t.Errorf("Lease after a release: %v", err)
	}
	p.Release(b)
}

func TestDeadIdleKernelReplaced(t *testing.T) {
	p := New("xpython", xpython(t), WithMinIdle(1), WithMax(2))
	defer p.Close()
	ctx := ctxT(t, 60*time.Second)
	k, err := p.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Reuse(k) // back to idle, alive
	if s := p.Stats(); s.Idle < 1 {
		t.Fatalf("Reuse did not keep the kernel: %+v", s)
	}
	_ = syscall.Kill(k.Pid(), syscall.SIGKILL)
	<-k.Done()
	for p.Stats().Died == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("dead idle kernel never noticed")
		case <-time.After(10 * time.Millisecond):
		}
	}
	k2, err := p.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(k2)
	if k2 == k || k2.Err() != nil {
		t.Errorf("Lease after a death returned the dead kernel")
	}
}

func TestFailingLauncher(t *testing.T) {
	boom := errors.New("boom")
	p := New("broken", LaunchFunc(func(ctx context.Context) (*jupyter.Kernel, error) { return nil, boom }), WithMinIdle(1))
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := p.WaitReady(ctx)
	if err == nil || p.Stats().LastError != "boom" {
		t.Errorf("WaitReady with a failing launcher = %v (stats %+v), want the start error", err, p.Stats())
	}
	if _, err := p.Lease(ctx); err == nil {
		t.Error("Lease from a pool that cannot start kernels succeeded")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	p := New("xpython", xpython(t), WithMinIdle(2), WithMax(3))
	ctx := ctxT(t, 60*time.Second)
	if err := p.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	k, err := p.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	p.mu.Lock()
	for _, x := range p.idle {
		pids = append(pids, x.Pid())
	}
	p.mu.Unlock()
	p.Close()
	for _, pid := range pids {
		if !gone(pid) {
			t.Errorf("idle kernel %d survives Close", pid)
		}
	}
	if _, err := p.Lease(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Lease after Close = %v, want ErrClosed", err)
	}
	p.Release(k)
}

// Refills pass the start gate; a lease that waits for a kernel starts one without it, taking
// over from the refill that waits at the gate.
func TestStartGate(t *testing.T) {
	open := make(chan struct{})
	var mu sync.Mutex
	passed, released := 0, 0
	gate := func(ctx context.Context) (func(), error) {
		select {
		case <-open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		mu.Lock()
		passed++
		mu.Unlock()
		return func() { mu.Lock(); released++; mu.Unlock() }, nil
	}
	counts := func() (int, int) { mu.Lock(); defer mu.Unlock(); return passed, released }
	p := New("xpython", xpython(t), WithMinIdle(1), WithMax(3), WithStartGate(gate))
	defer p.Close()
	ctx := ctxT(t, 60*time.Second)
	if s := p.Stats(); s.Starting != 1 || s.Idle != 0 {
		t.Fatalf("before the gate opens: %+v, want 1 starting, 0 idle", s)
	}
	open <- struct{}{}
	if err := p.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := counts(); r != 1; _, r = counts() {
		time.Sleep(time.Millisecond) // until the start has released its slot (not a timing assertion)
	}
	k1, err := p.Lease(ctx) // the idle one; its refill waits at the gate
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(k1)
	if s := p.Stats(); s.Starting != 1 {
		t.Errorf("after the lease: %+v, want its refill starting (at the gate)", s)
	}
	k2, err := p.Lease(ctx) // waits: starts its kernel itself, the gate still closed
	if err != nil {
		t.Fatalf("a lease behind a closed gate: %v", err)
	}
	defer p.Release(k2)
	if pa, _ := counts(); pa != 1 {
		t.Errorf("%d starts passed the gate, want 1 (the lease's own start does not)", pa)
	}
	if res, err := k2.Execute(ctx, "print(2)"); err != nil || res.Stdout() != "2\n" {
		t.Errorf("kernel of the waiting lease: %v %+v", err, res)
	}
}
