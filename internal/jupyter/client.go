package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// Option configures Launch and Connect.
type Option func(*config)

type config struct {
	startTimeout time.Duration
	hbInterval   time.Duration
	hbTimeout    time.Duration
	stopTimeout  time.Duration
	env          []string
	dir          string
	runtimeDir   string
	commTargets  map[string]CommHandler
	starter      Starter
	ipc          bool
}

func defaults() config {
	return config{
		startTimeout: 60 * time.Second,
		hbInterval:   time.Second,
		hbTimeout:    10 * time.Second,
		stopTimeout:  2 * time.Second,
		commTargets:  map[string]CommHandler{},
		starter:      ExecStarter{},
	}
}

// WithStartTimeout bounds the wait for a new kernel to become ready (default 60s). The kernel is
// killed when it runs out.
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithHeartbeat sets how often the heartbeat is checked and how long a kernel may stay silent
// before it is declared dead (defaults 1s and 10s). An interval of 0 turns the monitor off.
func WithHeartbeat(interval, timeout time.Duration) Option {
	return func(c *config) { c.hbInterval, c.hbTimeout = interval, timeout }
}

// WithStopTimeout bounds how long Shutdown and Restart wait for the kernel to exit on its own
// before its process group is killed (default 2s).
func WithStopTimeout(d time.Duration) Option { return func(c *config) { c.stopTimeout = d } }

// WithEnv adds KEY=VALUE entries to the kernel's environment (after the spec's env).
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithDir sets the kernel's working directory.
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithRuntimeDir sets where connection files are written (default: the OS temp dir).
func WithRuntimeDir(dir string) Option { return func(c *config) { c.runtimeDir = dir } }

// WithIPC makes Launch use the "ipc" transport (ZeroMQ over Unix sockets) instead of TCP
// loopback: each kernel gets a private directory (mode 0700, under the runtime dir) holding its
// connection file and its sockets, removed at Shutdown. A kernel in a network namespace of its
// own (a sandbox) can only be reached this way; Kernel.Dir names the directory to bind into it.
func WithIPC() Option { return func(c *config) { c.ipc = true } }

// WithStarter sets how kernel processes are started (default ExecStarter).
func WithStarter(s Starter) Option { return func(c *config) { c.starter = s } }

// WithCommTarget registers a handler for comms the kernel opens with target name.
func WithCommTarget(name string, h CommHandler) Option {
	return func(c *config) { c.commTargets[name] = h }
}

// KernelInfo is the part of kernel_info_reply zeval uses.
type KernelInfo struct {
	ProtocolVersion       string `json:"protocol_version"`
	Implementation        string `json:"implementation"`
	ImplementationVersion string `json:"implementation_version"`
	LanguageInfo          struct {
		Name          string `json:"name"`
		Version       string `json:"version"`
		FileExtension string `json:"file_extension"`
	} `json:"language_info"`
	Banner string `json:"banner"`
}

// Kernel is a client of one running kernel, started by Launch or attached by Connect.
// Its methods are safe for concurrent use; concurrent Execute calls queue in the kernel.
type Kernel struct {
	name     string
	spec     *Spec // nil when connected
	cfg      config
	info     *ConnectionInfo
	connFile string // written by us, removed at shutdown
	ipcDir   string // WithIPC: the kernel's private directory, removed at shutdown

	mu     sync.Mutex // guards proc, c, closed, kinfo
	proc   Process
	c      *conn
	closed bool
	kinfo  KernelInfo
}

// Launch starts a kernel from spec and returns once it is ready: it has answered kernel_info and
// its IOPub channel delivers. A kernel that exits or does not become ready within the start timeout
// is killed, and the error shows its stderr.
func Launch(ctx context.Context, spec *Spec, opts ...Option) (*Kernel, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	var (
		info     *ConnectionInfo
		err      error
		writeDir = cfg.runtimeDir
		ipcDir   string
	)
	if cfg.ipc {
		// A short name: xeus-python 0.14.3 aborts when the ipc "ip" is 24 bytes or longer.
		if ipcDir, err = os.MkdirTemp(cfg.runtimeDir, "k-*"); err != nil {
			return nil, fmt.Errorf("jupyter: kernel directory: %w", err)
		}
		info, writeDir = NewIPCConnectionInfo(spec.Name, ipcDir), ipcDir
	} else if info, err = NewConnectionInfo(spec.Name); err != nil {
		return nil, err
	}
	file, err := info.WriteFile(writeDir)
	if err != nil {
		if ipcDir != "" {
			os.RemoveAll(ipcDir)
		}
		return nil, err
	}
	k := &Kernel{name: spec.Name, spec: spec, cfg: cfg, info: info, connFile: file, ipcDir: ipcDir}
	if err := k.start(ctx); err != nil {
		os.Remove(file)
		if ipcDir != "" {
			os.RemoveAll(ipcDir)
		}
		return nil, err
	}
	return k, nil
}

