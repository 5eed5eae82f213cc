package tester_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/tester"
)

// The function under test: Z10001 "Is empty string" (Z6 → Z40), its testers Z10101 ("" is
// empty) and Z10102 ("x" is not), and implementations of every kind, right and wrong.
const function = `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z10001"},"Z2K2":{"Z1K1":"Z8",
	"Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"Z10001K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],
	"Z8K2":"Z40","Z8K3":["Z20",%s],"Z8K4":["Z14",%s],"Z8K5":"Z10001"},
	"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Is empty string"}]}}`

func testerObject(zid, input string, want bool) string {
	b := "Z42"
	if want {
		b = "Z41"
	}
	return fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":{"Z1K1":"Z20","Z20K1":"Z10001",
	"Z20K2":{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":%q},
	"Z20K3":{"Z1K1":"Z7","Z7K1":"Z844","Z844K2":{"Z1K1":"Z40","Z40K1":%q}}},
	"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":%q}]}}`, zid, input, b, "tester "+zid)
}

func persistent(zid, value string) string {
	return fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":%s,"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`, zid, value)
}

func code(zid, lang, src string) string {
	s, _ := json.Marshal(src)
	return persistent(zid, fmt.Sprintf(`{"Z1K1":"Z14","Z14K1":"Z10001","Z14K3":{"Z1K1":"Z16","Z16K1":{"Z1K1":"Z61","Z61K1":%q},"Z16K2":%s}}`, lang, s))
}

const compositionValue = `{"Z1K1":"Z14","Z14K1":"Z10001","Z14K2":{"Z1K1":"Z7","Z7K1":"Z866","Z866K1":{"Z1K1":"Z18","Z18K1":"Z10001K1"},"Z866K2":""}}`

// Implementations, by ZID.
var implementations = map[string]string{
	"Z10201": persistent("Z10201", compositionValue),
	"Z10202": code("Z10202", "javascript", "function Z10001(Z10001K1) {\n\treturn Z10001K1 === '';\n}\n"),
	"Z10203": code("Z10203", "javascript", "function Z10001(Z10001K1) {\n\treturn Z10001K1 !== '';\n}\n"), // wrong
	"Z10204": code("Z10204", "python", "def Z10001(Z10001K1):\n    return len(Z10001K1) == 0\n"),
	"Z10205": code("Z10205", "python", "def Z10001(Z10001K1):\n    raise ValueError('not today')\n"),                                      // fails
	"Z10206": code("Z10206", "javascript", "function Z10001(Z10001K1) {\n\treturn Z10001K1.length === 0 ? true : Z10001K1 === 'x';\n}\n"), // half wrong
}

// kinds are the implementations' kinds as Report names them.
var kinds = map[string]string{
	"Z10201": tester.KindComposition, "Z10202": "javascript", "Z10203": "javascript",
	"Z10204": "python", "Z10205": "python", "Z10206": "javascript", "Z8K4[1]": tester.KindComposition,
}

type env struct {
	orch *orchestrator.Orchestrator
	lib  tester.StoreLibrary
	ev   *evaluator.Evaluator
}

// newEnv stores the function with the given Z8K3 and Z8K4 items (JSON), the testers Z10101
// and Z10102, the stored implementations and the extra objects, and starts an orchestrator with the real evaluator.
func newEnv(t *testing.T, testers, impls string, stored []string, extra ...string) env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "zeval.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	docs := []string{fmt.Sprintf(function, testers, impls), testerObject("Z10101", "", true), testerObject("Z10102", "x", false)}
	for _, zid := range stored {
		docs = append(docs, implementations[zid])
	}
	docs = append(docs, extra...)
	for _, d := range docs {
		if _, err := st.Put(ctx, "", []byte(d), store.Edit{Author: "test"}); err != nil {
			t.Fatalf("Put(%s): %v", d, err)
		}
	}
	ev, err := evaluator.New(evaluator.Config{CallTimeout: 2 * time.Minute, MinIdle: 1})
	if err != nil {
		t.Fatalf("evaluator (needs the python3 kernelspec, ipykernel): %v", err)
	}
	t.Cleanup(ev.Close)
	lib := tester.StoreLibrary{Store: st}
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev), orchestrator.WithTimeout(5*time.Minute))
	ev.SetCaller(orch.Call)
	return env{orch, lib, ev}
}

