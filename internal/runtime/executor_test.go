package runtime

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// prelude is Python shared by the table tests: shorthands for requests and for reading Z22s.
const prelude = `
def z6(s):
    return {"Z1K1": "Z6", "Z6K1": s}

def entries(z22):
    """The Z22K2 map as a list of (key, value); [] when it is void."""
    out = []
    tail = z22["Z22K2"].get("K1")
    while tail is not None and "K1" in tail:
        out.append((tail["K1"]["K1"]["Z6K1"], tail["K1"]["K2"]))
        tail = tail["K2"]
    return out

def err(z22):
    """The Z5 text of a failed Z22 (checking the Z22 is void), or None when it succeeded."""
    for key, value in entries(z22):
        if key == "errors":
            assert z22["Z22K1"] == {"Z1K1": "Z9", "Z9K1": "Z24"}, z22["Z22K1"]
            return value["Z5K2"]["Z6K1"]
    assert z22["Z22K2"] == {"Z1K1": "Z9", "Z9K1": "Z24"}, z22["Z22K2"]
    return None

def run(code, args=None, name="Z1000", hook=None, tb=False):
    req = {"codeString": code, "functionName": name, "functionArguments": args or {}}
    return ex.execute(req, hook, tb)
`

// pyCase is a Python script and the JSON lines it must print with out(...).
type pyCase struct {
	name   string
	script string
	want   []string
}

// runPyCases runs each case in its own interpreter and compares its output lines as JSON.
func runPyCases(t *testing.T, cases []pyCase) {
	t.Helper()
	dir := executorDir(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runPython(t, dir, "", "-c", pythonScript(dir, prelude+tc.script))
			if err != nil {
				t.Fatalf("python: %v\nstderr:\n%s", err, stderr)
			}
			got := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
			if len(got) != len(tc.want) {
				t.Fatalf("output has %d lines, want %d:\n%s\nstderr:\n%s", len(got), len(tc.want), stdout, stderr)
			}
			for i := range got {
				var g, w any
				if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
					t.Fatalf("line %d is not JSON: %q", i+1, got[i])
				}
				if err := json.Unmarshal([]byte(tc.want[i]), &w); err != nil {
					t.Fatalf("bad want %q: %v", tc.want[i], err)
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("line %d = %s, want %s", i+1, got[i], tc.want[i])
				}
			}
		})
	}
}

const (
	typeZ6   = `{"Z1K1":"Z9","Z9K1":"Z6"}`
	typeZ1   = `{"Z1K1":"Z9","Z9K1":"Z1"}`
	zTrue    = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z40"},"Z40K1":{"Z1K1":"Z9","Z9K1":"Z41"}}`
	zFalse   = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z40"},"Z40K1":{"Z1K1":"Z9","Z9K1":"Z42"}}`
	zUnit    = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z21"}}`
	listZ6   = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + typeZ6 + `}`
	listZ1   = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + typeZ1 + `}`
	pairZ6Z6 = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z882"},"Z882K1":` + typeZ6 + `,"Z882K2":` + typeZ6 + `}`
	mapZ6Z6  = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z883"},"Z883K1":` + typeZ6 + `,"Z883K2":` + typeZ6 + `}`
	userType = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z4"},"Z4K1":{"Z1K1":"Z9","Z9K1":"Z10101"}}`
)

func z6(s string) string { return `{"Z1K1":"Z6","Z6K1":"` + s + `"}` }

