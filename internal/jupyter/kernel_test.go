package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// realKernels are the kernels every client test runs against. CI installs them; a missing one is
// a failure, not a skip.
var realKernels = []string{"python3", "xpython"}

func systemSpec(t *testing.T, name string) *Spec {
	t.Helper()
	s, err := FindSpec(SearchPath(), name)
	if err != nil {
		t.Fatalf("kernel %s is not installed (make setup installs it): %v", name, err)
	}
	return s
}

// launch starts a kernel and shuts it down at the end of the test, checking no process is left.
func launch(t *testing.T, name string, opts ...Option) *Kernel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	k, err := Launch(ctx, systemSpec(t, name), opts...)
	if err != nil {
		t.Fatalf("Launch(%s): %v", name, err)
	}
	t.Cleanup(func() { shutdownAndCheck(t, k) })
	return k
}

func shutdownAndCheck(t *testing.T, k *Kernel) {
	t.Helper()
	pid := k.Pid()
	if err := k.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	assertGone(t, pid)
	if f := k.ConnectionFile(); f != "" {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("connection file %s still exists after Shutdown", f)
		}
	}
}

// assertGone checks that neither the process nor any member of its group is left (reaped, so no
// zombie either).
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if pid == 0 {
		return
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kernel process %d still exists after shutdown (kill 0: %v)", pid, err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kernel process group %d still has members after shutdown (kill 0: %v)", pid, err)
	}
}