// Connect attaches to a running kernel described by a connection file's content. The kernel is
// not ours: Shutdown asks it to exit but cannot kill it, and Restart is not available.
func Connect(ctx context.Context, info *ConnectionInfo, opts ...Option) (*Kernel, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if err := info.check(); err != nil {
		return nil, fmt.Errorf("jupyter: %w", err)
	}
	name := info.KernelName
	if name == "" {
		name = fmt.Sprintf("%s:%d", info.IP, info.ShellPort)
	}
	k := &Kernel{name: name, cfg: cfg, info: info}
	c := newConn(context.Background(), info, name, cfg.commTargets)
	ctx, cancel := context.WithTimeout(ctx, cfg.startTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, c.cancel) // abort dials when the wait is over
	err := c.dial()
	if err == nil {
		err = k.waitReady(ctx, c)
	}
	stop()
	if err != nil {
		c.close(err)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("jupyter: kernel %s not ready after %v: %w", name, cfg.startTimeout, ctx.Err())
		}
		return nil, err
	}
	k.c = c
	k.monitor(c, nil)
	return k, nil
}

// start launches the process and connects; k.mu must be held or k not yet shared.
func (k *Kernel) start(ctx context.Context) error {
	env := os.Environ()
	env = append(env, "PYDEVD_DISABLE_FILE_VALIDATION=1", fmt.Sprintf("JPY_PARENT_PID=%d", os.Getpid()))
	for key, v := range k.spec.Env {
		env = append(env, key+"="+v)
	}
	env = append(env, k.cfg.env...)
	proc, err := k.cfg.starter.Start(ctx, k.spec.Command(k.connFile), env, k.cfg.dir)
	if err != nil {
		return fmt.Errorf("jupyter: starting kernel %s: %w", k.name, err)
	}
	c := newConn(context.Background(), k.info, k.name, k.cfg.commTargets)
	go func() {
		select {
		case <-proc.Exited():
			c.fail(&DiedError{Kernel: k.name, Reason: "exited: " + proc.ExitStatus(), Stderr: proc.StderrTail(20)})
			c.cancel() // unblock dials and readers
		case <-c.ctx.Done():
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, k.cfg.startTimeout)
	defer cancel()
	stop := context.AfterFunc(sctx, c.cancel)
	err = c.dial()
	if err == nil {
		err = k.waitReady(sctx, c)
	}
	stop()
	if err != nil {
		dead := c.gone()
		c.close(err)
		proc.Kill()
		switch {
		case dead != nil:
			var de *DiedError
			if errors.As(dead, &de) {
				return fmt.Errorf("jupyter: kernel %s (%q) exited during startup (%s); last stderr lines:\n%s",
					k.name, k.spec.Argv, proc.ExitStatus(), proc.StderrTail(20))
			}
			return dead
		case ctx.Err() != nil:
			return fmt.Errorf("jupyter: starting kernel %s: %w", k.name, ctx.Err())
		case sctx.Err() != nil:
			return fmt.Errorf("jupyter: kernel %s not ready after %v (killed); last stderr lines:\n%s",
				k.name, k.cfg.startTimeout, proc.StderrTail(20))
		}
		return fmt.Errorf("jupyter: starting kernel %s: %w", k.name, err)
	}
	k.proc, k.c = proc, c
	k.monitor(c, proc)
	return nil
}

// waitReady sends kernel_info_request until a reply and some IOPub message arrived. Until the
// first reply, a request is resent only every half second: a request to a kernel that is still
// starting waits in its socket and is not lost, and every copy sent would be answered, each
// kernel_info costing the new kernel ~1-2 ms of CPU (a forked kernel took three, sent at 0, 2 and
// 6 ms). Once the kernel has replied, a request is resent after 2 ms, then at doubling intervals
// up to every 20 ms, until an IOPub message arrives: status messages published before our
// subscription joined are lost.
func (k *Kernel) waitReady(ctx context.Context, c *conn) error {
	cl := newCall()
	var ids []string
	defer func() { c.forget(ids...) }()
	send := func() error {
		_, id, err := c.request(Shell, "kernel_info_request", struct{}{}, cl)
		if err == nil {
			ids = append(ids, id)
		}
		return err
	}
	if err := send(); err != nil {
		return err
	}
	const beforeReply = 500 * time.Millisecond
	replied := false
	every := beforeReply
	tick := time.NewTimer(every)
	defer tick.Stop()
	for {
		select {
		case <-cl.notify:
			cl.mu.Lock()
			q := cl.queue
			cl.queue = nil
			cl.mu.Unlock()
			for _, r := range q {
				if r.ch == Shell && r.msg.Header.MsgType == "kernel_info_reply" && !replied {
					replied = true
					var ki KernelInfo
					_ = json.Unmarshal(r.msg.Content, &ki) // informational only
					k.kinfo = ki
					every = 2 * time.Millisecond
					tick.Reset(every) // (Go ≥ 1.23: no stale tick is received after Reset)
				}
			}
		case <-tick.C:
			if err := send(); err != nil {
				return err
			}
			if replied {
				every = min(2*every, 20*time.Millisecond)
			}
			tick.Reset(every)
		case <-c.dead:
			return c.gone()
		case <-ctx.Done():
			return ctx.Err()
		}
		if replied {
			select {
			case <-c.iopubSeen:
				return nil
			default:
			}
		}
	}
}

// monitor watches the heartbeat of c until it dies.
func (k *Kernel) monitor(c *conn, proc Process) {
	if k.cfg.hbInterval <= 0 {
		return
	}
	go func() {
		t := time.NewTicker(k.cfg.hbInterval)
		defer t.Stop()
		for {
			select {
			case <-c.dead:
				return
			case <-t.C:
			}
			if err := c.ping(k.cfg.hbTimeout); err != nil {
				if c.gone() != nil {
					return
				}
				c.fail(&DiedError{Kernel: k.name, Reason: "stopped answering heartbeats: " + err.Error(),
					Stderr: stderrOf(proc)})
				if proc != nil {
					proc.Kill()
				}
				return
			}
		}
	}()
}

func stderrOf(p Process) string {
	if p == nil {
		return ""
	}
	return p.StderrTail(20)
}

func (k *Kernel) current() (*conn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, ErrClosed
	}
	return k.c, nil
}

