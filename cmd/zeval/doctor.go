package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zeval/zeval/internal/forkserver"
	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/sandbox"
)

// doctorReport is what `zeval doctor --json` prints.
type doctorReport struct {
	OK          bool                 `json:"ok"`
	Kernelspecs []doctorSpec         `json:"kernelspecs"`
	Problems    []string             `json:"problems,omitempty"`
	Kernels     []doctorKernel       `json:"kernels"`
	Pools       []doctorPool         `json:"pools"`
	Protections []sandbox.Protection `json:"protections"`
	Probes      []doctorProbe        `json:"probes"`
	JavaScript  doctorJS             `json:"javascript"`
	Failures    []string             `json:"failures,omitempty"`
}

type doctorSpec struct {
	Name        string `json:"name"`
	Language    string `json:"language"`
	DisplayName string `json:"display_name"`
	Path        string `json:"path"`
	ForkServer  bool   `json:"fork_server"`
	Why         string `json:"fork_server_why_not,omitempty"`
}

// doctorKernel is one kernel started one way and asked 1+1.
type doctorKernel struct {
	Kernel    string  `json:"kernel"`
	Way       string  `json:"way"` // plain, fork server, sandboxed
	OK        bool    `json:"ok"`
	StartMS   float64 `json:"start_ms"`
	ExecuteMS float64 `json:"execute_ms"`
	Result    string  `json:"result,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// doctorPool is a warm pool of sandboxed kernels from the fork server: filled, leased from,
// refilled.
type doctorPool struct {
	Kernel  string     `json:"kernel"`
	OK      bool       `json:"ok"`
	ReadyMS float64    `json:"ready_ms"` // until min idle kernels were ready
	LeaseMS float64    `json:"lease_ms"` // one lease of a ready kernel
	Stats   pool.Stats `json:"stats"`
	Error   string     `json:"error,omitempty"`
}

// doctorProbe checks inside a sandboxed kernel that an active protection holds.
type doctorProbe struct {
	Kernel string `json:"kernel"`
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func runDoctor(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	only := fs.String("kernel", "", "check only these kernelspecs (comma-separated; default: every Python one)")
	startTimeout := fs.Duration("start-timeout", 60*time.Second, "how long a kernel may take to start")
	noSandbox := fs.Bool("no-sandbox", false, "skip the sandboxed kernels")
	jsKernel := fs.String("javascript-kernel", os.Getenv(envName("javascript-kernel")), "the JavaScript engine to check, as zeval serve takes it: a kernelspec (deno), or empty for the embedded one (default $ZEVAL_JAVASCRIPT_KERNEL)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval doctor [--json] [--kernel NAME,...] [--no-sandbox]")
		fmt.Fprintln(env.stderr, "Finds the kernelspecs, starts each Python one plainly, from the fork server and sandboxed, runs 1+1,")
		fmt.Fprintln(env.stderr, "and reports which protections are active. Exit status 1 when a required check fails.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitError{2}
	}
	rep := doctor(ctx, *only, *startTimeout, !*noSandbox)
	rep.JavaScript = doctorJavaScript(ctx, *jsKernel, *startTimeout)
	if !rep.JavaScript.OK {
		rep.Failures = append(rep.Failures, "javascript ("+rep.JavaScript.Engine+"): "+rep.JavaScript.Error)
		rep.OK = false
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printDoctor(env.stdout, rep)
	}
	if !rep.OK {
		return exitError{1}
	}
	return nil
}

func doctor(ctx context.Context, only string, startTimeout time.Duration, withSandbox bool) *doctorReport {
	rep := &doctorReport{Kernelspecs: []doctorSpec{}, Kernels: []doctorKernel{}, Probes: []doctorProbe{}, Pools: []doctorPool{}}
	fail := func(format string, a ...any) { rep.Failures = append(rep.Failures, fmt.Sprintf(format, a...)) }
	specs, problems := jupyter.FindSpecs(jupyter.SearchPath())
	for _, p := range problems {
		rep.Problems = append(rep.Problems, p.Error())
	}
	var check []*jupyter.Spec
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(strings.ToLower(n)); n != "" {
			want[n] = true
		}
	}
	for _, s := range specs {
		ds := doctorSpec{Name: s.Name, Language: s.Language, DisplayName: s.DisplayName, Path: s.Dir}
		if err := forkserver.CanUse(s); err == nil {
			ds.ForkServer = true
		} else {
			ds.Why = err.Error()
		}
		rep.Kernelspecs = append(rep.Kernelspecs, ds)
		if len(want) > 0 && want[s.Name] || len(want) == 0 && strings.EqualFold(s.Language, "python") {
			check = append(check, s)
		}
	}
	for n := range want {
		found := false
		for _, s := range check {
			found = found || s.Name == n
		}
		if !found {
			fail("kernelspec %q not found (searched %s)", n, strings.Join(jupyter.SearchPath(), ":"))
		}
	}
	if len(specs) == 0 {
		fail("no kernelspecs found (searched %s); `make setup` installs ipykernel and xeus-python", strings.Join(jupyter.SearchPath(), ":"))
	} else if len(check) == 0 && len(want) == 0 {
		fail("no Python kernelspec found")
	}

	var sb *sandbox.Sandbox
	if withSandbox {
		var err error
		if sb, err = sandbox.New(); err != nil {
			fail("sandbox: %v", err)
		} else {
			defer sb.Close()
			rep.Protections = sb.Report()
		}
	}
	for _, s := range check {
		opts := []jupyter.Option{jupyter.WithStartTimeout(startTimeout)}
		k := tryKernel(ctx, s, "plain", opts)
		rep.Kernels = append(rep.Kernels, k)
		if !k.OK {
			fail("%s plain: %s", s.Name, k.Error)
		}
		var fsrv *forkserver.Server
		if forkserver.CanUse(s) == nil {
			t0 := time.Now()
			srv, err := forkserver.New(ctx, s, forkserver.WithStartTimeout(startTimeout))
			way := fmt.Sprintf("fork server (server up in %.0f ms)", durMS(time.Since(t0)))
			if err != nil {
				rep.Kernels = append(rep.Kernels, doctorKernel{Kernel: s.Name, Way: "fork server", Error: err.Error()})
				fail("%s fork server: %v", s.Name, err)
			} else {
				fsrv = srv
				defer srv.Close()
				k := tryKernel(ctx, s, way, append(opts, jupyter.WithStarter(srv)))
				rep.Kernels = append(rep.Kernels, k)
				if !k.OK {
					fail("%s fork server: %s", s.Name, k.Error)
				}
			}
		}
		if sb == nil {
			continue
		}
		var inner jupyter.Starter = jupyter.ExecStarter{}
		way := "sandboxed (exec shim)"
		if fsrv != nil {
			inner, way = fsrv, "sandboxed (fork server)"
		}
		sopts := append(opts, jupyter.WithIPC(), jupyter.WithStarter(sb.Starter(inner)))
		k, probes := trySandboxed(ctx, s, way, sopts, rep.Protections)
		rep.Kernels = append(rep.Kernels, k)
		rep.Probes = append(rep.Probes, probes...)
		if !k.OK {
			fail("%s %s: %s", s.Name, way, k.Error)
		}
		for _, p := range probes {
			if !p.OK {
				fail("%s sandbox probe %q: %s", s.Name, p.Name, p.Detail)
			}
		}
		if fsrv != nil {
			dp := tryPool(ctx, s, append(opts, jupyter.WithIPC(), jupyter.WithStarter(sb.Starter(fsrv))))
			rep.Pools = append(rep.Pools, dp)
			if !dp.OK {
				fail("%s pool of sandboxed fork-server kernels: %s", s.Name, dp.Error)
			}
		}
	}
	rep.OK = len(rep.Failures) == 0
	return rep
}

// tryKernel launches a kernel, runs 1+1 and shuts it down.
func tryKernel(ctx context.Context, s *jupyter.Spec, way string, opts []jupyter.Option) doctorKernel {
	k, kern := launchAndAdd(ctx, s, way, opts)
	if kern != nil {
		kern.Shutdown(context.Background())
	}
	return k
}

func launchAndAdd(ctx context.Context, s *jupyter.Spec, way string, opts []jupyter.Option) (doctorKernel, *jupyter.Kernel) {
	r := doctorKernel{Kernel: s.Name, Way: way}
	t0 := time.Now()
	k, err := jupyter.Launch(ctx, s, opts...)
	r.StartMS = durMS(time.Since(t0))
	if err != nil {
		r.Error = err.Error()
		return r, nil
	}
	ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t0 = time.Now()
	res, err := k.Execute(ectx, "1+1")
	r.ExecuteMS = durMS(time.Since(t0))
	switch {
	case err != nil:
		r.Error = "1+1: " + err.Error()
	case res.Error != nil:
		r.Error = fmt.Sprintf("1+1: %s: %s", res.Error.Name, res.Error.Value)
	default:
		for _, o := range res.Outputs {
			if o.Type == "execute_result" {
				r.Result = o.PlainText()
			}
		}
		r.OK = r.Result == "2"
		if !r.OK {
			r.Error = fmt.Sprintf("1+1 gave %q", r.Result)
		}
	}
	return r, k
}

// tryPool fills a pool of two kernels, leases one, runs 1+1 and releases it.
func tryPool(ctx context.Context, s *jupyter.Spec, opts []jupyter.Option) doctorPool {
	r := doctorPool{Kernel: s.Name}
	p := pool.New(s.Name, pool.SpecLauncher{Spec: s, Options: opts}, pool.WithMinIdle(2), pool.WithMax(4))
	defer p.Close()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	t0 := time.Now()
	err := p.WaitReady(wctx)
	r.ReadyMS = durMS(time.Since(t0))
	if err == nil {
		t0 = time.Now()
		var k *jupyter.Kernel
		k, err = p.Lease(wctx)
		r.LeaseMS = durMS(time.Since(t0))
		if err == nil {
			var res *jupyter.ExecuteResult
			res, err = k.Execute(wctx, "print(1+1)")
			if err == nil && res.Stdout() != "2\n" {
				err = fmt.Errorf("1+1 printed %q (%v)", res.Stdout(), res.Error)
			}
			p.Release(k)
		}
	}
	r.Stats = p.Stats()
	if err != nil {
		r.Error = err.Error()
	} else {
		r.OK = true
	}
	return r
}

// trySandboxed starts a sandboxed kernel, runs 1+1, and checks from inside that the protections
// the report calls active hold.
func trySandboxed(ctx context.Context, s *jupyter.Spec, way string, opts []jupyter.Option, prot []sandbox.Protection) (doctorKernel, []doctorProbe) {
	r, k := launchAndAdd(ctx, s, way, opts)
	if k == nil {
		return r, nil
	}
	defer k.Shutdown(context.Background())
	active := map[string]bool{}
	for _, p := range prot {
		active[p.Name] = p.Active
	}
	var probes []doctorProbe
	probe := func(name, code, want string) {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		p := doctorProbe{Kernel: s.Name, Name: name}
		res, err := k.Execute(pctx, code)
		switch {
		case err != nil:
			p.Detail = err.Error()
		case strings.TrimSpace(res.Stdout()) == want:
			p.OK, p.Detail = true, want
		default:
			p.Detail = fmt.Sprintf("got %q, want %q", strings.TrimSpace(res.Stdout()), want)
		}
		probes = append(probes, p)
	}
	if active["no network"] {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			defer ln.Close()
			probe("no network", fmt.Sprintf(`import socket
try:
    socket.create_connection(("127.0.0.1", %d), timeout=2); print("connected to the host")
except OSError as e:
    print("refused")`, ln.Addr().(*net.TCPAddr).Port), "refused")
		}
	}
	if active["read-only filesystem"] {
		target := fmt.Sprintf("%s/zeval-doctor-%d", os.TempDir(), time.Now().UnixNano())
		probe("read-only filesystem", fmt.Sprintf(`import os
try:
    open(%q, "w").write("x"); print("wrote outside the sandbox")
except OSError:
    open(os.path.join(os.environ["TMPDIR"], "ok"), "w").write("x"); print("refused")`, target), "refused")
		os.Remove(target)
	}
	if active["other kernels' files unreadable"] {
		probe("other kernels' files unreadable", fmt.Sprintf(`import os
try:
    os.listdir(%q); print("listed the kernels' directory")
except OSError:
    print("refused")`, os.TempDir()), "refused")
	}
	return r, probes
}

func printDoctor(w io.Writer, rep *doctorReport) {
	fmt.Fprintf(w, "kernelspecs (%d):\n", len(rep.Kernelspecs))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range rep.Kernelspecs {
		fsrv := "fork server: yes"
		if !s.ForkServer {
			fsrv = "fork server: no"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Name, s.Language, s.DisplayName, s.Path, fsrv)
	}
	tw.Flush()
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	fmt.Fprintln(w, "kernels (start = launch → kernel_info reply; then 1+1):")
	for _, k := range rep.Kernels {
		status := "ok  "
		if !k.OK {
			status = "FAIL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\tstart %.1f ms\t1+1 %.1f ms\t%s\n", status, k.Kernel, k.Way, k.StartMS, k.ExecuteMS, doctorFirstLine(k.Error))
	}
	tw.Flush()
	for _, p := range rep.Pools {
		status := "ok  "
		if !p.OK {
			status = "FAIL"
		}
		fmt.Fprintf(w, "pool of sandboxed fork-server kernels:\n  %s %s: %d ready in %.1f ms, lease %.3f ms, %d started, %d failed %s\n",
			status, p.Kernel, p.Stats.MinIdle, p.ReadyMS, p.LeaseMS, p.Stats.Started, p.Stats.Failed, doctorFirstLine(p.Error))
	}
	if rep.Protections != nil {
		fmt.Fprintln(w, "protections of sandboxed kernels:")
		for _, p := range rep.Protections {
			mark := "[x]"
			if !p.Active {
				mark = "[ ]"
			}
			fmt.Fprintf(tw, "  %s %s\t%s\n", mark, p.Name, p.How)
		}
		tw.Flush()
	}
	if len(rep.Probes) > 0 {
		fmt.Fprintln(w, "checked from inside a sandboxed kernel:")
		for _, p := range rep.Probes {
			status := "ok  "
			if !p.OK {
				status = "FAIL"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", status, p.Kernel, p.Name, p.Detail)
		}
		tw.Flush()
	}
	printDoctorJS(w, rep.JavaScript)
	if rep.OK {
		fmt.Fprintln(w, "doctor: all required checks passed")
		return
	}
	fmt.Fprintf(w, "doctor: %d required checks failed:\n", len(rep.Failures))
	for _, f := range rep.Failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
}

func doctorFirstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func durMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
