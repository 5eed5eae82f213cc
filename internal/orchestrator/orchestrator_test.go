package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// testWiki holds a few user-defined objects, written in canonical JSON.
func testWiki(t testing.TB) MapResolver {
	t.Helper()
	m := MapResolver{}
	add := func(zid, value string) {
		m[zid] = z.MustParse(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"` + zid + `"},"Z2K2":` + value +
			`,"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`)
	}
	// Z10001 calls itself forever.
	add("Z10001", `{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z1","Z17K2":"Z10001K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
		"Z8K2":"Z1","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z10001",
		"Z14K2":{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":{"Z1K1":"Z18","Z18K1":"Z10001K1"}}}],"Z8K5":"Z10001"}`)
	// Z10002 is implemented in Python only.
	add("Z10002", `{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"Z10002K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
		"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z10002",
		"Z14K3":{"Z1K1":"Z16","Z16K1":{"Z1K1":"Z61","Z61K1":"python-3"},"Z16K2":"def Z10002(Z10002K1):\n\treturn Z10002K1 + '!'"}}],"Z8K5":"Z10002"}`)
	// Z10003 is Python first, then a composition that returns its argument.
	add("Z10003", `{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"Z10003K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
		"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14",
		{"Z1K1":"Z14","Z14K1":"Z10003","Z14K3":{"Z1K1":"Z16","Z16K1":{"Z1K1":"Z61","Z61K1":"python-3"},"Z16K2":"def Z10003(Z10003K1):\n\treturn 'code'"}},
		"Z10004"],"Z8K5":"Z10003"}`)
	add("Z10004", `{"Z1K1":"Z14","Z14K1":"Z10003","Z14K2":{"Z1K1":"Z18","Z18K1":"Z10003K1"}}`)
	// Z10005 is a string constant with a user-defined reference in it.
	add("Z10005", `"stored string"`)
	// Z10010 pairs its argument with itself; Z10011 applies it once per item of a list, so
	// its result shares sub-objects: 2^n objects written out, from n calls.
	add("Z10010", `{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z1","Z17K2":"Z10010K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
		"Z8K2":"Z1","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z10010",
		"Z14K2":{"Z1K1":"Z10012","K1":{"Z1K1":"Z18","Z18K1":"Z10010K1"},"K2":{"Z1K1":"Z18","Z18K1":"Z10010K1"}}}],"Z8K5":"Z10010"}`)
	add("Z10011", `{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z1"},"Z17K2":"Z10011K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
		"Z8K2":"Z1","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z10011",
		"Z14K2":{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":{"Z1K1":"Z7","Z7K1":"Z813","Z813K1":{"Z1K1":"Z18","Z18K1":"Z10011K1"}},
		"Z802K2":"a",
		"Z802K3":{"Z1K1":"Z7","Z7K1":"Z10010","Z10010K1":{"Z1K1":"Z7","Z7K1":"Z10011","Z10011K1":{"Z1K1":"Z7","Z7K1":"Z812","Z812K1":{"Z1K1":"Z18","Z18K1":"Z10011K1"}}}}}}],
		"Z8K5":"Z10011"}`)
	return m
}

// fakePython plays an evaluator for python-3 that appends "!" to its first argument, or
// fails as a platform when broken is set.
type fakePython struct {
	broken bool
	calls  int
}

func (*fakePython) Languages() []string { return []string{"python-3"} }

func (p *fakePython) Evaluate(_ context.Context, language string, call *z.Object) (*z.Object, error) {
	p.calls++
	if p.broken {
		return nil, errors.New("kernel died")
	}
	fn := call.Get("Z7K1")
	arg := call.Get(text(fn.Get("Z8K5")) + "K1")
	return z.NewRecord(ref(z.Z22), z.KV("Z22K1", z.NewString(arg.StringValue()+"!")), z.KV("Z22K2", z.Void())), nil
}

