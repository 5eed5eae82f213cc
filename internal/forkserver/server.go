package forkserver

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/sandbox"
)

//go:embed zeval_forkserver.py
var serverSource []byte

// ErrNotIPykernel is returned (wrapped) for a kernelspec or command the fork server cannot start.
var ErrNotIPykernel = errors.New("forkserver: not an ipykernel command")

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("forkserver: closed")

// ErrServerDied is returned (wrapped) when the server process died during a start.
var ErrServerDied = errors.New("forkserver: server died")

// CanUse says whether kernels of spec can come from a fork server: its command must be
// `<python> -m ipykernel_launcher …` (or `-m ipykernel`), and its env must not set PYTHON*
// variables, which would change what the server already imported. The error says why not.
func CanUse(spec *jupyter.Spec) error {
	if spec == nil {
		return fmt.Errorf("%w: no kernelspec", ErrNotIPykernel)
	}
	if err := checkArgv(spec.Command("{connection_file}"), ""); err != nil {
		return fmt.Errorf("kernelspec %s: %w", spec.Name, err)
	}
	for k := range spec.Env {
		if strings.HasPrefix(k, "PYTHON") {
			return fmt.Errorf("%w: kernelspec %s sets %s, which the fork server's imports would ignore",
				ErrNotIPykernel, spec.Name, k)
		}
	}
	return nil
}

// checkArgv accepts [python, -m, ipykernel_launcher|ipykernel, ...]; python must equal want
// unless want is "".
func checkArgv(argv []string, want string) error {
	if len(argv) < 3 || argv[1] != "-m" || (argv[2] != "ipykernel_launcher" && argv[2] != "ipykernel") {
		return fmt.Errorf("%w: %q is not <python> -m ipykernel_launcher", ErrNotIPykernel, argv)
	}
	if !strings.HasPrefix(filepath.Base(argv[0]), "python") {
		return fmt.Errorf("%w: %q does not start with a Python interpreter", ErrNotIPykernel, argv[0])
	}
	if want != "" && argv[0] != want {
		return fmt.Errorf("%w: interpreter %s, but this fork server runs %s", ErrNotIPykernel, argv[0], want)
	}
	return nil
}

// Option configures New.
type Option func(*config)

type config struct {
	log          *slog.Logger
	startTimeout time.Duration
	env          []string
	preload      string
	background   bool
}

// WithLogger sets where the server's restarts and stray events are logged (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithStartTimeout bounds the server's start-up, its imports (default 60s).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// WithEnv adds KEY=VALUE entries to the server's own environment (kernels get the environment
// of each start request instead).
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithPreload gives Python code the server runs once, after its imports and before it forks any
// kernel, in a namespace of its own: what it imports or defines (modules in sys.modules, say) every
// kernel inherits. It must start no thread. If it fails, the server logs the traceback to its
// stderr and serves all the same (kernels then lack what it would have defined).
func WithPreload(code string) Option { return func(c *config) { c.preload = code } }

// WithBackgroundStart makes New return once the server process runs, without waiting for its
// imports (a few hundred milliseconds): starts asked for meanwhile queue in its request pipe and
// are served once it is ready, so a process can do its own start-up beside the server's. A server
// that fails to get ready fails those starts with its reason (and its last stderr lines), and the
// next start tries a new server.
func WithBackgroundStart() Option { return func(c *config) { c.background = true } }

// WithLeanKernels starts kernels without ipykernel's debugger (debugpy), IPython's completion
// engine (jedi) and the terminal IPython (prompt_toolkit): the server imports in half the time
// (~330 → ~160 ms) and each kernel holds 540 modules instead of 960, but kernels answer no
// debug_request, complete without jedi, and IPython.embed raises.
func WithLeanKernels() Option { return WithEnv("ZEVAL_FORKSERVER_LEAN=1") }

