package evaluator

import (
	"context"
	"testing"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// BenchmarkCall measures one call of a trivial Python function in a warm kernel: the whole
// Evaluate path, invoke (the instance's call with its ZObject conversion), and the call channel
// alone (the same call without the Go-side ZObject work).
func BenchmarkCall(b *testing.B) {
	e, err := New(Config{MinIdle: -1, NoJavaScript: true, PythonKernel: benchKernel}) // no refill starting a kernel beside the measurement
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	l := &library{e: e, fns: map[string]string{"Z1000": "def Z1000(Z1000K1):\n\treturn Z1000K1"}}
	s := e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)
	call := z.NewRecord(z.NewRef("Z7"), z.KV("Z7K1", testFunction(b, "Z1000", l.fns["Z1000"])), z.KV("Z1000K1", z.NewString("hello")))
	if _, err := e.Evaluate(ctx, "python-3", call); err != nil {
		b.Fatal(err)
	}
	b.Run("Evaluate", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Evaluate(ctx, "python-3", call); err != nil {
				b.Fatal(err)
			}
		}
	})
	var in *kernelInstance
	for _, sl := range s.slots {
		in = sl.in.(*kernelInstance)
	}
	fields := []z.Field{z.KV("Z1000K1", z.NewString("hello"))}
	b.Run("invoke", func(b *testing.B) {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for b.Loop() {
			if _, err := in.invoke(cctx, fields); err != nil {
				b.Fatal(err)
			}
		}
	})
	args := []byte(`{"Z1000K1":{"Z1K1":"Z6","Z6K1":"hello"}}`)
	b.Run("channel", func(b *testing.B) {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for b.Loop() {
			if _, err := in.call(cctx, args, e.nested); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const benchKernel = "python3"