// TestDeserialize converts normal ZObjects to Python and compares with a Python value.
func TestDeserialize(t *testing.T) {
	tests := []struct{ name, z, want string }{
		{"Z6", z6("opiparo"), `"opiparo"`},
		{"Z6 empty", z6(""), `""`},
		{"Z40 true", zTrue, `True`},
		{"Z40 false", zFalse, `False`},
		{"Z40 canonical Z40K1", `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z40"},"Z40K1":"Z41"}`, `True`},
		{"Z21", zUnit, `None`},
		{"Z39", `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z39"},"Z39K1":` + z6("Z1000K1") + `}`, `"Z1000K1"`},
		{"Z86", `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z86"},"Z86K1":` + z6("%") + `}`, `"%"`},
		{"Z881 empty", `{"Z1K1":` + listZ6 + `}`, `[]`},
		{"Z881 of Z6", `{"Z1K1":` + listZ6 + `,"K1":` + z6("horses") + `,"K2":{"Z1K1":` + listZ6 + `,"K1":` + z6("ungulates") + `,"K2":{"Z1K1":` + listZ6 + `}}}`, `["horses", "ungulates"]`},
		{"Z881 mixed", `{"Z1K1":` + listZ1 + `,"K1":` + zTrue + `,"K2":{"Z1K1":` + listZ1 + `,"K1":` + z6("tRue") + `,"K2":{"Z1K1":` + listZ1 + `,"K1":{"Z1K1":` + listZ1 + `},"K2":{"Z1K1":` + listZ1 + `}}}}`, `[True, "tRue", []]`},
		{"Z881 typed by a Z4", `{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z4"},"Z4K1":` + listZ6 + `},"K1":` + z6("a") + `,"K2":{"Z1K1":` + listZ6 + `}}`, `["a"]`},
		{"Z882", `{"Z1K1":` + pairZ6Z6 + `,"K1":` + z6("pigs") + `,"K2":` + z6("just pigs") + `}`, `ex.ZPair("pigs", "just pigs")`},
		{"Z883", `{"Z1K1":` + mapZ6Z6 + `,"K1":{"Z1K1":` + listZ6 + `,"K1":{"Z1K1":` + pairZ6Z6 + `,"K1":` + z6("k") + `,"K2":` + z6("v") + `},"K2":{"Z1K1":` + listZ6 + `}}}`, `{"k": "v"}`},
		{"Z883 without K1", `{"Z1K1":` + mapZ6Z6 + `}`, `{}`},
		{"user-defined type", `{"Z1K1":` + userType + `,"Z10101K1":` + z6("tRue") + `,"Z10101K2":` + zTrue + `}`, `ex.ZObject(None, Z10101K1="tRue", Z10101K2=True)`},
		{"Z9 reference", `{"Z1K1":"Z9","Z9K1":"Z41"}`, `ex.ZObject("Z9", Z9K1="Z41")`},
	}
	var cases []pyCase
	for _, tt := range tests {
		cases = append(cases, pyCase{
			name: tt.name,
			script: "v = ex.deserialize(json.loads(" + pyString(tt.z) + "))\n" +
				"w = " + tt.want + "\n" +
				"out([v == w, type(v).__name__ == type(w).__name__])\n",
			want: []string{`[true, true]`},
		})
	}
	runPyCases(t, cases)
}

// TestSerialize converts Python values to normal ZObjects, Z1K1s included.
func TestSerialize(t *testing.T) {
	tests := []struct{ name, py, want string }{
		{"str", `"opiparo"`, z6("opiparo")},
		{"str subclass", `type("S", (str,), {})("x")`, z6("x")},
		{"True", `True`, zTrue},
		{"False", `False`, zFalse},
		{"None", `None`, zUnit},
		{"empty list", `[]`, `{"Z1K1":` + listZ1 + `}`},
		{"list of str", `["horses", "ungulates"]`, `{"Z1K1":` + listZ6 + `,"K1":` + z6("horses") + `,"K2":{"Z1K1":` + listZ6 + `,"K1":` + z6("ungulates") + `,"K2":{"Z1K1":` + listZ6 + `}}}`},
		{"tuple", `("a",)`, `{"Z1K1":` + listZ6 + `,"K1":` + z6("a") + `,"K2":{"Z1K1":` + listZ6 + `}}`},
		{"generator", `(s for s in ["a"])`, `{"Z1K1":` + listZ6 + `,"K1":` + z6("a") + `,"K2":{"Z1K1":` + listZ6 + `}}`},
		{"mixed list", `[True, "a"]`, `{"Z1K1":` + listZ1 + `,"K1":` + zTrue + `,"K2":{"Z1K1":` + listZ1 + `,"K1":` + z6("a") + `,"K2":{"Z1K1":` + listZ1 + `}}}`},
		{"list of lists", `[["a"]]`, `{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + listZ6 + `},"K1":{"Z1K1":` + listZ6 + `,"K1":` + z6("a") + `,"K2":{"Z1K1":` + listZ6 + `}},"K2":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + listZ6 + `}}}`},
		{"pair inferred type", `ex.ZPair("pigs", "just pigs")`, `{"Z1K1":` + pairZ6Z6 + `,"K1":` + z6("pigs") + `,"K2":` + z6("just pigs") + `}`},
		{"pair given type", `ex.ZPair("a", "b", {"Z1K1": "Z9", "Z9K1": "Z10000"})`, `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z10000"},"K1":` + z6("a") + `,"K2":` + z6("b") + `}`},
		{"dict", `{"k": "v"}`, `{"Z1K1":` + mapZ6Z6 + `,"K1":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + pairZ6Z6 + `},"K1":{"Z1K1":` + pairZ6Z6 + `,"K1":` + z6("k") + `,"K2":` + z6("v") + `},"K2":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + pairZ6Z6 + `}}}}`},
		{"empty dict", `{}`, `{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z883"},"Z883K1":` + typeZ1 + `,"Z883K2":` + typeZ1 + `},"K1":{"Z1K1":` + listZ1 + `}}`},
		{"user-defined type", `ex.ZObject(` + pyString(userType) + `, Z10101K1="x")`, `{"Z1K1":"` + strings.ReplaceAll(userType, `"`, `\"`) + `","Z10101K1":` + z6("x") + `}`},
		{"Z9 reference", `ex.ZObject("Z9", Z9K1="Z41")`, `{"Z1K1":"Z9","Z9K1":"Z41"}`},
	}
	var cases []pyCase
	for _, tt := range tests {
		cases = append(cases, pyCase{tt.name, "out(ex.serialize(" + tt.py + "))\n", []string{tt.want}})
	}
	runPyCases(t, cases)
}