// evalJSON evaluates a call written in JSON and returns the canonical result and error.
func evalJSON(t testing.TB, o *Orchestrator, call string) (result, errJSON string) {
	t.Helper()
	c, e := z.Decode([]byte(call))
	if e != nil {
		c = e
	}
	env := o.Evaluate(context.Background(), Request{Call: c, DoValidate: true})
	res := string(env.Get("Z22K1").CanonicalJSON())
	if err := z.EnvelopeError(env); err != nil && !z.IsVoid(err) {
		errJSON = string(err.CanonicalJSON())
	}
	return res, errJSON
}

func TestBuiltins(t *testing.T) {
	o := New(testWiki(t))
	tests := []struct {
		name, call, want, wantErr string
	}{
		{"echo", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"hello"}`, `"hello"`, ""},
		{"if true", `{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":"Z41","Z802K2":"yes","Z802K3":"no"}`, `"yes"`, ""},
		{"if false", `{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":{"Z1K1":"Z40","Z40K1":"Z42"},"Z802K2":"yes","Z802K3":"no"}`, `"no"`, ""},
		{"if leaves the other branch alone", `{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":"Z41","Z802K2":"yes",
			"Z802K3":{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"x"}}`, `"yes"`, ""},
		{"value by key", `{"Z1K1":"Z7","Z7K1":"Z803","Z803K1":{"Z1K1":"Z39","Z39K1":"Z11K2"},"Z803K2":{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"txt"}}`, `"txt"`, ""},
		{"value by missing key", `{"Z1K1":"Z7","Z7K1":"Z803","Z803K1":{"Z1K1":"Z39","Z39K1":"Z11K9"},"Z803K2":{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"txt"}}`, `"Z24"`, `Object did not contain key \"Z11K9\"`},
		{"cons", `{"Z1K1":"Z7","Z7K1":"Z810","Z810K1":"a","Z810K2":{"Z1K1":"Z7","Z7K1":"Z812","Z812K1":["Z6","x","b"]}}`, `"Z4K3":"Z106"},"a","b"]`, ""}, // the item type comes out resolved, as upstream
		{"head", `{"Z1K1":"Z7","Z7K1":"Z811","Z811K1":["Z6","a","b"]}`, `"a"`, ""},
		{"head of empty", `{"Z1K1":"Z7","Z7K1":"Z811","Z811K1":["Z6"]}`, `"Z24"`, "An empty list has no head."},
		{"tail", `{"Z1K1":"Z7","Z7K1":"Z812","Z812K1":["Z6","a","b"]}`, `["Z6","b"]`, ""},
		{"empty", `{"Z1K1":"Z7","Z7K1":"Z813","Z813K1":["Z6"]}`, `{"Z1K1":"Z40","Z40K1":"Z41"}`, ""},
		{"not empty", `{"Z1K1":"Z7","Z7K1":"Z813","Z813K1":["Z6","a"]}`, `{"Z1K1":"Z40","Z40K1":"Z42"}`, ""},
		{"boolean equality", `{"Z1K1":"Z7","Z7K1":"Z844","Z844K1":"Z41","Z844K2":"Z42"}`, `{"Z1K1":"Z40","Z40K1":"Z42"}`, ""},
		{"string equality", `{"Z1K1":"Z7","Z7K1":"Z866","Z866K1":"a","Z866K2":"a"}`, `{"Z1K1":"Z40","Z40K1":"Z41"}`, ""},
		{"string to code points and back", `{"Z1K1":"Z7","Z7K1":"Z886","Z886K1":{"Z1K1":"Z7","Z7K1":"Z868","Z868K1":"héé"}}`, `"héé"`, ""},
		{"code point equality", `{"Z1K1":"Z7","Z7K1":"Z888","Z888K1":{"Z1K1":"Z86","Z86K1":"a"},"Z888K2":{"Z1K1":"Z86","Z86K1":"b"}}`, `{"Z1K1":"Z40","Z40K1":"Z42"}`, ""},
		{"list equality", `{"Z1K1":"Z7","Z7K1":"Z889","Z889K1":["Z6","a","b"],"Z889K2":["Z6","a","b"],"Z889K3":"Z866"}`, `{"Z1K1":"Z40","Z40K1":"Z41"}`, ""},
		{"list inequality", `{"Z1K1":"Z7","Z7K1":"Z889","Z889K1":["Z6","a","b"],"Z889K2":["Z6","a","c"],"Z889K3":"Z866"}`, `{"Z1K1":"Z40","Z40K1":"Z42"}`, ""},
		{"unquote", `{"Z1K1":"Z7","Z7K1":"Z899","Z899K1":{"Z1K1":"Z99","Z99K1":"Z10001"}}`, `"Z10001"`, ""},
		{"abstract of reify", `{"Z1K1":"Z7","Z7K1":"Z808","Z808K1":{"Z1K1":"Z7","Z7K1":"Z805","Z805K1":{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"txt"}}}`,
			`{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"txt"}`, ""},
		{"map key type", `{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z40","Z883K2":"Z1"}`, `"Z24"`, `"Z516"`},
		{"trigger error", `{"Z1K1":"Z7","Z7K1":"Z820","Z820K1":"errors","Z820K2":{"Z1K1":"Z5","Z5K1":"Z500","Z5K2":"boom"}}`, `"Z24"`, `"boom"`},
		{"fetch", `{"Z1K1":"Z7","Z7K1":"Z828","Z828K1":{"Z1K1":"Z99","Z99K1":"Z10005"}}`, `"stored string"`, ""},
		{"user-defined reference in an argument", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":["Z6","Z10005"]}`, "stored string", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, gotErr := evalJSON(t, o, tc.call)
			if !strings.Contains(got, tc.want) {
				t.Errorf("Evaluate(%s) = %s, want %s", tc.call, got, tc.want)
			}
			if tc.wantErr == "" && gotErr != "" || !strings.Contains(gotErr, tc.wantErr) {
				t.Errorf("Evaluate(%s) error = %s, want %q", tc.call, gotErr, tc.wantErr)
			}
		})
	}
}

