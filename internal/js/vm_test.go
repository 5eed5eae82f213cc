package js

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// run compiles code, calls name once with args (canonical JSON by key) and returns the Z22.
func run(t *testing.T, code, name string, args map[string]string, opts ...Option) *z.Object {
	t.Helper()
	vm, err := NewVM(code, name, opts...)
	if err != nil {
		t.Fatalf("NewVM(%q) = %v", code, err)
	}
	z22, err := vm.Call(context.Background(), fields(t, args), nil)
	if err != nil {
		t.Fatalf("Call = error %v", err)
	}
	return z22
}

func fields(t *testing.T, args map[string]string) []z.Field {
	t.Helper()
	var fs []z.Field
	for k, v := range args {
		fs = append(fs, z.KV(k, z.MustParse(v)))
	}
	return fs
}

// errorMessage returns the message of the Z5 in a Z22 ("" when it holds none).
func errorMessage(z22 *z.Object) string {
	e := z.EnvelopeError(z22)
	if z.IsVoid(e) {
		return ""
	}
	if m := e.Get("Z5K2"); m.IsString() {
		return m.StringValue()
	}
	if a := z.ErrorArg(e, 1); a.IsString() {
		return a.StringValue()
	}
	return e.String()
}

func TestArgumentsToJavaScript(t *testing.T) {
	pairType := `{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z40"}`
	tests := []struct {
		name  string
		arg   string // canonical or normal JSON
		check string // a JavaScript expression on a that must be true
	}{
		{"Z6 string", `"abc"`, `a === 'abc'`},
		{"Z6 in normal form", `{"Z1K1":"Z6","Z6K1":"Z41"}`, `a === 'Z41'`},
		{"unicode string", `"سر دوراهی 🙂"`, `a === 'سر دوراهی 🙂' && a.length === 12`},
		{"Z40 true", `{"Z1K1":"Z40","Z40K1":"Z41"}`, `a === true`},
		{"Z40 false", `{"Z1K1":"Z40","Z40K1":"Z42"}`, `a === false`},
		{"Z21 unit", `{"Z1K1":"Z21"}`, `a === null`},
		{"list of strings", `["Z6","a","b"]`, `Array.isArray(a) && a.length === 2 && a[0] === 'a' && a[1] === 'b'`},
		{"empty list", `["Z6"]`, `Array.isArray(a) && a.length === 0`},
		{"list of lists", `[{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},["Z6","x"],["Z6"]]`, `a.length === 2 && a[0][0] === 'x' && a[1].length === 0`},
		{"list in normal cons form with mixed cell types",
			`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"s","K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z40"},"K1":{"Z1K1":"Z40","Z40K1":"Z41"},"K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z40"}}}}`,
			`a.length === 2 && a[0] === 's' && a[1] === true`},
		{"pair", `{"Z1K1":` + pairType + `,"K1":"x","K2":{"Z1K1":"Z40","Z40K1":"Z41"}}`,
			`a instanceof ZPair && a.K1 === 'x' && a.K2 === true && a.Z1K1.Z7K1.Z9K1 === 'Z882' && a.Z1K1.Z882K1.Z9K1 === 'Z6'`},
		{"map", `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z6","Z883K2":"Z40"},"K1":[` + pairType + `,{"Z1K1":` + pairType + `,"K1":"k","K2":{"Z1K1":"Z40","Z40K1":"Z42"}}]}`,
			`a instanceof Map && a.size === 1 && a.get('k') === false`},
		{"user-defined object", `{"Z1K1":"Z10000","Z10000K1":"v","Z10000K2":{"Z1K1":"Z40","Z40K1":"Z41"}}`,
			`a instanceof ZObject && a.Z1K1.Z1K1 === 'Z9' && a.Z1K1.Z9K1 === 'Z10000' && a.Z10000K1 === 'v' && a.Z10000K2 === true`},
		{"object with a literal Z4 type keeps the type in normal form",
			`{"Z1K1":{"Z1K1":"Z4","Z4K1":"Z10000","Z4K2":["Z3"],"Z4K3":"Z1000"},"Z10000K1":"cerebellum"}`,
			`a instanceof ZObject && a.Z1K1.Z4K1.Z9K1 === 'Z10000' && a.Z10000K1 === 'cerebellum'`},
		{"reference", `"Z41"`, `a instanceof ZObject && a.Z1K1 === 'Z9' && a.Z9K1 === 'Z41'`},
		{"record without Z1K1", `{"K1":"x"}`, `a instanceof ZObject && a.Z1K1 === null && a.K1 === 'x'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := "function Z1000(Z1000K1) { const a = Z1000K1; return String(" + tc.check + "); }"
			z22 := run(t, code, "Z1000", map[string]string{"Z1000K1": tc.arg})
			if got := z22.Get("Z22K1"); !got.IsString() || got.StringValue() != "true" {
				t.Errorf("check %s on %s = %s (error %q), want \"true\"", tc.check, tc.arg, got, errorMessage(z22))
			}
		})
	}
}

func TestResultsToZObjects(t *testing.T) {
	z882 := `{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z6"}`
	tests := []struct {
		name    string
		setup   string // statements before the return
		expr    string // the returned value
		want    string // canonical JSON of Z22K1, or "" when an error is expected
		wantErr string // the Z5 message
	}{
		{name: "string", expr: `'abc'`, want: `"abc"`},
		{name: "String object", expr: `new String('abc')`, want: `"abc"`},
		{name: "true", expr: `true`, want: `{"Z1K1":"Z40","Z40K1":"Z41"}`},
		{name: "false", expr: `false`, want: `{"Z1K1":"Z40","Z40K1":"Z42"}`},
		{name: "null", expr: `null`, want: `{"Z1K1":"Z21"}`},
		{name: "undefined is Z21 too", expr: `undefined`, want: `{"Z1K1":"Z21"}`},
		{name: "array of strings: item type Z6", expr: `['a', 'b']`, want: `["Z6","a","b"]`},
		{name: "empty array: item type Z1", expr: `[]`, want: `["Z1"]`},
		{name: "mixed array: item type Z1", expr: `['a', true]`, want: `["Z1","a",{"Z1K1":"Z40","Z40K1":"Z41"}]`},
		{name: "array of arrays", expr: `[['a'], []]`, want: `["Z1",["Z6","a"],["Z1"]]`},
		{name: "array of string arrays", expr: `[['a'], ['b']]`, want: `[{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},["Z6","a"],["Z6","b"]]`},
		{name: "Array.from and fill still work", expr: `Array.from({length: 3}, (_, i) => String(i)).fill('x', 1)`, want: `["Z6","0","x","x"]`},
		{name: "repeat still works", expr: `'ab'.repeat(2)`, want: `"abab"`},
		{name: "the Array constructor still works", expr: `[new Array(2).fill('a'), Array('b'), Array.of('c')].map(a => a.join('')).concat([String([] instanceof Array), String(Array.isArray(new Array(1))), String([1].map(x => x).constructor === Array), String(new Array(3).length)])`,
			want: `["Z6","aa","b","c","true","true","true","3"]`},
		{name: "map", expr: `new Map([['k', 'v']])`,
			want: `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z6","Z883K2":"Z6"},"K1":[` + z882 + `,{"Z1K1":` + z882 + `,"K1":"k","K2":"v"}]}`},
		{name: "empty map", expr: `new Map()`, want: `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z1","Z883K2":"Z1"},"K1":["Z1"]}`},
		{name: "pair", expr: `new ZPair('a', 'b')`, want: `{"Z1K1":` + z882 + `,"K1":"a","K2":"b"}`},
		{name: "pair of string and Boolean", expr: `new ZPair('a', true)`,
			want: `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z40"},"K1":"a","K2":{"Z1K1":"Z40","Z40K1":"Z41"}}`},
		{name: "nested pairs (upstream's pair output case)", expr: `new ZPair('سر دوراهی', new ZPair('moonbeam', 'stone'))`,
			want: `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":` + z882 + `},"K1":"سر دوراهی","K2":{"Z1K1":` + z882 + `,"K1":"moonbeam","K2":"stone"}}`},
		{name: "ZObject", expr: `new ZObject(new Map([['Z10000K1', 'v']]), 'Z10000')`, want: `{"Z1K1":"Z10000","Z10000K1":"v"}`},
		{name: "plain object with a canonical Z1K1", expr: `({Z1K1: 'Z10000', Z10000K1: 'v'})`, want: `{"Z1K1":"Z10000","Z10000K1":"v"}`},
		{name: "plain object with a normal Z1K1", expr: `({Z1K1: {Z1K1: 'Z9', Z9K1: 'Z10000'}, Z10000K1: ['x']})`, want: `{"Z1K1":"Z10000","Z10000K1":["Z6","x"]}`},
		{name: "normal-form reference", expr: `({Z1K1: 'Z9', Z9K1: 'Z41'})`, want: `"Z41"`},
		{name: "number", expr: `5`, wantErr: "Could not serialize input JS object: 5"},
		{name: "negative zero", expr: `-0`, wantErr: "Could not serialize input JS object: -0"},
		{name: "plain object", expr: `({a: 1, 'b-c': 'x'})`, wantErr: "Could not serialize input JS object: { a: 1, 'b-c': 'x' }"},
		{name: "class instance", setup: `class A {}`, expr: `new A()`, wantErr: "Could not serialize input JS object: A {}"},
		{name: "function", setup: `function f() {}`, expr: `f`, wantErr: "Could not serialize input JS object: [Function: f]"},
		{name: "class", setup: `class B {}`, expr: `B`, wantErr: "Could not serialize input JS object: [class B]"},
		{name: "symbol", expr: `Symbol('s')`, wantErr: "Could not serialize input JS object: Symbol(s)"},
		{name: "bigint", expr: `1n`, wantErr: "Could not serialize input JS object: 1n"},
		{name: "number in an array", expr: `['a', 1]`, wantErr: "Could not serialize input JS object: 1"},
		{name: "set", expr: `new Set([1])`, wantErr: "Could not serialize input JS object: Set(1) { 1 }"},
		{name: "ZObject without Z1K1", expr: `new ZObject(new Map([['Z10101K1', 'tRue'], ['Z10101K2', 'trUe']]))`,
			wantErr: "Could not serialize input JS object: ZObject { Z1K1: null, Z10101K1: 'tRue', Z10101K2: 'trUe' }"},
		{name: "cyclic array", setup: `const c = []; c.push(c);`, expr: `c`, wantErr: "Maximum call stack size exceeded"},
		{name: "pending promise", expr: `new Promise(() => {})`, wantErr: "Could not serialize input JS object: Promise {}"},
		{name: "rejected promise", setup: `async function g() { throw new Error('later'); }`, expr: `g()`, wantErr: "later"},
		{name: "fulfilled promise", setup: `async function g() { return 'done'; }`, expr: `g()`, want: `"done"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := tc.setup + "\nfunction Z1000() { return " + tc.expr + "; }"
			z22 := run(t, code, "Z1000", nil)
			if tc.wantErr != "" {
				if got := errorMessage(z22); got != tc.wantErr {
					t.Errorf("return %s: error %q (Z22 %s), want %q", tc.expr, got, z22, tc.wantErr)
				}
				if !z.IsVoid(z22.Get("Z22K1")) {
					t.Errorf("return %s: Z22K1 = %s, want void", tc.expr, z22.Get("Z22K1"))
				}
				return
			}
			want := z.MustParse(tc.want)
			if got := z22.Get("Z22K1"); !z.Equal(got, want) {
				t.Errorf("return %s = %s (error %q), want %s", tc.expr, got, errorMessage(z22), want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []string{
		`"text"`,
		`{"Z1K1":"Z40","Z40K1":"Z42"}`,
		`{"Z1K1":"Z21"}`,
		`["Z6","a","b"]`,
		`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z6"},"K1":"a","K2":"b"}`,
		`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z6","Z883K2":"Z6"},"K1":[{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z6"},{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z6"},"K1":"k","K2":"v"}]}`,
		`{"Z1K1":"Z10000","Z10000K1":"v","Z10000K2":["Z6","x"]}`,
		`{"Z1K1":{"Z1K1":"Z4","Z4K1":"Z10000","Z4K2":["Z3"],"Z4K3":"Z1000"},"Z10000K1":"cerebellum"}`,
		`"Z41"`,
	}
	vm, err := NewVM("function Z1000(Z1000K1) { return Z1000K1; }", "Z1000")
	if err != nil {
		t.Fatal(err)
	}
	for _, arg := range tests {
		t.Run(arg, func(t *testing.T) {
			want := z.MustParse(arg)
			z22, err := vm.Call(context.Background(), []z.Field{z.KV("Z1000K1", want)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := z22.Get("Z22K1"); !z.Equal(got, want) {
				t.Errorf("identity(%s) = %s (error %q)", arg, got, errorMessage(z22))
			}
		})
	}
}

func TestArgumentsInKeyOrder(t *testing.T) {
	code := "function Z5(a, b, c) { return [a, b, c].join(','); }"
	z22 := run(t, code, "Z5", map[string]string{"Z5K10": `"ten"`, "Z5K2": `"two"`, "Z5K1": `"one"`})
	if got := z22.Get("Z22K1").StringValue(); got != "one,two,ten" {
		t.Errorf("arguments = %q, want one,two,ten", got)
	}
}

func TestBadCode(t *testing.T) {
	tests := []struct {
		name, code, fn string
		args           map[string]string
		want           string // the Z5 message, or a prefix of it ending in "..."
	}{
		{"throw Error", `function Z1() { throw new Error('Hello, this is a good day to die()'); }`, "Z1", nil, "Hello, this is a good day to die()"},
		{"throw a string", `function Z1() { throw 'plain'; }`, "Z1", nil, "plain"},
		{"TypeError", `function Z1() { return undefined.x; }`, "Z1", nil, "Cannot read property 'x' of undefined"},
		{"function not defined", `function Z1() {}`, "Z2", nil, "Z2 is not defined"},
		{"not a function", `const Z1 = 'x';`, "Z1", nil, "Z1 is not a function"},
		{"top level throws", `throw new Error('at load');`, "Z1", nil, "at load"},
		{"strict mode like upstream", `function Z1() { undeclared = 1; return 'x'; }`, "Z1", nil, "undeclared is not defined"},
		{"string longer than V8 allows", `function Z1() { return 'ab'.repeat(2 ** 29); }`, "Z1", nil, "Invalid string length"},
		{"padStart past the limit", `function Z1() { return 'x'.padStart(2 ** 30); }`, "Z1", nil, "Invalid string length"},
		{"filling a huge array", `function Z1() { return Array.prototype.fill.call({length: 1e9}, 0).length; }`, "Z1", nil, "Invalid array length"},
		{"a huge holey array", `function Z1() { return [...new Array(1e9)].length; }`, "Z1", nil, "Invalid array length"},
		{"a huge holey array without new", `function Z1() { return Array(1e9).join('').length; }`, "Z1", nil, "Invalid array length"},
		{"a huge Array.from", `function Z1() { return Array.from({length: 1e9}).length; }`, "Z1", nil, "Invalid array length"},
		{"stack overflow", `function Z1() { return Z1(); }`, "Z1", nil, "Maximum call stack size exceeded"},
		{"W.Call without a caller", `function Z1() { return W.Call('Z802', {Z802K1: true}); }`, "Z1", nil, "W.Call: nested function calls are not available here"},
		{"W.Call with a bad ZID", `function Z1() { return W.Call(5); }`, "Z1", nil, `W.Call: the first argument must be a ZID such as "Z802"`},
		{"nested W.Call argument that cannot be converted", `function Z1() { return W.Call('Z802', 5); }`, "Z1", nil, "Could not serialize input JS object: 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z22 := run(t, tc.code, tc.fn, tc.args)
			if got := errorMessage(z22); got != tc.want {
				t.Errorf("error = %q, want %q (Z22 %s)", got, tc.want, z22)
			}
		})
	}
}

func TestLoadErrorIsKept(t *testing.T) {
	vm, err := NewVM("let n = 0; n++; if (n === 1) throw new Error('once'); function Z1() { return 'x'; }", "Z1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		z22, err := vm.Call(context.Background(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := errorMessage(z22); got != "once" {
			t.Errorf("call %d: error %q, want once", i, got)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, code, fn, want string
	}{
		{"missing closing brace", "function Z1000( Z1000K1, Z1000K2 ) { return (parseInt(Z1000K1) + parseInt(Z1000K2)).toString();", "Z1000", "Unexpected end of input"},
		{"unexpected token", "function Z1() { return a b; }", "Z1", "Unexpected identifier"},
		{"function name is not an identifier", "function Z1() {}", "Z1(); evil", `Function name "Z1(); evil" is not a JavaScript identifier.`},
		{"empty function name", "function Z1() {}", "", `Function name "" is not a JavaScript identifier.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewVM(tc.code, tc.fn)
			var ce *CodeError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCode) {
				t.Fatalf("NewVM = %v, want a *CodeError", err)
			}
			if ce.Message != tc.want {
				t.Errorf("message = %q, want %q", ce.Message, tc.want)
			}
			env := ce.Envelope()
			if !z.IsVoid(env.Get("Z22K1")) || errorMessage(env) != tc.want {
				t.Errorf("Envelope = %s, want void and the message", env)
			}
		})
	}
}

func TestTimeLimit(t *testing.T) {
	vm, err := NewVM("function Z1(x) { if (x === 'loop') { while (true) {} } return 'ok:' + x; }", "Z1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	z22, err := vm.Call(ctx, []z.Field{z.KV("Z1K1", z.NewString("loop"))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := z.EnvelopeError(z22)
	if z.ErrorType(e) != z.CodeInEvaluation || !strings.Contains(errorMessage(z22), "time limit") {
		t.Fatalf("infinite loop = %s, want a %s time-limit error", z22, z.CodeInEvaluation)
	}
	// The VM serves the next call with a fresh runtime.
	z22, err = vm.Call(context.Background(), []z.Field{z.KV("Z1K1", z.NewString("again"))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := z22.Get("Z22K1"); got.StringValue() != "ok:again" {
		t.Errorf("call after the time limit = %s, want ok:again", z22)
	}
}

func TestTimeLimitWhileLoading(t *testing.T) {
	vm, err := NewVM("while (true) {} function Z1() { return 'x'; }", "Z1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	z22, err := vm.Call(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errorMessage(z22), "time limit") {
		t.Errorf("looping top level = %s, want a time-limit error", z22)
	}
}

func TestContextDone(t *testing.T) {
	vm, err := NewVM("function Z1() { while (true) {} }", "Z1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	if _, err := vm.Call(ctx, nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled call: error %v, want context.Canceled", err)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	z22, err := vm.Call(expired, nil, nil)
	if err != nil || !strings.Contains(errorMessage(z22), "time limit") {
		t.Errorf("call with an expired deadline = %v, %v; want a time-limit Z5", z22, err)
	}
}

func TestMemoryLimit(t *testing.T) {
	code := "function Z1() { const a = []; while (true) { a.push('x'.repeat(1 << 20) + a.length); } }"
	vm, err := NewVM(code, "Z1", WithMemoryLimit(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	z22, err := vm.Call(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := errorMessage(z22); !strings.Contains(got, "memory limit of 64 MiB") {
		t.Errorf("memory bomb = %q, want the memory-limit error", got)
	}
}

func TestNoHostAccess(t *testing.T) {
	globals := []string{"require", "process", "module", "exports", "fetch", "XMLHttpRequest", "WebSocket",
		"setTimeout", "setInterval", "Deno", "Bun", "importScripts", "load", "read", "print", "quit", "os"}
	var checks []string
	for _, g := range globals {
		checks = append(checks, fmt.Sprintf("typeof %s === 'undefined' ? '' : '%s '", g, g))
	}
	code := "function Z1() { return " + strings.Join(checks, " + ") + "; }"
	z22 := run(t, code, "Z1", nil)
	if got := z22.Get("Z22K1"); !got.IsString() || got.StringValue() != "" {
		t.Errorf("host objects visible to code: %s (error %q)", got, errorMessage(z22))
	}
	// console exists (upstream code logs) but writes nowhere.
	z22 = run(t, "function Z1() { console.log('x'.repeat(1 << 20)); console.error('e'); return 'ok'; }", "Z1", nil)
	if got := z22.Get("Z22K1"); got.StringValue() != "ok" {
		t.Errorf("console: %s", z22)
	}
	// There is no module loader: a dynamic import does not even compile.
	if vm, err := NewVM("async function Z1() { await import('fs'); return 'imported'; }", "Z1"); err == nil {
		z22, err := vm.Call(context.Background(), nil, nil)
		if err != nil || z22.Get("Z22K1").StringValue() == "imported" {
			t.Errorf("import('fs') = %v, %v", z22, err)
		}
	}
}

// fakeCaller serves W.Call from a table of handlers by function ZID and records the calls.
type fakeCaller struct {
	handlers map[string]func(ctx context.Context, z7 *z.Object) (*z.Object, error)
	calls    []*z.Object
}

func (c *fakeCaller) Call(ctx context.Context, z7 *z.Object) (*z.Object, error) {
	c.calls = append(c.calls, z7)
	h, ok := c.handlers[z7.Get("Z7K1").RefID()]
	if !ok {
		return z.ResultEnvelope(nil, messageError("no function "+z7.Get("Z7K1").String())), nil
	}
	return h(ctx, z7)
}

// vmHandler serves calls of a function with a VM, passing the Z7's arguments.
func vmHandler(vm *VM, c Caller) func(ctx context.Context, z7 *z.Object) (*z.Object, error) {
	return func(ctx context.Context, z7 *z.Object) (*z.Object, error) {
		var args []z.Field
		for _, f := range z7.Fields() {
			if f.Key != z.KeyType && f.Key != "Z7K1" {
				args = append(args, f)
			}
		}
		return vm.Call(ctx, args, c)
	}
}

func TestNestedCalls(t *testing.T) {
	wantZ7 := z.MustParse(`{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":{"Z1K1":"Z40","Z40K1":"Z41"},"Z802K2":"a","Z802K3":"b"}`)
	ifThenElse := func(ctx context.Context, z7 *z.Object) (*z.Object, error) {
		cond, _ := z.BoolValue(z7.Get("Z802K1"))
		if cond {
			return z.ResultEnvelope(z7.Get("Z802K2"), nil), nil
		}
		return z.ResultEnvelope(z7.Get("Z802K3"), nil), nil
	}
	platform := errors.New("the orchestrator is gone")
	tests := []struct {
		name     string
		code     string
		handlers map[string]func(context.Context, *z.Object) (*z.Object, error)
		want     string // Z22K1 string
		wantErr  string // Z5 message
		wantGo   error  // Go error
		wantZ7   *z.Object
	}{
		{name: "keyword form", code: `function Z1() { return W.Call('Z802', {Z802K1: true, Z802K2: 'a', Z802K3: 'b'}); }`,
			handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){"Z802": ifThenElse}, want: "a", wantZ7: wantZ7},
		{name: "positional form", code: `function Z1() { return W.Call('Z802', true, 'a', 'b'); }`,
			handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){"Z802": ifThenElse}, want: "a", wantZ7: wantZ7},
		{name: "Wikifunctions alias", code: `function Z1() { return Wikifunctions.Call('Z802', {Z802K1: false, Z802K2: 'a', Z802K3: 'b'}); }`,
			handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){"Z802": ifThenElse}, want: "b"},
		{name: "nested error thrown", code: `function Z1() { return W.Call('Z9999', {}); }`, wantErr: `no function "Z9999"`},
		{name: "nested error caught", code: `function Z1() { try { return W.Call('Z9999', {}); } catch (e) { return 'caught: ' + e.message; } }`,
			want: `caught: no function "Z9999"`},
		{name: "nested Z5 with an error type", code: `function Z1() { return W.Call('Z7777', {}); }`,
			handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){"Z7777": func(context.Context, *z.Object) (*z.Object, error) {
				return z.ResultEnvelope(nil, z.ErrorString(z.CodeInEvaluation, "typed failure")), nil
			}}, wantErr: "typed failure"},
		{name: "platform failure ends the call with an error", code: `function Z1() { try { W.Call('Z7777', {}); } catch (e) { return 'swallowed'; } return 'went on'; }`,
			handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){"Z7777": func(context.Context, *z.Object) (*z.Object, error) {
				return nil, platform
			}}, wantGo: platform},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeCaller{handlers: tc.handlers}
			vm, err := NewVM(tc.code, "Z1")
			if err != nil {
				t.Fatal(err)
			}
			z22, err := vm.Call(context.Background(), nil, c)
			if tc.wantGo != nil {
				if !errors.Is(err, tc.wantGo) {
					t.Fatalf("Call = %v, %v; want error %v", z22, err, tc.wantGo)
				}
				// The VM still serves calls afterwards.
				c.handlers = map[string]func(context.Context, *z.Object) (*z.Object, error){"Z7777": func(context.Context, *z.Object) (*z.Object, error) {
					return z.ResultEnvelope(z.NewString("fine"), nil), nil
				}}
				z22, err = vm.Call(context.Background(), nil, c)
				if err != nil || z22.Get("Z22K1").StringValue() != "went on" {
					t.Errorf("call after a platform failure = %v, %v", z22, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if got := errorMessage(z22); got != tc.wantErr {
					t.Errorf("error = %q, want %q", got, tc.wantErr)
				}
				return
			}
			if got := z22.Get("Z22K1"); got.StringValue() != tc.want {
				t.Errorf("result = %s (error %q), want %q", z22, errorMessage(z22), tc.want)
			}
			if tc.wantZ7 != nil && (len(c.calls) != 1 || !z.Equal(c.calls[0], tc.wantZ7)) {
				t.Errorf("Caller got %v, want %s", c.calls, tc.wantZ7)
			}
		})
	}
}

func TestReentrance(t *testing.T) {
	// Z1001(n) = "A" + Z1002(n without its first letter) until n is empty;
	// Z1002(n) = "B" + Z1001(n).
	a, err := NewVM(`let calls = 0;
function Z1001(n) { calls++; if (n === '') { return 'A' + calls; } return 'A' + W.Call('Z1002', {Z1002K1: n.slice(1)}); }`, "Z1001")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewVM(`function Z1002(n) { return 'B' + W.Call('Z1001', {Z1001K1: n}); }`, "Z1002")
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCaller{handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){}}
	c.handlers["Z1001"] = vmHandler(a, c)
	c.handlers["Z1002"] = vmHandler(b, c)
	z22, err := a.Call(context.Background(), []z.Field{z.KV("Z1001K1", z.NewString("xx"))}, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := z22.Get("Z22K1").StringValue(); got != "ABABA3" {
		t.Errorf("A→B→A→B→A = %s (error %q), want ABABA3", z22, errorMessage(z22))
	}
}

func TestReentranceTimeLimit(t *testing.T) {
	// The outer call of Z1001 calls Z1001 again, which loops: both share the deadline, so the
	// outer call must end with the time-limit error too, not carry on.
	a, err := NewVM(`function Z1001(n) { if (n === 'quick') { return 'quick'; } if (n === 'inner') { while (true) {} } try { W.Call('Z1001', {Z1001K1: 'inner'}); } catch (e) {} while (true) {} }`, "Z1001")
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCaller{handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){}}
	c.handlers["Z1001"] = vmHandler(a, c)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	z22, err := a.Call(ctx, []z.Field{z.KV("Z1001K1", z.NewString("outer"))}, c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errorMessage(z22), "time limit") {
		t.Errorf("re-entrant loop = %s, want a time-limit error", z22)
	}
	z22, err = a.Call(context.Background(), []z.Field{z.KV("Z1001K1", z.NewString("quick"))}, c)
	if err != nil || z22.Get("Z22K1").StringValue() != "quick" {
		t.Errorf("call after the time limit = %v, %v; want quick", z22, err)
	}
}

func TestInnerTimeLimitLeavesOuterRunning(t *testing.T) {
	// The nested call has its own, shorter deadline; the outer call catches its failure and
	// goes on.
	a, err := NewVM(`function Z1001(n) {
	if (n === 'inner') { while (true) {} }
	try { W.Call('Z1001', {Z1001K1: 'inner'}); } catch (e) { return 'recovered: ' + e.message; }
}`, "Z1001")
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCaller{handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){}}
	inner := vmHandler(a, c)
	c.handlers["Z1001"] = func(ctx context.Context, z7 *z.Object) (*z.Object, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		defer cancel()
		return inner(ctx, z7)
	}
	z22, err := a.Call(context.Background(), []z.Field{z.KV("Z1001K1", z.NewString("outer"))}, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := z22.Get("Z22K1").StringValue(); !strings.HasPrefix(got, "recovered: ") || !strings.Contains(got, "time limit") {
		t.Errorf("outer call = %s (error %q), want it to recover from the inner time limit", z22, errorMessage(z22))
	}
}

func TestReentranceDepth(t *testing.T) {
	a, err := NewVM(`function Z1001() { return W.Call('Z1001', {}); }`, "Z1001")
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeCaller{handlers: map[string]func(context.Context, *z.Object) (*z.Object, error){}}
	c.handlers["Z1001"] = vmHandler(a, c)
	z22, err := a.Call(context.Background(), nil, c)
	if err != nil {
		t.Fatal(err)
	}
	if got := errorMessage(z22); !strings.Contains(got, "nested calls") {
		t.Errorf("endless re-entrance = %q, want the nesting-limit error", got)
	}
}

func TestStatePersistsInTheVM(t *testing.T) {
	vm, err := NewVM("let n = 0; function Z1() { n++; return String(n); }", "Z1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		z22, err := vm.Call(context.Background(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := z22.Get("Z22K1").StringValue(); got != fmt.Sprint(i) {
			t.Errorf("call %d = %s, want %d", i, got, i)
		}
	}
}

func TestSeparateVMsConcurrently(t *testing.T) {
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vm, err := NewVM("let k = 0; function Z1(x) { k++; return x + ':' + k; }", "Z1")
			if err != nil {
				errs <- err
				return
			}
			for j := 1; j <= 50; j++ {
				arg := fmt.Sprint(i)
				z22, err := vm.Call(context.Background(), []z.Field{z.KV("Z1K1", z.NewString(arg))}, nil)
				if err != nil {
					errs <- err
					return
				}
				if got, want := z22.Get("Z22K1").StringValue(), fmt.Sprintf("%d:%d", i, j); got != want {
					errs <- fmt.Errorf("VM %d call %d = %q, want %q", i, j, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestExecuteContract(t *testing.T) {
	tests := []struct {
		name, request, want string
	}{
		{"not JSON", `{`, "Function call is not a JSON object."},
		{"not an object", `[1]`, "Function call is not a JSON object."},
		{"no functionName", `{"codeString":"function Z1() {}","functionArguments":{}}`, "Function call did not provide functionName."},
		{"no codeString", `{"functionName":"Z1","functionArguments":{}}`, "Function call did not provide codeString."},
		{"functionName not a string", `{"functionName":1,"codeString":""}`, "Function call's functionName is not a string."},
		{"argument not a ZObject", `{"functionName":"Z1","codeString":"function Z1(a) { return a; }","functionArguments":{"Z1K1":5}}`,
			"Function argument Z1K1 is not a ZObject: ..."},
		{"syntax error", `{"functionName":"Z1","codeString":"function Z1( {","functionArguments":{}}`, "Unexpected token ..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z22, err := Execute(context.Background(), []byte(tc.request), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := errorMessage(z22)
			if want, ok := strings.CutSuffix(tc.want, "..."); ok {
				if !strings.HasPrefix(got, want) {
					t.Errorf("Execute(%s) error = %q, want it to start with %q", tc.request, got, want)
				}
			} else if got != tc.want {
				t.Errorf("Execute(%s) error = %q, want %q", tc.request, got, tc.want)
			}
			if !z.IsVoid(z22.Get("Z22K1")) || !z.IsMap(z22.Get("Z22K2")) {
				t.Errorf("Execute(%s) = %s, want Z22K1 void and a Z22K2 map", tc.request, z22)
			}
		})
	}
}
