package runtime

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/corpus"
)

const conformanceDir = "../../../shared/conformance/wikifunctions/"

// evalCase is one case of evaluator/public_cases.json, with the fields the Python runs need.
type evalCase struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Kind         string          `json:"kind"`
	Suite        string          `json:"suite"`
	Language     *string         `json:"language"`
	Request      json.RawMessage `json:"request"`
	ExecutorMode string          `json:"executor_mode"`
	Stdin        *string         `json:"stdin"`
	Expected     struct {
		Kind string `json:"kind"`
		Z22  any    `json:"z22"`
	} `json:"expected"`
}

// knownFailure is an entry of testdata/python_known_failures.json. An interpreter-specific
// failure may pass on another interpreter; only that is not reported as stale.
type knownFailure struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	Reason              string `json:"reason"`
	InterpreterSpecific bool   `json:"interpreter_specific"`
}

// pythonCases returns the python3-executor cases and the Python integration cases that expect
// a Z22 and have a request.
func pythonCases(t *testing.T) []evalCase {
	t.Helper()
	path := filepath.Join(conformanceDir, "evaluator", "public_cases.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("conformance data missing: %s not found (expected /work/shared/conformance beside the repository)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []evalCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	var out []evalCase
	for _, c := range file.Cases {
		python := c.Language != nil && strings.HasPrefix(*c.Language, "python")
		switch {
		case c.Suite == "python3-executor" && c.Kind == "executor":
			out = append(out, c)
		case c.Kind == "integration" && python && c.Expected.Kind == "z22" && len(c.Request) > 0 && string(c.Request) != "null":
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Python cases in %s", path)
	}
	return out
}

func loadKnownFailures(t *testing.T) map[string]knownFailure {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "python_known_failures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []knownFailure
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("parsing python_known_failures.json: %v", err)
	}
	known := make(map[string]knownFailure, len(list))
	for _, k := range list {
		if k.ID == "" || k.Reason == "" {
			t.Fatalf("python_known_failures.json: entry %+v needs an id and a reason", k)
		}
		known[k.ID] = k
	}
	return known
}

// runCase runs the executor on the case as upstream's test does and returns the Z22.
func runCase(t *testing.T, dir string, c evalCase) (any, error) {
	t.Helper()
	var stdout, stderr string
	var err error
	if c.ExecutorMode == "main" {
		stdin := ""
		if c.Stdin != nil {
			stdin = *c.Stdin
		} else {
			stdin = string(c.Request) + "\n"
		}
		stdout, stderr, err = runPython(t, dir, stdin, filepath.Join(dir, ExecutorModule+".py"))
	} else {
		script := pythonScript(dir, "out(ex.execute(json.loads(sys.stdin.read())))\n")
		stdout, stderr, err = runPython(t, dir, string(c.Request), "-c", script)
	}
	if err != nil {
		return nil, errors.New("python failed: " + err.Error() + ": " + stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1 {
		return nil, errors.New("want one JSON line on stdout, got: " + stdout)
	}
	var z22 any
	if err := json.Unmarshal([]byte(lines[0]), &z22); err != nil {
		return nil, errors.New("stdout is not JSON: " + err.Error() + ": " + stdout)
	}
	return z22, nil
}

func refID(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if x["Z1K1"] == "Z9" {
			s, _ := x["Z9K1"].(string)
			return s
		}
	}
	return ""
}

func isVoid(v any) bool { return refID(v) == "Z24" }

// isZMap reports whether v's type is Z883(...) in normal form.
func isZMap(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	t, ok := m["Z1K1"].(map[string]any)
	return ok && refID(t["Z1K1"]) == "Z7" && refID(t["Z7K1"]) == "Z883"
}

// getError is upstream's getError: the "errors" entry of the Z22K2 map, or Z24.
func getError(z22 any) any {
	m, _ := z22.(map[string]any)
	meta, _ := m["Z22K2"].(map[string]any)
	tail, _ := meta["K1"].(map[string]any)
	for tail != nil && tail["K1"] != nil {
		entry, _ := tail["K1"].(map[string]any)
		key := entry["K1"]
		if km, ok := key.(map[string]any); ok {
			key = km["Z6K1"]
		}
		if key == "errors" {
			return entry["K2"]
		}
		tail, _ = tail["K2"].(map[string]any)
	}
	return "Z24"
}

// compareCase applies the README's compare rule for the case kind; "" means a match.
func compareCase(c evalCase, got any) string {
	gotM, _ := got.(map[string]any)
	wantM, _ := c.Expected.Z22.(map[string]any)
	if gotM == nil {
		return "answer is not an object"
	}
	metaOK := isVoid(gotM["Z22K2"]) || isZMap(gotM["Z22K2"])
	if c.Kind == "integration" {
		if !reflect.DeepEqual(gotM["Z22K1"], wantM["Z22K1"]) {
			return "Z22K1 = " + jsonText(gotM["Z22K1"]) + ", want " + jsonText(wantM["Z22K1"])
		}
		ge, we := getError(got), getError(c.Expected.Z22)
		if isVoid(ge) && isVoid(we) {
			ge, we = "Z24", "Z24"
		}
		if !reflect.DeepEqual(ge, we) {
			return "getError = " + jsonText(ge) + ", want " + jsonText(we)
		}
		if !metaOK {
			return "Z22K2 is neither void nor a map: " + jsonText(gotM["Z22K2"])
		}
		return ""
	}
	if g, w := corpus.WithoutZ1K1(got), corpus.WithoutZ1K1(c.Expected.Z22); !reflect.DeepEqual(g, w) {
		return "without Z1K1s: got " + jsonText(g) + ", want " + jsonText(w)
	}
	if c.ExecutorMode == "execute" && !metaOK {
		return "Z22K2 is neither void nor a map: " + jsonText(gotM["Z22K2"])
	}
	return ""
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 600 {
		return string(b[:600]) + "..."
	}
	return string(b)
}

// TestPythonConformance runs the Wikifunctions evaluator cases for Python through the executor
// and compares the answers as the conformance README says. Failures must be listed, with a
// reason, in testdata/python_known_failures.json.
func TestPythonConformance(t *testing.T) {
	cases := pythonCases(t)
	known := loadKnownFailures(t)
	dir := executorDir(t)
	type outcome struct {
		id, name, problem string
	}
	results := make([]outcome, len(cases))
	t.Run("cases", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.ID, func(t *testing.T) {
				t.Parallel()
				got, err := runCase(t, dir, c)
				problem := ""
				if err != nil {
					problem = err.Error()
				} else {
					problem = compareCase(c, got)
				}
				results[i] = outcome{c.ID, c.Name, problem}
				k, listed := known[c.ID]
				switch {
				case problem != "" && !listed:
					t.Errorf("%s (%s): %s", c.ID, c.Name, problem)
				case problem != "" && listed:
					t.Logf("%s: known failure (%s): %s", c.ID, k.Reason, problem)
				case listed && !k.InterpreterSpecific:
					t.Errorf("%s (%s) passes now: remove it from testdata/python_known_failures.json", c.ID, c.Name)
				case listed:
					t.Logf("%s (%s) passes with %s: it is listed as an interpreter-specific failure", c.ID, c.Name, pythonBin())
				}
			})
		}
	})
	pass := 0
	var failed []string
	for _, r := range results {
		if r.problem == "" {
			pass++
		} else {
			failed = append(failed, r.id)
		}
	}
	sort.Strings(failed)
	for id := range known {
		found := false
		for _, c := range cases {
			found = found || c.ID == id
		}
		if !found {
			t.Errorf("python_known_failures.json lists %s, which is not a Python case", id)
		}
	}
	t.Logf("Python executor conformance with %s: %d/%d pass (%.1f%%); failing: %v",
		pythonBin(), pass, len(cases), 100*float64(pass)/float64(len(cases)), failed)
}

