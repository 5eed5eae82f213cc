package orchestrator

import (
	"context"
	"testing"
)

func TestCallObserver(t *testing.T) {
	tests := []struct {
		name string
		call string
		// want lists the observed calls, innermost first: function, kind, depth, failed.
		want []CallEvent
	}{
		{"built-in", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"hello"}`,
			[]CallEvent{{Function: "Z801", Kind: "BuiltIn", Implementation: "Z901", Depth: 1}}},
		{"nested built-in", `{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":{"Z1K1":"Z7","Z7K1":"Z813","Z813K1":["Z6"]},"Z802K2":"yes","Z802K3":"no"}`,
			[]CallEvent{{Function: "Z813", Kind: "BuiltIn", Implementation: "Z913", Depth: 2}, {Function: "Z802", Kind: "BuiltIn", Implementation: "Z902", Depth: 1}}},
		{"composition", `{"Z1K1":"Z7","Z7K1":"Z10003","Z10003K1":"x"}`, // Python first (no evaluator), then the composition
			[]CallEvent{{Function: "Z10003", Kind: "Composition", Implementation: "Z10004", Depth: 1}}},
		{"failure", `{"Z1K1":"Z7","Z7K1":"Z811","Z811K1":["Z6"]}`,
			[]CallEvent{{Function: "Z811", Kind: "BuiltIn", Implementation: "Z911", Depth: 1, Error: ref("Z506")}}},
		{"unknown function", `{"Z1K1":"Z7","Z7K1":"Z10099"}`,
			[]CallEvent{{Function: "Z10099", Depth: 1, Error: ref("Z500")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []CallEvent
			type depthKey struct{}
			o := New(testWiki(t), WithCallObserver(func(ctx context.Context, fn string, depth int) (context.Context, func(CallEvent)) {
				// The context returned here is the one nested calls see.
				if outer, _ := ctx.Value(depthKey{}).(int); outer != depth-1 {
					t.Errorf("call of %s at depth %d sees the context of depth %d", fn, depth, outer)
				}
				return context.WithValue(ctx, depthKey{}, depth), func(e CallEvent) {
					if e.Function != fn || e.Depth != depth {
						t.Errorf("ended %s at depth %d, began %s at depth %d", e.Function, e.Depth, fn, depth)
					}
					if e.Function != "Z881" { // typed list types built along the way are calls too; not these tests' subject
						got = append(got, e)
					}
				}
			}))
			evalJSON(t, o, tc.call)
			if len(got) != len(tc.want) {
				t.Fatalf("observed %d calls %+v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Function != w.Function || g.Kind != w.Kind || g.Implementation != w.Implementation || g.Depth != w.Depth {
					t.Errorf("call %d = %s %s %s depth %d, want %s %s %s depth %d", i,
						g.Function, g.Kind, g.Implementation, g.Depth, w.Function, w.Kind, w.Implementation, w.Depth)
				}
				if (g.Error != nil) != (w.Error != nil) {
					t.Errorf("call %d error = %v, want failed %v", i, g.Error, w.Error != nil)
				}
				if g.Start.IsZero() || g.Duration < 0 {
					t.Errorf("call %d start %v duration %v, want a start time and a duration", i, g.Start, g.Duration)
				}
			}
		})
	}
}