// Server starts ipykernel kernels by forking a pre-imported Python process. It is a
// jupyter.Starter and safe for concurrent use; starts are served one at a time by the server.
// Close stops the server and kills every kernel it started.
type Server struct {
	python string
	cfg    config
	dir    string // the scripts; logs/ holds one log per kernel

	mu       sync.Mutex // guards cur, closed, nextID, restarts
	cur      *instance
	closed   bool
	nextID   uint64
	restarts int
	wg       sync.WaitGroup // background restarts
}

var (
	_ jupyter.Starter         = (*Server)(nil)
	_ sandbox.ConfinedStarter = (*Server)(nil)
	_ jupyter.Process         = (*process)(nil)
)

// New starts a fork server for the kernelspec spec (see CanUse) with the spec's Python, and
// returns once it has imported ipykernel.
func New(ctx context.Context, spec *jupyter.Spec, opts ...Option) (*Server, error) {
	if err := CanUse(spec); err != nil {
		return nil, err
	}
	cfg := config{log: slog.New(slog.DiscardHandler), startTimeout: 60 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	sandbox.RemoveStaleDirs(os.TempDir(), "zeval-forkserver-")
	dir, err := os.MkdirTemp("", fmt.Sprintf("zeval-forkserver-%d-*", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("forkserver: %w", err)
	}
	s := &Server{python: spec.Command("")[0], cfg: cfg, dir: dir}
	err = errors.Join(
		os.WriteFile(filepath.Join(dir, "zeval_forkserver.py"), serverSource, 0o600),
		os.WriteFile(filepath.Join(dir, sandbox.ApplierFile), sandbox.ApplierSource, 0o600),
		os.WriteFile(filepath.Join(dir, preloadFile), []byte(cfg.preload), 0o600),
		os.Mkdir(filepath.Join(dir, "logs"), 0o700),
	)
	if err == nil {
		s.cur, err = s.startInstance(ctx, !cfg.background)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// preloadFile holds WithPreload's code in the server's directory.
const preloadFile = "zeval_preload.py"

// Preloaded reports whether the running server ran its WithPreload code without an error, so
// that the kernels it forks have what the code defines. False without a preload.
func (s *Server) Preloaded() bool {
	s.mu.Lock()
	inst := s.cur
	s.mu.Unlock()
	if inst == nil {
		return false
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	return inst.preloaded
}

// Python is the interpreter the server runs.
func (s *Server) Python() string { return s.python }

// Pid is the process id of the current server process (0 when none runs).
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || s.cur.isDead() {
		return 0
	}
	s.cur.mu.Lock()
	defer s.cur.mu.Unlock()
	return s.cur.pid
}

// Restarts counts how often the server was restarted after dying.
func (s *Server) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// Start forks a kernel for argv (the kernelspec's command with its connection file), with env
// as its whole environment and dir as its working directory.
func (s *Server) Start(ctx context.Context, argv, env []string, dir string) (jupyter.Process, error) {
	return s.StartConfined(ctx, argv, env, dir, nil)
}

// StartConfined is Start with plan applied in the child before the kernel starts; a plan that
// cannot be applied fails the start with the applier's reason.
func (s *Server) StartConfined(ctx context.Context, argv, env []string, dir string, plan *sandbox.Plan) (jupyter.Process, error) {
	if err := checkArgv(argv, s.python); err != nil {
		return nil, err
	}
	inst, err := s.live(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.mu.Unlock()
	req := spawnRequest{Op: "spawn", ID: id, Argv: argv, Env: env, Dir: dir,
		Log: filepath.Join(s.dir, "logs", fmt.Sprintf("kernel-%d.log", id)), Plan: plan}
	return inst.spawn(ctx, req)
}

// live returns the running server, starting a new one if the last one died.
func (s *Server) live(ctx context.Context) (*instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.cur != nil && !s.cur.isDead() {
		return s.cur, nil
	}
	inst, err := s.startInstance(ctx, true)
	if err != nil {
		return nil, err
	}
	s.cur = inst
	s.restarts++
	return inst, nil
}

// died is called once per instance after it died and its children were killed.
func (s *Server) died(inst *instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.cur != inst {
		return
	}
	s.cfg.log.Warn("fork server died; restarting", "reason", inst.deadErr,
		"stderr", inst.stderr.LastLines(10))
	s.wg.Add(1)
	go func() { // restart in the background so that the next start is fast again
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.startTimeout)
		defer cancel()
		if _, err := s.live(ctx); err != nil && !errors.Is(err, ErrClosed) {
			s.cfg.log.Error("fork server restart failed", "err", err)
		}
	}()
}

// Close stops the server and kills all kernels it started, waiting until they are gone.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	inst := s.cur
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock() // a restart that won the race with Close
	if s.cur != inst {
		inst = s.cur
	}
	s.mu.Unlock()
	if inst != nil {
		inst.stop()
	}
	return os.RemoveAll(s.dir)
}

type spawnRequest struct {
	Op   string        `json:"op"`
	ID   uint64        `json:"id"`
	Argv []string      `json:"argv"`
	Env  []string      `json:"env"`
	Dir  string        `json:"dir,omitempty"`
	Log  string        `json:"log"`
	Plan *sandbox.Plan `json:"plan,omitempty"`
}

type event struct {
	Ready      bool    `json:"ready"`
	Preloaded  bool    `json:"preloaded"`
	WorkerExit int     `json:"worker_exit"`
	ID         *uint64 `json:"id"`
	Pid        int     `json:"pid"`
	Error      string  `json:"error"`
	Exit       int     `json:"exit"`
	Code       *int    `json:"code"`
	Signal     *int    `json:"signal"`
}

type spawnReply struct {
	p   *process
	err error
}

// instance is one server process.
type instance struct {
	srv    *Server
	cmd    *exec.Cmd
	req    *os.File
	stderr *jupyter.TailBuffer

	writeMu sync.Mutex // one request line at a time

	mu       sync.Mutex // guards pending, children
	pending  map[uint64]chan spawnReply
	children map[int]*process

	pid       int           // of the worker, the process that forks kernels
	preloaded bool          // the worker ran the preload without an error
	gone      chan struct{} // closed when the worker has died: no more starts
	dead      chan struct{} // closed once keeper and worker are gone and the children dead
	deadErr   error         // set before gone is closed
	watched   bool          // the instance started; its death is reported to srv.died
}

func (s *Server) startInstance(ctx context.Context, wait bool) (*instance, error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("forkserver: %w", err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("forkserver: %w", err)
	}
	cmd := exec.Command(s.python, filepath.Join(s.dir, "zeval_forkserver.py"), filepath.Join(s.dir, sandbox.ApplierFile),
		filepath.Join(s.dir, preloadFile))
	cmd.Env = append(append(os.Environ(), "PYDEVD_DISABLE_FILE_VALIDATION=1"), s.cfg.env...)
	cmd.Dir = s.dir
	cmd.ExtraFiles = []*os.File{reqR, evW} // fds 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 2 * time.Second // a process that inherited its stderr does not hold Wait up
	inst := &instance{srv: s, cmd: cmd, req: reqW, stderr: jupyter.NewTailBuffer(16 << 10),
		pending: map[uint64]chan spawnReply{}, children: map[int]*process{},
		gone: make(chan struct{}), dead: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = inst.stderr, inst.stderr
	err = cmd.Start()
	reqR.Close()
	evW.Close()
	if err != nil {
		reqW.Close()
		evR.Close()
		return nil, fmt.Errorf("forkserver: starting %s: %w", s.python, err)
	}
	ready := make(chan error, 1)
	go inst.read(evR, ready)
	if !wait {
		inst.mu.Lock()
		inst.watched = true
		inst.mu.Unlock()
		go inst.awaitReady(ready)
		return inst, nil
	}
	t := time.NewTimer(s.cfg.startTimeout)
	defer t.Stop()
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("not ready after %v", s.cfg.startTimeout)
	}
	if err != nil {
		inst.stop()
		return nil, fmt.Errorf("forkserver: starting %s: %w; last stderr lines:\n%s", s.python, err, inst.stderr.LastLines(20))
	}
	inst.mu.Lock()
	inst.watched = true
	inst.mu.Unlock()
	return inst, nil
}

// awaitReady watches a server started in the background: one not ready within the start
// timeout is killed, which fails the starts queued for it. Either failure is logged.
func (inst *instance) awaitReady(ready <-chan error) {
	s := inst.srv
	t := time.NewTimer(s.cfg.startTimeout)
	defer t.Stop()
	var err error
	select {
	case err = <-ready:
	case <-t.C:
		err = fmt.Errorf("not ready after %v", s.cfg.startTimeout)
		_ = syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		s.cfg.log.Error("fork server: start failed", "python", s.python, "err", err, "stderr", inst.stderr.LastLines(20))
	}
}

func (inst *instance) isDead() bool {
	select {
	case <-inst.gone:
		return true
	default:
		return false
	}
}

// read handles the server's events until its event pipe closes, then buries the server.
func (inst *instance) read(r *os.File, ready chan<- error) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	gotReady := false
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			inst.srv.cfg.log.Error("fork server: bad event", "line", sc.Text(), "err", err)
			continue
		}
		switch {
		case ev.Ready:
			gotReady = true
			inst.mu.Lock()
			inst.pid, inst.preloaded = ev.Pid, ev.Preloaded
			inst.mu.Unlock()
			ready <- nil
		case ev.WorkerExit != 0:
			inst.workerDied(fmt.Sprintf("worker %d: %s", ev.WorkerExit, formatStatus(ev)))
		case ev.ID != nil:
			inst.spawned(*ev.ID, ev)
		case ev.Exit != 0:
			inst.exited(ev)
		}
	}
	reason := "its event pipe closed"
	if err := sc.Err(); err != nil {
		reason = err.Error()
	}
	inst.bury(reason)
	if !gotReady {
		ready <- fmt.Errorf("exited during start-up (%s)", inst.cmd.ProcessState)
	}
}