// Name is the kernelspec name (or the address of a connected kernel).
func (k *Kernel) Name() string { return k.name }

// Spec is the kernelspec the kernel was launched from; nil for a connected kernel.
func (k *Kernel) Spec() *Spec { return k.spec }

// Info returns what the kernel said in its kernel_info_reply at start.
func (k *Kernel) Info() KernelInfo {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.kinfo
}

// Connection returns the connection information (ports and key) of the kernel.
func (k *Kernel) Connection() ConnectionInfo { return *k.info }

// Dir is the kernel's private directory (connection file and sockets) when launched WithIPC,
// else "".
func (k *Kernel) Dir() string { return k.ipcDir }

// ConnectionFile is the path of the connection file zeval wrote ("" for a connected kernel).
func (k *Kernel) ConnectionFile() string { return k.connFile }

// Pid is the kernel's process id, or 0 for a connected kernel.
func (k *Kernel) Pid() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.proc == nil {
		return 0
	}
	return k.proc.Pid()
}

// Done is closed when the current connection to the kernel ends (death or shutdown); Err says why.
func (k *Kernel) Done() <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.c.dead
}

// Err is nil while the kernel is alive, and the reason once it is gone.
func (k *Kernel) Err() error {
	k.mu.Lock()
	c, closed := k.c, k.closed
	k.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return c.gone()
}

