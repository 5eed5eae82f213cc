package js

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/corpus"
	z "github.com/zeval/zeval/internal/zobject"
)

// corpusDir is the shared Wikifunctions conformance corpus, relative to this package.
const corpusDir = "../../../shared/conformance/wikifunctions"

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
		Kind            string          `json:"kind"`
		Z22             json.RawMessage `json:"z22"`
		MessageContains string          `json:"message_contains"`
	} `json:"expected"`
}

// jsCases returns the JavaScript cases of the public evaluator corpus: every
// javascript-executor case and every integration case whose implementation is JavaScript.
func jsCases(t *testing.T) []evalCase {
	t.Helper()
	path := filepath.Join(corpusDir, "evaluator", "public_cases.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the conformance corpus is missing: %v (expected at %s, beside the repository)", err, path)
	}
	var file struct {
		Cases []evalCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var out []evalCase
	for _, c := range file.Cases {
		isJS := c.Suite == "javascript-executor" ||
			(c.Kind == "integration" && c.Language != nil && *c.Language == "javascript" && len(c.Request) > 0 && string(c.Request) != "null")
		if isJS {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no JavaScript cases in %s", path)
	}
	return out
}

func loadKnownFailures(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "known_failures.json"))
	if err != nil {
		t.Fatalf("reading known failures: %v", err)
	}
	var known map[string]string
	if err := json.Unmarshal(data, &known); err != nil {
		t.Fatalf("testdata/known_failures.json: %v", err)
	}
	return known
}

// TestConformance runs the public JavaScript evaluator cases and compares results as the
// corpus README says. A failure not listed in testdata/known_failures.json fails the test,
// and so does a listed case that passes (the list must stay true).
func TestConformance(t *testing.T) {
	cases := jsCases(t)
	known := loadKnownFailures(t)
	passed := 0
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			problem := runCase(t, c)
			reason, listed := known[c.ID]
			switch {
			case problem == "" && listed:
				t.Errorf("%s (%s) passes but is listed in known_failures.json (%s): remove it", c.ID, c.Name, reason)
			case problem == "":
				passed++
			case listed:
				t.Logf("%s (%s): known failure: %s\n%s", c.ID, c.Name, reason, problem)
			default:
				t.Errorf("%s (%s): %s", c.ID, c.Name, problem)
			}
		})
	}
	t.Logf("JavaScript conformance: %d of %d public cases pass", passed, len(cases))
	fmt.Printf("js conformance: %d passed, %d failed\n", passed, len(cases)-passed)
}

// runCase runs one case and returns what is wrong with the result ("" when it passes).
func runCase(t *testing.T, c evalCase) string {
	t.Helper()
	request := []byte(c.Request)
	if c.ExecutorMode == "main" && c.Stdin != nil {
		request = []byte(strings.TrimSpace(*c.Stdin))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	got, err := Execute(ctx, request, nil)
	if err != nil {
		return fmt.Sprintf("Execute: platform error %v", err)
	}
	actual := decodeJSON(t, got.NormalJSON())
	z22 := got
	switch {
	case c.Kind == "executor":
		want := decodeJSON(t, c.Expected.Z22)
		if a, w := corpus.WithoutZ1K1(actual), corpus.WithoutZ1K1(want); !reflect.DeepEqual(a, w) {
			return fmt.Sprintf("result without Z1K1s = %s, want %s", mustJSON(a), mustJSON(w))
		}
		if c.ExecutorMode == "execute" {
			if m := z22.Get("Z22K2"); !z.IsVoid(m) && !z.IsMap(m) {
				return fmt.Sprintf("Z22K2 = %s, want void or a ZMap", m.NormalJSON())
			}
		}
	case c.Expected.Kind == "z22":
		wantObj, perr := z.Parse(c.Expected.Z22)
		if perr != nil {
			t.Fatalf("expected Z22: %v", perr)
		}
		if a, w := decodeJSON(t, z22.Get("Z22K1").NormalJSON()), decodeJSON(t, wantObj.Get("Z22K1").NormalJSON()); !reflect.DeepEqual(a, w) {
			return fmt.Sprintf("Z22K1 = %s, want %s", mustJSON(a), mustJSON(w))
		}
		if a, w := z.EnvelopeError(z22).NormalJSON(), z.EnvelopeError(wantObj).NormalJSON(); string(a) != string(w) {
			return fmt.Sprintf("getError = %s, want %s", a, w)
		}
		if m := z22.Get("Z22K2"); !z.IsVoid(m) && !z.IsMap(m) {
			return fmt.Sprintf("Z22K2 = %s, want void or a ZMap", m.NormalJSON())
		}
	case c.Expected.Kind == "error":
		if !z.IsVoid(z22.Get("Z22K1")) {
			return fmt.Sprintf("Z22K1 = %s, want void", z22.Get("Z22K1").NormalJSON())
		}
		// Z22K2.K1.K1.K2.Z5K2.Z6K1: the Z5 of the first metadata entry, in normal form.
		msg, ok := corpus.Dig(actual, "Z22K2", "K1", "K1", "K2", "Z5K2", "Z6K1").(string)
		if !ok {
			return fmt.Sprintf("no error message at Z22K2.K1.K1.K2.Z5K2.Z6K1 in %s", got.NormalJSON())
		}
		if !strings.Contains(msg, c.Expected.MessageContains) {
			return fmt.Sprintf("error message %q does not contain %q", msg, c.Expected.MessageContains)
		}
	default:
		return "unknown expectation kind " + c.Expected.Kind
	}
	return ""
}

func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestKnownFailuresAreCases keeps known_failures.json free of stale IDs.
func TestKnownFailuresAreCases(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range jsCases(t) {
		ids[c.ID] = true
	}
	var stale []string
	for id := range loadKnownFailures(t) {
		if !ids[id] {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("known_failures.json lists cases that are not JavaScript cases: %v", stale)
	}
}

// TestConformanceComparisonFails checks the comparison can fail: each kind of case, given a
// wrong expectation, is reported.
func TestConformanceComparisonFails(t *testing.T) {
	add := `{"codeString":"function Z1000(a, b) { return a + b; }","functionName":"Z1000","functionArguments":{"Z1000K1":"5","Z1000K2":"8"}}`
	wrongZ22 := json.RawMessage(`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z22"},"Z22K1":{"Z1K1":"Z6","Z6K1":"13"},"Z22K2":{"Z1K1":"Z9","Z9K1":"Z24"}}`)
	tests := []struct {
		name string
		c    evalCase
	}{
		{"executor", evalCase{ID: "x1", Kind: "executor", ExecutorMode: "execute", Request: json.RawMessage(add)}},
		{"integration z22", evalCase{ID: "x2", Kind: "integration", Request: json.RawMessage(add)}},
		{"integration error", evalCase{ID: "x3", Kind: "integration", Request: json.RawMessage(add)}},
	}
	tests[0].c.Expected.Kind, tests[0].c.Expected.Z22 = "z22", wrongZ22
	tests[1].c.Expected.Kind, tests[1].c.Expected.Z22 = "z22", wrongZ22
	tests[2].c.Expected.Kind, tests[2].c.Expected.MessageContains = "error", "anything"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if problem := runCase(t, tc.c); problem == "" {
				t.Errorf("runCase with a wrong expectation passed (the result is \"58\")")
			}
		})
	}
}