// TestRoundTrip checks serialize(deserialize(z)) == z for normal ZObjects whose types the
// serializer infers back.
func TestRoundTrip(t *testing.T) {
	objects := map[string]string{
		"Z6":   z6("x"),
		"Z40":  zTrue,
		"Z21":  zUnit,
		"Z881": `{"Z1K1":` + listZ6 + `,"K1":` + z6("a") + `,"K2":{"Z1K1":` + listZ6 + `,"K1":` + z6("b") + `,"K2":{"Z1K1":` + listZ6 + `}}}`,
		"Z882": `{"Z1K1":` + pairZ6Z6 + `,"K1":` + z6("a") + `,"K2":` + z6("b") + `}`,
		"Z883": `{"Z1K1":` + mapZ6Z6 + `,"K1":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + pairZ6Z6 + `},"K1":{"Z1K1":` + pairZ6Z6 + `,"K1":` + z6("k") + `,"K2":` + z6("v") + `},"K2":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + pairZ6Z6 + `}}}}`,
		"user": `{"Z1K1":` + userType + `,"Z10101K1":` + z6("tRue") + `,"Z10101K2":` + zFalse + `}`,
		"Z9":   `{"Z1K1":"Z9","Z9K1":"Z41"}`,
	}
	var cases []pyCase
	for name, z := range objects {
		cases = append(cases, pyCase{name, "out(ex.serialize(ex.deserialize(json.loads(" + pyString(z) + "))))\n", []string{z}})
	}
	runPyCases(t, cases)
}

