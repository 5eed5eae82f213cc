package evaluator

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
	"github.com/zeval/zeval/internal/sandbox"
	z "github.com/zeval/zeval/internal/zobject"
)

// library is a tiny stand-in for the orchestrator: Python functions by ZID, and nested calls
// evaluated through the evaluator itself.
type library struct {
	e   *Evaluator
	fns map[string]string // ZID → code
}

// languageOf tells the test functions apart: JavaScript ones start with "function".
func languageOf(code string) (lang, zid string) {
	if strings.HasPrefix(code, "function") {
		return "javascript", "Z600"
	}
	return "python-3", "Z610"
}

func testFunction(t testing.TB, zid, code string) *z.Object {
	t.Helper()
	_, langZID := languageOf(code)
	src := fmt.Sprintf(`{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z1","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":%q,"Z14K3":{"Z1K1":"Z16","Z16K1":%q,"Z16K2":%s}}],"Z8K5":%q}`,
		zid, langZID, mustJSON(code), zid)
	o, err := z.Parse([]byte(src))
	if err != nil {
		t.Fatalf("bad test function: %v", err)
	}
	return o
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (l *library) call(t testing.TB, ctx context.Context, zid string, args ...*z.Object) *z.Object {
	t.Helper()
	fields := []z.Field{z.KV("Z7K1", testFunction(t, zid, l.fns[zid]))}
	for i, a := range args {
		fields = append(fields, z.KV(fmt.Sprintf("%sK%d", zid, i+1), a))
	}
	lang, _ := languageOf(l.fns[zid])
	out, err := l.e.Evaluate(ctx, lang, z.NewRecord(z.NewRef("Z7"), fields...))
	if err != nil {
		t.Fatalf("Evaluate(%s): platform error %v", zid, err)
	}
	return out
}

// nested evaluates a Z7 that code made: the function is looked up by ZID.
func (l *library) nested(t testing.TB) CallFunc {
	return func(ctx context.Context, call *z.Object) *z.Object {
		zid := refOrString(call.Get("Z7K1"))
		code, ok := l.fns[zid]
		if !ok {
			return failed(z.ErrorString(z.CodeZIDNotFound, zid))
		}
		fields := []z.Field{z.KV("Z7K1", testFunction(t, zid, code))}
		for _, f := range call.Fields() {
			if f.Key != "Z1K1" && f.Key != "Z7K1" {
				fields = append(fields, f)
			}
		}
		lang, _ := languageOf(code)
		out, err := l.e.Evaluate(ctx, lang, z.NewRecord(z.NewRef("Z7"), fields...))
		if err != nil {
			return failed(z.ErrorString(z.CodeInEvaluation, err.Error()))
		}
		return out
	}
}

func newLibrary(t *testing.T, cfg Config, fns map[string]string) *library {
	t.Helper()
	if cfg.MinIdle == 0 {
		cfg.MinIdle = 1
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	l := &library{e: e, fns: fns}
	e.SetCaller(l.nested(t))
	return l
}

func value(t testing.TB, z22 *z.Object) string {
	t.Helper()
	v := z22.Get("Z22K1")
	if v.IsString() {
		return v.StringValue()
	}
	if e := errorText(z22); e != "" {
		return "error " + e
	}
	return v.String()
}

// errorText returns the Z5 of a Z22 as text, or "".
func errorText(z22 *z.Object) string {
	e := z.EnvelopeError(z22)
	if z.IsVoid(e) {
		return ""
	}
	return e.String()
}

func str(s string) *z.Object { return z.NewString(s) }

var testFunctions = map[string]string{
	"Z1000": "def Z1000(Z1000K1, Z1000K2):\n\treturn str(int(Z1000K1) + int(Z1000K2))",
	"Z1001": "count = [0]\ndef Z1001():\n\tcount[0] += 1\n\treturn str(count[0])",
	// Z1002 calls Z1003 which calls Z1002 back: A → B → A.
	"Z1002": "def Z1002(Z1002K1):\n\tn = int(Z1002K1)\n\tif n <= 0:\n\t\treturn 'done'\n\treturn 'a' + str(n) + ':' + W.Call('Z1003', Z1003K1=str(n - 1))",
	"Z1003": "def Z1003(Z1003K1):\n\treturn 'b' + Z1003K1 + ':' + W.Call('Z1002', Z1002K1=Z1003K1)",
	"Z1004": "def Z1004():\n\twhile True:\n\t\tpass",
	"Z1005": "def Z1005(Z1005K1):\n\treturn str(len(Z1005K1))",
	"Z1006": "def Z1006():\n\treturn W.Call('Z1006')",
	"Z1007": "import os\ndef Z1007():\n\tos._exit(3)",
	"Z1008": "def Z1008():\n\tprint('x' * 5000000)\n\treturn 'printed'",
	"Z1009": "def Z1009(:\n\treturn 1",
	"Z1010": "def Z1010():\n\traise ValueError('no good')",
	"Z1011": "def Z1011(Z1011K1):\n\treturn Z1011K1 * 3",
	// JavaScript, and calls across the two languages: Z1020 (JS) → Z1021 (Python) → Z1020 (JS).
	"Z1020": "function Z1020(Z1020K1) {\n\tconst n = Number(Z1020K1);\n\tif (n <= 0) { return 'js-done'; }\n\treturn 'j' + n + ':' + W.Call('Z1021', {Z1021K1: String(n - 1)});\n}",
	"Z1021": "def Z1021(Z1021K1):\n\treturn 'p' + Z1021K1 + ':' + W.Call('Z1020', Z1020K1=Z1021K1)",
	"Z1022": "function Z1022() { while (true) {} }",
}

func runBasics(t *testing.T, cfg Config) {
	l := newLibrary(t, cfg, testFunctions)
	s := l.e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)

	if got := value(t, l.call(t, ctx, "Z1000", str("5"), str("8"))); got != "13" {
		t.Errorf("Z1000(5, 8) = %s, want 13", got)
	}
	// One kernel per function per session: state carries over within the session only.
	l.call(t, ctx, "Z1001")
	if got := value(t, l.call(t, ctx, "Z1001")); got != "2" {
		t.Errorf("second Z1001 in a session = %s, want 2", got)
	}
	if got := value(t, l.call(t, context.Background(), "Z1001")); got != "1" {
		t.Errorf("Z1001 in a new session = %s, want 1 (fresh kernel)", got)
	}
	// A → B → A over nested calls.
	if got := value(t, l.call(t, ctx, "Z1002", str("3"))); got != "a3:b2:a2:b1:a1:b0:done" {
		t.Errorf("Z1002(3) = %s, want a3:b2:a2:b1:a1:b0:done", got)
	}
	if n := s.Kernels(); n != 4 {
		t.Errorf("session holds %d kernels, want 4 (Z1000, Z1001, Z1002, Z1003)", n)
	}
	// A large argument and result (through shared memory on the channel).
	big := strings.Repeat("é", 600<<10)
	if got := value(t, l.call(t, ctx, "Z1005", str(big))); got != fmt.Sprint(600<<10) {
		t.Errorf("len of a 1.2 MB argument = %s, want %d", got, 600<<10)
	}
	if got := l.call(t, ctx, "Z1011", str(big[:1000])).Get("Z22K1").StringValue(); len(got) != 3*len(big[:1000]) {
		t.Errorf("large result has %d bytes, want %d", len(got), 3*len(big[:1000]))
	}
	// Errors in the code are results with a Z5.
	if e := errorText(l.call(t, ctx, "Z1010")); !strings.Contains(e, "no good") {
		t.Errorf("exception: error %s, want the message", e)
	}
	if e := errorText(l.call(t, ctx, "Z1009")); e == "" {
		t.Errorf("syntax error gave no error")
	}
	if got := value(t, l.call(t, ctx, "Z1008")); got != "printed" {
		t.Errorf("a function printing 5 MB = %s, want printed", got)
	}
	if got := value(t, l.call(t, ctx, "Z1020", str("2"))); got != "j2:p1:j1:p0:js-done" {
		t.Errorf("Z1020(2) across JavaScript and Python = %s, want j2:p1:j1:p0:js-done", got)
	}
}

func TestChannel(t *testing.T)    { runBasics(t, Config{}) }
func TestFallback(t *testing.T)   { runBasics(t, Config{NoChannel: true}) }
func TestXeusPython(t *testing.T) { runBasics(t, Config{PythonKernel: "xpython"}) }

func TestLimits(t *testing.T) {
	l := newLibrary(t, Config{CallTimeout: 2 * time.Second, MaxDepth: 8}, testFunctions)
	s := l.e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)

	begin := time.Now()
	if e := errorText(l.call(t, ctx, "Z1004")); !strings.Contains(e, "time limit") {
		t.Errorf("infinite loop: error %s, want a time limit", e)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("infinite loop stopped after %v", d)
	}
	if e := errorText(l.call(t, ctx, "Z1022")); !strings.Contains(strings.ToLower(e), "time") {
		t.Errorf("JavaScript infinite loop: error %s, want a time limit", e)
	}
	if e := errorText(l.call(t, ctx, "Z1006")); !strings.Contains(e, "deeper than the limit") {
		t.Errorf("endless recursion: error %s, want the depth limit", e)
	}
	if e := errorText(l.call(t, ctx, "Z1007")); e == "" {
		t.Errorf("a function that exits its kernel gave no error")
	}
	// The session keeps working after each failure: fresh kernels replace the broken ones.
	if got := value(t, l.call(t, ctx, "Z1000", str("1"), str("2"))); got != "3" {
		t.Errorf("after failures Z1000(1, 2) = %s, want 3", got)
	}
	if got := value(t, l.call(t, ctx, "Z1007")); got == "" && errorText(l.call(t, ctx, "Z1000", str("2"), str("2"))) != "" {
		t.Errorf("kernel replacement failed")
	}
}

