package evaluator

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

	"github.com/zeval/zeval/internal/corpus"
	z "github.com/zeval/zeval/internal/zobject"
)

// The evaluator cases of the Wikifunctions corpus, run through the evaluator for real: Python in
// ipykernel over the call channel, JavaScript in the embedded engine.
const casesFile = "../../../shared/conformance/wikifunctions/evaluator/public_cases.json"

type evalCase struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Suite    string `json:"suite"`
	Language string `json:"language"`
	Request  *struct {
		CodeString        *string                    `json:"codeString"`
		FunctionName      *string                    `json:"functionName"`
		FunctionArguments map[string]json.RawMessage `json:"functionArguments"`
	} `json:"request"`
	RequestZ7 *struct {
		ZObject json.RawMessage `json:"zobject"`
	} `json:"request_z7"`
	Expected struct {
		Kind            string          `json:"kind"`
		Z22             json.RawMessage `json:"z22"`
		MessageContains string          `json:"message_contains"`
	} `json:"expected"`
}

type knownFailure struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func TestConformance(t *testing.T) {
	passed, ran := runConformance(t, Config{MinIdle: 2}, "known_failures.json", func(evalCase) bool { return true })
	t.Logf("evaluator conformance: %d/%d cases pass through the evaluator (%.0f%%)", passed, ran, 100*float64(passed)/float64(max(ran, 1)))
	fmt.Printf("evaluator conformance: %d/%d cases pass through the evaluator\n", passed, ran)
}

// runConformance runs the corpus cases that pick selects through an evaluator of cfg, one
// subtest each, against the known failures listed in testdata/knownFile: an unexpected failure
// fails, and so does a listed case that passes. It returns how many ran and passed.
func runConformance(t *testing.T, cfg Config, knownFile string, pick func(evalCase) bool) (passed, ran int) {
	t.Helper()
	raw, err := os.ReadFile(casesFile)
	if err != nil {
		t.Fatalf("the conformance corpus must sit beside the repository (../shared): %v", err)
	}
	var file struct {
		Cases []evalCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	known := map[string]string{}
	kb, err := os.ReadFile(filepath.Join("testdata", knownFile))
	if err != nil {
		t.Fatal(err)
	}
	var kf []knownFailure
	if err := json.Unmarshal(kb, &kf); err != nil {
		t.Fatalf("testdata/%s: %v", knownFile, err)
	}
	for _, k := range kf {
		known[k.ID] = k.Reason
	}

	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)

	var unexpected, fixed []string
	for _, c := range file.Cases {
		if !pick(c) {
			continue
		}
		t.Run(c.ID+" "+c.Name, func(t *testing.T) {
			got, why := runCase(ctx, e, c)
			if why == "not applicable" {
				t.Logf("%s: not a function call (missing codeString or functionName); the executor tests of internal/runtime and internal/js cover it", c.ID)
				return
			}
			ran++
			problem := checkCase(c, got)
			if why != "" {
				problem = why
			}
			reason, isKnown := known[c.ID]
			switch {
			case problem == "" && isKnown:
				passed++
				fixed = append(fixed, c.ID)
			case problem == "":
				passed++
			case isKnown:
				t.Logf("known failure: %s (%s)", problem, reason)
			default:
				unexpected = append(unexpected, c.ID)
				t.Errorf("%s\ngot %s", problem, got)
			}
		})
	}
	if len(fixed) > 0 {
		t.Errorf("cases listed as known failures now pass; remove them from testdata/%s: %v", knownFile, fixed)
	}
	sort.Strings(unexpected)
	if len(unexpected) > 0 {
		t.Errorf("unexpected failures: %v", unexpected)
	}
	return passed, ran
}

