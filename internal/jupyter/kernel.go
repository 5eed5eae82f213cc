package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Channel names one of the kernel's sockets.
type Channel string

// The five channels of the messaging protocol.
const (
	Shell     Channel = "shell"
	IOPub     Channel = "iopub"
	Stdin     Channel = "stdin"
	Control   Channel = "control"
	Heartbeat Channel = "hb"
)

// ErrKernelDied is wrapped by every error caused by the kernel going away. The concrete error is a
// *DiedError, which carries the exit status and the last lines of the kernel's stderr.
var ErrKernelDied = errors.New("kernel died")

// ErrClosed is returned for requests on a kernel that was shut down by its owner.
var ErrClosed = errors.New("jupyter: kernel is shut down")

// DiedError says why a kernel is gone.
type DiedError struct {
	Kernel string // kernelspec name or connection file
	Reason string // "exited: exit status 1", "stopped answering heartbeats", ...
	Stderr string // the last lines of the kernel's stderr, if zeval started it
}

func (e *DiedError) Error() string {
	msg := fmt.Sprintf("kernel %s died: %s", e.Kernel, e.Reason)
	if e.Stderr != "" {
		msg += "; last stderr lines:\n" + e.Stderr
	}
	return msg
}

// Is makes errors.Is(err, ErrKernelDied) true.
func (e *DiedError) Is(target error) bool { return target == ErrKernelDied }

// routed is a message with the channel it arrived on.
type routed struct {
	ch  Channel
	msg *Message
}

// call collects the messages whose parent is one of its request ids. Its queue is unbounded so
// that socket readers never block on a slow consumer.
type call struct {
	mu     sync.Mutex
	queue  []routed
	notify chan struct{} // one token when queue becomes non-empty
}

func newCall() *call { return &call{notify: make(chan struct{}, 1)} }

func (c *call) push(r routed) {
	c.mu.Lock()
	c.queue = append(c.queue, r)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// next returns the next message, or an error when ctx ends or the kernel dies.
func (c *call) next(ctx context.Context, dead <-chan struct{}, deadErr func() error) (routed, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			r := c.queue[0]
			c.queue[0] = routed{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return r, nil
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-dead:
			// Deliver what arrived before the death first.
			c.mu.Lock()
			n := len(c.queue)
			c.mu.Unlock()
			if n == 0 {
				return routed{}, deadErr()
			}
		case <-ctx.Done():
			return routed{}, ctx.Err()
		}
	}
}

// conn is one connection to a running kernel: the sockets, the readers and the routing tables.
// It is replaced as a whole when a kernel restarts.
type conn struct {
	info    *ConnectionInfo
	session string
	name    string

	ctx    context.Context // sockets live until cancel
	cancel context.CancelFunc

	sendMu sync.Mutex
	signer *Signer // guarded by sendMu
	shell  zmq4.Socket
	ctrl   zmq4.Socket
	stdin  zmq4.Socket
	iopub  zmq4.Socket
	hb     zmq4.Socket

	mu          sync.Mutex
	pending     map[string]*call
	comms       map[string]*Comm
	commTargets map[string]CommHandler
	iopubSeen   chan struct{} // closed at the first IOPub message
	dead        chan struct{} // closed when the kernel is gone or the connection closed
	deadErr     error
	readers     sync.WaitGroup
}

func newConn(parent context.Context, info *ConnectionInfo, name string, targets map[string]CommHandler) *conn {
	ctx, cancel := context.WithCancel(parent)
	c := &conn{
		info:        info,
		session:     newID(),
		name:        name,
		ctx:         ctx,
		cancel:      cancel,
		signer:      NewSigner([]byte(info.Key)),
		pending:     map[string]*call{},
		comms:       map[string]*Comm{},
		commTargets: targets,
		iopubSeen:   make(chan struct{}),
		dead:        make(chan struct{}),
	}
	// Shell, control and stdin share one identity, or input_request is routed nowhere.
	id := zmq4.SocketIdentity(newID())
	// A refused connect costs microseconds: retry often, since a forked kernel binds its sockets
	// a few milliseconds after it is started.
	retry := []zmq4.Option{zmq4.WithDialerRetry(2 * time.Millisecond), zmq4.WithDialerMaxRetries(-1)}
	c.shell = zmq4.NewDealer(ctx, append(retry, zmq4.WithID(id))...)
	c.ctrl = zmq4.NewDealer(ctx, append(retry, zmq4.WithID(id))...)
	c.stdin = zmq4.NewDealer(ctx, append(retry, zmq4.WithID(id))...)
	c.iopub = zmq4.NewSub(ctx, retry...)
	c.hb = zmq4.NewReq(ctx, retry...)
	return c
}

// dial connects all five sockets. Each dial retries until the kernel listens or ctx ends.
func (c *conn) dial() error {
	if err := c.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		return err
	}
	for _, s := range []struct {
		sock zmq4.Socket
		port int
		ch   Channel
	}{
		{c.iopub, c.info.IOPubPort, IOPub}, // first: PUB drops what is sent before we subscribe
		{c.shell, c.info.ShellPort, Shell},
		{c.ctrl, c.info.ControlPort, Control},
		{c.stdin, c.info.StdinPort, Stdin},
		{c.hb, c.info.HBPort, Heartbeat},
	} {
		if err := c.awaitIPC(s.port); err != nil {
			return fmt.Errorf("jupyter: connecting %s channel: %w", s.ch, err)
		}
		if err := s.sock.Dial(c.info.endpoint(s.port)); err != nil {
			return fmt.Errorf("jupyter: connecting %s channel: %w", s.ch, err)
		}
	}
	for _, r := range []struct {
		sock zmq4.Socket
		ch   Channel
	}{{c.shell, Shell}, {c.ctrl, Control}, {c.stdin, Stdin}, {c.iopub, IOPub}} {
		c.readers.Add(1)
		go c.read(r.sock, r.ch)
	}
	return nil
}

