package render

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

// fnDef describes a test function: its argument types (canonical JSON), return type, and one
// implementation in JavaScript, Python, or a composition (canonical JSON of the body).
type fnDef struct {
	zid      string
	args     []string
	ret      string
	lang     string // "javascript", "python-3" or "composition"
	code     string
	aliases  []string
	implZIDs []string // default: one implementation, ZID = function ZID + 50000
}

const listOfStrings = `{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}`

func mustParse(t testing.TB, s string) *z.Object {
	t.Helper()
	o, err := z.Parse([]byte(s))
	if err != nil {
		t.Fatalf("bad test object %s: %v", s, err)
	}
	return o
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func implZID(fn string) string {
	n, _ := strconv.Atoi(fn[1:])
	return "Z" + strconv.Itoa(n+50000)
}

// objects returns the persistent objects (Z2) of the function and its implementation.
func (d fnDef) objects(t testing.TB) map[string]*z.Object {
	t.Helper()
	var decls []string
	for i, typ := range d.args {
		decls = append(decls, fmt.Sprintf(`{"Z1K1":"Z17","Z17K1":%s,"Z17K2":"%sK%d","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`, typ, d.zid, i+1))
	}
	impl := implZID(d.zid)
	aliases := `{"Z1K1":"Z32","Z32K1":["Z31"]}`
	if len(d.aliases) > 0 {
		var quoted []string
		for _, a := range d.aliases {
			quoted = append(quoted, jsonString(a))
		}
		aliases = fmt.Sprintf(`{"Z1K1":"Z32","Z32K1":["Z31",{"Z1K1":"Z31","Z31K1":"Z1002","Z31K2":["Z6",%s]}]}`, strings.Join(quoted, ","))
	}
	ret := d.ret
	if ret == "" {
		ret = `"Z6"`
	}
	fn := fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":{"Z1K1":"Z8","Z8K1":["Z17"%s],"Z8K2":%s,"Z8K3":["Z20"],"Z8K4":["Z14",%q],"Z8K5":%q},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]},"Z2K4":%s}`,
		d.zid, prefixComma(decls), ret, impl, d.zid, aliases)
	var body string
	switch d.lang {
	case "composition":
		body = fmt.Sprintf(`{"Z1K1":"Z14","Z14K1":%q,"Z14K2":%s}`, d.zid, d.code)
	default:
		body = fmt.Sprintf(`{"Z1K1":"Z14","Z14K1":%q,"Z14K3":{"Z1K1":"Z16","Z16K1":{"Z1K1":"Z61","Z61K1":%q},"Z16K2":%s}}`, d.zid, d.lang, jsonString(d.code))
	}
	implObj := fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":%s,"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`, impl, body)
	return map[string]*z.Object{d.zid: mustParse(t, fn), impl: mustParse(t, implObj)}
}

func prefixComma(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return "," + strings.Join(items, ",")
}

// library is a resolver over test functions that a test may edit.
type library struct {
	mu      sync.RWMutex
	objects map[string]*z.Object
}

func newLibrary(t testing.TB, defs ...fnDef) *library {
	l := &library{objects: map[string]*z.Object{}}
	for _, d := range defs {
		l.put(t, d)
	}
	return l
}

func (l *library) put(t testing.TB, d fnDef) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for zid, o := range d.objects(t) {
		l.objects[zid] = o
	}
}

func (l *library) Resolve(_ context.Context, zid string) (*z.Object, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if o, ok := l.objects[zid]; ok {
		return o, nil
	}
	return nil, fmt.Errorf("%s: %w", zid, orchestrator.ErrNotFound)
}

// countingRunner counts evaluations per call and the most that ran at once, and records the
// sessions the calls ran under and the kernels those held.
type countingRunner struct {
	inner    Runner
	inflight atomic.Int64
	maxIn    atomic.Int64
	total    atomic.Int64

	mu         sync.Mutex
	perCall    map[string]int
	order      []string // the function of each evaluation, in the order they began
	sessions   map[*evaluator.Session]bool
	maxKernels int
}

func newCounting(inner Runner) *countingRunner {
	return &countingRunner{inner: inner, perCall: map[string]int{}, sessions: map[*evaluator.Session]bool{}}
}

func (c *countingRunner) Run(ctx context.Context, req orchestrator.Request) orchestrator.Outcome {
	n := c.inflight.Add(1)
	for {
		m := c.maxIn.Load()
		if n <= m || c.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	c.total.Add(1)
	defer c.inflight.Add(-1)
	c.mu.Lock()
	c.order = append(c.order, req.Call.Get("Z7K1").RefID())
	c.mu.Unlock()
	out := c.inner.Run(ctx, req)
	c.mu.Lock()
	c.perCall[req.Call.String()]++
	if s := evaluator.SessionFrom(ctx); s != nil {
		c.sessions[s] = true
		c.maxKernels = max(c.maxKernels, s.Kernels())
	}
	c.mu.Unlock()
	return out
}

// env is an orchestrator with an evaluator over a test library.
type env struct {
	lib  *library
	orch *orchestrator.Orchestrator
	ev   *evaluator.Evaluator
	run  *countingRunner
}

func newEnv(t *testing.T, cfg evaluator.Config, defs ...fnDef) *env {
	t.Helper()
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	ev, err := evaluator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ev.Close)
	lib := newLibrary(t, defs...)
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev), orchestrator.WithTimeout(10*time.Second))
	ev.SetCaller(orch.Call)
	return &env{lib: lib, orch: orch, ev: ev, run: newCounting(orch)}
}

func (e *env) renderer(opts ...Option) *Renderer {
	return New(e.run, e.lib, append([]Option{WithSessions(e.ev)}, opts...)...)
}

func jsOnly() evaluator.Config { return evaluator.Config{NoPython: true} }

// The test library (JavaScript unless said otherwise).
var (
	fnUpper  = fnDef{zid: "Z10001", args: []string{`"Z6"`}, lang: "javascript", code: "function Z10001(Z10001K1) { return Z10001K1.toUpperCase(); }"}
	fnConcat = fnDef{zid: "Z10002", args: []string{`"Z6"`, `"Z6"`}, lang: "javascript", code: "function Z10002(Z10002K1, Z10002K2) { return Z10002K1 + Z10002K2; }"}
	fnEcho   = fnDef{zid: "Z10003", args: []string{`"Z6"`}, lang: "javascript", code: "function Z10003(Z10003K1) { return Z10003K1; }"}
	fnFail   = fnDef{zid: "Z10004", args: []string{`"Z6"`}, lang: "javascript", code: "function Z10004(Z10004K1) { throw new Error('broken <b>' + Z10004K1 + '</b>'); }"}
	fnLoop   = fnDef{zid: "Z10005", args: []string{}, lang: "javascript", code: "function Z10005() { while (true) {} }"}
	fnHTML   = fnDef{zid: "Z10006", args: []string{`"Z6"`}, ret: `"` + HTMLType + `"`, lang: "javascript",
		code: "function Z10006(Z10006K1) { return {Z1K1: 'Z990089', Z990089K1: '<b>' + Z10006K1 + '</b>'}; }"}
	fnNot  = fnDef{zid: "Z10007", args: []string{`"Z40"`}, ret: `"Z40"`, lang: "javascript", code: "function Z10007(Z10007K1) { return !Z10007K1; }"}
	fnJoin = fnDef{zid: "Z10008", args: []string{listOfStrings}, lang: "javascript", code: "function Z10008(Z10008K1) { return Z10008K1.join('+'); }"}
	// A composition: Z10009(x) = Z10001(Z10002(x, "!")).
	fnShout = fnDef{zid: "Z10009", args: []string{`"Z6"`}, lang: "composition",
		code: `{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":{"Z1K1":"Z7","Z7K1":"Z10002","Z10002K1":{"Z1K1":"Z18","Z18K1":"Z10009K1"},"Z10002K2":"!"}}`}
	fnRandom = fnDef{zid: "Z10010", args: []string{}, lang: "javascript", aliases: []string{NonDeterministicAlias},
		code: "function Z10010() { return String(Math.random()); }"}
	// A composition over the non-deterministic function: Z10014() = Z10001(Z10010()).
	fnRandomUpper = fnDef{zid: "Z10014", args: []string{}, lang: "composition",
		code: `{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":{"Z1K1":"Z7","Z7K1":"Z10010"}}`}
	fnNatural = fnDef{zid: "Z10011", args: []string{`"Z13518"`}, lang: "javascript", code: "function Z10011(Z10011K1) { return 'n=' + Z10011K1.Z13518K1; }"}
	fnPair    = fnDef{zid: "Z10012", args: []string{`{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z6"}`}, lang: "javascript", code: "function Z10012(x) { return 'x'; }"}
	fnList    = fnDef{zid: "Z10013", args: []string{`"Z6"`}, ret: listOfStrings, lang: "javascript", code: "function Z10013(Z10013K1) { return Z10013K1.split(','); }"}
)

func allFunctions() []fnDef {
	return []fnDef{fnUpper, fnConcat, fnEcho, fnFail, fnLoop, fnHTML, fnNot, fnJoin, fnShout, fnRandom, fnNatural, fnPair, fnList, fnRandomUpper}
}

// busy is a JavaScript function that keeps its engine busy for ms milliseconds.
func busy(zid string, ms int) fnDef {
	return fnDef{zid: zid, args: []string{`"Z6"`}, lang: "javascript",
		code: fmt.Sprintf("function %s(%sK1) { const end = Date.now() + %d; while (Date.now() < end) {} return %sK1; }", zid, zid, ms, zid)}
}