// executeAfterError runs code on a kernel whose last request failed: ipykernel aborts requests
// that arrive right after an error (stop_on_error), so an aborted one is sent again.
func executeAfterError(ctx context.Context, k *Kernel, code string) (*ExecuteResult, error) {
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

func TestExecute(t *testing.T) {
	for _, name := range realKernels {
		t.Run(name, func(t *testing.T) {
			k := launch(t, name)
			if ki := k.Info(); ki.LanguageInfo.Name != "python" {
				t.Errorf("kernel_info language = %q, want python", ki.LanguageInfo.Name)
			}
			ctx := ctxT(t)
			res, err := k.Execute(ctx, "import sys\nprint('out')\nprint('err', file=sys.stderr)\n6*7")
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if res.Status != "ok" || res.Error != nil {
				t.Fatalf("Execute status = %s, error %v; want ok", res.Status, res.Error)
			}
			if got := res.Stdout(); got != "out\n" {
				t.Errorf("stdout = %q, want %q", got, "out\n")
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
			if stderr != "err\n" || result != "42" {
				t.Errorf("stderr = %q, result = %q; want err\\n and 42", stderr, result)
			}

			res, err = k.Execute(ctx, "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outputs) != 1 || res.Outputs[0].Type != "display_data" || res.Outputs[0].Data["text/html"] != "<b>x</b>" {
				t.Errorf("display outputs = %+v, want one display_data with text/html", res.Outputs)
			}

			// State persists between executions of the same kernel.
			if _, err := k.Execute(ctx, "x = 5"); err != nil {
				t.Fatal(err)
			}
			res, err = k.Execute(ctx, "print(x + 1)")
			if err != nil || res.Stdout() != "6\n" {
				t.Errorf("state between executions: %v, %q; want 6", err, res.Stdout())
			}
		})
	}
}

func TestExecuteError(t *testing.T) {
	for _, name := range realKernels {
		t.Run(name, func(t *testing.T) {
			k := launch(t, name)
			res, err := k.Execute(ctxT(t), "def f():\n    raise ValueError('bad value')\nf()")
			if err != nil {
				t.Fatalf("Execute: %v (a code error must be a result, not a Go error)", err)
			}
			if res.Status != "error" || res.Error == nil {
				t.Fatalf("status = %s, error = %v; want error", res.Status, res.Error)
			}
			if res.Error.Name != "ValueError" || res.Error.Value != "bad value" {
				t.Errorf("error = %s: %s, want ValueError: bad value", res.Error.Name, res.Error.Value)
			}
			if tb := res.Error.PlainTraceback(); !strings.Contains(tb, "raise ValueError") {
				t.Errorf("traceback %q does not show the raising line", tb)
			}
			// The kernel stays usable.
			res, err = executeAfterError(ctxT(t), k, "print('still here')")
			if err != nil || res.Stdout() != "still here\n" {
				t.Errorf("after an error: %v, %q", err, res.Stdout())
			}
		})
	}
}

func TestStdin(t *testing.T) {
	for _, name := range realKernels {
		t.Run(name, func(t *testing.T) {
			k := launch(t, name)
			var prompts []string
			res, err := k.Execute(ctxT(t), "a = input('first? ')\nb = input('second? ')\nprint(a + '+' + b)",
				WithInput(func(prompt string, password bool) (string, error) {
					prompts = append(prompts, prompt)
					return map[string]string{"first? ": "one", "second? ": "two"}[prompt], nil
				}))
			if err != nil {
				t.Fatal(err)
			}
			if res.Stdout() != "one+two\n" {
				t.Errorf("stdout = %q (status %s, %v), want one+two", res.Stdout(), res.Status, res.Error)
			}
			if strings.Join(prompts, "|") != "first? |second? " {
				t.Errorf("prompts = %q", prompts)
			}
		})
	}
}

func TestComm(t *testing.T) {
	const setup = `
from ipykernel.comm import Comm
def _target(comm, open_msg):
    comm.send({'opened': open_msg['content']['data']})
    @comm.on_msg
    def _echo(msg):
        comm.send({'echo': msg['content']['data']})
get_ipython().kernel.comm_manager.register_target('zeval-echo', _target)
`
	for _, name := range realKernels {
		t.Run(name, func(t *testing.T) {
			opened := make(chan *Comm, 1)
			k := launch(t, name, WithCommTarget("zeval-client", func(c *Comm, data json.RawMessage) {
				opened <- c
			}))
			ctx := ctxT(t)
			if res, err := k.Execute(ctx, setup); err != nil || res.Status != "ok" {
				t.Fatalf("comm setup: %v %+v", err, res)
			}
			c, err := k.OpenComm(ctx, "zeval-echo", map[string]any{"hello": 1})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Recv(ctx)
			if err != nil || !jsonEqual(got, `{"opened":{"hello":1}}`) {
				t.Fatalf("first comm message = %s, %v; want the open data echoed", got, err)
			}
			if err := c.Send(map[string]string{"ping": "x"}); err != nil {
				t.Fatal(err)
			}
			got, err = c.Recv(ctx)
			if err != nil || !jsonEqual(got, `{"echo":{"ping":"x"}}`) {
				t.Fatalf("echo = %s, %v", got, err)
			}
			if err := c.Close(nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Recv(ctx); !errors.Is(err, ErrCommClosed) {
				t.Errorf("Recv after Close = %v, want ErrCommClosed", err)
			}

			if name == "xpython" {
				// xeus-python 0.14.3 segfaults in xcomm_manager::register_comm when code opens a
				// comm (seen here; its client-opened comms work, as tested above).
				return
			}
			// A comm the kernel opens to a target we registered.
			if res, err := k.Execute(ctx, "kc = Comm(target_name='zeval-client', data={'a': 1})\nkc.send({'b': 2})"); err != nil || res.Status != "ok" {
				t.Fatalf("kernel-side comm: %v %+v", err, res)
			}
			select {
			case kc := <-opened:
				got, err := kc.Recv(ctx)
				if err != nil || !jsonEqual(got, `{"b":2}`) {
					t.Errorf("message on kernel-opened comm = %s, %v", got, err)
				}
			case <-ctx.Done():
				t.Fatal("kernel-opened comm never arrived")
			}
		})
	}
}

func TestInterruptIPykernel(t *testing.T) {
	k := launch(t, "python3")
	ctx := ctxT(t)
	started, finished := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		<-started
		// A SIGINT that lands while ipykernel ignores it (between its hooks) is lost under load:
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
	var once bool
	res, err := k.Execute(ctx, "import time\nprint('sleeping', flush=True)\ntime.sleep(30)", OnOutput(func(o Output) {
		if !once {
			once = true
			close(started)
		}
	}))
	close(finished)
	if ierr := <-errc; ierr != nil {
		t.Errorf("Interrupt: %v", ierr)
	}
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if res.Error == nil || res.Error.Name != "KeyboardInterrupt" {
		t.Fatalf("interrupted execute = %+v, want KeyboardInterrupt", res)
	}
	res, err = executeAfterError(ctx, k, "print('alive')")
	if err != nil || res.Stdout() != "alive\n" {
		t.Errorf("after interrupt: %v, %q", err, res.Stdout())
	}
}

// xeus-python 0.14 dies of SIGINT: the interrupted request must fail with ErrKernelDied.
func TestInterruptKillsXeusPython(t *testing.T) {
	k := launch(t, "xpython")
	ctx := ctxT(t)
	started := make(chan struct{})
	go func() {
		<-started
		_ = k.Interrupt(ctx)
	}()
	var once bool
	_, err := k.Execute(ctx, "import time\nprint('sleeping', flush=True)\ntime.sleep(30)", OnOutput(func(o Output) {
		if !once {
			once = true
			close(started)
		}
	}))
	if !errors.Is(err, ErrKernelDied) {
		t.Fatalf("Execute after SIGINT on xeus-python = %v, want ErrKernelDied", err)
	}
	if _, err := k.Execute(ctx, "1"); !errors.Is(err, ErrKernelDied) {
		t.Errorf("a later Execute = %v, want ErrKernelDied", err)
	}
}

func TestKilledMidRequest(t *testing.T) {
	for _, name := range realKernels {
		t.Run(name, func(t *testing.T) {
			k := launch(t, name)
			ctx := ctxT(t)
			started := make(chan struct{})
			go func() {
				<-started
				_ = syscall.Kill(k.Pid(), syscall.SIGKILL)
			}()
			var once bool
			begin := time.Now()
			_, err := k.Execute(ctx, "import time\nprint('go', flush=True)\ntime.sleep(30)", OnOutput(func(Output) {
				if !once {
					once = true
					close(started)
				}
			}))
			var de *DiedError
			if !errors.As(err, &de) || !errors.Is(err, ErrKernelDied) {
				t.Fatalf("Execute on a killed kernel = %v, want a DiedError", err)
			}
			if !strings.Contains(de.Reason, "killed") {
				t.Errorf("DiedError reason = %q, want the exit status (killed)", de.Reason)
			}
			if waited := time.Since(begin); waited > 20*time.Second {
				t.Errorf("death noticed after %v, want promptly", waited)
			}
			if k.Err() == nil {
				t.Error("Err() = nil after death")
			}
		})
	}
}

func TestRestart(t *testing.T) {
	for _, name := range realKernels {
		t.Run(name, func(t *testing.T) {
			k := launch(t, name)
			ctx := ctxT(t)
			oldPid := k.Pid()
			if _, err := k.Execute(ctx, "x = 1"); err != nil {
				t.Fatal(err)
			}
			if err := k.Restart(ctx); err != nil {
				t.Fatalf("Restart: %v", err)
			}
			assertGone(t, oldPid)
			if k.Pid() == oldPid {
				t.Errorf("pid after restart = %d, want a new process", oldPid)
			}
			res, err := k.Execute(ctx, "x")
			if err != nil {
				t.Fatalf("Execute after restart: %v", err)
			}
			if res.Error == nil || res.Error.Name != "NameError" {
				t.Errorf("x after restart = %+v, want NameError (fresh state)", res)
			}
		})
	}
}

func TestConnectExisting(t *testing.T) {
	k := launch(t, "python3")
	ctx := ctxT(t)
	info, err := ReadConnectionFile(k.ConnectionFile())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Execute(ctx, "shared = 'from the first client'"); err != nil {
		t.Fatal(err)
	}
	k2, err := Connect(ctx, info)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	res, err := k2.Execute(ctx, "print(shared)")
	if err != nil || res.Stdout() != "from the first client\n" {
		t.Errorf("second client: %v, %q", err, res.Stdout())
	}
	if k2.Pid() != 0 {
		t.Errorf("connected kernel Pid = %d, want 0", k2.Pid())
	}
	if err := k2.Restart(ctx); err == nil {
		t.Error("Restart of a connected kernel succeeded, want an error")
	}
}

func TestShutdownIdempotentAndClosed(t *testing.T) {
	k, err := Launch(ctxT(t), systemSpec(t, "xpython"))
	if err != nil {
		t.Fatal(err)
	}
	shutdownAndCheck(t, k)
	if err := k.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v, want nil", err)
	}
	if _, err := k.Execute(context.Background(), "1"); !errors.Is(err, ErrClosed) {
		t.Errorf("Execute after Shutdown = %v, want ErrClosed", err)
	}
}

func TestLaunchFailures(t *testing.T) {
	data := t.TempDir()
	mk := func(name, argv string) *Spec {
		dir := writeSpec(t, data, name, `{"argv":`+argv+`,"display_name":"x","language":"python"}`)
		s, err := LoadSpec(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name    string
		spec    *Spec
		timeout time.Duration
		want    []string
	}{
		{"missing command", mk("missing", `["/nonexistent/kernel","{connection_file}"]`), 10 * time.Second,
			[]string{"/nonexistent/kernel", "no such file"}},
		{"exits at once", mk("exits", `["/bin/sh","-c","echo boom-on-stderr >&2; exit 3","{connection_file}"]`), 10 * time.Second,
			[]string{"exited during startup", "exit status 3", "boom-on-stderr"}},
		{"never ready", mk("silent", `["/bin/sh","-c","echo waiting >&2; exec sleep 60","{connection_file}"]`), 700 * time.Millisecond,
			[]string{"not ready after", "waiting"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			begin := time.Now()
			k, err := Launch(context.Background(), tc.spec, WithStartTimeout(tc.timeout))
			if err == nil {
				k.Shutdown(context.Background())
				t.Fatal("Launch succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Launch error %q does not contain %q", err, w)
				}
			}
			if d := time.Since(begin); d > tc.timeout+10*time.Second {
				t.Errorf("Launch took %v to fail, want about %v", d, tc.timeout)
			}
		})
	}
	// No connection files are left behind.
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), "kernel-*.json"))
	for _, f := range left {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), `"kernel_name": "silent"`) || strings.Contains(string(b), `"kernel_name": "exits"`) {
			t.Errorf("connection file %s left behind", f)
		}
	}
}

