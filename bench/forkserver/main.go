// Command forkserver measures how fast a fresh ipykernel is ready (Launch → kernel_info reply
// and IOPub delivering) from the fork server, with and without the sandbox, against plain
// ipykernel cold starts in the same run, and the memory of idle kernels (RSS and PSS from
// /proc: forked kernels share the server's pages).
//
//	go run ./bench/forkserver [-n 40] [-idle 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/forkserver"
	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/sandbox"
)

func main() {
	n := flag.Int("n", 40, "kernels started per way")
	idle := flag.Int("idle", 5, "idle kernels kept per way to measure memory")
	kernel := flag.String("kernel", "python3", "kernelspec")
	flag.Parse()
	if err := run(*kernel, *n, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "bench/forkserver:", err)
		os.Exit(1)
	}
}

type way struct {
	name string
	opts []jupyter.Option
}

func run(kernel string, n, idle int) error {
	ctx := context.Background()
	spec, err := jupyter.FindSpec(jupyter.SearchPath(), kernel)
	if err != nil {
		return err
	}
	t0 := time.Now()
	fs, err := forkserver.New(ctx, spec)
	if err != nil {
		return err
	}
	defer fs.Close()
	serverStart := time.Since(t0)
	t0 = time.Now()
	sb, err := sandbox.New()
	if err != nil {
		return err
	}
	defer sb.Close()
	sbNew := time.Since(t0)
	timed := &timedStarter{inner: fs}
	ways := []way{
		{"plain exec (cold)", nil},
		{"fork server, tcp", []jupyter.Option{jupyter.WithStarter(fs)}},
		{"fork server, ipc", []jupyter.Option{jupyter.WithStarter(timed), jupyter.WithIPC()}},
		{"fork server + sandbox", []jupyter.Option{jupyter.WithStarter(sb.Starter(fs)), jupyter.WithIPC()}},
		{"plain exec + sandbox shim", []jupyter.Option{jupyter.WithStarter(sb.Starter(nil)), jupyter.WithIPC()}},
	}
	fmt.Printf("kernel %s; fork server ready in %v (imports, once); sandbox.New %v\n", spec.Name, serverStart.Round(time.Millisecond), sbNew.Round(time.Microsecond))
	fmt.Printf("fresh kernel ready (Launch → kernel_info reply + IOPub), %d starts each:\n", n)
	p50s := map[string]time.Duration{}
	portRaces := 0
	for _, w := range ways {
		ds := make([]time.Duration, 0, n)
		for i := 0; i < n; i++ {
			var (
				k   *jupyter.Kernel
				err error
				d   time.Duration
			)
			for try := 0; try < 3; try++ {
				t := time.Now()
				k, err = jupyter.Launch(ctx, spec, w.opts...)
				d = time.Since(t)
				// Over TCP, another process may take a port between jupyter picking it and the
				// kernel binding it (busy machines); that start is not counted.
				if err == nil || !strings.Contains(err.Error(), "Address already in use") {
					break
				}
				portRaces++
			}
			if err != nil {
				return fmt.Errorf("%s: %w", w.name, err)
			}
			ds = append(ds, d)
			if _, err := k.Execute(ctx, "1+1"); err != nil {
				return fmt.Errorf("%s: execute: %w", w.name, err)
			}
			_ = k.Shutdown(ctx)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		p50, p99 := ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
		p50s[w.name] = p50
		fmt.Printf("  %-28s p50 %8.2f ms  p99 %8.2f ms  min %7.2f ms\n", w.name, ms(p50), ms(p99), ms(ds[0]))
	}
	sort.Slice(timed.d, func(i, j int) bool { return timed.d[i] < timed.d[j] })
	if len(timed.d) > 0 {
		fmt.Printf("  of which the fork (server's spawn reply, ipc way): p50 %.2f ms; the rest is the child's\n"+
			"  ipykernel start and the client's connect + kernel_info handshake\n", ms(timed.d[len(timed.d)/2]))
	}
	if portRaces > 0 {
		fmt.Printf("  (%d TCP starts lost a port race and were retried, not counted)\n", portRaces)
	}
	cold := p50s["plain exec (cold)"]
	for _, w := range ways[1:] {
		fmt.Printf("  ratio plain cold / %-22s %6.1f×\n", w.name, float64(cold)/float64(p50s[w.name]))
	}
	fmt.Printf("  sandbox cost: fork server %+.2f ms, exec %+.2f ms (p50 vs unconfined)\n",
		ms(p50s["fork server + sandbox"]-p50s["fork server, ipc"]), ms(p50s["plain exec + sandbox shim"]-cold))

	fmt.Printf("idle kernel memory, %d kernels each (after one execute):\n", idle)
	for _, w := range ways[:2] {
		var ks []*jupyter.Kernel
		for i := 0; i < idle; i++ {
			k, err := jupyter.Launch(ctx, spec, w.opts...)
			if err != nil {
				return err
			}
			if _, err := k.Execute(ctx, "1+1"); err != nil {
				return err
			}
			ks = append(ks, k)
		}
		var rss, pss int64
		for _, k := range ks {
			r, p := memOf(k.Pid())
			rss += r
			pss += p
		}
		fmt.Printf("  %-28s RSS %6.1f MiB  PSS %6.1f MiB per kernel\n", w.name, mib(rss/int64(idle)), mib(pss/int64(idle)))
		for _, k := range ks {
			_ = k.Shutdown(ctx)
		}
	}
	r, p := memOf(fs.Pid())
	fmt.Printf("  fork server worker itself      RSS %6.1f MiB  PSS %6.1f MiB (shared with its kernels)\n", mib(r), mib(p))
	return nil
}

// memOf reads Rss and Pss (bytes) from /proc/pid/smaps_rollup.
func memOf(pid int) (rss, pss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			rss = v << 10
		case "Pss:":
			pss = v << 10
		}
	}
	return rss, pss
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }

// timedStarter records how long its inner Starter takes to return a process.
type timedStarter struct {
	inner jupyter.Starter
	d     []time.Duration
}

func (t *timedStarter) Start(ctx context.Context, argv, env []string, dir string) (jupyter.Process, error) {
	t0 := time.Now()
	p, err := t.inner.Start(ctx, argv, env, dir)
	t.d = append(t.d, time.Since(t0))
	return p, err
}