// TestBadCode checks that failures in user code and bad input are Z5s inside the Z22.
func TestBadCode(t *testing.T) {
	runPyCases(t, []pyCase{
		{"syntax error", `out(err(run("x = = 1\ndef Z1000():\n    return 'a'")))`, []string{`"invalid syntax"`}},
		{"syntax error traceback", `z = run("x = = 1", tb=True)
out([k for k, _ in entries(z)])
t = entries(z)[1][1]["Z6K1"]
out(["SyntaxError: invalid syntax" in t, "<zeval Z1000>" in t])`, []string{`["errors", "traceback"]`, `[true, true]`}},
		{"exception", `out(err(run("def Z1000(Z1000K1):\n    raise ValueError('bad ' + Z1000K1)", {"Z1000K1": z6("input")})))`, []string{`"bad input"`}},
		{"exception traceback", `code = "def helper(x):\n    return int(x)\n\ndef Z1000(Z1000K1):\n    return helper(Z1000K1)\n"
z = run(code, {"Z1000K1": z6("nine")}, tb=True)
out(err(z))
t = dict(entries(z))["traceback"]["Z6K1"]
out(t.splitlines())`, []string{`"invalid literal for int() with base 10: 'nine'"`, `["Traceback (most recent call last):",
 "  File \"<zeval Z1000>\", line 5, in Z1000", "    return helper(Z1000K1)",
 "  File \"<zeval Z1000>\", line 2, in helper", "    return int(x)",
 "ValueError: invalid literal for int() with base 10: 'nine'"]`}},
		{"no traceback unless asked", `out([k for k, _ in entries(run("def Z1000():\n    raise ValueError('x')"))])`, []string{`["errors"]`}},
		{"exception without args", `out(err(run("def Z1000():\n    raise ValueError")))`, []string{`"ValueError"`}},
		{"exception with a non-str arg", `out(err(run("def Z1000():\n    raise OSError(2, 'gone')")))`, []string{`"[Errno 2] gone"`}},
		{"KeyError", `out(err(run("def Z1000():\n    return {}['k']")))`, []string{`"k"`}},
		{"sys.exit", `out([err(run("import sys\ndef Z1000():\n    sys.exit()")), err(run("import sys\ndef Z1000():\n    sys.exit('bye')"))])`, []string{`["SystemExit", "bye"]`}},
		{"unserializable int", `out(err(run("def Z1000():\n    return 5")))`, []string{`"Could not serialize input Python object: 5"`}},
		{"unserializable float in list", `out(err(run("def Z1000():\n    return ['a', 1.5]")))`, []string{`"Could not serialize input Python object: 1.5"`}},
		{"unserializable object", `out(err(run("def Z1000():\n    class A:\n        def __repr__(self):\n            return '<A>'\n    return A()")))`, []string{`"Could not serialize input Python object: <A>"`}},
		{"ZObject without type", `out(err(run("def Z1000():\n    return ZObject(Z10101K1='tRue', Z10101K2='trUe')")))`, []string{`"Could not serialize input Python object: ZObject<Z1K1:None,Z10101K1:tRue,Z10101K2:trUe>"`}},
		{"missing function", `out(err(run("def Z1001():\n    return 'a'")))`, []string{`"name 'Z1000' is not defined"`}},
		{"not callable", `out(err(run("Z1000 = 'a'")))`, []string{`"'str' object is not callable"`}},
		{"wrong argument name", `out(err(run("def Z1000(Z1000K1):\n    return Z1000K1", {"Z1000K2": z6("a")}))[:52])`, []string{`"Z1000() got an unexpected keyword argument 'Z1000K2'"`}},
		{"missing argument", `out(err(run("def Z1000(Z1000K1):\n    return Z1000K1")))`, []string{`"Z1000() missing 1 required positional argument: 'Z1000K1'"`}},
		{"error at load", `h = ex.load("raise RuntimeError('at load')\ndef Z1000():\n    return 'a'", "Z1000")
out([err(ex.call(h, {})), err(ex.call(h, {}))])`, []string{`["at load", "at load"]`}},
		{"call without a handle", `out(err(ex.call(None, {})))`, []string{`"call: None is not a function loaded by load()"`}},
		{"argument not a ZObject", `out(err(run("def Z1000(Z1000K1):\n    return 'a'", {"Z1000K1": 5})))`, []string{`"Could not deserialize input ZObject: 5"`}},
		{"argument without a type", `out(err(run("def Z1000(Z1000K1):\n    return 'a'", {"Z1000K1": {"Z6K1": "x"}})))`, []string{`"Could not determine type for {'Z6K1': 'x'}"`}},
		{"argument with a bad type", `out(err(run("def Z1000(Z1000K1):\n    return 'a'", {"Z1000K1": {"Z1K1": 5}})))`, []string{`"Could not determine type for 5"`}},
		{"bad Z40", `out(err(run("def Z1000(Z1000K1):\n    return 'a'", {"Z1000K1": {"Z1K1": "Z40"}})))`, []string{`"Could not deserialize a Z40 without Z40K1: {'Z1K1': 'Z40'}"`}},
		{"arguments not an object", `out(err(ex.execute({"codeString": "def Z1000():\n    return 'a'", "functionName": "Z1000", "functionArguments": [1]})))`, []string{`"functionArguments must be an object of key: ZObject, not list"`}},
		{"null arguments are no arguments", `out(ex.execute({"codeString": "def Z1000():\n    return 'a'", "functionName": "Z1000", "functionArguments": None})["Z22K1"])`, []string{z6("a")}},
		{"request not an object", `out(err(ex.execute([])))`, []string{`"Function call must be an object, not list"`}},
		{"no functionName", `out(err(ex.execute({"codeString": "x"})))`, []string{`"Function call did not provide functionName."`}},
		{"no codeString", `out(err(ex.execute({"functionName": "Z1000"})))`, []string{`"Function call did not provide codeString."`}},
		{"lone surrogate becomes U+FFFD", `z = run("def Z1000():\n    return 'a\\ud800b\\ud83d\\ude00'")
text = ex.dumps(z)
text.encode("utf-8")
out(z["Z22K1"]["Z6K1"] == "a\ufffdb\U0001F600")`, []string{`true`}},
		{"lone surrogate in an error", `z = run("def Z1000():\n    raise ValueError('bad \\udc80')", tb=True)
ex.dumps(z).encode("utf-8")
out(err(z))`, []string{`"bad \ufffd"`}},
		{"ZObject with a type that is not JSON", `out(err(run("def Z1000():\n    return ZObject(object(), K1='x')"))[:41])`, []string{`"Could not serialize input Python object: "`}},
		{"ZPair with a type that is not JSON", `out(err(run("def Z1000():\n    return ZPair('a', 'b', 5)")))`, []string{`"Could not serialize input Python object: ZPair<Z1K1:5,K1:a,K2:b>"`}},
		{"huge repr is cut", `out(len(err(run("def Z1000():\n    return [1.5] * 0 + [type('B', (), {'__repr__': lambda self: 'x' * 100000})()]"))))`, []string{`10044`}},
		{"garbage never escapes as an exception", `import random
rng = random.Random(7)
atoms = ["Z6", "Z9", "Z40", "Z881", "Z882", "Z883", "Z7", "Z4", "Z8", "Z24", "K1", "K2", "Z1K1", "Z6K1", 0, 1.5, None, True, [], {}]
def garbage(depth):
    r = rng.random()
    if depth > 5 or r < 0.3:
        return rng.choice(atoms)
    if r < 0.5:
        return [garbage(depth + 1) for _ in range(rng.randrange(3))]
    keys = ["Z1K1", "Z6K1", "Z9K1", "Z40K1", "K1", "K2", "Z4K1", "Z7K1", "Z8K5", "Z1000K1"]
    return {rng.choice(keys): garbage(depth + 1) for _ in range(rng.randrange(4))}
code = "def Z1000(Z1000K1):\n    return Z1000K1"
h = ex.load(code, "Z1000")
kinds = set()
for i in range(3000):
    arg = garbage(0)
    z = ex.call(h, {"Z1000K1": arg}, lambda z7: garbage(0))
    assert set(z) == {"Z1K1", "Z22K1", "Z22K2"}, z
    ex.dumps(z).encode("utf-8")
    kinds.add(err(z) is None)
    z = ex.execute(garbage(0))
    assert set(z) == {"Z1K1", "Z22K1", "Z22K2"}, z
    w = run("def Z1000():\n    return W.Call('Z1', Z1K1='x')", hook=lambda z7: garbage(0))
    assert set(w) == {"Z1K1", "Z22K1", "Z22K2"}, w
    ex.dumps(w).encode("utf-8")
out(sorted(kinds))`, []string{`[false, true]`}},
		{"deep recursion in user code", `out(err(run("def Z1000():\n    return Z1000()"))[:30])`, []string{`"maximum recursion depth exceed"`}},
	})
}

