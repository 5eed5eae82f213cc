package js

import (
	"context"
	"strings"
	"testing"

	z "github.com/zeval/zeval/internal/zobject"
)

// The benchmarks measure the engine as the evaluator uses it. Compare them with the figures in
// doc.go (go test -run XXX -bench . -benchmem ./internal/js/).

const addCode = "function Z1000(Z1000K1, Z1000K2) { return (parseInt(Z1000K1) + parseInt(Z1000K2)).toString(); }"

func addArgs() []z.Field {
	return []z.Field{z.KV("Z1000K1", z.NewString("5")), z.KV("Z1000K2", z.NewString("8"))}
}

// BenchmarkCallWarm is one trivial call on a VM that has already loaded its code.
func BenchmarkCallWarm(b *testing.B) {
	vm, err := NewVM(addCode, "Z1000")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	args := addArgs()
	if _, err := vm.Call(ctx, args, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		z22, err := vm.Call(ctx, args, nil)
		if err != nil || z22.Get("Z22K1").StringValue() != "13" {
			b.Fatalf("Call = %v, %v", z22, err)
		}
	}
}

// BenchmarkCallWarmDeadline is BenchmarkCallWarm under a context with a deadline (the
// time-limit hook is armed on every call), as the evaluator calls it.
func BenchmarkCallWarmDeadline(b *testing.B) {
	vm, err := NewVM(addCode, "Z1000")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1<<40)
	defer cancel()
	args := addArgs()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vm.Call(ctx, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFreshVM compiles the code into a new VM and makes its first call (which runs the
// top level): the cost of a function's first call in a session.
func BenchmarkFreshVM(b *testing.B) {
	ctx := context.Background()
	args := addArgs()
	b.ReportAllocs()
	for b.Loop() {
		vm, err := NewVM(addCode, "Z1000")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := vm.Call(ctx, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCall1MiBString passes a 1 MiB string argument and returns a 1 MiB string.
func BenchmarkCall1MiBString(b *testing.B) {
	vm, err := NewVM("function Z1000(Z1000K1) { return Z1000K1.toUpperCase(); }", "Z1000")
	if err != nil {
		b.Fatal(err)
	}
	args := []z.Field{z.KV("Z1000K1", z.NewString(strings.Repeat("abcdefgh", 1<<17)))}
	ctx := context.Background()
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		z22, err := vm.Call(ctx, args, nil)
		if err != nil || len(z22.Get("Z22K1").StringValue()) != 1<<20 {
			b.Fatalf("Call = %v", err)
		}
	}
}

// BenchmarkCallList converts a list of 1,000 strings in and out.
func BenchmarkCallList(b *testing.B) {
	vm, err := NewVM("function Z1000(Z1000K1) { return Z1000K1.map(s => s + '!'); }", "Z1000")
	if err != nil {
		b.Fatal(err)
	}
	items := make([]*z.Object, 1000)
	for i := range items {
		items[i] = z.NewString("item")
	}
	args := []z.Field{z.KV("Z1000K1", z.NewList(z.NewRef(z.Z6), items...))}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vm.Call(ctx, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNestedCall is one W.Call round trip answered by a Go Caller.
func BenchmarkNestedCall(b *testing.B) {
	vm, err := NewVM("function Z1000() { return W.Call('Z802', {Z802K1: true, Z802K2: 'a', Z802K3: 'b'}); }", "Z1000")
	if err != nil {
		b.Fatal(err)
	}
	c := &fakeCaller{handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){
		"Z802": func(_ context.Context, z7 *z.Object) (*z.Object, error) {
			return z.ResultEnvelope(z7.Get("Z802K2"), nil), nil
		},
	}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.calls = c.calls[:0]
		if _, err := vm.Call(ctx, nil, c); err != nil {
			b.Fatal(err)
		}
	}
}