func TestConcurrentSession(t *testing.T) {
	l := newLibrary(t, Config{MinIdle: 2}, testFunctions)
	s := l.e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got := value(t, l.call(t, ctx, "Z1000", str(fmt.Sprint(i)), str("1")))
			if got != fmt.Sprint(i+1) {
				errs <- fmt.Sprintf("Z1000(%d, 1) = %s", i, got)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := s.Kernels(); n != 1 {
		t.Errorf("concurrent calls of one function used %d kernels, want 1", n)
	}
}

func TestReuse(t *testing.T) {
	l := newLibrary(t, Config{ReuseKernels: true}, testFunctions)
	for i, want := range []string{"1", "2"} {
		s := l.e.NewSession()
		got := value(t, l.call(t, WithSession(context.Background(), s), "Z1001"))
		s.Close()
		if got != want {
			t.Errorf("session %d with reuse: Z1001 = %s, want %s (the kernel carries over)", i, got, want)
		}
	}
}

func TestLoadAndResultEdges(t *testing.T) {
	fns := map[string]string{
		// A result list of 3,000 items nests 3,000 levels deep in normal form.
		"Z1030": "def Z1030():\n\treturn [str(i) for i in range(3000)]",
		// Top-level code that never finishes loading.
		"Z1031": "while True:\n\tpass\ndef Z1031():\n\treturn 'x'",
		"Z1032": "import sys\ndef Z1032():\n\tsys.stdout.write('\\ud800 lone surrogate')\n\treturn 'ok'",
	}
	for _, mode := range []struct {
		name string
		cfg  Config
	}{{"channel", Config{CallTimeout: 3 * time.Second}}, {"fallback", Config{CallTimeout: 3 * time.Second, NoChannel: true}}} {
		t.Run(mode.name, func(t *testing.T) {
			l := newLibrary(t, mode.cfg, fns)
			s := l.e.NewSession()
			defer s.Close()
			ctx := WithSession(context.Background(), s)
			out := l.call(t, ctx, "Z1030")
			if items := z.ListItems(out.Get("Z22K1")); len(items) != 3000 {
				t.Errorf("3,000-item list: got %d items (%s)", len(items), errorText(out))
			}
			if e := errorText(l.call(t, ctx, "Z1031")); !strings.Contains(e, "time limit") {
				t.Errorf("endless top-level code: error %s, want a time limit", e)
			}
			if got := value(t, l.call(t, ctx, "Z1032")); got != "ok" {
				t.Errorf("printing a lone surrogate: %s, want ok", got)
			}
		})
	}
}

// Bad code in confined kernels from the fork server: each failure stays in its kernel, answers a
// Z5 with the cause, and the session and the pool keep serving.
func TestBadCodeConfined(t *testing.T) {
	fns := map[string]string{
		"Z1040": "def Z1040():\n\tx = []\n\twhile True:\n\t\tx.append(' ' * (1 << 24))",
		"Z1041": "import os\ndef Z1041():\n\twhile True:\n\t\tos.fork()",
		"Z1042": "import socket\ndef Z1042():\n\ts = socket.create_connection(('1.1.1.1', 80), timeout=2)\n\treturn 'connected'",
		"Z1043": "def Z1043():\n\topen('/etc/zeval-was-here', 'w').write('x')\n\treturn 'wrote'",
		"Z1044": "import os, glob\ndef Z1044(Z1044K1):\n\treturn str(len(open(Z1044K1).read()))",
		"Z1045": "def Z1045():\n\treturn object()",
		"Z1046": "import os, tempfile\ndef Z1046():\n\tp = os.path.join(tempfile.gettempdir(), 'scratch')\n\topen(p, 'w').write('ok')\n\treturn open(p).read()",
		"Z1000": testFunctions["Z1000"],
	}
	l := newLibrary(t, Config{
		MinIdle: 2, CallTimeout: 20 * time.Second, ForkServer: true,
		Sandbox: []sandbox.Option{sandbox.WithMemory(256 << 20), sandbox.WithPids(64)},
	}, fns)
	if l.e.fork == nil {
		t.Fatal("the fork server is not in use for ipykernel")
	}
	for _, p := range l.e.Sandbox().Report() {
		t.Logf("protection %-14s active=%v %s", p.Name, p.Active, p.How)
	}
	s := l.e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)
	alive := func(step string) {
		t.Helper()
		if got := value(t, l.call(t, ctx, "Z1000", str("2"), str("3"))); got != "5" {
			t.Fatalf("after %s: Z1000(2, 3) = %s, want 5", step, got)
		}
		s2 := l.e.NewSession()
		defer s2.Close()
		if got := value(t, l.call(t, WithSession(context.Background(), s2), "Z1000", str("1"), str("1"))); got != "2" {
			t.Fatalf("after %s: a new session gets %s, want 2", step, got)
		}
	}
	alive("start")
	for _, tc := range []struct {
		zid  string
		args []*z.Object
		want string // in the error; "" means any error
	}{
		{"Z1040", nil, ""},
		{"Z1041", nil, ""},
		{"Z1042", nil, ""},
		{"Z1043", nil, ""},
		{"Z1044", nil, "Permission denied"},
		{"Z1045", nil, "Could not serialize"},
	} {
		other := ""
		if tc.zid == "Z1044" {
			// Another kernel's connection file: the Z1000 kernel of this session is alive.
			other = kernelOf(t, s, "Z1000").ConnectionFile()
			tc.args = []*z.Object{str(other)}
		}
		out := l.call(t, ctx, tc.zid, tc.args...)
		if other != "" {
			if _, err := os.Stat(other); err != nil {
				t.Fatalf("%s vanished during the test, so the read check proves nothing", other)
			}
		}
		e := errorText(out)
		if e == "" || !strings.Contains(e, tc.want) {
			t.Errorf("%s: result %s, want an error containing %q", tc.zid, out, tc.want)
		} else {
			t.Logf("%s: %s", tc.zid, e)
		}
		alive(tc.zid)
	}
	if _, err := os.Stat("/etc/zeval-was-here"); err == nil {
		os.Remove("/etc/zeval-was-here")
		t.Error("a confined kernel wrote to /etc")
	}
	if got := value(t, l.call(t, ctx, "Z1046")); got != "ok" {
		t.Errorf("writing in the kernel's own temp dir: %s, want ok", got)
	}
}

