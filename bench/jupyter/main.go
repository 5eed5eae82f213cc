// Command jupyter benchmarks zeval's Jupyter client against jupyter_client on the same kernels.
//
// In one run: cold start (launch → ready) of ipykernel and xeus-python; N execute round trips
// (reply + idle) on one warm ipykernel through our client and through jupyter_client (a Python
// script run with /usr/bin/python3, connected to the same kernel); p50, p99, client CPU per call
// and the ratios ours/jupyter_client. It prints figures; it passes or fails nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/zeval/zeval/bench/baseline"
	"github.com/zeval/zeval/internal/jupyter"
)

func main() {
	n := flag.Int("n", 1000, "execute round trips per client")
	starts := flag.Int("starts", 5, "cold starts per kernel")
	code := flag.String("code", "1+1", "code to execute")
	python := flag.String("python", "/usr/bin/python3", "Python with jupyter_client, for the baseline")
	flag.Parse()
	if err := run(*n, *starts, *code, *python); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, starts int, code, python string) error {
	ctx := context.Background()
	fmt.Printf("zeval Jupyter client benchmark — %s, %d cores\n\n", time.Now().UTC().Format(time.RFC3339), numCPU())

	fmt.Println("cold start (launch → kernel_info reply + IOPub), ms")
	fmt.Printf("  %-10s %8s %8s %8s\n", "kernel", "min", "median", "max")
	for _, name := range []string{"python3", "xpython"} {
		spec, err := jupyter.FindSpec(jupyter.SearchPath(), name)
		if err != nil {
			return err
		}
		var ds []time.Duration
		for i := 0; i < starts; i++ {
			t0 := time.Now()
			k, err := jupyter.Launch(ctx, spec)
			if err != nil {
				return err
			}
			ds = append(ds, time.Since(t0))
			k.Shutdown(ctx)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Printf("  %-10s %8.0f %8.0f %8.0f\n", name, ms(ds[0]), ms(ds[len(ds)/2]), ms(ds[len(ds)-1]))
	}

	spec, err := jupyter.FindSpec(jupyter.SearchPath(), "python3")
	if err != nil {
		return err
	}
	k, err := jupyter.Launch(ctx, spec)
	if err != nil {
		return err
	}
	defer k.Shutdown(ctx)

	ours, oursCPU, err := measureOurs(ctx, k, n, code)
	if err != nil {
		return err
	}
	base, baseCPU, err := measureBaseline(python, k.ConnectionFile(), n, code)
	if err != nil {
		return err
	}
	// Ours again, to see drift of the machine between the two measurements.
	ours2, ours2CPU, err := measureOurs(ctx, k, n, code)
	if err != nil {
		return err
	}

	fmt.Printf("\n%d execute round trips of %q on one warm ipykernel (reply + idle), µs per call\n", n, code)
	fmt.Printf("  %-22s %9s %9s %14s\n", "client", "p50", "p99", "client CPU")
	row := func(name string, lat []float64, cpu float64) {
		fmt.Printf("  %-22s %9.0f %9.0f %14.0f\n", name, pct(lat, 50), pct(lat, 99), cpu/float64(n)*1e6)
	}
	row("zeval (Go)", ours, oursCPU)
	row("jupyter_client (Py)", base, baseCPU)
	row("zeval (Go), again", ours2, ours2CPU)
	fmt.Printf("\nratio ours/jupyter_client: p50 %.2f× (run 1) %.2f× (run 2), p99 %.2f×, client CPU %.2f×\n",
		pct(ours, 50)/pct(base, 50), pct(ours2, 50)/pct(base, 50), pct(ours, 99)/pct(base, 99),
		((oursCPU+ours2CPU)/2)/baseCPU)
	fmt.Println("target: p50 ≤ 0.8× and less client CPU")
	return nil
}

func measureOurs(ctx context.Context, k *jupyter.Kernel, n int, code string) ([]float64, float64, error) {
	for i := 0; i < 20; i++ { // warm up, as the baseline does
		if _, err := k.Execute(ctx, code); err != nil {
			return nil, 0, err
		}
	}
	cpu0 := cpuSeconds()
	lat := make([]float64, n)
	for i := range lat {
		t0 := time.Now()
		res, err := k.Execute(ctx, code)
		if err != nil {
			return nil, 0, err
		}
		if res.Status != "ok" {
			return nil, 0, fmt.Errorf("execute %q: %s", code, res.Error)
		}
		lat[i] = float64(time.Since(t0).Nanoseconds()) / 1000
	}
	return lat, cpuSeconds() - cpu0, nil
}

func measureBaseline(python, connFile string, n int, code string) ([]float64, float64, error) {
	res, err := baseline.Run(python, connFile, n, code)
	if err != nil {
		return nil, 0, err
	}
	return res.Latencies, res.CPU, nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return tv(ru.Utime) + tv(ru.Stime)
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func pct(xs []float64, p float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