// outcome is what a case expects of one implementation.
type outcome struct {
	passed, failed int
	withError      bool     // the failures carry a Z5 (the code failed), not a wrong value
	failing        []string // when set, exactly the testers that fail
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		testers string   // Z8K3 items
		impls   string   // Z8K4 items
		stored  []string // implementations in the store
		extra   []string // other objects in the store
		want    map[string]outcome
		last    string // the implementation that must be ranked last
	}{
		{
			name: "all right", testers: `"Z10101","Z10102"`, impls: `"Z10201","Z10202","Z10204"`,
			stored: []string{"Z10201", "Z10202", "Z10204"},
			want:   map[string]outcome{"Z10201": {passed: 2}, "Z10202": {passed: 2}, "Z10204": {passed: 2}},
		},
		{
			name: "a wrong implementation is ranked last", testers: `"Z10101","Z10102"`, impls: `"Z10203","Z10201","Z10202"`,
			stored: []string{"Z10201", "Z10202", "Z10203"},
			want:   map[string]outcome{"Z10203": {failed: 2}, "Z10201": {passed: 2}, "Z10202": {passed: 2}},
			last:   "Z10203",
		},
		{
			name: "code that raises reports its error", testers: `"Z10101","Z10102"`, impls: `"Z10205","Z10204"`,
			stored: []string{"Z10204", "Z10205"},
			want:   map[string]outcome{"Z10205": {failed: 2, withError: true}, "Z10204": {passed: 2}},
			last:   "Z10205",
		},
		{
			name: "ranked by failures", testers: `"Z10101","Z10102"`, impls: `"Z10203","Z10206","Z10202"`,
			stored: []string{"Z10202", "Z10203", "Z10206"},
			want:   map[string]outcome{"Z10203": {failed: 2}, "Z10206": {passed: 1, failed: 1}, "Z10202": {passed: 2}},
			last:   "Z10203",
		},
		{
			// Z14s and Z20s that name the function are found though it does not list them:
			// testers Z10102 and Z10103, implementations Z10201 and Z10203.
			name: "found by reference", testers: `"Z10101"`, impls: `"Z10202"`,
			stored: []string{"Z10201", "Z10202", "Z10203"},
			extra: []string{persistent("Z10103", `{"Z1K1":"Z20","Z20K1":"Z10001",
				"Z20K2":{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"abc"},
				"Z20K3":{"Z1K1":"Z7","Z7K1":"Z844","Z844K2":{"Z1K1":"Z40","Z40K1":"Z42"}}}`)},
			want: map[string]outcome{"Z10201": {passed: 3}, "Z10202": {passed: 3}, "Z10203": {failed: 3}},
			last: "Z10203",
		},
		{
			// Z10104 calls the function inside Boolean equality, as upstream's Z8021 calls If
			// inside List to string; Z10105 does not call it at all.
			name: "nested call, and a tester that does not call the function", testers: `"Z10104","Z10105"`, impls: `"Z10202","Z10203"`,
			stored: []string{"Z10202", "Z10203"},
			extra: []string{
				persistent("Z10104", `{"Z1K1":"Z20","Z20K1":"Z10001",
				"Z20K2":{"Z1K1":"Z7","Z7K1":"Z844","Z844K1":{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":""},"Z844K2":{"Z1K1":"Z40","Z40K1":"Z41"}},
				"Z20K3":{"Z1K1":"Z7","Z7K1":"Z844","Z844K2":{"Z1K1":"Z40","Z40K1":"Z41"}}}`),
				persistent("Z10105", `{"Z1K1":"Z20","Z20K1":"Z10001",
				"Z20K2":{"Z1K1":"Z7","Z7K1":"Z866","Z866K1":"a","Z866K2":"a"},
				"Z20K3":{"Z1K1":"Z7","Z7K1":"Z844","Z844K2":{"Z1K1":"Z40","Z40K1":"Z41"}}}`),
			},
			// Z10101 and Z10102 are found by reference.
			want: map[string]outcome{"Z10202": {passed: 3, failed: 1, withError: true, failing: []string{"Z10105"}}, "Z10203": {failed: 4, withError: true}},
			last: "Z10203",
		},
		{
			name: "literal implementation", testers: `"Z10101","Z10102"`, impls: compositionValue,
			want: map[string]outcome{"Z8K4[1]": {passed: 2}},
		},
		{
			// Z10199 does not exist; Z10102 is found by reference.
			name: "missing tester fails", testers: `"Z10101","Z10199"`, impls: `"Z10202","Z10203"`,
			stored: []string{"Z10202", "Z10203"},
			want: map[string]outcome{
				"Z10202": {passed: 2, failed: 1, withError: true},
				"Z10203": {failed: 3, withError: true},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.testers, tc.impls, tc.stored, tc.extra...)
			rep, err := tester.Run(context.Background(), e.orch, e.lib, "Z10001", tester.WithSessions(e.ev))
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			if rep.Label != "Is empty string" {
				t.Errorf("Label = %q", rep.Label)
			}
			got := map[string]tester.Implementation{}
			passed, failed := 0, 0
			for i, im := range rep.Implementations {
				got[im.ZID] = im
				if im.Rank != i+1 {
					t.Errorf("%s: Rank = %d at position %d", im.ZID, im.Rank, i)
				}
				if i > 0 && rep.Implementations[i-1].Failed > im.Failed {
					t.Errorf("%s (%d failures) ranked after %s (%d failures)", im.ZID, im.Failed, rep.Implementations[i-1].ZID, rep.Implementations[i-1].Failed)
				}
				passed += im.Passed
				failed += im.Failed
			}
			if len(got) != len(tc.want) {
				t.Errorf("implementations %v, want %d", keys(got), len(tc.want))
			}
			for zid, w := range tc.want {
				im, ok := got[zid]
				if !ok {
					t.Errorf("implementation %s not run", zid)
					continue
				}
				if want := kinds[zid]; im.Kind != want {
					t.Errorf("%s: Kind = %q, want %q", zid, im.Kind, want)
				}
				if im.Passed != w.passed || im.Failed != w.failed {
					t.Errorf("%s: passed %d, failed %d; want %d, %d (%+v)", zid, im.Passed, im.Failed, w.passed, w.failed, im.Results)
				}
				var failing []string
				for _, r := range im.Results {
					if !r.Passed {
						failing = append(failing, r.Tester)
					}
				}
				if w.failing != nil && strings.Join(failing, ",") != strings.Join(w.failing, ",") {
					t.Errorf("%s: failing testers %v, want %v", zid, failing, w.failing)
				}
				for _, r := range im.Results {
					switch {
					case r.Passed && (r.Error != nil || r.Value == nil):
						t.Errorf("%s/%s passed with value %v, error %v", zid, r.Tester, r.Value, r.Error)
					case !r.Passed && w.withError && r.Error == nil && r.Value != nil:
						// A wrong value among errors (the missing-tester case mixes them).
					case !r.Passed && !w.withError && (r.Error != nil || r.Value == nil):
						t.Errorf("%s/%s: failed with error %v, want a wrong value", zid, r.Tester, r.Error)
					}
				}
			}
			if tc.last != "" {
				if n := len(rep.Implementations); n == 0 || rep.Implementations[n-1].ZID != tc.last {
					t.Errorf("ranked last: %v, want %s", keys(got), tc.last)
				}
			}
			if rep.Passed != passed || rep.Failed != failed {
				t.Errorf("report counts %d/%d, implementations' %d/%d", rep.Passed, rep.Failed, passed, failed)
			}
			if rep.OK() != (failed == 0) {
				t.Errorf("OK() = %v with %d failures", rep.OK(), failed)
			}
		})
	}
}

