package orchestrator

import (
	"context"
	"slices"
	"testing"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

func benchEvaluate(b *testing.B, o *Orchestrator, call string) {
	b.Helper()
	c := z.MustParse(call)
	ctx := context.Background()
	env := o.Evaluate(ctx, Request{Call: c})
	if e := z.EnvelopeError(env); e != nil && !z.IsVoid(e) {
		b.Fatalf("Evaluate(%s) failed: %s", call, e)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var lat latencies
	for b.Loop() {
		t0 := time.Now()
		o.Evaluate(ctx, Request{Call: c})
		lat = append(lat, time.Since(t0))
	}
	lat.report(b)
}

// latencies are the durations of single iterations, for percentiles.
type latencies []time.Duration

// report adds the p50 and p99 of the iterations to the benchmark's output.
func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	b.ReportMetric(float64(l[len(l)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(l[len(l)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkEvaluateEcho is the per-call overhead: one built-in (Z801) with a string argument.
func BenchmarkEvaluateEcho(b *testing.B) {
	benchEvaluate(b, New(nil), `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"hello"}`)
}

// BenchmarkEvaluateNestedBuiltins nests five built-ins: If(String equality(Head(list), "a"),
// Echo(...), ...) over a list.
func BenchmarkEvaluateNestedBuiltins(b *testing.B) {
	benchEvaluate(b, New(nil), `{"Z1K1":"Z7","Z7K1":"Z802",
		"Z802K1":{"Z1K1":"Z7","Z7K1":"Z866","Z866K1":{"Z1K1":"Z7","Z7K1":"Z811","Z811K1":["Z6","a","b"]},"Z866K2":"a"},
		"Z802K2":{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":{"Z1K1":"Z7","Z7K1":"Z813","Z813K1":["Z6"]}},
		"Z802K3":"no"}`)
}

// BenchmarkEvaluateComposition calls a user-defined composition (from the resolver) that
// calls built-ins with its arguments: And(b1, b2) = If(b1, b2, false).
func BenchmarkEvaluateComposition(b *testing.B) {
	m := MapResolver{"Z10007": z.MustParse(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z10007"},"Z2K2":{"Z1K1":"Z8",
		"Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z40","Z17K2":"Z10007K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}},
		{"Z1K1":"Z17","Z17K1":"Z40","Z17K2":"Z10007K2","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
		"Z8K2":"Z40","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z10007","Z14K2":{"Z1K1":"Z7","Z7K1":"Z802",
		"Z802K1":{"Z1K1":"Z18","Z18K1":"Z10007K1"},"Z802K2":{"Z1K1":"Z18","Z18K1":"Z10007K2"},"Z802K3":{"Z1K1":"Z40","Z40K1":"Z42"}}}],
		"Z8K5":"Z10007"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`)}
	benchEvaluate(b, New(m), `{"Z1K1":"Z7","Z7K1":"Z10007","Z10007K1":{"Z1K1":"Z40","Z40K1":"Z41"},
		"Z10007K2":{"Z1K1":"Z7","Z7K1":"Z844","Z844K1":"Z41","Z844K2":"Z41"}}`)
}

// BenchmarkEvaluateMapList maps "is empty" over a list of five lists with a recursive
// composition (the corpus' map case, orch-018), the heaviest composition of the corpus.
func BenchmarkEvaluateMapList(b *testing.B) {
	m := MapResolver{"Z20044": z.MustParse(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z20044"},"Z2K2":{"Z1K1":"Z8",
		"Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z8","Z17K2":"Z20044K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}},
		{"Z1K1":"Z17","Z17K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z1"}},"Z17K2":"Z20044K2","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
		"Z8K2":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z40"},"Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z20044",
		"Z14K2":{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":{"Z1K1":"Z7","Z7K1":"Z813","Z813K1":{"Z1K1":"Z18","Z18K1":"Z20044K2"}},
		"Z802K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z40"}},
		"Z802K3":{"Z1K1":"Z7","Z7K1":"Z810","Z810K1":{"Z1K1":"Z7","Z7K1":{"Z1K1":"Z18","Z18K1":"Z20044K1"},"K1":{"Z1K1":"Z7","Z7K1":"Z811","Z811K1":{"Z1K1":"Z18","Z18K1":"Z20044K2"}}},
		"Z810K2":{"Z1K1":"Z7","Z7K1":"Z20044","Z20044K1":{"Z1K1":"Z18","Z18K1":"Z20044K1"},"Z20044K2":{"Z1K1":"Z7","Z7K1":"Z812","Z812K1":{"Z1K1":"Z18","Z18K1":"Z20044K2"}}}}}}],
		"Z8K5":"Z20044"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`)}
	benchEvaluate(b, New(m), `{"Z1K1":"Z7","Z7K1":"Z20044","Z20044K1":"Z813","Z20044K2":[{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},["Z6"],["Z6","I am here!"],["Z6","I am not :("],["Z6"]]}`)
}

// BenchmarkParseCall is the baseline the evaluation benchmarks compare with: parsing the
// echo call's JSON once.
func BenchmarkParseCall(b *testing.B) {
	data := []byte(`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"hello"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := z.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunEcho is BenchmarkEvaluateEcho through Run, without the envelope.
func BenchmarkRunEcho(b *testing.B) {
	o := New(nil)
	c := z.MustParse(`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"hello"}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if out := o.Run(ctx, Request{Call: c}); out.Error != nil {
			b.Fatal(out.Error)
		}
	}
}
