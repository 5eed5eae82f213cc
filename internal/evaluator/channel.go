package evaluator

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Frames on the fast call channel: a 4-byte big-endian length, then JSON. A payload larger than
// shmThreshold travels in a file in the shared-memory directory instead, announced by a small
// frame {"shm": path, "size": n}; the reader unlinks the file.
const (
	shmThreshold = 64 << 10
	maxFrame     = 256 << 20
)

// frame is one message on the channel, in either direction. Only the fields of its op are set.
type frame struct {
	Op          string          `json:"op"`
	ID          json.RawMessage `json:"id,omitempty"`
	Parent      json.RawMessage `json:"parent,omitempty"` // of a zcall: the call that made it
	Token       string          `json:"token,omitempty"`
	PID         int             `json:"pid,omitempty"`
	Args        json.RawMessage `json:"args,omitempty"`
	Z22         json.RawMessage `json:"z22,omitempty"`
	Z7          json.RawMessage `json:"z7,omitempty"`
	Interrupted bool            `json:"interrupted,omitempty"`
	Stdout      string          `json:"stdout,omitempty"`
	SHM         string          `json:"shm,omitempty"`
	Spin        bool            `json:"spin,omitempty"` // of a call: the kernel may poll for the next frame
	Size        int             `json:"size,omitempty"`
}

// listener accepts channel connections from kernels and hands each to the lease waiting for
// its token.
type listener struct {
	ln      *net.UnixListener
	dir     string
	shmDir  string
	mu      sync.Mutex
	waiting map[string]chan net.Conn
	wg      sync.WaitGroup
}

func newListener(dir, shmDir string) (*listener, error) {
	// The socket gets a directory of its own: confined kernels may reach it, but not the
	// kernels' directories beside it.
	if err := os.MkdirAll(filepath.Join(dir, "channel"), 0o700); err != nil {
		return nil, fmt.Errorf("evaluator: call channel directory: %w", err)
	}
	path := filepath.Join(dir, "channel", "calls.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("evaluator: call channel socket: %w", err)
	}
	l := &listener{ln: ln, dir: dir, shmDir: shmDir, waiting: map[string]chan net.Conn{}}
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

func (l *listener) path() string { return l.ln.Addr().String() }

func (l *listener) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.handshake(c)
		}()
	}
}

// handshake reads the hello frame and delivers the connection to its lease.
func (l *listener) handshake(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := readFrame(bufio.NewReaderSize(c, 4096), l.shmDir)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil || f.Op != "hello" {
		c.Close()
		return
	}
	l.mu.Lock()
	ch := l.waiting[f.Token]
	delete(l.waiting, f.Token)
	l.mu.Unlock()
	if ch == nil {
		c.Close() // nobody expects this kernel: a stale or forged connection
		return
	}
	ch <- c
}

// expect registers a token and returns the channel its connection will arrive on.
func (l *listener) expect(token string) chan net.Conn {
	ch := make(chan net.Conn, 1)
	l.mu.Lock()
	l.waiting[token] = ch
	l.mu.Unlock()
	return ch
}

func (l *listener) forget(token string) {
	l.mu.Lock()
	delete(l.waiting, token)
	l.mu.Unlock()
}

func (l *listener) close() {
	l.ln.Close()
	l.wg.Wait()
}

