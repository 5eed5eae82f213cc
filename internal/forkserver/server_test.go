package forkserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
)

// python3Spec is Debian's ipykernel kernelspec. CI installs it; missing is a failure, not a skip.
func python3Spec(t testing.TB) *jupyter.Spec {
	t.Helper()
	s, err := jupyter.FindSpec(jupyter.SearchPath(), "python3")
	if err != nil {
		t.Fatalf("kernel python3 is not installed (make setup installs it): %v", err)
	}
	return s
}

// newServer starts a fork server that is closed, with a check that it left nothing, at the end.
func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := New(ctx, python3Spec(t), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		pid := s.Pid()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		assertGone(t, pid)
		if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
			t.Errorf("server directory %s left after Close", s.dir)
		}
	})
	return s
}

// launch starts a kernel from s over the ipc transport (free of the TCP port-picking race under
// load); TestExecute covers TCP.
func launch(t *testing.T, s *Server, opts ...jupyter.Option) *jupyter.Kernel {
	t.Helper()
	return launchWith(t, s, append([]jupyter.Option{jupyter.WithIPC()}, opts...)...)
}

func launchWith(t *testing.T, s *Server, opts ...jupyter.Option) *jupyter.Kernel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	k, err := jupyter.Launch(ctx, python3Spec(t), append([]jupyter.Option{jupyter.WithStarter(s)}, opts...)...)
	if err != nil {
		t.Fatalf("Launch with the fork server: %v", err)
	}
	t.Cleanup(func() { shutdownAndCheck(t, k) })
	return k
}

func shutdownAndCheck(t *testing.T, k *jupyter.Kernel) {
	t.Helper()
	pid := k.Pid()
	if err := k.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	assertGone(t, pid)
}

// assertGone checks that neither the process nor its group is left, and it is no zombie.
func assertGone(t testing.TB, pid int) {
	t.Helper()
	if pid == 0 {
		return
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists (kill 0: %v)", pid, err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has members (kill 0: %v)", pid, err)
	}
}