// TestLoadAndCall checks what load/call and execute keep between calls.
func TestLoadAndCall(t *testing.T) {
	runPyCases(t, []pyCase{
		{"success metadata is void", `z = run("def Z1000(Z1000K1, Z1000K2):\n    return Z1000K1 + Z1000K2", {"Z1000K1": z6("a"), "Z1000K2": z6("b")})
out(z)`, []string{`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z22"},"Z22K1":{"Z1K1":"Z6","Z6K1":"ab"},"Z22K2":{"Z1K1":"Z9","Z9K1":"Z24"}}`}},
		{"load keeps the namespace", `h = ex.load("n = 0\ndef Z1000():\n    global n\n    n += 1\n    return str(n)", "Z1000")
out([ex.call(h, {})["Z22K1"]["Z6K1"] for _ in range(3)])`, []string{`["1", "2", "3"]`}},
		{"execute isolates globals", `run("leaked = 1\ndef Z1000():\n    return 'a'")
out(run("def Z1000():\n    return str('leaked' in globals())")["Z22K1"]["Z6K1"])`, []string{`"False"`}},
		{"handles are independent", `a = ex.load("x = 'a'\ndef Z1000():\n    return x", "Z1000")
b = ex.load("x = 'b'\ndef Z1000():\n    return x", "Z1000")
out([ex.call(a, {})["Z22K1"]["Z6K1"], ex.call(b, {})["Z22K1"]["Z6K1"]])`, []string{`["a", "b"]`}},
		{"helpers and imports at top level", `out(run("import string\ndef helper(s):\n    return s.upper()\ndef Z1000(Z1000K1):\n    return helper(Z1000K1) + string.digits[:2]", {"Z1000K1": z6("x")})["Z22K1"]["Z6K1"])`, []string{`"X01"`}},
		{"lambda", `out(run("Z1000 = lambda Z1000K1: Z1000K1[::-1]", {"Z1000K1": z6("abc")})["Z22K1"]["Z6K1"])`, []string{`"cba"`}},
		{"user type in and out", `code = "def Z1000(Z1000K1):\n    return ZObject(Z1000K1.Z1K1, Z10101K1=Z1000K1.Z10101K1.upper(), Z10101K2=not Z1000K1['Z10101K2'])"
arg = {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z10101"}, "Z10101K1": z6("x"), "Z10101K2": {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z40"}, "Z40K1": {"Z1K1": "Z9", "Z9K1": "Z42"}}}
out(run(code, {"Z1000K1": arg})["Z22K1"])`, []string{`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z10101"},"Z10101K1":{"Z1K1":"Z6","Z6K1":"X"},"Z10101K2":` + zTrue + `}`}},
		{"deep list through dumps and loads", `z22 = run("def Z1000():\n    return [str(i) for i in range(5000)]")
text = ex.dumps(z22)
back = ex.loads(text)
out([len(ex.deserialize(back["Z22K1"])), ex.deserialize(back["Z22K1"])[4999], sys.getrecursionlimit()])`, []string{`[5000, "4999", 1000]`}},
		{"deep encoder writes what json.dumps writes", `import random
rng = random.Random(3)
def value(depth):
    r = rng.random()
    if depth > 6 or r < 0.35:
        return rng.choice(["", "a\"b\\c\n\t\u0001", "\u00e9\U0001F600", 0, -7, 1.5, 1e300, True, False, None, "Z6"])
    if r < 0.6:
        return [value(depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["K1", "K2", "Z1K1", "\u00e9", "a\"b"]): value(depth + 1) for _ in range(rng.randrange(4))}
mismatches = 0
for _ in range(2000):
    v = value(0)
    if ex._encode_deep(v) != json.dumps(v, ensure_ascii=False, separators=(",", ":")):
        mismatches += 1
    t = json.dumps(v, indent=rng.choice([None, 1]))
    if ex._decode_deep(t) != json.loads(t):
        mismatches += 1
errors = []
for bad in ["", "[1,]", "{\"a\" 1}", "[1 2]", "{\"a\":1,}", "[\"x]", "tru", "[1]x", "{1:2}", "-"]:
    try:
        ex._decode_deep(bad)
        errors.append("accepted " + bad)
    except ValueError:
        pass
deep = ["x"]
for _ in range(ex.MAX_JSON_DEPTH - 1):
    deep = [deep]
text = ex.dumps(deep)
ok = ex.dumps(ex.loads(text)) == text and text.startswith("[" * ex.MAX_JSON_DEPTH + '"x"')
try:
    ex.dumps([deep])
    too_deep = "encoded"
except ValueError as e:
    too_deep = str(e)
try:
    ex.loads("[" * (ex.MAX_JSON_DEPTH + 1) + "]" * (ex.MAX_JSON_DEPTH + 1))
    too_deep_in = "decoded"
except ValueError as e:
    too_deep_in = str(e)
out([mismatches, errors, ok, too_deep, too_deep_in])`, []string{`[0, [], true, "ZObject nested more than 10000 levels deep", "JSON nested more than 10000 levels deep"]`}},
	})
}