// readFrame reads one frame, following a shared-memory indirection.
func readFrame(r *bufio.Reader, shmDir string) (*frame, error) {
	head, err := r.Peek(4) // as io.ReadFull would, without a buffer to allocate
	if err != nil {
		if len(head) > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(head)
	_, _ = r.Discard(4)
	if n > maxFrame {
		return nil, fmt.Errorf("evaluator: frame of %d bytes exceeds the limit", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	f := &frame{}
	if err := decodeFrame(buf, f); err != nil {
		return nil, fmt.Errorf("evaluator: bad frame: %w", err)
	}
	if f.SHM != "" {
		if shmDir == "" || filepath.Dir(f.SHM) != filepath.Clean(shmDir) {
			return nil, fmt.Errorf("evaluator: shared-memory frame outside %s: %q", shmDir, f.SHM)
		}
		body, err := os.ReadFile(f.SHM)
		os.Remove(f.SHM)
		if err != nil {
			return nil, fmt.Errorf("evaluator: shared-memory frame: %w", err)
		}
		f = &frame{}
		if err := decodeFrame(body, f); err != nil {
			return nil, fmt.Errorf("evaluator: bad shared-memory frame: %w", err)
		}
	}
	return f, nil
}

var shmSeq atomic.Int64

// encodeFrame encodes f with its length prefix, moving a large payload to shared memory. The
// frames zeval sends are built by hand: json.Marshal would re-validate and copy the payloads,
// which are already JSON.
func encodeFrame(f *frame, shmDir string) ([]byte, error) {
	return appendFrame(make([]byte, 0, 64+len(f.Args)+len(f.Z22)), f, shmDir)
}

// appendFrame is encodeFrame into buf's memory (buf is empty; the frame starts at its start).
func appendFrame(buf []byte, f *frame, shmDir string) ([]byte, error) {
	body := append(buf[:0], 0, 0, 0, 0)
	body = append(body, `{"op":`...)
	body = strconv.AppendQuote(body, f.Op)
	if len(f.ID) > 0 {
		body = append(body, `,"id":`...)
		body = append(body, f.ID...)
	}
	if len(f.Args) > 0 {
		body = append(body, `,"args":`...)
		body = append(body, f.Args...)
	}
	if len(f.Z22) > 0 {
		body = append(body, `,"z22":`...)
		body = append(body, f.Z22...)
	}
	if f.Spin {
		body = append(body, `,"spin":true`...)
	}
	body = append(body, '}')
	if len(body)-4 <= shmThreshold || shmDir == "" {
		binary.BigEndian.PutUint32(body, uint32(len(body)-4))
		return body, nil
	}
	return shmFrame(body[4:], shmDir)
}

// shmFrame writes body to a shared-memory file and returns the small frame that points to it.
func shmFrame(body []byte, shmDir string) ([]byte, error) {
	if len(body) > maxFrame {
		return nil, fmt.Errorf("evaluator: frame of %d bytes exceeds the limit", len(body))
	}
	path := filepath.Join(shmDir, fmt.Sprintf("zeval-go-%d-%d", os.Getpid(), shmSeq.Add(1)))
	if err := os.WriteFile(path, body, 0o600); err != nil {
		return nil, fmt.Errorf("evaluator: shared-memory frame: %w", err)
	}
	small, _ := json.Marshal(&frame{SHM: path, Size: len(body)})
	out := make([]byte, 4+len(small))
	binary.BigEndian.PutUint32(out, uint32(len(small)))
	copy(out[4:], small)
	return out, nil
}

// callResult is a kernel's answer to one call.
type callResult struct {
	z22         json.RawMessage
	interrupted bool
	stdout      string
}

// zcallFunc answers a nested call: z7 in, Z22 out (normal JSON both). ctx is that of the call
// that made it.
type zcallFunc func(ctx context.Context, z7 json.RawMessage) json.RawMessage

// chanConn is the Go end of one kernel's call channel. Calls may overlap: the kernel serves a
// call that arrives while it waits for a nested answer on top of the waiting one.
//
// There is no reader goroutine: a goroutine waiting for an answer reads the socket itself when
// nobody else is (leader/follower), delivering what it reads to the other waiters. On this
// machine a hand-off from a reader goroutine doubled the latency of a call (46 → 93 µs p50 in a
// Go ↔ Python echo).
type chanConn struct {
	c      net.Conn
	r      *bufio.Reader // read only by the holder of rmu
	shmDir string
	wmu    sync.Mutex
	wbuf   []byte        // frames are encoded here, under wmu
	rmu    sync.Mutex    // held by the goroutine reading frames
	kick   chan struct{} // a token when rmu was released, for waiters to take over reading

	mu      sync.Mutex
	pending map[int64]chan callResult
	ctxs    map[int64]context.Context // of the calls pending, for their nested calls
	next    int64
	err     error // why the channel broke; pending is nil then
	zcall   zcallFunc
}

func newChanConn(c net.Conn, shmDir string, zcall zcallFunc) *chanConn {
	return &chanConn{c: c, r: bufio.NewReaderSize(newSpinReader(c), 64<<10), shmDir: shmDir, kick: make(chan struct{}, 1), wbuf: make([]byte, 0, 512),
		pending: map[int64]chan callResult{}, ctxs: map[int64]context.Context{}, zcall: zcall}
}

func (cc *chanConn) write(f *frame) error {
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	b, err := appendFrame(cc.wbuf, f, cc.shmDir)
	if err != nil {
		return err
	}
	if cap(b) > cap(cc.wbuf) && cap(b) <= maxKeptWriteBuffer {
		cc.wbuf = b[:0] // grown: keep the larger buffer
	}
	_, err = cc.c.Write(b)
	return err
}

// maxKeptWriteBuffer bounds the frame buffer a channel keeps between writes.
const maxKeptWriteBuffer = 16 << 10

// await waits for the answer on ch, reading the socket itself whenever nobody else does. It
// returns ok false when the channel broke, and ctx's error when ctx ended first.
func (cc *chanConn) await(ctx context.Context, ch chan callResult) (callResult, bool, error) {
	for {
		select {
		case r, ok := <-ch:
			return r, ok, nil
		default:
		}
		if cc.rmu.TryLock() {
			err := cc.readUntil(ctx, ch)
			cc.rmu.Unlock()
			select { // let a waiter take over reading
			case cc.kick <- struct{}{}:
			default:
			}
			if err != nil {
				return callResult{}, false, err
			}
			continue
		}
		select {
		case r, ok := <-ch:
			return r, ok, nil
		case <-cc.kick:
		case <-ctx.Done():
			return callResult{}, false, ctx.Err()
		}
	}
}

// readUntil reads and dispatches frames until ch has its answer (or is closed), the channel
// breaks (nil: ch is closed by then), or ctx ends (its error). rmu is held.
func (cc *chanConn) readUntil(ctx context.Context, ch chan callResult) error {
	deadline, _ := ctx.Deadline()
	for len(ch) == 0 {
		cc.mu.Lock()
		broken := cc.pending == nil
		cc.mu.Unlock()
		if broken {
			return nil
		}
		// Wait for a frame to begin within ctx's deadline; Peek consumes nothing, so a timeout
		// never leaves half a frame read. The rest of a begun frame follows at once.
		_ = cc.c.SetReadDeadline(deadline)
		_, err := cc.r.Peek(4)
		_ = cc.c.SetReadDeadline(time.Time{})
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				continue
			}
			cc.fail(err)
			return nil
		}
		f, err := readFrame(cc.r, cc.shmDir)
		if err != nil {
			cc.fail(err)
			return nil
		}
		cc.dispatch(f)
	}
	return nil
}

// dispatch delivers a result to its waiter, or starts serving a nested call.
func (cc *chanConn) dispatch(f *frame) {
	switch f.Op {
	case "result":
		id, err := strconv.ParseInt(string(f.ID), 10, 64)
		if err != nil {
			return
		}
		cc.mu.Lock()
		ch := cc.pending[id]
		delete(cc.pending, id)
		delete(cc.ctxs, id)
		cc.mu.Unlock()
		if ch != nil {
			ch <- callResult{z22: f.Z22, interrupted: f.Interrupted, stdout: f.Stdout} // buffered: never blocks
		}
	case "zcall":
		var parent int64
		_ = json.Unmarshal(f.Parent, &parent)
		cc.mu.Lock()
		ctx := cc.ctxs[parent]
		cc.mu.Unlock()
		if ctx == nil {
			ctx = context.Background()
		}
		go func() {
			z22 := cc.zcall(ctx, f.Z7)
			_ = cc.write(&frame{Op: "zresult", ID: f.ID, Z22: z22})
		}()
	}
}

// fail marks the channel broken and closes the channels of every pending call.
func (cc *chanConn) fail(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		err = errors.New("the kernel closed the call channel")
	}
	cc.mu.Lock()
	if cc.pending == nil {
		cc.mu.Unlock()
		return
	}
	cc.err = err
	pending := cc.pending
	cc.pending, cc.ctxs = nil, nil
	cc.mu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
}