// runCase evaluates a case and returns the Z22 as normal JSON.
func runCase(ctx context.Context, e *Evaluator, c evalCase) (json.RawMessage, string) {
	if c.Kind == "integration" {
		if c.RequestZ7 == nil {
			return nil, "not applicable"
		}
		call, err := z.Parse(c.RequestZ7.ZObject)
		if err != nil {
			return nil, "the request does not parse: " + err.Error()
		}
		return e.Serve(ctx, call).NormalJSON(), ""
	}
	r := c.Request
	if r == nil || r.CodeString == nil || r.FunctionName == nil {
		return nil, "not applicable"
	}
	lang, langZID := "python-3", "Z610"
	if strings.HasPrefix(c.Suite, "javascript") {
		lang, langZID = "javascript", "Z600"
	}
	code, _ := json.Marshal(*r.CodeString)
	fn, err := z.Parse([]byte(fmt.Sprintf(`{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z1","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":%q,"Z14K3":{"Z1K1":"Z16","Z16K1":%q,"Z16K2":%s}}],"Z8K5":%q}`,
		*r.FunctionName, langZID, code, *r.FunctionName)))
	if err != nil {
		return nil, err.Error()
	}
	fields := []z.Field{z.KV("Z7K1", fn)}
	keys := make([]string, 0, len(r.FunctionArguments))
	for k := range r.FunctionArguments {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := z.Parse(r.FunctionArguments[k])
		if err != nil {
			return nil, "argument " + k + ": " + err.Error()
		}
		fields = append(fields, z.KV(k, v))
	}
	out, err := e.Evaluate(ctx, lang, z.NewRecord(z.NewRef("Z7"), fields...))
	if err != nil {
		return nil, "platform error: " + err.Error()
	}
	return out.NormalJSON(), ""
}

// checkCase compares as the corpus README says; it returns "" when the case passes.
func checkCase(c evalCase, got json.RawMessage) string {
	var actual map[string]any
	if err := json.Unmarshal(got, &actual); err != nil {
		return "result is not JSON: " + err.Error()
	}
	if c.Expected.Kind == "error" {
		if !isVoidJSON(actual["Z22K1"]) {
			return "Z22K1 is not void"
		}
		msg, ok := corpus.Dig(actual, "Z22K2", "K1", "K1", "K2", "Z5K2", "Z6K1").(string)
		if !ok {
			return "no Z5 message at Z22K2.K1.K1.K2.Z5K2.Z6K1"
		}
		if !strings.Contains(msg, c.Expected.MessageContains) {
			return fmt.Sprintf("error message %q does not contain %q", msg, c.Expected.MessageContains)
		}
		return ""
	}
	var want map[string]any
	if err := json.Unmarshal(c.Expected.Z22, &want); err != nil {
		return "expected Z22 is not JSON"
	}
	if c.Kind == "integration" {
		if !reflect.DeepEqual(actual["Z22K1"], want["Z22K1"]) {
			return "Z22K1 differs"
		}
		if !reflect.DeepEqual(errorOf(actual), errorOf(want)) {
			return "errors differ"
		}
		return ""
	}
	a, w := corpus.WithoutZ1K1(actual["Z22K1"]), corpus.WithoutZ1K1(want["Z22K1"])
	if !reflect.DeepEqual(a, w) {
		return "Z22K1 differs (Z1K1 keys stripped)"
	}
	if !reflect.DeepEqual(corpus.WithoutZ1K1(errorOf(actual)), corpus.WithoutZ1K1(errorOf(want))) {
		return "errors differ (Z1K1 keys stripped)"
	}
	return ""
}

func isVoidJSON(v any) bool {
	switch x := v.(type) {
	case string:
		return x == "Z24"
	case map[string]any:
		if x["Z9K1"] == "Z24" {
			return true
		}
		t, _ := x["Z1K1"].(map[string]any)
		return x["Z1K1"] == "Z21" || t != nil && t["Z9K1"] == "Z21"
	}
	return false
}

// errorOf is upstream's getError on a normal Z22: the value under "errors" in Z22K2, else Z24.
func errorOf(z22 map[string]any) any {
	list := corpus.Dig(z22, "Z22K2", "K1")
	for {
		m, ok := list.(map[string]any)
		if !ok || m["K1"] == nil {
			return map[string]any{"Z1K1": "Z9", "Z9K1": "Z24"}
		}
		pair, _ := m["K1"].(map[string]any)
		if k, _ := corpus.Dig(pair, "K1", "Z6K1").(string); k == "errors" {
			return pair["K2"]
		}
		list = m["K2"]
	}
}