func (inst *instance) spawned(id uint64, ev event) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	ch := inst.pending[id]
	delete(inst.pending, id)
	if ev.Error != "" {
		if ch != nil {
			ch <- spawnReply{err: fmt.Errorf("forkserver: starting kernel: %s", ev.Error)}
		}
		return
	}
	p := &process{pid: ev.Pid, log: filepath.Join(inst.srv.dir, "logs", fmt.Sprintf("kernel-%d.log", id)),
		exited: make(chan struct{})}
	inst.children[p.pid] = p
	if ch == nil { // the start was abandoned
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		return
	}
	ch <- spawnReply{p: p}
}

func (inst *instance) exited(ev event) {
	inst.mu.Lock()
	p := inst.children[ev.Exit]
	delete(inst.children, ev.Exit)
	inst.mu.Unlock()
	if p == nil {
		return // a child whose start failed
	}
	status := formatStatus(ev)
	if inst.isDead() {
		status += " (fork server died)"
	}
	p.finish(status)
}

// formatStatus says how a process ended the way os/exec does.
func formatStatus(ev event) string {
	switch {
	case ev.Signal != nil:
		return "signal: " + syscall.Signal(*ev.Signal).String()
	case ev.Code != nil:
		return fmt.Sprintf("exit status %d", *ev.Code)
	}
	return "exited"
}