func TestConcurrentExecute(t *testing.T) {
	k := launch(t, "xpython")
	ctx := ctxT(t)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			res, err := k.Execute(ctx, "print("+string(rune('0'+i))+")")
			if err == nil && res.Stdout() != string(rune('0'+i))+"\n" {
				err = errors.New("wrong output " + res.Stdout())
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func jsonEqual(got json.RawMessage, want string) bool {
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// Kernels reached over ipc sockets in a private directory (for sandboxes without a network).
func TestIPCTransport(t *testing.T) {
	// xeus-python 0.14.3 aborts at start (zmq::error_t "Invalid argument") when the ipc prefix
	// is 24 bytes or longer; WithIPC's /tmp/k-NNNNNNNNNN/s is shorter, so both kernels run.
	for _, name := range realKernels {
		t.Run(name, func(t *testing.T) {
			k := launch(t, name, WithIPC())
			if k.Connection().Transport != "ipc" || k.Dir() == "" {
				t.Fatalf("connection %+v, dir %q; want ipc in a private directory", k.Connection(), k.Dir())
			}
			if fi, err := os.Stat(k.Dir()); err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("kernel dir %s: %v, mode %v; want 0700", k.Dir(), err, fi)
			}
			if filepath.Dir(k.ConnectionFile()) != k.Dir() {
				t.Errorf("connection file %s is not in the kernel dir %s", k.ConnectionFile(), k.Dir())
			}
			res, err := k.Execute(ctxT(t), "print(1+1)")
			if err != nil || res.Stdout() != "2\n" {
				t.Fatalf("Execute over ipc: %v, %q", err, res.Stdout())
			}
			socks, _ := filepath.Glob(k.Connection().IP + "-*")
			if len(socks) != 5 {
				t.Errorf("sockets in kernel dir = %v, want 5", socks)
			}
			dir := k.Dir()
			shutdownAndCheck(t, k)
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("kernel dir %s left after Shutdown", dir)
			}
		})
	}
}

// A kernel that hangs (stopped, so it cannot even answer heartbeats) is declared dead within the
// heartbeat timeout; a pending request fails, and the kernel is killed.
func TestHeartbeatDetectsHungKernel(t *testing.T) {
	k := launch(t, "xpython", WithHeartbeat(100*time.Millisecond, time.Second))
	ctx := ctxT(t)
	if err := syscall.Kill(k.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	_, err := k.Execute(ctx, "1+1")
	var de *DiedError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "heartbeat") {
		t.Fatalf("Execute on a stopped kernel = %v, want a DiedError about heartbeats", err)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("hung kernel noticed after %v, want about the 1s heartbeat timeout", d)
	}
}

// A kernel we only connected to (no process of ours) is watched by its heartbeat alone.
func TestHeartbeatOfConnectedKernel(t *testing.T) {
	owner := launch(t, "xpython", WithHeartbeat(0, 0))
	ctx := ctxT(t)
	info, err := ReadConnectionFile(owner.ConnectionFile())
	if err != nil {
		t.Fatal(err)
	}
	k, err := Connect(ctx, info, WithHeartbeat(100*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Shutdown(context.Background())
	_ = syscall.Kill(owner.Pid(), syscall.SIGKILL)
	select {
	case <-k.Done():
		if !errors.Is(k.Err(), ErrKernelDied) {
			t.Errorf("Err() = %v, want ErrKernelDied", k.Err())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the death of a connected kernel was not noticed")
	}
}

// TestKill: Kill ends the kernel and the children it started at once, removes its files, and
// later requests fail with ErrClosed; a second Kill is a no-op.
func TestKill(t *testing.T) {
	k := launch(t, "python3", WithIPC())
	ctx := ctxT(t)
	// A child of the kernel in its process group, which Kill must take along.
	res, err := k.Execute(ctx, "import subprocess\np = subprocess.Popen(['sleep', '300'])\nprint(p.pid)")
	if err != nil || res.Error != nil {
		t.Fatalf("%v %+v", err, res)
	}
	pid, dir, conn := k.Pid(), k.Dir(), k.ConnectionFile()
	if err := k.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kernel process %d still exists after Kill (kill 0: %v)", pid, err)
	}
	// The orphaned sleep, killed with the group, is reaped by whoever adopted it: wait for that.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assertGone(t, pid)
	for _, f := range []string{dir, conn} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s still exists after Kill", f)
		}
	}
	if _, err := k.Execute(ctx, "1"); !errors.Is(err, ErrClosed) {
		t.Errorf("Execute after Kill: %v, want ErrClosed", err)
	}
	if err := k.Kill(); err != nil {
		t.Errorf("second Kill: %v", err)
	}
}