// TestNestedCalls checks W.Call through fake call hooks, including hooks that re-enter call().
func TestNestedCalls(t *testing.T) {
	runPyCases(t, []pyCase{
		{"builds the Z7 and returns the value", `seen = []
def hook(z7):
    seen.append(z7)
    return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": z6("b"), "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}
z = run("def Z1000():\n    return W.Call('Z802', Z802K1=True, Z802K2='a', Z802K3='b')", hook=hook)
out(seen)
out(z["Z22K1"])`, []string{`[{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":` + zTrue + `,"Z802K2":` + z6("a") + `,"Z802K3":` + z6("b") + `}]`, z6("b")}},
		{"import wikifunctions", `def hook(z7):
    return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z40"}, "Z40K1": {"Z1K1": "Z9", "Z9K1": "Z41"}}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}
z = run("import wikifunctions\ndef Z1000():\n    return str(wikifunctions.Call('Z844', Z844K1=False))", hook=hook)
out(z["Z22K1"])`, []string{z6("True")}},
		{"void answer is None", `def hook(z7):
    return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": "Z9", "Z9K1": "Z24"}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}
out(run("def Z1000():\n    return str(W.Call('Z801'))", hook=hook)["Z22K1"])`, []string{z6("None")}},
		{"failed call propagates its Z5", `failure = run("def Z1000():\n    raise ValueError('inner trouble')")
def hook(z7):
    return failure
z = run("def Z1000():\n    return W.Call('Z1001')", hook=hook)
out(z == failure)`, []string{`true`}},
		{"failed call can be caught", `failure = run("def Z1000():\n    raise ValueError('inner trouble')")
def hook(z7):
    return failure
code = "def Z1000():\n    try:\n        return W.Call('Z1001')\n    except WikifunctionsError as e:\n        return str(e) + ' / ' + e.z5['Z5K2']['Z6K1']"
out(run(code, hook=hook)["Z22K1"]["Z6K1"])`, []string{`"W.Call(Z1001) failed: inner trouble / inner trouble"`}},
		{"basic Z22 with a Z5", `def hook(z7):
    return {"Z1K1": "Z22", "Z22K1": "Z24", "Z22K2": {"Z1K1": "Z5", "Z5K1": "Z507", "Z5K2": {"Z1K1": "Z507", "Z507K1": "x"}}}
out(err(run("def Z1000():\n    try:\n        W.Call('Z1001')\n    except WikifunctionsError as e:\n        raise ValueError(str(e))", hook=hook)))`, []string{`"W.Call(Z1001) failed: Z507: x"`}},
		{"Z5 without text", `def hook(z7):
    return {"Z1K1": "Z22", "Z22K1": "Z24", "Z22K2": {"Z1K1": "Z5", "Z5K1": "Z507", "Z5K2": {"Z1K1": "Z507", "Z507K1": ["Z1"]}}}
out(err(run("def Z1000():\n    try:\n        W.Call('Z1001')\n    except WikifunctionsError as e:\n        raise ValueError(str(e))", hook=hook)))`, []string{`"W.Call(Z1001) failed: Z507: {\"Z1K1\":\"Z507\",\"Z507K1\":[\"Z1\"]}"`}},
		{"canonical answer with an error", `def hook(z7):
    return {"Z1K1": "Z22", "Z22K1": "Z24", "Z22K2": {"Z1K1": {"Z1K1": "Z7", "Z7K1": "Z883", "Z883K1": "Z6", "Z883K2": "Z1"}, "K1": [{"Z1K1": "Z7", "Z7K1": "Z882", "Z882K1": "Z6", "Z882K2": "Z1"}, {"Z1K1": {"Z1K1": "Z7", "Z7K1": "Z882", "Z882K1": "Z6", "Z882K2": "Z1"}, "K1": "errors", "K2": {"Z1K1": "Z5", "Z5K1": "Z504", "Z5K2": {"Z1K1": "Z504", "Z504K1": "Z1001"}}}]}}
out(dict(entries(run("def Z1000():\n    return W.Call('Z1001')", hook=hook)))["errors"])`, []string{`{"Z1K1": "Z5", "Z5K1": "Z504", "Z5K2": {"Z1K1": "Z504", "Z504K1": "Z1001"}}`}},
		{"canonical answer with a list", `def hook(z7):
    return {"Z1K1": "Z22", "Z22K1": ["Z6", "a", "b"], "Z22K2": "Z24"}
out(run("def Z1000():\n    return '+'.join(W.Call('Z1001'))", hook=hook)["Z22K1"])`, []string{z6("a+b")}},
		{"no hook", `out(err(run("def Z1000():\n    return W.Call('Z802', Z802K1=True)")))`, []string{`"W.Call(Z802): nested function calls are not available here (no call hook)"`}},
		{"hook answers garbage", `out(err(run("def Z1000():\n    return W.Call('Z802')", hook=lambda z7: 42)))`, []string{`"W.Call(Z802): the call hook answered 42, not a Z22"`}},
		{"hook raises", `def hook(z7):
    raise ConnectionError("channel closed")
out(err(run("def Z1000():\n    return W.Call('Z802')", hook=hook)))`, []string{`"channel closed"`}},
		{"unserializable argument", `out(err(run("def Z1000():\n    return W.Call('Z802', Z802K1=3)", hook=lambda z7: None)))`, []string{`"Could not serialize input Python object: 3"`}},
		{"bad function ZID", `out(err(run("def Z1000():\n    return W.Call(802)", hook=lambda z7: None)))`, []string{`"W.Call: the function must be a ZID string like 'Z802', not 802"`}},
		{"re-entrant recursion", `code = "def Z1000(Z1000K1):\n    n = int(Z1000K1)\n    if n == 0:\n        return 'done'\n    return str(n) + ',' + W.Call('Z1000', Z1000K1=str(n - 1))"
h = ex.load(code, "Z1000")
depth = []
def hook(z7):
    depth.append(len(ex._HOOKS))
    args = {k: v for k, v in z7.items() if k.startswith(z7["Z7K1"] + "K")}
    return ex.call(h, args, hook)
out(ex.call(h, {"Z1000K1": z6("4")}, hook)["Z22K1"])
out([depth, len(ex._HOOKS)])`, []string{z6("4,3,2,1,done"), `[[1, 2, 3, 4], 0]`}},
		{"A calls B calls A, each with its own hook", `a = ex.load("def Z1000(Z1000K1):\n    if Z1000K1 == 'inner':\n        return 'A-inner'\n    first = W.Call('Z1001')\n    second = W.Call('Z1002')\n    return first + '|' + second", "Z1000")
b = ex.load("def Z1001():\n    return 'B(' + W.Call('Z1000', Z1000K1='inner') + ')'", "Z1001")
log = []
def hook_b(z7):
    log.append("hook_b:" + z7["Z7K1"])
    return ex.call(a, {"Z1000K1": z7["Z1000K1"]}, None)
def hook_a(z7):
    log.append("hook_a:" + z7["Z7K1"])
    if z7["Z7K1"] == "Z1001":
        return ex.call(b, {}, hook_b)
    return {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": z6("C"), "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}
out(ex.call(a, {"Z1000K1": z6("outer")}, hook_a)["Z22K1"])
out(log)`, []string{z6("B(A-inner)|C"), `["hook_a:Z1001", "hook_b:Z1000", "hook_a:Z1002"]`}},
		{"inner call without a hook cannot call out", `a = ex.load("def Z1000(Z1000K1):\n    if Z1000K1 == 'inner':\n        return W.Call('Z1002')\n    return W.Call('Z1000', Z1000K1='inner')", "Z1000")
def hook(z7):
    return ex.call(a, {"Z1000K1": z6("inner")}, None)
out(err(ex.call(a, {"Z1000K1": z6("outer")}, hook)))`, []string{`"W.Call(Z1002): nested function calls are not available here (no call hook)"`}},
	})
}