func TestBadCalls(t *testing.T) {
	o := New(testWiki(t), WithMaxDepth(50))
	tests := []struct {
		name, call, wantErr string
	}{
		{"not a call", `"hello"`, `"Z539"`},
		{"list", `["Z6","a"]`, `"Z539"`},
		{"number", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":5}`, `"Z521"`},
		{"missing Z1K1 inside", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":{"K1":"x"}}`, `"Z523"`},
		{"unknown function", `{"Z1K1":"Z7","Z7K1":"Z99999"}`, `"Z504"`},
		{"not a function", `{"Z1K1":"Z7","Z7K1":"Z6"}`, "is not a function"},
		{"missing argument", `{"Z1K1":"Z7","Z7K1":"Z801"}`, "Could not find argument Z801K1."},
		{"extra argument", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"a","Z801K2":"b"}`, "Invalid key for function call: Z801K2."},
		{"wrong argument type", `{"Z1K1":"Z7","Z7K1":"Z866","Z866K1":"a","Z866K2":{"Z1K1":"Z40","Z40K1":"Z41"}}`, `"Z506"`},
		{"unbound argument reference", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":{"Z1K1":"Z18","Z18K1":"Z12345K1"}}`, "No argument called Z12345K1 in scope."},
		{"endless recursion", `{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"x"}`, "nesting exceeds the limit of 50"},
		{"bad key in a literal function", `{"Z1K1":"Z7","Z7K1":{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"Z777K2","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
			"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14"],"Z8K5":"Z777"},"Z777K2":"x"}`, "Invalid key at index 0: Z777K2"},
		{"no implementation", `{"Z1K1":"Z7","Z7K1":{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14"],"Z8K5":"Z777"}}`, "Could not find any implementations for Z777."},
		{"code without an evaluator", `{"Z1K1":"Z7","Z7K1":"Z10002","Z10002K1":"x"}`, "No evaluator is available for python-3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, gotErr := evalJSON(t, o, tc.call)
			if got != `"Z24"` || !strings.Contains(gotErr, tc.wantErr) {
				t.Errorf("Evaluate(%s) = %s, error %s; want void and an error containing %q", tc.call, got, gotErr, tc.wantErr)
			}
		})
	}
}

