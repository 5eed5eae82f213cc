package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/forkserver"
	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/sandbox"
)

func python3Spec(t testing.TB) *jupyter.Spec {
	t.Helper()
	s, err := jupyter.FindSpec(jupyter.SearchPath(), "python3")
	if err != nil {
		t.Fatalf("kernel python3 is not installed (make setup installs it): %v", err)
	}
	return s
}

func newSandbox(t testing.TB, opts ...sandbox.Option) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.New(opts...)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("sandbox Close: %v", err)
		}
	})
	return sb
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// starters are the two ways a confined kernel starts: forked by the fork server with the plan
// applied in the child, and exec'd through the applier shim.
func starters(t *testing.T) map[string]jupyter.Starter {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fs, err := forkserver.New(ctx, python3Spec(t))
	if err != nil {
		t.Fatalf("forkserver.New: %v", err)
	}
	t.Cleanup(func() { fs.Close() })
	return map[string]jupyter.Starter{"forkserver": fs, "exec": jupyter.ExecStarter{}}
}

func launch(t *testing.T, st jupyter.Starter) *jupyter.Kernel {
	t.Helper()
	k, err := jupyter.Launch(ctxT(t), python3Spec(t), jupyter.WithIPC(), jupyter.WithStarter(st))
	if err != nil {
		t.Fatalf("Launch confined: %v", err)
	}
	t.Cleanup(func() {
		pid := k.Pid()
		k.Shutdown(context.Background())
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kernel %d left after Shutdown: %v", pid, err)
		}
	})
	return k
}

func run(t *testing.T, k *jupyter.Kernel, code string) *jupyter.ExecuteResult {
	t.Helper()
	res, err := k.Execute(ctxT(t), code)
	if err != nil {
		t.Fatalf("Execute(%q): %v", code, err)
	}
	return res
}

// expectOK runs code that prints "ok" when the sandbox did its job.
func expectOut(t *testing.T, k *jupyter.Kernel, code, want string) {
	t.Helper()
	res := run(t, k, code)
	if got := res.Stdout(); got != want {
		t.Errorf("%s\n→ stdout %q, error %+v; want %q", code, got, res.Error, want)
	}
}

func alive(t *testing.T, k *jupyter.Kernel) {
	t.Helper()
	expectOut(t, k, "print(6*7)", "42\n")
}

func TestReport(t *testing.T) {
	sb := newSandbox(t)
	caps := sb.Capabilities()
	rep := map[string]sandbox.Protection{}
	for _, p := range sb.Report() {
		rep[p.Name] = p
		if p.How == "" {
			t.Errorf("protection %q says neither how nor why not", p.Name)
		}
	}
	tests := []struct {
		name string
		want bool
	}{
		{"memory limit", true},
		{"no network", caps.NetNS || caps.LandlockV >= 4 || caps.Seccomp},
		{"read-only filesystem", caps.LandlockV > 0},
		{"other kernels' files unreadable", caps.LandlockV > 0},
		{"syscall filter", caps.Seccomp},
		{"process limit", len(caps.CgroupV1) > 0 || caps.CgroupV2 != "" || !caps.Root},
		{"private temp dir", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := rep[tc.name]
			if !ok {
				t.Fatalf("Report has no %q", tc.name)
			}
			if p.Active != tc.want {
				t.Errorf("%q active = %v (%s), want %v for capabilities %+v", tc.name, p.Active, p.How, tc.want, caps)
			}
		})
	}
	off := newSandbox(t, sandbox.WithCapabilities(sandbox.Capabilities{Root: true}))
	for _, p := range off.Report() {
		if p.Name == "no network" && p.Active {
			t.Errorf("with no capabilities, no network = active (%s)", p.How)
		}
	}
}

func TestNewBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  sandbox.Option
		want string
	}{
		{"zero memory", sandbox.WithMemory(0), "positive"},
		{"negative pids", sandbox.WithPids(-1), "positive"},
		{"zero cpus", sandbox.WithCPUs(0), "positive"},
		{"relative path", sandbox.WithReadWrite("run/x"), "not absolute"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sb, err := sandbox.New(tc.opt)
			if err == nil {
				sb.Close()
				t.Fatal("New succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestNeedsIPC(t *testing.T) {
	sb := newSandbox(t)
	if !sb.Capabilities().NetNS {
		t.Fatalf("network namespaces are not available here (capabilities %+v)", sb.Capabilities())
	}
	_, err := jupyter.Launch(ctxT(t), python3Spec(t), jupyter.WithStarter(sb.Starter(nil)))
	if !errors.Is(err, sandbox.ErrNeedsIPC) {
		t.Errorf("Launch over TCP without a network = %v, want ErrNeedsIPC", err)
	}
}

func TestConfinedKernels(t *testing.T) {
	rw := t.TempDir() // stands for the evaluator's call-channel directory
	sb := newSandbox(t, sandbox.WithMemory(256<<20), sandbox.WithPids(64), sandbox.WithReadWrite(rw))
	for name, inner := range starters(t) {
		t.Run(name, func(t *testing.T) {
			st := sb.Starter(inner)
			k := launch(t, st)
			other := launch(t, st)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			escape := filepath.Join(os.TempDir(), fmt.Sprintf("zeval-escape-%d", time.Now().UnixNano()))
			t.Run("works", func(t *testing.T) {
				expectOut(t, k, "import os\nprint(os.environ['TMPDIR'] != '/tmp', os.getcwd() != '')", "True True\n")
			})
			t.Run("no tcp socket", func(t *testing.T) {
				expectOut(t, k, fmt.Sprintf(`import socket
try:
    socket.create_connection(("127.0.0.1", %d), timeout=2)
    print("connected")
except OSError as e:
    print("refused")`, port), "refused\n")
			})
			t.Run("no udp socket", func(t *testing.T) {
				expectOut(t, k, `import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53))
    print("sent")
except OSError as e:
    print("refused")`, "refused\n")
			})
			t.Run("unix sockets in the read-write dir", func(t *testing.T) {
				path := filepath.Join(rw, name+".sock")
				l, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				go func() {
					if c, err := l.Accept(); err == nil {
						c.Write([]byte("hello"))
						c.Close()
					}
				}()
				expectOut(t, k, fmt.Sprintf(`import socket
s = socket.socket(socket.AF_UNIX)
s.connect(%q)
print(s.recv(5).decode())`, path), "hello\n")
			})
			t.Run("no writes outside the temp dir", func(t *testing.T) {
				expectOut(t, k, fmt.Sprintf(`import os
bad = []
for p in [%q, "/etc/zeval-escape", "/usr/zeval-escape", os.path.expanduser("~/../zeval-escape")]:
    try:
        open(p, "w").write("x")
        bad.append(p)
    except OSError:
        pass
open(os.path.join(os.environ["TMPDIR"], "mine"), "w").write("x")
print(bad)`, escape), "[]\n")
				if _, err := os.Stat(escape); !os.IsNotExist(err) {
					os.Remove(escape)
					t.Errorf("%s was written from inside the sandbox", escape)
				}
			})
			t.Run("no reading other kernels", func(t *testing.T) {
				targets := []string{other.ConnectionFile(), other.Dir(), filepath.Dir(other.Dir())}
				expectOut(t, k, fmt.Sprintf(`import os
got = []
for p in %s:
    try:
        if os.path.isdir(p):
            os.listdir(p)
        else:
            open(p).read()
        got.append(p)
    except OSError:
        pass
print(got)`, pyList(targets)), "[]\n")
				// The other kernel can still read its own.
				expectOut(t, other, fmt.Sprintf("print(len(open(%q).read()) > 0)", other.ConnectionFile()), "True\n")
			})
			t.Run("memory bomb", func(t *testing.T) {
				res, err := k.Execute(ctxT(t), "x = b'x' * (1 << 30)\nprint('allocated')")
				switch {
				case errors.Is(err, jupyter.ErrKernelDied):
					// OOM-killed: the memory cgroup did it.
				case err != nil:
					t.Fatalf("memory bomb: %v", err)
				case res.Error == nil || res.Error.Name != "MemoryError":
					t.Errorf("memory bomb = %q %+v, want MemoryError or an OOM kill", res.Stdout(), res.Error)
				}
				alive(t, other)
			})
		})
	}
}

// A fork bomb meets the pids limit; the kernel and its neighbour carry on.
func TestForkBomb(t *testing.T) {
	sb := newSandbox(t, sandbox.WithPids(64))
	if len(sb.Capabilities().CgroupV1) == 0 && sb.Capabilities().CgroupV2 == "" {
		t.Fatalf("no writable cgroup here (capabilities %+v)", sb.Capabilities())
	}
	for name, inner := range starters(t) {
		t.Run(name, func(t *testing.T) { forkBomb(t, sb.Starter(inner)) })
	}
}

func forkBomb(t *testing.T, st jupyter.Starter) {
	k := launch(t, st)
	other := launch(t, st)
	res := run(t, k, `import os, time
pids = []
err = None
try:
    for i in range(100000):
        pid = os.fork()
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        pids.append(pid)
except OSError as e:
    err = e
for p in pids:
    os.kill(p, 9)
    os.waitpid(p, 0)
print(len(pids) < 64, type(err).__name__)`)
	if got := res.Stdout(); got != "True BlockingIOError\n" {
		t.Errorf("fork bomb = %q %+v, want stopped below 64 tasks with BlockingIOError", got, res.Error)
	}
	alive(t, k)
	alive(t, other)
}

func pyList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// A confined kernel sits in cgroups of its own with the configured limits; they are removed when
// it exits.
func TestKernelCgroups(t *testing.T) {
	sb := newSandbox(t, sandbox.WithMemory(300<<20), sandbox.WithPids(77), sandbox.WithCPUs(0.5))
	if len(sb.Capabilities().CgroupV1) == 0 {
		t.Fatalf("no writable cgroup v1 controllers here (capabilities %+v)", sb.Capabilities())
	}
	for name, inner := range starters(t) {
		t.Run(name, func(t *testing.T) {
			k, err := jupyter.Launch(ctxT(t), python3Spec(t), jupyter.WithIPC(), jupyter.WithStarter(sb.Starter(inner)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", k.Pid()))
			if err != nil {
				t.Fatal(err)
			}
			paths := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				f := strings.SplitN(line, ":", 3)
				for _, ctl := range strings.Split(f[1], ",") {
					paths[ctl] = f[2]
				}
			}
			want := []struct{ ctl, file, value string }{
				{"memory", "memory.limit_in_bytes", fmt.Sprint(300 << 20)},
				{"pids", "pids.max", "77"},
				{"cpu", "cpu.cfs_quota_us", "50000"},
			}
			var dirs []string
			for _, w := range want {
				dir := filepath.Join("/sys/fs/cgroup", w.ctl, paths[w.ctl])
				dirs = append(dirs, dir)
				got, err := os.ReadFile(filepath.Join(dir, w.file))
				if err != nil || strings.TrimSpace(string(got)) != w.value || paths[w.ctl] == "/" {
					t.Errorf("kernel's %s cgroup %q: %s = %q (%v), want %s", w.ctl, paths[w.ctl], w.file, got, err, w.value)
				}
			}
			k.Shutdown(context.Background())
			for _, d := range dirs {
				if _, err := os.Stat(d); !os.IsNotExist(err) {
					t.Errorf("cgroup %s left after the kernel exited", d)
				}
			}
		})
	}
}

// The probes above would see an escape: an unconfined kernel connects, writes and reads.
func TestProbesDetectEscapes(t *testing.T) {
	k, err := jupyter.Launch(ctxT(t), python3Spec(t), jupyter.WithIPC())
	if err != nil {
		t.Fatal(err)
	}
	defer k.Shutdown(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	escape := filepath.Join(os.TempDir(), fmt.Sprintf("zeval-control-%d", time.Now().UnixNano()))
	defer os.Remove(escape)
	expectOut(t, k, fmt.Sprintf(`import socket, os
socket.create_connection(("127.0.0.1", %d), timeout=5).close()
open(%q, "w").write("x")
os.listdir(%q)
print("escaped")`, ln.Addr().(*net.TCPAddr).Port, escape, os.TempDir()), "escaped\n")
}

// What a kernel leaves behind — a daemon in a session of its own — is killed and reaped when the
// kernel goes: no process and no zombie is left (pid 1 does not reap on every host).
func TestOrphansReaped(t *testing.T) {
	sb := newSandbox(t)
	for name, inner := range starters(t) {
		t.Run(name, func(t *testing.T) {
			k, err := jupyter.Launch(ctxT(t), python3Spec(t), jupyter.WithIPC(), jupyter.WithStarter(sb.Starter(inner)))
			if err != nil {
				t.Fatal(err)
			}
			res := run(t, k, `import os, time
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(w, str(os.getpid()).encode())
        time.sleep(600)
    os._exit(0)
os.waitpid(pid, 0)
print(os.read(r, 32).decode())`)
			var daemon int
			if _, err := fmt.Sscan(res.Stdout(), &daemon); err != nil || daemon <= 0 {
				t.Fatalf("daemon pid %q: %v", res.Stdout(), err)
			}
			if err := syscall.Kill(daemon, 0); err != nil {
				t.Fatalf("daemon %d is not running: %v", daemon, err)
			}
			if err := k.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Shutdown returns once the daemon is killed; its reaper (the exec shim or the fork
			// server's keeper, never pid 1) collects the zombie a moment later, and must.
			err = nil
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if err = syscall.Kill(daemon, 0); errors.Is(err, syscall.ESRCH) {
					break
				}
			}
			if !errors.Is(err, syscall.ESRCH) {
				state, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", daemon))
				t.Errorf("the kernel's daemon %d is left 5 s after Shutdown (%v): %s", daemon, err, state)
			}
		})
	}
}

// Interrupts reach a confined kernel (through the exec shim, which forwards SIGINT), and a
// kernel that exits reports its status as an exec'd one does.
func TestInterruptAndExit(t *testing.T) {
	sb := newSandbox(t)
	for name, inner := range starters(t) {
		t.Run(name, func(t *testing.T) {
			k := launch(t, sb.Starter(inner))
			ctx := ctxT(t)
			started := make(chan struct{})
			errc := make(chan error, 1)
			go func() {
				<-started
				errc <- k.Interrupt(ctx)
			}()
			var once sync.Once
			res, err := k.Execute(ctx, "import time\nprint('sleeping', flush=True)\ntime.sleep(30)",
				jupyter.OnOutput(func(jupyter.Output) { once.Do(func() { close(started) }) }))
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if err := <-errc; err != nil {
				t.Errorf("Interrupt: %v", err)
			}
			if res.Error == nil || res.Error.Name != "KeyboardInterrupt" {
				t.Fatalf("interrupted execute = %+v, want KeyboardInterrupt", res)
			}
			for i := 0; i < 100; i++ { // ipykernel aborts requests right after an error
				res, err = k.Execute(ctx, "import os\nos._exit(5)")
				if err != nil || res.Status != "aborted" {
					break
				}
			}
			var de *jupyter.DiedError
			if !errors.As(err, &de) || !strings.Contains(de.Reason, "exit status 5") {
				t.Errorf("os._exit(5) = %v, want a DiedError with exit status 5", err)
			}
		})
	}
}
