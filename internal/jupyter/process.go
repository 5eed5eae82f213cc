package jupyter

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a running kernel process that zeval controls, however it was started (exec, a fork
// server, a sandbox).
type Process interface {
	Pid() int
	// Signal sends sig to the kernel process itself.
	Signal(sig syscall.Signal) error
	// Kill kills the kernel's process group and returns once the process is gone (reaped).
	Kill()
	// Exited is closed when the process has exited; ExitStatus then says how.
	Exited() <-chan struct{}
	ExitStatus() string
	// StderrTail returns the last n lines the kernel wrote to stderr (and stdout).
	StderrTail(n int) string
}

// Starter starts the process of a kernel: argv is the kernelspec's command with the
// connection file substituted, env the full environment.
type Starter interface {
	Start(ctx context.Context, argv, env []string, dir string) (Process, error)
}

// ExecStarter starts kernels as child processes, each in its own process group, killed if zeval
// dies. It is the default Starter.
type ExecStarter struct{}

// Start runs argv.
func (ExecStarter) Start(_ context.Context, argv, env []string, dir string) (Process, error) {
	return startProcess(argv, env, dir)
}

var (
	_ Starter = ExecStarter{}
	_ Process = (*process)(nil)
)

// process is a kernel process started by zeval, in its own process group.
type process struct {
	cmd    *exec.Cmd
	stderr *TailBuffer
	exited chan struct{} // closed after Wait returns
	status string        // set before exited is closed
}

func startProcess(argv []string, env []string, dir string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	// Own process group, so that shutdown can kill the whole tree; and die with us if we die.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{cmd: cmd, stderr: NewTailBuffer(16 << 10), exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	cmd.Stdout = p.stderr // kernels print little on stdout; keep it with stderr for diagnostics
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("command %q: %w", strings.Join(argv, " "), err)
	}
	go func() {
		err := cmd.Wait()
		if err == nil {
			p.status = "exit status 0"
		} else {
			p.status = err.Error()
		}
		close(p.exited)
	}()
	return p, nil
}

func (p *process) Pid() int                { return p.cmd.Process.Pid }
func (p *process) Exited() <-chan struct{} { return p.exited }
func (p *process) ExitStatus() string      { return p.status }
func (p *process) StderrTail(n int) string { return p.stderr.LastLines(n) }

func (p *process) Signal(sig syscall.Signal) error {
	select {
	case <-p.exited:
		return fmt.Errorf("process %d has exited", p.Pid())
	default:
	}
	return p.cmd.Process.Signal(sig)
}

func (p *process) Kill() {
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.exited
}

// waitExit waits up to d for p to exit.
func waitExit(p Process, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.Exited():
		return true
	case <-t.C:
		return false
	}
}

// TailBuffer keeps the last max bytes written to it, for a kernel's stderr. Safe for concurrent use.
type TailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

// NewTailBuffer returns a buffer that keeps max bytes.
func NewTailBuffer(max int) *TailBuffer { return &TailBuffer{max: max} }

func (t *TailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

// LastLines returns at most n of the last lines written.
func (t *TailBuffer) LastLines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := bytes.Split(bytes.TrimRight(t.buf, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