// workerDied fails pending starts and kills the kernels' groups (they also die of PDEATHSIG);
// the keeper reaps them and reports their exits.
func (inst *instance) workerDied(reason string) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.isDead() {
		return
	}
	inst.deadErr = fmt.Errorf("%w: %s; last stderr lines:\n%s", ErrServerDied, reason, inst.stderr.LastLines(20))
	close(inst.gone)
	for id, ch := range inst.pending {
		ch <- spawnReply{err: inst.deadErr}
		delete(inst.pending, id)
	}
	for pid := range inst.children {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// bury runs once the event pipe closed: keeper and worker are gone. Children not reported
// (the keeper was killed too) are killed and waited for.
func (inst *instance) bury(reason string) {
	// Reaped first, so that its stderr is read to the end: the reason pending starts get
	// quotes its last lines (a server that died starting up, the traceback).
	_ = syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL)
	_ = inst.cmd.Wait()
	inst.workerDied(reason)
	inst.mu.Lock()
	children := inst.children
	inst.children = map[int]*process{}
	watched := inst.watched
	inst.mu.Unlock()
	for _, p := range children {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	}
	for _, p := range children {
		waitGone(p.pid)
		p.finish("signal: killed (fork server died)")
	}
	close(inst.dead)
	if watched {
		inst.srv.died(inst)
	}
}

