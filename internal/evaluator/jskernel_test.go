package evaluator

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/sandbox"
	z "github.com/zeval/zeval/internal/zobject"
)

// denoKernel is the JavaScript kernelspec the tests use. scripts/setup.sh installs it, so a
// missing one fails these tests.
const denoKernel = "deno"

var jsKernelFunctions = map[string]string{
	"Z1050": "function Z1050(a, b) { return String(Number(a) + Number(b)); }",
	"Z1051": "function Z1051() { n++; return String(n); }\nlet n = 0;",
	// Z1052 → Z1053 → Z1052, both JavaScript: the call back into Z1052 arrives while its kernel
	// waits in the nested call.
	"Z1052": "function Z1052(k) { const n = Number(k); return n <= 0 ? 'done' : 'a' + n + ':' + W.Call('Z1053', {Z1053K1: String(n - 1)}); }",
	"Z1053": "function Z1053(k) { return 'b' + k + ':' + W.Call('Z1052', k); }",
	"Z1054": "function Z1054() { return 1;",
	"Z1055": "function Z1055() { throw new Error('no good'); }",
	"Z1056": "function Z1056() { return W.Call('Z1055'); }",
	// (The test library tells JavaScript by its first word, "function".)
	"Z1057": "function Z1057() { return 'x'; }\nthrow new TypeError('top level broke');",
	"Z1058": "function Z1058() { return 'x'; }\nwhile (true) {}",
	"Z1020": testFunctions["Z1020"],
	"Z1021": testFunctions["Z1021"],
	"Z1022": testFunctions["Z1022"],
}

func TestJavaScriptKernel(t *testing.T) {
	l := newLibrary(t, Config{JavaScriptKernel: denoKernel, CallTimeout: 3 * time.Second}, jsKernelFunctions)
	s := l.e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)

	out := l.call(t, ctx, "Z1050", str("5"), str("8"))
	if got := value(t, out); got != "13" {
		t.Errorf("Z1050(5, 8) = %s, want 13", got)
	}
	if where := z.MapGetString(out.Get("Z22K2"), "evaluationRuntime"); !strings.Contains(where.StringValue(), "deno kernel pid") {
		t.Errorf("evaluationRuntime = %s, want the deno kernel", where)
	}
	if got := value(t, l.call(t, ctx, "Z1052", str("2"))); got != "a2:b1:a1:b0:done" {
		t.Errorf("Z1052(2), JavaScript A → B → A = %s, want a2:b1:a1:b0:done", got)
	}
	if got := value(t, l.call(t, ctx, "Z1020", str("2"))); got != "j2:p1:j1:p0:js-done" {
		t.Errorf("Z1020(2) across deno and Python = %s, want j2:p1:j1:p0:js-done", got)
	}
	for _, c := range []struct{ zid, want string }{
		{"Z1054", "Unexpected end of input"},
		{"Z1055", "no good"},
		{"Z1056", "no good"},
		{"Z1057", "top level broke"},
		{"Z1058", "time limit"},
		{"Z1022", "time limit"},
	} {
		begin := time.Now()
		if e := errorText(l.call(t, ctx, c.zid)); !strings.Contains(e, c.want) {
			t.Errorf("%s: error %s, want %q", c.zid, e, c.want)
		}
		if d := time.Since(begin); d > 8*time.Second {
			t.Errorf("%s took %v", c.zid, d)
		}
	}
	// The function that ran out of time gets a fresh kernel; the session goes on.
	if e := errorText(l.call(t, ctx, "Z1022")); !strings.Contains(e, "time limit") {
		t.Errorf("Z1022 again: error %s, want the time limit", e)
	}
	if got := value(t, l.call(t, ctx, "Z1050", str("1"), str("2"))); got != "3" {
		t.Errorf("after the failures Z1050(1, 2) = %s, want 3", got)
	}
}