// javaScriptTwins are Python ports of the javascript-executor cases' code. Run on those cases'
// arguments, they must give the same answers (compared as executor cases): the two upstream
// executors convert values alike, so these cover lists of lists, maps and user-defined types.
var javaScriptTwins = map[string]string{
	"eval-035": "def Z1000(Z1000K1):\n\treturn list(reversed(Z1000K1))",
	"eval-037": "def Z1000(Z1000K1):\n\treturn [[Z1000K1, 'element[0][1]']]",
	"eval-038": "def Z1000(Z1000K1):\n\treturn [[Z1000K1, 'element[0][1]']]",
	"eval-039": "def Z1000(Z1000K1):\n\treturn Z1000K1.K2.K1",
	"eval-041": "def Z1802(Z1802K1, Z1802K2):\n\treturn {Z1802K2: str(Z1802K1[Z1802K2]).lower()}",
	"eval-042": "def Z1000(Z1000K1):\n\treturn Z1000K1",
	"eval-044": "def Z1000():\n\treturn None",
}

func TestJavaScriptTwins(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(conformanceDir, "evaluator", "public_cases.json"))
	if err != nil {
		t.Fatalf("conformance data: %v", err)
	}
	var file struct {
		Cases []evalCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	dir := executorDir(t)
	found := 0
	for _, c := range file.Cases {
		code, ok := javaScriptTwins[c.ID]
		if !ok {
			continue
		}
		found++
		t.Run(c.ID, func(t *testing.T) {
			t.Parallel()
			var req map[string]any
			if err := json.Unmarshal(c.Request, &req); err != nil {
				t.Fatal(err)
			}
			req["codeString"] = code
			b, _ := json.Marshal(req)
			c.Request = b
			c.ExecutorMode = "execute"
			got, err := runCase(t, dir, c)
			if err != nil {
				t.Fatal(err)
			}
			if problem := compareCase(c, got); problem != "" {
				t.Errorf("%s (%s) in Python: %s", c.ID, c.Name, problem)
			}
		})
	}
	if found != len(javaScriptTwins) {
		t.Fatalf("found %d of the %d JavaScript cases", found, len(javaScriptTwins))
	}
}