// waitGone waits until pid, no longer our child, has been reaped by its new parent (init or a
// subreaper). It gives up after 5 s: an init that does not reap leaves a zombie we cannot reap.
func waitGone(pid int) {
	for i := 0; i < 1000; i++ {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop closes the request pipe, which makes the worker kill its children and exit, and waits
// until everything is gone. A worker that does not exit in time is killed; the keeper still reaps
// it and its kernels. Only a keeper that does not exit either is killed itself.
func (inst *instance) stop() {
	inst.writeMu.Lock()
	inst.req.Close()
	inst.writeMu.Unlock()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-inst.dead:
		return
	case <-t.C:
	}
	inst.mu.Lock()
	pid := inst.pid
	inst.mu.Unlock()
	if pid != 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	t.Reset(10 * time.Second)
	select {
	case <-inst.dead:
	case <-t.C:
		_ = syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL)
		<-inst.dead
	}
}

func (inst *instance) spawn(ctx context.Context, req spawnRequest) (jupyter.Process, error) {
	line, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("forkserver: %w", err)
	}
	ch := make(chan spawnReply, 1)
	inst.mu.Lock()
	if inst.isDead() {
		inst.mu.Unlock()
		return nil, inst.deadErr
	}
	inst.pending[req.ID] = ch
	inst.mu.Unlock()
	inst.writeMu.Lock()
	_, err = inst.req.Write(append(line, '\n'))
	inst.writeMu.Unlock()
	if err != nil {
		inst.forget(req.ID, ch)
		return nil, fmt.Errorf("%w: writing request: %v", ErrServerDied, err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		return r.p, nil
	case <-ctx.Done():
		inst.forget(req.ID, ch)
		return nil, fmt.Errorf("forkserver: starting kernel: %w", ctx.Err())
	}
}

// forget abandons a start; a kernel that was started anyway is killed.
func (inst *instance) forget(id uint64, ch chan spawnReply) {
	inst.mu.Lock()
	delete(inst.pending, id)
	inst.mu.Unlock()
	select {
	case r := <-ch:
		if r.p != nil {
			r.p.Kill()
		}
	default:
	}
}

// process is a kernel forked by the server.
type process struct {
	pid    int
	log    string
	exited chan struct{}
	once   sync.Once
	status string // set before exited is closed
	tail   string // the log's last lines, kept at exit when the log is removed
}

func (p *process) finish(status string) {
	p.once.Do(func() {
		p.status = status
		p.tail = readTail(p.log, 40)
		os.Remove(p.log)
		close(p.exited)
	})
}

func (p *process) Pid() int                { return p.pid }
func (p *process) Exited() <-chan struct{} { return p.exited }
func (p *process) ExitStatus() string      { return p.status }

func (p *process) Signal(sig syscall.Signal) error {
	select {
	case <-p.exited:
		return fmt.Errorf("process %d has exited", p.pid)
	default:
	}
	return syscall.Kill(p.pid, sig)
}

// Kill kills the kernel's process group and waits until the server has reaped it.
func (p *process) Kill() {
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	<-p.exited
}

func (p *process) StderrTail(n int) string {
	select {
	case <-p.exited:
		return lastLines(p.tail, n)
	default:
		return readTail(p.log, n)
	}
}

func readTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 16 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		_, _ = f.Seek(fi.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, max))
	return lastLines(string(b), n)
}

func lastLines(s string, n int) string {
	t := jupyter.NewTailBuffer(len(s) + 1)
	_, _ = t.Write([]byte(s))
	return t.LastLines(n)
}