// executeAfterError runs code on a kernel whose last request failed: ipykernel aborts requests
// that arrive right after an error (stop_on_error), so aborted ones are sent again.
func executeAfterError(ctx context.Context, k *jupyter.Kernel, code string) (*jupyter.ExecuteResult, error) {
	for i := 0; ; i++ {
		res, err := k.Execute(ctx, code)
		if err != nil || res.Status != "aborted" || i == 100 {
			return res, err
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestCanUse(t *testing.T) {
	sys := python3Spec(t)
	mk := func(argv []string, env map[string]string) *jupyter.Spec {
		return &jupyter.Spec{Name: "x", Dir: sys.Dir, Argv: argv, Env: env}
	}
	tests := []struct {
		name string
		spec *jupyter.Spec
		ok   bool
	}{
		{"debian python3", sys, true},
		{"-m ipykernel", mk([]string{"python3", "-m", "ipykernel", "-f", "{connection_file}"}, nil), true},
		{"nil", nil, false},
		{"xeus-python", mk([]string{"/usr/bin/xpython", "-f", "{connection_file}"}, nil), false},
		{"other module", mk([]string{"python3", "-m", "other_kernel", "-f", "{connection_file}"}, nil), false},
		{"not python", mk([]string{"/bin/sh", "-m", "ipykernel_launcher"}, nil), false},
		{"PYTHONPATH env", mk([]string{"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"},
			map[string]string{"PYTHONPATH": "/x"}), false},
		{"harmless env", mk([]string{"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"},
			map[string]string{"MY_VAR": "1"}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CanUse(tc.spec)
			if (err == nil) != tc.ok {
				t.Fatalf("CanUse = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrNotIPykernel) {
				t.Errorf("CanUse error %v does not wrap ErrNotIPykernel", err)
			}
		})
	}
}

func TestExecute(t *testing.T) {
	s := newServer(t)
	k := launchWith(t, s) // over TCP, as plain kernels are by default
	if ki := k.Info(); ki.Implementation != "ipython" || ki.LanguageInfo.Name != "python" {
		t.Errorf("kernel_info = %+v, want ipykernel", ki)
	}
	ctx := ctxT(t)
	res, err := k.Execute(ctx, "import sys, os\nprint('out')\nprint('err', file=sys.stderr)\n6*7")
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	var stderr, result string
	for _, o := range res.Outputs {
		if o.Type == "stream" && o.Name == "stderr" {
			stderr += o.Text
		}
		if o.Type == "execute_result" {
			result = o.PlainText()
		}
	}
	if res.Status != "ok" || res.Stdout() != "out\n" || stderr != "err\n" || result != "42" {
		t.Errorf("Execute = %s, stdout %q, stderr %q, result %q; want ok, out, err, 42", res.Status, res.Stdout(), stderr, result)
	}
	// Rich display goes through the shell the server built before forking.
	res, err = k.Execute(ctx, "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Type != "display_data" || res.Outputs[0].Data["text/html"] != "<b>x</b>" {
		t.Errorf("display outputs = %+v, want one display_data with text/html", res.Outputs)
	}
	// Kernels share no history file, and the shell belongs to this kernel.
	res, err = k.Execute(ctx, "ip = get_ipython()\nprint(ip.history_manager.hist_file, ip.kernel is not None, ip.kernel.shell is ip)")
	if err != nil || res.Stdout() != ":memory: True True\n" {
		t.Errorf("shell of the forked kernel: %v, %q, %+v; want :memory: True True", err, res.Stdout(), res.Error)
	}
	// The kernel is a child of the fork server, in a session of its own.
	res, err = k.Execute(ctx, "print(os.getpid(), os.getppid(), os.getpgid(0), os.getsid(0))")
	if err != nil {
		t.Fatal(err)
	}
	var pid, ppid, pgid, sid int
	if _, err := fmt.Sscan(res.Stdout(), &pid, &ppid, &pgid, &sid); err != nil {
		t.Fatalf("ids %q: %v", res.Stdout(), err)
	}
	if pid != k.Pid() || ppid != s.Pid() || pgid != pid || sid != pid {
		t.Errorf("pid %d ppid %d pgid %d sid %d; want pid %d, ppid %d (server), own group and session", pid, ppid, pgid, sid, k.Pid(), s.Pid())
	}
	// State persists, and the environment is the one Launch gave.
	if _, err := k.Execute(ctx, "x = 5"); err != nil {
		t.Fatal(err)
	}
	res, err = k.Execute(ctx, "print(x + 1, os.environ.get('PYDEVD_DISABLE_FILE_VALIDATION'))")
	if err != nil || res.Stdout() != "6 1\n" {
		t.Errorf("state and env: %v, %q; want 6 1", err, res.Stdout())
	}
}

func TestFreshStatePerKernel(t *testing.T) {
	s := newServer(t)
	k1 := launch(t, s)
	ctx := ctxT(t)
	if _, err := k1.Execute(ctx, "import random\nsecret = 1\nr1 = random.random()"); err != nil {
		t.Fatal(err)
	}
	k2 := launch(t, s)
	res, err := k2.Execute(ctx, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if res.Error == nil || res.Error.Name != "NameError" {
		t.Errorf("a second kernel sees the first one's variable: %+v", res)
	}
	// Each child reseeds: two kernels do not draw the same random numbers.
	a, _ := k1.Execute(ctx, "print(random.random())")
	b, _ := k2.Execute(ctx, "import random\nprint(random.random())")
	if a.Stdout() == b.Stdout() {
		t.Errorf("two forked kernels drew the same random number %q", a.Stdout())
	}
	// The server builds the Session once: each kernel's has its own id, key and pid.
	const probe = "import os, json\ns = get_ipython().kernel.session\n" +
		"print(json.dumps([s.session, s.key.decode(), s.pid == os.getpid()]))"
	var ids [2][]any
	for i, k := range []*jupyter.Kernel{k1, k2} {
		res, err := k.Execute(ctx, probe)
		if err != nil || res.Error != nil {
			t.Fatalf("kernel %d: %v %+v", i+1, err, res)
		}
		if err := json.Unmarshal([]byte(res.Stdout()), &ids[i]); err != nil || len(ids[i]) != 3 {
			t.Fatalf("kernel %d printed %q: %v", i+1, res.Stdout(), err)
		}
		if ids[i][1] != k.Connection().Key || ids[i][2] != true {
			t.Errorf("kernel %d: session key %v (connection file: %q), pid is its own: %v", i+1, ids[i][1], k.Connection().Key, ids[i][2])
		}
	}
	if ids[0][0] == ids[1][0] || ids[0][0] == "" {
		t.Errorf("two forked kernels share the session id %v", ids[0][0])
	}
}

func TestExecuteErrorStdinComm(t *testing.T) {
	s := newServer(t)
	k := launch(t, s)
	ctx := ctxT(t)
	t.Run("stdin", func(t *testing.T) {
		res, err := k.Execute(ctx, "a = input('first? ')\nprint(a + '!')",
			jupyter.WithInput(func(prompt string, password bool) (string, error) { return "one", nil }))
		if err != nil || res.Stdout() != "one!\n" {
			t.Errorf("input: %v, %q; want one!", err, res.Stdout())
		}
	})
	t.Run("comm", func(t *testing.T) {
		setup := "from ipykernel.comm import Comm\n" +
			"def _t(comm, m):\n    @comm.on_msg\n    def _e(msg):\n        comm.send({'echo': msg['content']['data']})\n" +
			"get_ipython().kernel.comm_manager.register_target('zeval-echo', _t)"
		if res, err := k.Execute(ctx, setup); err != nil || res.Status != "ok" {
			t.Fatalf("comm setup: %v %+v", err, res)
		}
		c, err := k.OpenComm(ctx, "zeval-echo", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Send(map[string]int{"n": 7}); err != nil {
			t.Fatal(err)
		}
		got, err := c.Recv(ctx)
		var v map[string]map[string]int
		if err != nil || json.Unmarshal(got, &v) != nil || v["echo"]["n"] != 7 {
			t.Errorf("comm echo = %s, %v", got, err)
		}
	})
	t.Run("error", func(t *testing.T) { // last: ipykernel aborts requests right after an error
		res, err := k.Execute(ctx, "def f():\n    raise ValueError('bad value')\nf()")
		if err != nil {
			t.Fatalf("Execute: %v", err)
		}
		if res.Error == nil || res.Error.Name != "ValueError" || !strings.Contains(res.Error.PlainTraceback(), "raise ValueError") {
			t.Errorf("error = %+v, want ValueError with traceback", res.Error)
		}
	})
}

func TestInterrupt(t *testing.T) {
	s := newServer(t)
	k := launch(t, s)
	ctx := ctxT(t)
	started := make(chan struct{})
	finished := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		<-started
		// A SIGINT that lands while ipykernel ignores it (between its own hooks) is lost, so
		// interrupt again until the code stops, as a user pressing Ctrl-C would.
		for {
			if err := k.Interrupt(ctx); err != nil {
				errc <- err
				return
			}
			select {
			case <-finished:
				errc <- nil
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	var once sync.Once
	res, err := k.Execute(ctx, "import time\nprint('sleeping', flush=True)\ntime.sleep(30)",
		jupyter.OnOutput(func(jupyter.Output) { once.Do(func() { close(started) }) }))
	close(finished)
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if err := <-errc; err != nil {
		t.Errorf("Interrupt: %v", err)
	}
	if res.Error == nil || res.Error.Name != "KeyboardInterrupt" {
		t.Fatalf("interrupted execute = %+v, want KeyboardInterrupt", res)
	}
	res, err = executeAfterError(ctx, k, "print('alive')")
	if err != nil || res.Stdout() != "alive\n" {
		t.Errorf("after interrupt: %v, %+v", err, res)
	}
}

func TestKilledMidRequest(t *testing.T) {
	s := newServer(t)
	k := launch(t, s)
	ctx := ctxT(t)
	started := make(chan struct{})
	go func() {
		<-started
		_ = syscall.Kill(k.Pid(), syscall.SIGKILL)
	}()
	var once sync.Once
	_, err := k.Execute(ctx, "import time\nprint('going down', flush=True)\ntime.sleep(30)",
		jupyter.OnOutput(func(jupyter.Output) { once.Do(func() { close(started) }) }))
	var de *jupyter.DiedError
	if !errors.As(err, &de) {
		t.Fatalf("Execute on a killed kernel = %v, want a DiedError", err)
	}
	if !strings.Contains(de.Reason, "signal: killed") {
		t.Errorf("DiedError reason = %q, want the exit status (signal: killed)", de.Reason)
	}
}

func TestExitStatusAndRestart(t *testing.T) {
	s := newServer(t)
	k := launch(t, s)
	ctx := ctxT(t)
	old := k.Pid()
	if _, err := k.Execute(ctx, "x = 1"); err != nil {
		t.Fatal(err)
	}
	if err := k.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	assertGone(t, old)
	res, err := k.Execute(ctx, "x")
	if err != nil || res.Error == nil || res.Error.Name != "NameError" {
		t.Fatalf("x after restart = %+v, %v; want NameError", res, err)
	}
	// A kernel that exits by itself reports its code as exec'd kernels do.
	res, err = executeAfterError(ctx, k, "import os\nos._exit(3)")
	var de *jupyter.DiedError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "exit status 3") {
		t.Errorf("os._exit(3) = %+v, %v; want a DiedError with exit status 3", res, err)
	}
}

func TestBadStarts(t *testing.T) {
	s := newServer(t)
	ctx := ctxT(t)
	dir := t.TempDir()
	badConn := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(badConn, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		argv []string
		dir  string
		want string // in the error, or in the log of a kernel that exits
	}{
		{"not ipykernel", []string{s.Python(), "-m", "http.server"}, "", "not <python> -m ipykernel_launcher"},
		{"other python", []string{"/usr/local/bin/python3.99", "-m", "ipykernel_launcher"}, "", "this fork server runs"},
		{"too short", []string{s.Python()}, "", "not <python> -m ipykernel_launcher"},
		{"missing dir", []string{s.Python(), "-m", "ipykernel_launcher", "-f", badConn}, "/nonexistent/dir", "No such file"},
		{"bad connection file", []string{s.Python(), "-m", "ipykernel_launcher", "-f", badConn}, "", "exit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Start(ctx, tc.argv, os.Environ(), tc.dir)
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Start error %q does not contain %q", err, tc.want)
				}
				return
			}
			select { // a kernel that cannot read its connection file exits by itself
			case <-p.Exited():
			case <-ctx.Done():
				p.Kill()
				t.Fatalf("kernel with a bad connection file still runs")
			}
			if !strings.Contains(p.ExitStatus(), tc.want) || p.ExitStatus() == "exit status 0" {
				t.Errorf("exit status %q, want a failure", p.ExitStatus())
			}
			if tail := p.StderrTail(20); tail == "" {
				t.Errorf("no log tail for a failed kernel")
			}
			assertGone(t, p.Pid())
		})
	}
	// The server still serves.
	launch(t, s)
}

func TestServerDeathKillsChildrenAndRestarts(t *testing.T) {
	s := newServer(t)
	k1 := launch(t, s)
	k2 := launch(t, s)
	pids := []int{k1.Pid(), k2.Pid()}
	old := s.Pid()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*jupyter.Kernel{k1, k2} {
		select {
		case <-k.Done():
		case <-time.After(20 * time.Second):
			t.Fatal("kernel of a dead fork server still alive")
		}
		var de *jupyter.DiedError
		if !errors.As(k.Err(), &de) || !strings.Contains(de.Reason, "fork server died") {
			t.Errorf("kernel Err = %v, want died with the fork server", k.Err())
		}
	}
	for _, pid := range pids {
		assertGone(t, pid)
	}
	assertGone(t, old)
	// A new kernel comes from a new server.
	k3 := launch(t, s)
	if s.Pid() == old || s.Pid() == 0 {
		t.Errorf("server pid %d after death, want a new server", s.Pid())
	}
	if s.Restarts() != 1 {
		t.Errorf("Restarts = %d, want 1", s.Restarts())
	}
	if res, err := k3.Execute(ctxT(t), "print(1+1)"); err != nil || res.Stdout() != "2\n" {
		t.Errorf("kernel of the restarted server: %v %q", err, res.Stdout())
	}
}

func TestCloseKillsKernels(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := New(ctx, python3Spec(t))
	if err != nil {
		t.Fatal(err)
	}
	k, err := jupyter.Launch(ctx, python3Spec(t), jupyter.WithStarter(s))
	if err != nil {
		t.Fatal(err)
	}
	pid := k.Pid()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertGone(t, pid)
	if _, err := s.Start(ctx, k.Spec().Command("x"), nil, ""); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close = %v, want ErrClosed", err)
	}
	_ = k.Shutdown(ctx)
}

func TestConcurrentLaunches(t *testing.T) {
	s := newServer(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	kernels := make(chan *jupyter.Kernel, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			// ipc: over TCP, concurrent Launches race for the free ports jupyter picks.
			k, err := jupyter.Launch(ctx, python3Spec(t), jupyter.WithStarter(s), jupyter.WithIPC())
			if err != nil {
				errs <- err
				return
			}
			kernels <- k
			res, err := k.Execute(ctx, "print(2*21)")
			if err == nil && res.Stdout() != "42\n" {
				err = errors.New("wrong output " + res.Stdout())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	close(kernels)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for k := range kernels {
		shutdownAndCheck(t, k)
	}
}

// A kernelspec with more options than -f builds its shell in the child, as a plain kernel does.
func TestExtraKernelArguments(t *testing.T) {
	s := newServer(t)
	spec := *python3Spec(t)
	spec.Argv = append(append([]string{}, spec.Argv...), "--HistoryManager.enabled=False")
	ctx := ctxT(t)
	k, err := jupyter.Launch(ctx, &spec, jupyter.WithStarter(s), jupyter.WithIPC())
	if err != nil {
		t.Fatalf("Launch with extra arguments: %v", err)
	}
	defer shutdownAndCheck(t, k)
	res, err := k.Execute(ctx, "ip = get_ipython()\nprint(ip.history_manager.enabled, ip.kernel.shell is ip, 1+1)")
	if err != nil || res.Stdout() != "False True 2\n" {
		t.Errorf("kernel with extra arguments: %v, %q, %+v; want False True 2", err, res.Stdout(), res.Error)
	}
}

// A server directory left by a killed process is removed by the next New; a live one is kept.
func TestStaleDirsRemoved(t *testing.T) {
	dead := 0
	for pid := 4194000; pid > 4000000; pid-- {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			dead = pid
			break
		}
	}
	stale := filepath.Join(os.TempDir(), fmt.Sprintf("zeval-forkserver-%d-1", dead))
	if err := os.MkdirAll(filepath.Join(stale, "logs"), 0o700); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(stale)
	s := newServer(t)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale %s still exists after New", stale)
	}
	if !strings.HasPrefix(filepath.Base(s.dir), fmt.Sprintf("zeval-forkserver-%d-", os.Getpid())) {
		t.Errorf("server dir %s does not name its owner", s.dir)
	}
}

// TestPreload: what the preload defines, every kernel has without running it; each kernel has
// its own copy; a preload that fails leaves a server that serves, with the traceback logged.
func TestPreload(t *testing.T) {
	s := newServer(t, WithPreload("import sys, types\nm = types.ModuleType('zeval_probe')\nm.items = ['server']\nsys.modules['zeval_probe'] = m\n"))
	ctx := ctxT(t)
	if !s.Preloaded() {
		t.Error("Preloaded() = false after a preload that ran")
	}
	k1, k2 := launch(t, s), launch(t, s)
	res, err := k1.Execute(ctx, "import zeval_probe\nzeval_probe.items.append('k1')\nprint(zeval_probe.items)")
	if err != nil || res.Error != nil {
		t.Fatalf("k1: %v %+v", err, res)
	}
	if got := strings.TrimSpace(res.Stdout()); got != "['server', 'k1']" {
		t.Errorf("k1 sees %q", got)
	}
	res, err = k2.Execute(ctx, "import zeval_probe\nprint(zeval_probe.items)")
	if err != nil || res.Error != nil {
		t.Fatalf("k2: %v %+v", err, res)
	}
	if got := strings.TrimSpace(res.Stdout()); got != "['server']" {
		t.Errorf("k2 sees %q: kernels share the preloaded module's state", got)
	}

	bad := newServer(t, WithPreload("raise ValueError('no preload today')"))
	if bad.Preloaded() {
		t.Error("Preloaded() = true after a preload that failed")
	}
	k := launch(t, bad)
	res, err = k.Execute(ctx, "import sys\nprint('zeval_probe' in sys.modules, 1 + 1)")
	if err != nil || res.Error != nil {
		t.Fatalf("after a failed preload: %v %+v", err, res)
	}
	if got := strings.TrimSpace(res.Stdout()); got != "False 2" {
		t.Errorf("after a failed preload the kernel printed %q", got)
	}
	if tail := bad.cur.stderr.LastLines(20); !strings.Contains(tail, "ValueError: no preload today") {
		t.Errorf("the failed preload's traceback is not in the server's stderr:\n%s", tail)
	}
}

// TestLeanKernels: lean kernels run code and complete without jedi; they have no debugger, no
// prompt_toolkit, and IPython.embed says why it is missing.
func TestLeanKernels(t *testing.T) {
	s := newServer(t, WithLeanKernels())
	k := launch(t, s)
	ctx := ctxT(t)
	res, err := k.Execute(ctx, "import sys\nprint(sum(range(10)), 'prompt_toolkit' in sys.modules, sys.modules.get('jedi'))")
	if err != nil || res.Error != nil {
		t.Fatalf("%v %+v", err, res)
	}
	if got := strings.TrimSpace(res.Stdout()); got != "45 False None" {
		t.Errorf("lean kernel printed %q", got)
	}
	msg, err := k.Request(ctx, jupyter.Shell, "kernel_info_request", struct{}{})
	if err != nil || strings.Contains(strings.ReplaceAll(string(msg.Content), " ", ""), `"debugger":true`) {
		t.Errorf("kernel_info of a lean kernel: %v %s, want no debugger", err, msg.Content)
	}
	res, err = executeAfterError(ctx, k, "import IPython\nIPython.embed()")
	if err != nil || res.Error == nil || !strings.Contains(res.Error.Value, "not available in a lean zeval kernel") {
		t.Errorf("IPython.embed() in a lean kernel: %v %+v", err, res)
	}
	msg, err = k.Request(ctx, jupyter.Shell, "complete_request", map[string]any{"code": "impor", "cursor_pos": 5})
	if err != nil {
		t.Fatalf("complete_request: %v", err)
	}
	if !strings.Contains(string(msg.Content), `"import"`) {
		t.Errorf("completion of 'impor' without jedi: %s", msg.Content)
	}
}

// WithBackgroundStart: New returns without waiting for the imports, starts asked for meanwhile
// are served once the server is ready, and a server that fails to get ready fails them with its
// reason.
func TestBackgroundStart(t *testing.T) {
	s := newServer(t, WithBackgroundStart())
	k := launch(t, s)
	res, err := k.Execute(ctxT(t), "print(6 * 7)")
	if err != nil || res.Error != nil || strings.TrimSpace(res.Stdout()) != "42" {
		t.Fatalf("kernel started while the server imported: %v %+v", err, res)
	}

	// An ipykernel that cannot be imported: the server exits during start-up.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ipykernel"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ipykernel", "__init__.py"), []byte("raise ImportError('broken for the test')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := WithEnv("PYTHONPATH=" + dir)
	if _, err := New(ctxT(t), python3Spec(t), broken); err == nil || !strings.Contains(err.Error(), "broken for the test") {
		t.Errorf("New with a broken ipykernel: %v, want its ImportError", err)
	}
	bad := newServer(t, broken, WithBackgroundStart())
	ctx := ctxT(t)
	_, err = jupyter.Launch(ctx, python3Spec(t), jupyter.WithIPC(), jupyter.WithStarter(bad))
	if err == nil || !strings.Contains(err.Error(), "broken for the test") {
		t.Errorf("a start from a server that failed in the background: %v, want its ImportError", err)
	}
}
