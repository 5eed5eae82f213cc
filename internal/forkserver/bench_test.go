package forkserver

import (
	"context"
	"testing"

	"github.com/zeval/zeval/internal/jupyter"
)

// BenchmarkLaunch times a fresh ready kernel (Launch → kernel_info reply and IOPub) from the fork
// server, and a plain cold start as the baseline; bench/forkserver prints percentiles and ratios.
func BenchmarkLaunch(b *testing.B) {
	spec := python3Spec(b)
	s := newServer(b)
	ways := []struct {
		name string
		opts []jupyter.Option
	}{
		{"forkserver-ipc", []jupyter.Option{jupyter.WithStarter(s), jupyter.WithIPC()}},
		{"forkserver-tcp", []jupyter.Option{jupyter.WithStarter(s)}},
		{"plain-cold", nil},
	}
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				k, err := jupyter.Launch(ctx, spec, w.opts...)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = k.Shutdown(ctx)
				b.StartTimer()
			}
		})
	}
}