// Two sessions get kernels of their own: state set in one does not show in the other.
func TestJavaScriptKernelSessions(t *testing.T) {
	l := newLibrary(t, Config{NoPython: true, JavaScriptKernel: denoKernel, MinIdle: 2}, jsKernelFunctions)
	s1, s2 := l.e.NewSession(), l.e.NewSession()
	defer s1.Close()
	defer s2.Close()
	ctx1, ctx2 := WithSession(context.Background(), s1), WithSession(context.Background(), s2)
	l.call(t, ctx1, "Z1051")
	if got := value(t, l.call(t, ctx1, "Z1051")); got != "2" {
		t.Errorf("second Z1051 in session 1 = %s, want 2", got)
	}
	if got := value(t, l.call(t, ctx2, "Z1051")); got != "1" {
		t.Errorf("first Z1051 in session 2 = %s, want 1 (a kernel of its own)", got)
	}
	k1, k2 := kernelOf(t, s1, "Z1051"), kernelOf(t, s2, "Z1051")
	if k1 == k2 || k1.Pid() == k2.Pid() {
		t.Errorf("sessions share the kernel pid %d", k1.Pid())
	}
	s1.Close()
	s3 := l.e.NewSession()
	defer s3.Close()
	if got := value(t, l.call(t, WithSession(context.Background(), s3), "Z1051")); got != "1" {
		t.Errorf("Z1051 in a session after another closed = %s, want 1 (kernels are not reused)", got)
	}
}

// The kernel runtime converts values as the embedded engine does: every case runs in both, and
// the results must be the same.
func TestJavaScriptKernelConversions(t *testing.T) {
	fns := map[string]string{
		"Z1060": "function Z1060(x) { return x; }",
		"Z1061": "function Z1061(x) { return [[x, 'b'], ['c']]; }",
		"Z1062": "function Z1062(x) { return new Map([[x, true], ['k', false]]); }",
		"Z1063": "function Z1063(x) { return new ZPair(x, [true]); }",
		"Z1064": "function Z1064(x) { return new ZObject(new Map([['Z10000K1', x]]), 'Z10000'); }",
		"Z1065": "function Z1065() { return undefined; }",
		"Z1066": "function Z1066() { return 5; }",
		"Z1067": "function Z1067() { return {Z1K1: 'Z6', Z6K1: 'plain'}; }",
		"Z1068": "function Z1068(x) { return [x, true, null]; }",
		"Z1069": "async function Z1069(x) { return x + '!'; }",
		"Z1070": "function Z1070() { throw 'a string'; }",
		"Z1071": "function Z1071(a, b) { return a + '|' + b; }",
		"Z1072": "function Z1072(x) { return [typeof x, Array.isArray(x) ? x.length : 'n', x instanceof Map ? x.size : 'n', x instanceof ZPair, x instanceof ZObject].join(','); }",
		"Z1073": "function Z1073(x) { return W.Call('Z1060', x); }",
		"Z1074": "function Z1074() { return []; }",
		"Z1075": "function Z1075(x) { return x.Z1K1; }",
		"Z1076": "function Z1076(x) { return new String(x); }",
	}
	pair := z.NewPair(z.NewRef("Z6"), z.NewRef("Z40"), str("k"), z.NewBool(true))
	inputs := map[string]*z.Object{
		"string":  str("hello"),
		"zid":     str("Z41"),
		"true":    z.NewBool(true),
		"null":    z.NewRecord(z.NewRef("Z21")),
		"ref":     z.NewRef("Z41"),
		"list":    z.NewList(z.NewRef("Z6"), str("a"), str("b")),
		"mixed":   z.NewList(z.NewRef("Z1"), str("a"), z.NewBool(false)),
		"empty":   z.NewList(z.NewRef("Z6")),
		"pair":    pair,
		"map":     z.NewRecord(z.MapType(z.NewRef("Z6"), z.NewRef("Z40")), z.KV("K1", z.NewList(pair.Type(), pair))),
		"record":  z.MustParse(`{"Z1K1":"Z10000","Z10000K1":"x","Z10000K2":["Z6","y"]}`),
		"unicode": str("سر دوراهی 🙂"),
	}
	embedded := newLibrary(t, Config{NoPython: true}, fns)
	kernel := newLibrary(t, Config{NoPython: true, JavaScriptKernel: denoKernel}, fns)
	es, ks := embedded.e.NewSession(), kernel.e.NewSession()
	defer es.Close()
	defer ks.Close()
	ectx, kctx := WithSession(context.Background(), es), WithSession(context.Background(), ks)
	embedded.e.SetCaller(embedded.nested(t))
	kernel.e.SetCaller(kernel.nested(t))

	zids := make([]string, 0, len(fns))
	for zid := range fns {
		zids = append(zids, zid)
	}
	sort.Strings(zids)
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, zid := range zids {
		for _, name := range names {
			if zid == "Z1073" && name == "map" {
				// The embedded engine reads a Map passed to W.Call as keyword arguments (it
				// has none), so Z1060 gets nothing: a bug there, not a difference to keep.
				continue
			}
			args := []*z.Object{inputs[name]}
			if zid == "Z1071" {
				args = append(args, str("second"))
			}
			want := embedded.call(t, ectx, zid, args...)
			got := kernel.call(t, kctx, zid, args...)
			wv, gv := string(want.Get("Z22K1").NormalJSON()), string(got.Get("Z22K1").NormalJSON())
			if wv != gv {
				t.Errorf("%s(%s): value from deno %s, embedded %s", zid, name, gv, wv)
			}
			we, ge := errorText(want), errorText(got)
			if (we == "") != (ge == "") || !samePrefix(we, ge) {
				t.Errorf("%s(%s): error from deno %q, embedded %q", zid, name, ge, we)
			}
		}
	}
}