// TestResultTooLarge builds, in 60 calls, a value of 2^60 objects written out: the
// orchestrator must answer an error, not try to write it.
func TestResultTooLarge(t *testing.T) {
	o := New(testWiki(t))
	call := `{"Z1K1":"Z7","Z7K1":"Z10011","Z10011K1":["Z6"` + strings.Repeat(`,"x"`, 60) + `]}`
	got, gotErr := evalJSON(t, o, call)
	if got != `"Z24"` || !strings.Contains(gotErr, "too large") {
		t.Errorf("Evaluate(%s) = %.200s, error %.300s; want void and a too large error", call, got, gotErr)
	}
	// Small enough, the same function works.
	call = `{"Z1K1":"Z7","Z7K1":"Z10011","Z10011K1":["Z6","x","x"]}`
	want := `{"Z1K1":"Z10012","K1":{"Z1K1":"Z10012","K1":"a","K2":"a"},"K2":{"Z1K1":"Z10012","K1":"a","K2":"a"}}`
	if got, gotErr := evalJSON(t, o, call); got != want || gotErr != "" {
		t.Errorf("Evaluate(%s) = %s, error %s; want %s", call, got, gotErr, want)
	}
}

func TestCodeImplementations(t *testing.T) {
	tests := []struct {
		name      string
		evaluator *fakePython
		call      string
		want      string
		wantErr   string
		wantCalls int
	}{
		{"runs code", &fakePython{}, `{"Z1K1":"Z7","Z7K1":"Z10002","Z10002K1":"hi"}`, `"hi!"`, "", 1},
		{"platform failure", &fakePython{broken: true}, `{"Z1K1":"Z7","Z7K1":"Z10002","Z10002K1":"hi"}`, `"Z24"`, "kernel died", 1},
		{"falls back to the next implementation", &fakePython{broken: true}, `{"Z1K1":"Z7","Z7K1":"Z10003","Z10003K1":"hi"}`, `"hi"`, "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := New(testWiki(t), WithEvaluator(tc.evaluator))
			got, gotErr := evalJSON(t, o, tc.call)
			if got != tc.want || !strings.Contains(gotErr, tc.wantErr) || (tc.wantErr == "" && gotErr != "") {
				t.Errorf("Evaluate(%s) = %s, error %q; want %s, error %q", tc.call, got, gotErr, tc.want, tc.wantErr)
			}
			if tc.evaluator.calls != tc.wantCalls {
				t.Errorf("evaluator called %d times, want %d", tc.evaluator.calls, tc.wantCalls)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	o := New(testWiki(t), WithMaxDepth(1<<20))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := o.Evaluate(ctx, Request{Call: z.MustParse(`{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"x"}`)})
	if e := z.EnvelopeError(env); !strings.Contains(e.String(), "cancelled") {
		t.Errorf("Evaluate with a cancelled context: error %s, want cancelled", e)
	}
	o = New(testWiki(t), WithMaxDepth(1<<20), WithTimeout(time.Millisecond))
	env = o.Evaluate(context.Background(), Request{Call: z.MustParse(`{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"x"}`)})
	if e := z.EnvelopeError(env); !strings.Contains(e.String(), "time budget") {
		t.Errorf("Evaluate of an endless recursion with a 1ms budget: error %s, want time budget", e)
	}
}

func TestMetadata(t *testing.T) {
	o := New(nil, WithHostname("host-a"))
	env := o.Evaluate(context.Background(), Request{Call: z.MustParse(`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"x"}`)})
	var keys []string
	for _, e := range z.MapEntries(env.Get("Z22K2")) {
		keys = append(keys, e.Key.StringValue())
	}
	want := []string{"implementationId", "implementationType", "orchestrationMemoryUsage", "orchestrationCpuUsage",
		"orchestrationStartTime", "orchestrationEndTime", "orchestrationDuration", "orchestrationHostname"}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("metadata keys = %v, want %v", keys, want)
	}
	if h := z.MapGetString(env.Get("Z22K2"), "orchestrationHostname"); h.StringValue() != "host-a" {
		t.Errorf("orchestrationHostname = %s, want host-a", h)
	}
	if !json.Valid(EnvelopeJSON(env)) {
		t.Errorf("EnvelopeJSON is not JSON")
	}
}

// FuzzEvaluate evaluates arbitrary JSON: it must return an envelope, never panic or hang.
func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{
		`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"x"}`,
		`{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":"Z41","Z802K2":"a","Z802K3":"b"}`,
		`{"Z1K1":"Z7","Z7K1":"Z810","Z810K1":"a","Z810K2":["Z6"]}`,
		`{"Z1K1":"Z7","Z7K1":"Z805","Z805K1":{"Z1K1":"Z60","Z60K1":"en"}}`,
		`{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"x"}`,
		`{"Z1K1":"Z7","Z7K1":{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z1","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z9","Z14K2":{"Z1K1":"Z18","Z18K1":"K1"}}],"Z8K5":"Z9"}}`,
	} {
		f.Add([]byte(s))
	}
	o := New(testWiki(f), WithMaxDepth(40), WithTimeout(2*time.Second))
	f.Fuzz(func(t *testing.T, data []byte) {
		call, e := z.Decode(data)
		if e != nil {
			call = e
		}
		env := o.Evaluate(context.Background(), Request{Call: call, DoValidate: true})
		if env == nil || !json.Valid(EnvelopeJSON(env)) {
			t.Fatalf("Evaluate(%q) gave no valid envelope", data)
		}
	})
}

// TestConcurrentEvaluate shares one orchestrator between goroutines (run it with -race).
func TestConcurrentEvaluate(t *testing.T) {
	o := New(testWiki(t))
	calls := []struct{ call, want string }{
		{`{"Z1K1":"Z7","Z7K1":"Z813","Z813K1":["Z6","a"]}`, `{"Z1K1":"Z40","Z40K1":"Z42"}`},
		{`{"Z1K1":"Z7","Z7K1":"Z812","Z812K1":["Z6","a","b"]}`, `["Z6","b"]`},
		{`{"Z1K1":"Z7","Z7K1":"Z10011","Z10011K1":["Z6","x"]}`, `{"Z1K1":"Z10012","K1":"a","K2":"a"}`},
	}
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				c := calls[(g+i)%len(calls)]
				if got, gotErr := evalJSON(t, o, c.call); got != c.want || gotErr != "" {
					errs <- "Evaluate(" + c.call + ") = " + got + " " + gotErr + ", want " + c.want
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestMetadataWith checks that metadataWith reads a Z22K2 with entries set in it as
// metadataMap reads the map that zobject.MapSet makes (how Evaluate's Z22 gets them).
func TestMetadataWith(t *testing.T) {
	s := z.NewString
	set := []z.MapEntry{{Key: s("evaluationRuntime"), Value: s("here")}, {Key: s("evaluationDuration"), Value: s("1 ms")}}
	keyRef := z.NewKeyRef("evaluationRuntime")
	for name, m := range map[string]*z.Object{
		"void":      z.Void(),
		"nil":       nil,
		"empty":     z.NewMetadata(),
		"errors":    z.NewMetadata(z.MapEntry{Key: s("errors"), Value: z.ErrorString(z.CodeInEvaluation, "x")}),
		"same key":  z.NewMetadata(z.MapEntry{Key: s("a"), Value: s("1")}, z.MapEntry{Key: s("evaluationRuntime"), Value: s("old")}),
		"twice":     z.NewMetadata(z.MapEntry{Key: s("evaluationRuntime"), Value: s("old")}, z.MapEntry{Key: s("evaluationRuntime"), Value: s("older")}),
		"key ref":   z.NewMetadata(z.MapEntry{Key: keyRef, Value: s("ref")}, z.MapEntry{Key: s(""), Value: s("empty key")}),
		"not a map": s("text"),
	} {
		want := m
		if !z.IsMap(m) {
			want = z.NewMetadata(set...)
		} else {
			for _, e := range set {
				want = z.MapSet(want, e.Key, e.Value)
			}
		}
		got, wantMeta := metaText(metadataWith(m, set)), metaText(metadataMap(want))
		if got != wantMeta {
			t.Errorf("%s: metadataWith = %s, want %s", name, got, wantMeta)
		}
	}
}

func metaText(m metadata) string {
	var b strings.Builder
	for _, e := range m {
		b.WriteString(e.key + "=" + e.value.String() + "; ")
	}
	return b.String()
}