func keys(m map[string]tester.Implementation) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestRunErrors covers what is not a result: a ZID that is no function, or none at all.
func TestRunErrors(t *testing.T) {
	e := newEnv(t, `"Z10101"`, `"Z10202"`, []string{"Z10202"})
	tests := []struct {
		zid  string
		want error
	}{
		{"Z10101", tester.ErrNotFunction},
		{"Z10999", orchestrator.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.zid, func(t *testing.T) {
			_, err := tester.Run(context.Background(), e.orch, e.lib, tc.zid)
			if !errors.Is(err, tc.want) {
				t.Errorf("Run(%s) = %v, want %v", tc.zid, err, tc.want)
			}
		})
	}
}

// TestRunBuiltin runs a built-in function's testers: none are stored, so its one
// implementation has no results, and the report is not OK.
func TestRunBuiltin(t *testing.T) {
	e := newEnv(t, `"Z10101"`, `"Z10202"`, []string{"Z10202"})
	rep, err := tester.Run(context.Background(), e.orch, e.lib, "Z866")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Implementations) != 1 || rep.Implementations[0].Kind != tester.KindBuiltIn || rep.OK() {
		t.Errorf("Run(Z866) = %+v, want one built-in implementation and not OK", rep)
	}
}

func TestRank(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		impls []tester.Implementation
		want  []string
	}{
		{"failures first", []tester.Implementation{{ZID: "A", Failed: 1, Duration: ms}, {ZID: "B", Failed: 0, Duration: 9 * ms}}, []string{"B", "A"}},
		{"then speed", []tester.Implementation{{ZID: "A", Duration: 5 * ms}, {ZID: "B", Duration: 2 * ms}, {ZID: "C", Failed: 2}}, []string{"B", "A", "C"}},
		{"ties keep order", []tester.Implementation{{ZID: "A", Duration: ms}, {ZID: "B", Duration: ms}}, []string{"A", "B"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tester.Rank(tc.impls)
			for i, im := range tc.impls {
				if im.ZID != tc.want[i] || im.Rank != i+1 {
					t.Errorf("Rank: position %d holds %s rank %d, want %s rank %d", i, im.ZID, im.Rank, tc.want[i], i+1)
				}
			}
		})
	}
}