// samePrefix compares error texts, up to where the engines word things differently: what
// util.inspect prints (Deno.inspect and the embedded imitation of Node's differ in quotes and
// spacing), and goja's messages for its own TypeErrors, which are not V8's.
func samePrefix(a, b string) bool {
	for _, cut := range []string{"Could not serialize input JS object:", "Cannot read propert"} {
		if strings.Contains(a, cut) {
			return strings.Contains(b, cut)
		}
	}
	return a == b
}

// The JavaScript evaluator cases of the corpus, through the deno kernel.
func TestJavaScriptKernelConformance(t *testing.T) {
	passed, ran := runConformance(t, Config{NoPython: true, JavaScriptKernel: denoKernel, MinIdle: 2}, "deno_known_failures.json",
		func(c evalCase) bool { return strings.HasPrefix(c.Suite, "javascript") || c.Language == "javascript" })
	t.Logf("JavaScript conformance through the deno kernel: %d/%d cases pass", passed, ran)
	fmt.Printf("deno conformance: %d/%d JavaScript cases pass through the deno kernel\n", passed, ran)
}

func TestJavaScriptKernelConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing kernelspec", Config{NoPython: true, JavaScriptKernel: "no-such-kernel"}, "no-such-kernel"},
		{"not JavaScript", Config{NoPython: true, JavaScriptKernel: "python3"}, "not JavaScript"},
		{"sandbox without network", Config{NoPython: true, JavaScriptKernel: denoKernel, Sandbox: []sandbox.Option{}}, "TCP"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := New(c.cfg)
			if err == nil {
				e.Close()
				t.Fatalf("New(%+v) succeeded, want an error about %q", c.cfg, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v, want it to mention %q", err, c.want)
			}
		})
	}
}

// BenchmarkJavaScriptCall measures one warm call of a trivial JavaScript function through
// Evaluate, in the embedded engine and in the deno kernel (one execute_request, the result over
// the stdin channel), and prints their ratio.
//
//	go test -run XXX -bench JavaScriptCall -benchtime 2s ./internal/evaluator/
func BenchmarkJavaScriptCall(b *testing.B) {
	code := "function Z1000(Z1000K1) { return Z1000K1; }"
	perCall := map[string]time.Duration{}
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"embedded", Config{NoPython: true}},
		{"deno", Config{NoPython: true, JavaScriptKernel: denoKernel, MinIdle: 1}},
	} {
		e, err := New(c.cfg)
		if err != nil {
			b.Fatal(err)
		}
		s := e.NewSession()
		ctx := WithSession(context.Background(), s)
		call := z.NewRecord(z.NewRef("Z7"), z.KV("Z7K1", testFunction(b, "Z1000", code)), z.KV("Z1000K1", z.NewString("hello")))
		if out, err := e.Evaluate(ctx, "javascript", call); err != nil || out.Get("Z22K1").StringValue() != "hello" {
			b.Fatalf("%s: first call %v %v", c.name, out, err)
		}
		b.Run(c.name, func(b *testing.B) {
			began := time.Now()
			for b.Loop() {
				if _, err := e.Evaluate(ctx, "javascript", call); err != nil {
					b.Fatal(err)
				}
			}
			perCall[c.name] = time.Since(began) / time.Duration(b.N)
		})
		s.Close()
		e.Close()
	}
	if perCall["embedded"] > 0 {
		fmt.Printf("JavaScript call: embedded %v, deno kernel %v: %.0f× the embedded engine\n",
			perCall["embedded"], perCall["deno"], float64(perCall["deno"])/float64(perCall["embedded"]))
	}
}