// awaitIPC waits, over the ipc transport, until the kernel has bound the socket of port: the
// socket file exists. Looking for the file costs one stat; a refused dial costs a socket, a
// connect and the dialer's goroutines, and a kernel that takes half a second to start was
// dialed ~250 times per socket at the dialer's 2 ms retry (~5 ms of CPU per kernel). The wait
// polls every millisecond for 50 ms (a forked kernel binds within ~15 ms), then less often, up to
// every 10 ms. Over TCP it returns at once (the dialer retries).
func (c *conn) awaitIPC(port int) error {
	if c.info.Transport != "ipc" {
		return nil
	}
	path := fmt.Sprintf("%s-%d", c.info.IP, port)
	wait, began := time.Millisecond, time.Now()
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return c.ctx.Err()
		}
		if time.Since(began) > 50*time.Millisecond { // not a forked kernel: a slow start
			wait = min(wait*3/2, 10*time.Millisecond)
		}
	}
}

// read receives messages on one socket until the connection closes, and routes them.
func (c *conn) read(sock zmq4.Socket, ch Channel) {
	defer c.readers.Done()
	signer := NewSigner([]byte(c.info.Key)) // a reader's own: Signer is not safe for concurrent use
	first := ch == IOPub
	for {
		zm, err := sock.Recv()
		if err != nil {
			return // the socket was closed, or its context ended
		}
		m, err := signer.Decode(zm.Frames)
		if err != nil {
			continue // not ours or corrupted: a client must not die of a bad frame
		}
		if first {
			close(c.iopubSeen)
			first = false
		}
		if ch == IOPub {
			c.routeComm(m)
		}
		c.mu.Lock()
		p := c.pending[m.Parent.MsgID]
		c.mu.Unlock()
		if p != nil {
			p.push(routed{ch, m})
		}
	}
}

func (c *conn) socket(ch Channel) zmq4.Socket {
	switch ch {
	case Shell:
		return c.shell
	case Control:
		return c.ctrl
	case Stdin:
		return c.stdin
	}
	return nil
}

// send signs and sends m on ch.
func (c *conn) send(ch Channel, m *Message) error {
	sock := c.socket(ch)
	if sock == nil {
		return fmt.Errorf("jupyter: cannot send on the %s channel", ch)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	frames, err := c.signer.Encode(m)
	if err != nil {
		return err
	}
	if err := sock.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		if e := c.gone(); e != nil {
			return e
		}
		return fmt.Errorf("jupyter: sending %s on %s: %w", m.Header.MsgType, ch, err)
	}
	return nil
}

// request sends a new message of msgType on ch and registers cl (or a new call) for its replies.
func (c *conn) request(ch Channel, msgType string, content any, cl *call) (*call, string, error) {
	if err := c.gone(); err != nil {
		return nil, "", err
	}
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, "", fmt.Errorf("jupyter: encoding %s: %w", msgType, err)
	}
	m := &Message{Header: newHeader(c.session, msgType), Content: raw}
	if cl == nil {
		cl = newCall()
	}
	c.mu.Lock()
	c.pending[m.Header.MsgID] = cl
	c.mu.Unlock()
	if err := c.send(ch, m); err != nil {
		c.forget(m.Header.MsgID)
		return nil, "", err
	}
	return cl, m.Header.MsgID, nil
}

func (c *conn) forget(ids ...string) {
	c.mu.Lock()
	for _, id := range ids {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// gone returns the reason the connection is unusable, or nil.
func (c *conn) gone() error {
	select {
	case <-c.dead:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.deadErr
	default:
		return nil
	}
}

func (c *conn) deadReason() error { return c.gone() }

// fail marks the connection dead with err; the first reason wins. Pending calls see it at once.
func (c *conn) fail(err error) {
	c.mu.Lock()
	select {
	case <-c.dead:
		c.mu.Unlock()
		return
	default:
	}
	c.deadErr = err
	close(c.dead)
	comms := c.comms
	c.comms = map[string]*Comm{}
	c.mu.Unlock()
	for _, cm := range comms {
		cm.closeLocal()
	}
}

// close fails the connection with err and closes the sockets, waiting for the readers to exit.
func (c *conn) close(err error) {
	c.fail(err)
	c.cancel()
	for _, s := range []zmq4.Socket{c.shell, c.ctrl, c.stdin, c.iopub, c.hb} {
		s.Close()
	}
	c.readers.Wait()
}

// ping sends one heartbeat and waits for its echo for at most timeout. The REQ socket is unusable
// after a timeout (its reply is still owed), so the caller must treat a timeout as final.
func (c *conn) ping(timeout time.Duration) error {
	done := make(chan error, 1)
	go func() {
		if err := c.hb.Send(zmq4.NewMsgString("ping")); err != nil {
			done <- err
			return
		}
		_, err := c.hb.Recv()
		done <- err
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("no heartbeat answer within %v", timeout)
	case <-c.dead:
		return c.gone()
	}
}
