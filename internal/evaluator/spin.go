package evaluator

import (
	"errors"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// Waiting for a kernel's answer by spinning before sleeping.
//
// On this machine (2 vCPUs under a hypervisor) waking a sleeping thread on the other CPU costs
// ~20 µs: a Go ↔ Python echo over a Unix socket took 43 µs p50 when both sides slept in the
// kernel between messages, and 8 µs when both polled for up to 50 µs first. A call of a quick
// function is answered within that window, so the reader polls the socket (non-blocking reads)
// for up to spinBudget before it parks in the netpoller; the kernel's side does the same while
// it waits for the next call.
//
// Spinning burns a CPU, so it is bounded: at most spinBudget per wait (a function that takes
// longer costs that much CPU more per call, a few percent at most), and only while few
// evaluations are under way in the process, of any language
// (at most maxSpinners, half the CPUs, at least one): with more, as when a page renders, the
// CPUs are better spent on the work — spinning there made a 2,000-call render 20–30% slower.
// Each call frame tells the kernel whether it may spin while it waits for the next one.
//
// There is no "the last wait was long, so sleep at once" rule: a wait that sleeps includes the
// wake-up, which is longer than the budget, so such a rule, once tripped, never spun again
// (bench/evaluator then measured 70–115 µs instead of 25 µs per call, depending on whether an
// early call happened to wait long).
const spinBudget = 50 * time.Microsecond

var (
	spinners      atomic.Int32
	callsInFlight atomic.Int32 // Evaluate calls under way, of any language
	maxSpinners   = int32(max(1, runtime.GOMAXPROCS(0)/2))
)

// spinWorthIt reports whether few enough evaluations are under way for waiting ones to poll.
func spinWorthIt() bool { return callsInFlight.Load() <= maxSpinners }

// spinReader reads a Unix socket, polling for up to spinBudget before waiting in the netpoller.
// Deadlines set on the connection apply to the wait as usual.
//
// A spinReader is read by one goroutine at a time (its bufio.Reader's): the state of the read
// under way is kept in it, so that a read allocates nothing.
type spinReader struct {
	rc syscall.RawConn
	r  io.Reader // the connection itself, when it has no raw access

	try func(fd uintptr) bool // s.tryRead, bound once
	// The read under way.
	p     []byte
	n     int
	err   error
	spin  bool
	began time.Time
	tries int
}

func newSpinReader(c net.Conn) *spinReader {
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s := &spinReader{rc: rc}
			s.try = s.tryRead
			return s
		}
	}
	return &spinReader{r: c}
}

func (s *spinReader) Read(p []byte) (int, error) {
	if s.rc == nil {
		return s.r.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	s.spin = false
	if spinWorthIt() {
		if spinners.Add(1) <= maxSpinners {
			s.spin = true
		} else {
			spinners.Add(-1)
		}
	}
	defer s.stopSpinning()
	s.p, s.n, s.err, s.began, s.tries = p, 0, nil, time.Now(), 0
	rerr := s.rc.Read(s.try)
	n, err := s.n, s.err
	s.p = nil
	if rerr != nil {
		return 0, rerr // a deadline, or the connection closed
	}
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (s *spinReader) stopSpinning() {
	if s.spin {
		s.spin = false
		spinners.Add(-1)
	}
}

// tryRead reads what the socket has; it returns false to wait for readiness in the netpoller.
func (s *spinReader) tryRead(fd uintptr) bool {
	for {
		s.n, s.err = syscall.Read(int(fd), s.p)
		if errors.Is(s.err, syscall.EINTR) {
			continue
		}
		if !errors.Is(s.err, syscall.EAGAIN) {
			return true
		}
		if !s.spin {
			return false // wait for readiness in the netpoller
		}
		// Check the clock every few reads: a read that finds nothing is ~1 µs.
		if s.tries++; s.tries%8 == 0 && time.Since(s.began) > spinBudget {
			s.stopSpinning()
			return false
		}
	}
}