// start sends a call and returns the channel its result arrives on (closed if the channel
// breaks first) and its id. The caller waits with await.
func (cc *chanConn) start(ctx context.Context, args json.RawMessage) (chan callResult, int64, error) {
	return cc.send(ctx, "call", args, spinWorthIt())
}

// send sends a request of op (a call, or the load of a parked kernel) as start does.
func (cc *chanConn) send(ctx context.Context, op string, args json.RawMessage, spin bool) (chan callResult, int64, error) {
	ch := make(chan callResult, 1)
	cc.mu.Lock()
	if cc.pending == nil {
		err := cc.err
		cc.mu.Unlock()
		return nil, 0, fmt.Errorf("call channel is closed: %w", err)
	}
	cc.next++
	id := cc.next
	cc.pending[id] = ch
	cc.ctxs[id] = ctx
	cc.mu.Unlock()
	var idBuf [20]byte
	idRaw := strconv.AppendInt(idBuf[:0], id, 10)
	if err := cc.write(&frame{Op: op, ID: idRaw, Args: args, Spin: spin}); err != nil {
		cc.forget(id)
		return nil, 0, err
	}
	return ch, id, nil
}

// forget drops a call that will get no answer we wait for.
func (cc *chanConn) forget(id int64) {
	cc.mu.Lock()
	if cc.pending != nil {
		delete(cc.pending, id)
		delete(cc.ctxs, id)
	}
	cc.mu.Unlock()
}

func (cc *chanConn) brokenErr() error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.err
}

// close closes the socket (the kernel's serve loop then returns) and fails pending calls.
func (cc *chanConn) close() {
	cc.c.Close()
	cc.fail(net.ErrClosed)
}

// waitConn waits for a kernel's channel connection, the end of its loading execute_request, or ctx.
func waitConn(ctx context.Context, ch chan net.Conn, loaded <-chan struct{}) (net.Conn, error) {
	select {
	case c := <-ch:
		return c, nil
	case <-loaded:
		select { // the connection may have raced the end of the request
		case c := <-ch:
			return c, nil
		default:
		}
		return nil, errNoChannel
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var errNoChannel = errors.New("the kernel did not open the call channel")