// kernelOf returns the kernel of a Python function in a session.
func kernelOf(t *testing.T, s *Session, zid string) *jupyter.Kernel {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, sl := range s.slots {
		if key.name == zid {
			if in, ok := sl.in.(*kernelInstance); ok {
				return in.k
			}
		}
	}
	t.Fatalf("no kernel for %s in the session", zid)
	return nil
}

// Pooled kernels wait with their call channel open, and a lease loads the function with a load
// frame: no execute_request on the way to the first call.
func TestParkedKernels(t *testing.T) {
	fns := map[string]string{
		"Z1040": "print('y' * 3000000)\ndef Z1040(Z1040K1):\n\treturn Z1040K1 + '!'",
		"Z1041": "def Z1041(:\n\treturn 1",
	}
	l := newLibrary(t, Config{MinIdle: 2}, fns)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.e.Pool().WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	parked := func() (n int) {
		l.e.py.parked.Range(func(any, any) bool { n++; return true })
		return n
	}
	if n := parked(); n != 2 {
		t.Fatalf("%d parked kernels in a pool of 2 idle, want 2", n)
	}
	s := l.e.NewSession()
	defer s.Close()
	sctx := WithSession(ctx, s)
	if got := value(t, l.call(t, sctx, "Z1040", str("hi"))); got != "hi!" {
		t.Errorf("Z1040(hi) = %s, want hi! (its top level prints 3 MB)", got)
	}
	if e := errorText(l.call(t, sctx, "Z1041")); !strings.Contains(e, "SyntaxError") && !strings.Contains(e, "syntax") {
		t.Errorf("syntax error loaded through a load frame: error %q, want the SyntaxError", e)
	}
	s.mu.Lock()
	for key, sl := range s.slots {
		<-sl.ready
		in, ok := sl.in.(*kernelInstance)
		if !ok || in.cc == nil {
			t.Errorf("%s: not on the call channel", key.name)
			continue
		}
		if _, still := l.e.py.parked.Load(in.k); still {
			t.Errorf("%s: its leased kernel is still listed as parked", key.name)
		}
	}
	s.mu.Unlock()
}