// Request sends a message of msgType with content on ch (Shell or Control) and returns the first
// reply on that channel. IOPub side effects are not collected; use Execute for code.
func (k *Kernel) Request(ctx context.Context, ch Channel, msgType string, content any) (*Message, error) {
	c, err := k.current()
	if err != nil {
		return nil, err
	}
	cl, id, err := c.request(ch, msgType, content, nil)
	if err != nil {
		return nil, err
	}
	defer c.forget(id)
	for {
		r, err := cl.next(ctx, c.dead, c.deadReason)
		if err != nil {
			return nil, err
		}
		if r.ch == ch {
			return r.msg, nil
		}
	}
}

// KernelInfo asks the kernel for its kernel_info_reply.
func (k *Kernel) KernelInfo(ctx context.Context) (KernelInfo, error) {
	var ki KernelInfo
	m, err := k.Request(ctx, Shell, "kernel_info_request", struct{}{})
	if err != nil {
		return ki, err
	}
	if err := json.Unmarshal(m.Content, &ki); err != nil {
		return ki, fmt.Errorf("jupyter: kernel_info_reply: %w", err)
	}
	return ki, nil
}

// Interrupt interrupts the code the kernel is running: SIGINT for interrupt_mode "signal", an
// interrupt_request on the control channel for "message". Some kernels die of SIGINT
// (xeus-python 0.14); the death is then reported to pending requests as usual.
func (k *Kernel) Interrupt(ctx context.Context) error {
	k.mu.Lock()
	proc, closed := k.proc, k.closed
	k.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if k.spec != nil && k.spec.InterruptMode == "signal" && proc != nil {
		return proc.Signal(syscall.SIGINT)
	}
	_, err := k.Request(ctx, Control, "interrupt_request", struct{}{})
	return err
}

// Shutdown asks the kernel to exit (shutdown_request on control), waits up to the stop timeout,
// then kills its process group. It is idempotent; pending requests fail with ErrClosed.
func (k *Kernel) Shutdown(ctx context.Context) error {
	return k.end(func() { k.stop(ctx, false) })
}

// Kill ends a launched kernel at once: its process group gets SIGKILL, with no shutdown_request
// and none of the kernel's own exit work, and Kill returns when the process is gone (within the
// stop timeout), its files removed. For a kernel whose state is being thrown away it is what
// Shutdown is, minus the kernel's time and CPU. A kernel we only connected to is shut down.
func (k *Kernel) Kill() error {
	return k.end(func() {
		if k.proc == nil {
			k.stop(context.Background(), false)
			return
		}
		k.proc.Kill()
		waitExit(k.proc, k.cfg.stopTimeout)
	})
}

// end closes the kernel once: stopProcess (called with k.mu held) ends its process, then the
// connection is closed and the kernel's files are removed.
func (k *Kernel) end(stopProcess func()) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	stopProcess()
	k.c.close(ErrClosed)
	if k.connFile != "" {
		os.Remove(k.connFile)
	}
	if k.ipcDir != "" {
		os.RemoveAll(k.ipcDir)
	}
	return nil
}

// stop asks the kernel to exit and makes sure its process is gone. k.mu is held.
func (k *Kernel) stop(ctx context.Context, restart bool) {
	if k.c.gone() == nil {
		sctx, cancel := context.WithTimeout(ctx, k.cfg.stopTimeout)
		cl, id, err := k.c.request(Control, "shutdown_request", map[string]bool{"restart": restart}, nil)
		if err == nil {
			for {
				r, err := cl.next(sctx, k.c.dead, k.c.deadReason)
				if err != nil || r.ch == Control {
					break
				}
			}
			k.c.forget(id)
		}
		cancel()
	}
	if k.proc != nil {
		waitExit(k.proc, k.cfg.stopTimeout)
		k.proc.Kill() // also any children the kernel left in its group
	}
}

// Restart stops the kernel and starts it again from its kernelspec on the same connection file.
// Requests pending at the time fail; the Kernel value stays valid. Only for launched kernels.
func (k *Kernel) Restart(ctx context.Context) error {
	if k.spec == nil {
		return errors.New("jupyter: cannot restart a kernel zeval did not start")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return ErrClosed
	}
	k.stop(ctx, true)
	k.c.close(&DiedError{Kernel: k.name, Reason: "restarted"})
	if err := k.start(ctx); err != nil {
		// Leave a dead connection in place, so that every later call reports the failure.
		c := newConn(context.Background(), k.info, k.name, k.cfg.commTargets)
		c.close(err)
		k.c = c
		return err
	}
	return nil
}