func TestRunAll(t *testing.T) {
	e := newEnv(t, `"Z10101","Z10102"`, `"Z10202","Z10203"`, []string{"Z10202", "Z10203"})
	tests := []struct {
		name    string
		zids    []string
		jobs    int
		wantErr error
	}{
		{"one at a time", []string{"Z10001", "Z866", "Z10001"}, 1, nil},
		{"concurrently", []string{"Z10001", "Z866", "Z10001", "Z10001"}, 3, nil},
		{"jobs below one", []string{"Z10001"}, 0, nil},
		{"none", nil, 2, nil},
		{"an error", []string{"Z10001", "Z10999", "Z10001"}, 2, orchestrator.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			done := map[string]int{}
			reports, err := tester.RunAll(context.Background(), e.orch, e.lib, tc.zids, tc.jobs, tester.WithSessions(e.ev),
				tester.WithDone(func(r tester.Report) {
					mu.Lock()
					done[r.Function]++
					mu.Unlock()
				}))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("RunAll = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(reports) != len(tc.zids) {
				t.Fatalf("RunAll returned %d reports for %d functions", len(reports), len(tc.zids))
			}
			for i, r := range reports {
				if r.Function != tc.zids[i] {
					t.Errorf("report %d is of %s, want %s", i, r.Function, tc.zids[i])
				}
				if r.Function == "Z10001" && (r.Passed != 2 || r.Failed != 2 || r.Implementations[1].ZID != "Z10203") {
					t.Errorf("report of Z10001: %d passed, %d failed, ranking %+v; want 2, 2, Z10203 last", r.Passed, r.Failed, r.Implementations)
				}
				done[r.Function]--
			}
			for zid, n := range done {
				if n != 0 {
					t.Errorf("WithDone saw %s %d times more than RunAll returned it", zid, n)
				}
			}
		})
	}
}