// TestScriptMode runs the executor as a script: one request line in, one Z22 line out.
func TestScriptMode(t *testing.T) {
	dir := executorDir(t)
	script := dir + "/" + ExecutorModule + ".py"
	answer := `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z22"},"Z22K1":{"Z1K1":"Z6","Z6K1":"from the hook"},"Z22K2":{"Z1K1":"Z9","Z9K1":"Z24"}}`
	tests := []struct {
		name  string
		stdin string
		want  []string // stdout lines, each compared as JSON after an optional "call " prefix
	}{
		{"add", `{"codeString": "def Z1000(Z1000K1, Z1000K2):\n\treturn str(int(Z1000K1) + int(Z1000K2))", "functionName": "Z1000", "functionArguments": {"Z1000K1": {"Z1K1": "Z6", "Z6K1": "5"}, "Z1000K2": {"Z1K1": "Z6", "Z6K1": "8"}}}` + "\n",
			[]string{`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z22"},"Z22K1":{"Z1K1":"Z6","Z6K1":"13"},"Z22K2":{"Z1K1":"Z9","Z9K1":"Z24"}}`}},
		{"print goes to stderr", `{"codeString": "def Z1000():\n\tprint('noise')\n\treturn 'quiet'", "functionName": "Z1000"}` + "\n",
			[]string{`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z22"},"Z22K1":{"Z1K1":"Z6","Z6K1":"quiet"},"Z22K2":{"Z1K1":"Z9","Z9K1":"Z24"}}`}},
		{"nested call over stdin and stdout", "\n" + `{"codeString": "def Z1000():\n\treturn W.Call('Z802', Z802K1=True)", "functionName": "Z1000"}` + "\n" + answer + "\n",
			[]string{`call {"Z1K1":"Z7","Z7K1":"Z802","Z802K1":` + zTrue + `}`, answer}},
		{"result nested too deep to encode", `{"codeString": "def Z1000():\n\treturn ['a'] * 13000", "functionName": "Z1000"}` + "\n",
			[]string{`error:Could not encode the result: ZObject nested more than 10000 levels deep`}},
		{"deep result in ASCII", `{"codeString": "def Z1000():\n\treturn ['\\u00e9\\U0001F600'] * 3000", "functionName": "Z1000"}` + "\n",
			[]string{`deep:3000`}},
		{"bad JSON", "{not json\n", []string{`error:Could not parse the request: `}},
		{"no request", "\n\n", []string{`error:No request on stdin.`}},
		{"stdin closed during a nested call", `{"codeString": "def Z1000():\n\treturn W.Call('Z802')", "functionName": "Z1000"}` + "\n",
			[]string{`call {"Z1K1":"Z7","Z7K1":"Z802"}`, `error:W.Call: stdin closed before the answer to a nested call`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err := runPython(t, dir, tt.stdin, script)
			if err != nil {
				t.Fatalf("python: %v\n%s", err, stderr)
			}
			lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("stdout has %d lines, want %d:\n%s", len(lines), len(tt.want), stdout)
			}
			for i, want := range tt.want {
				got := lines[i]
				if n, ok := strings.CutPrefix(want, "deep:"); ok {
					checkDeepList(t, got, n)
					continue
				}
				if prefix, ok := strings.CutPrefix(want, "error:"); ok {
					var z22 any
					if err := json.Unmarshal([]byte(got), &z22); err != nil {
						t.Fatalf("line %d is not JSON: %q", i+1, got)
					}
					m, _ := getError(z22).(map[string]any)
					z5k2, _ := m["Z5K2"].(map[string]any)
					msg, _ := z5k2["Z6K1"].(string)
					if !strings.HasPrefix(msg, prefix) {
						t.Errorf("line %d: error %q, want one starting %q", i+1, msg, prefix)
					}
					continue
				}
				gotCall, gotIsCall := strings.CutPrefix(got, "call ")
				wantCall, wantIsCall := strings.CutPrefix(want, "call ")
				if gotIsCall != wantIsCall {
					t.Fatalf("line %d = %q, want %q", i+1, got, want)
				}
				var g, w any
				if err := json.Unmarshal([]byte(gotCall), &g); err != nil {
					t.Fatalf("line %d is not JSON: %q", i+1, got)
				}
				if err := json.Unmarshal([]byte(wantCall), &w); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("line %d = %s, want %s", i+1, got, want)
				}
			}
			if tt.name == "print goes to stderr" && !strings.Contains(stderr, "noise") {
				t.Errorf("stderr = %q, want the user's print", stderr)
			}
		})
	}
}

// checkDeepList checks a Z22 line whose Z22K1 is a typed list of n strings "é😀", written in
// ASCII.
func checkDeepList(t *testing.T, line, n string) {
	t.Helper()
	for _, r := range line {
		if r >= 0x80 {
			t.Fatalf("line is not ASCII: %q", r)
		}
	}
	var z22 map[string]any
	if err := json.Unmarshal([]byte(line), &z22); err != nil {
		t.Fatalf("deep line: %v", err)
	}
	count := 0
	for cell, _ := z22["Z22K1"].(map[string]any); cell != nil && cell["K1"] != nil; cell, _ = cell["K2"].(map[string]any) {
		item, _ := cell["K1"].(map[string]any)
		if item["Z6K1"] != "é😀" {
			t.Fatalf("item %d = %v, want é😀", count, item)
		}
		count++
	}
	if strconv.Itoa(count) != n {
		t.Errorf("list has %d items, want %s", count, n)
	}
}
