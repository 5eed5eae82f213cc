package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/library"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/tester"
)

// libraryFixture is a store holding the demo library and an orchestrator over it that runs
// JavaScript (embedded) but no Python, so a function with both has one passing and one
// failing implementation.
type libraryFixture struct {
	store   *store.Store
	orch    *orchestrator.Orchestrator
	ev      *evaluator.Evaluator
	handler http.Handler // the library API alone
}

func newLibraryFixture(t testing.TB) *libraryFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Memory, store.WithValidator(testValidator()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := library.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	ev, err := evaluator.New(evaluator.Config{NoPython: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ev.Close)
	orch := orchestrator.New(tester.StoreLibrary{Store: st}, orchestrator.WithEvaluator(ev))
	ev.SetCaller(orch.Call)
	return &libraryFixture{store: st, orch: orch, ev: ev,
		handler: NewLibraryHandler(st, orch, WithLibraryEvaluator(ev))}
}

func (f *libraryFixture) generation(t testing.TB) int64 {
	t.Helper()
	g, err := f.store.Generation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestFunctionsList(t *testing.T) {
	f := newLibraryFixture(t)
	tests := []struct {
		name       string
		target     string
		wantStatus int
		wantFirst  string   // ZID of the first function
		want       []string // ZIDs that must be listed
		wantNot    []string // ZIDs that must not
		wantLen    int      // exact count when > 0
		wantNext   string
	}{
		{name: "all", target: "/v1/functions?limit=1000", wantStatus: 200, want: []string{"Z801", "Z10001", "Z10056"}, wantNot: []string{"Z11001", "Z6"}},
		{name: "slash", target: "/v1/functions/?limit=1000", wantStatus: 200, want: []string{"Z801"}},
		{name: "search by label", target: "/v1/functions?q=title+CASE", wantStatus: 200, want: []string{"Z10003"}, wantLen: 1},
		{name: "search by ZID", target: "/v1/functions?q=z1005", wantStatus: 200, want: []string{"Z10050", "Z10056"}, wantNot: []string{"Z10001"}},
		{name: "search without hits", target: "/v1/functions?q=no+such+function", wantStatus: 200, wantLen: -1},
		{name: "page", target: "/v1/functions?after=Z10050&limit=3", wantStatus: 200, wantFirst: "Z10051", wantLen: 3, wantNext: "Z10053"},
		{name: "search after", target: "/v1/functions?after=Z10054&q=Z1005", wantStatus: 200, wantFirst: "Z10055", wantNot: []string{"Z10054", "Z10001"}},
		{name: "after the last", target: "/v1/functions?after=Z99999999", wantStatus: 200, wantLen: -1},
		{name: "bad limit", target: "/v1/functions?limit=0", wantStatus: 400},
		{name: "limit too large", target: "/v1/functions?limit=5000", wantStatus: 400},
		{name: "bad after", target: "/v1/functions?after=x", wantStatus: 400},
		{name: "unknown parameter", target: "/v1/functions?type=Z8", wantStatus: 400},
		{name: "repeated parameter", target: "/v1/functions?q=a&q=b", wantStatus: 400},
		{name: "long query", target: "/v1/functions?q=" + strings.Repeat("a", 300), wantStatus: 400},
		{name: "wrong method", target: "/v1/functions", wantStatus: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.wantStatus == 405 {
				method = "DELETE"
			}
			rec := do(t, f.handler, objRequest{method: method, target: tc.target})
			if rec.Code != tc.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", method, tc.target, rec.Code, rec.Body, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				if msg, _ := errorBody(t, rec); msg == "" {
					t.Error("error without a message")
				}
				return
			}
			var got FunctionList
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			listed := map[string]FunctionEntry{}
			for _, e := range got.Functions {
				listed[e.ZID] = e
			}
			for _, zid := range tc.want {
				if _, ok := listed[zid]; !ok {
					t.Errorf("%s not listed", zid)
				}
			}
			for _, zid := range tc.wantNot {
				if _, ok := listed[zid]; ok {
					t.Errorf("%s listed", zid)
				}
			}
			switch {
			case tc.wantLen > 0 && len(got.Functions) != tc.wantLen:
				t.Errorf("%d functions %+v, want %d", len(got.Functions), got.Functions, tc.wantLen)
			case tc.wantLen < 0 && len(got.Functions) != 0:
				t.Errorf("%d functions, want none", len(got.Functions))
			}
			if tc.wantFirst != "" && (len(got.Functions) == 0 || got.Functions[0].ZID != tc.wantFirst) {
				t.Errorf("first = %+v, want %s", got.Functions, tc.wantFirst)
			}
			if got.Next != tc.wantNext {
				t.Errorf("next = %q, want %q", got.Next, tc.wantNext)
			}
			if e, ok := listed["Z10003"]; ok && (e.Label != "Title case" || e.Revision != 1 || e.BuiltIn) {
				t.Errorf("Z10003 = %+v", e)
			}
			if e, ok := listed["Z801"]; ok && !e.BuiltIn {
				t.Errorf("Z801 = %+v, want built-in", e)
			}
			for i := 1; i < len(got.Functions); i++ {
				if !zidLess(got.Functions[i-1].ZID, got.Functions[i].ZID) {
					t.Fatalf("not in ZID order: %s before %s", got.Functions[i-1].ZID, got.Functions[i].ZID)
				}
			}
		})
	}
}

func TestFunctionGet(t *testing.T) {
	f := newLibraryFixture(t)
	tests := []struct {
		name       string
		zid        string
		wantStatus int
		wantImpls  map[string]string // ZID -> kind
		wantTester bool
	}{
		{name: "code in two languages", zid: "Z10006", wantStatus: 200,
			wantImpls: map[string]string{"Z11008": "python", "Z11009": "javascript"}, wantTester: true},
		{name: "composition", zid: "Z10013", wantStatus: 200, wantImpls: map[string]string{"Z11017": "composition"}, wantTester: true},
		{name: "built-in", zid: "Z801", wantStatus: 200},
		{name: "not a function", zid: "Z11001", wantStatus: 422},
		{name: "unknown", zid: "Z99999", wantStatus: 404},
		{name: "not a ZID", zid: "abc", wantStatus: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, f.handler, objRequest{method: "GET", target: "/v1/functions/" + tc.zid})
			if rec.Code != tc.wantStatus {
				t.Fatalf("GET %s = %d %s, want %d", tc.zid, rec.Code, rec.Body, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				return
			}
			var got FunctionDetail
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.ZID != tc.zid || !json.Valid(got.Function) || !strings.Contains(string(got.Function), `"Z8"`) {
				t.Errorf("detail = %s", rec.Body)
			}
			kinds := map[string]string{}
			for _, m := range got.Implementations {
				kinds[m.ZID] = m.Kind
				if m.ZID[0] == 'Z' && len(m.Object) == 0 && len(m.Error) == 0 {
					t.Errorf("implementation %s has neither object nor error", m.ZID)
				}
			}
			for zid, kind := range tc.wantImpls {
				if kinds[zid] != kind {
					t.Errorf("implementation %s kind = %q, want %q (all: %v)", zid, kinds[zid], kind, kinds)
				}
			}
			if tc.wantTester && len(got.Testers) == 0 {
				t.Error("no testers")
			}
			for _, m := range got.Testers {
				if len(m.Object) == 0 || m.Label == "" {
					t.Errorf("tester %+v lacks its object or label", m)
				}
			}
		})
	}
}

func TestFunctionTest(t *testing.T) {
	f := newLibraryFixture(t)
	t.Run("ranked by failures", func(t *testing.T) {
		rec := do(t, f.handler, objRequest{method: "POST", target: "/v1/functions/Z10006/test"})
		if rec.Code != 200 {
			t.Fatalf("status %d %s", rec.Code, rec.Body)
		}
		var rep TestReport
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.OK || rep.Function != "Z10006" || len(rep.Testers) == 0 || len(rep.Implementations) != 2 {
			t.Fatalf("report = %s", rec.Body)
		}
		first, second := rep.Implementations[0], rep.Implementations[1]
		if first.ZID != "Z11009" || first.Rank != 1 || first.Failed != 0 || first.Passed != len(rep.Testers) {
			t.Errorf("first = %+v, want the JavaScript implementation passing every tester", first)
		}
		if second.ZID != "Z11008" || second.Rank != 2 || second.Failed != len(rep.Testers) {
			t.Errorf("second = %+v, want the Python one (no Python here) failing every tester", second)
		}
		for _, r := range first.Results {
			if !r.Passed || r.Duration <= 0 {
				t.Errorf("result %+v: want passed with a duration", r)
			}
		}
	})
	t.Run("all pass", func(t *testing.T) {
		rec := do(t, f.handler, objRequest{method: "POST", target: "/v1/functions/Z10013/test", body: `{"timeoutMs": 60000}`})
		var rep TestReport
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || rec.Code != 200 || !rep.OK {
			t.Fatalf("status %d %s, want 200 and ok", rec.Code, rec.Body)
		}
	})
	before := f.generation(t)
	bad := []struct {
		name, target, method, body string
		want                       int
	}{
		{"malformed JSON", "/v1/functions/Z10013/test", "POST", `{"timeoutMs":`, 400},
		{"unknown field", "/v1/functions/Z10013/test", "POST", `{"timeout": 5}`, 400},
		{"wrong type", "/v1/functions/Z10013/test", "POST", `{"timeoutMs": "5s"}`, 400},
		{"negative timeout", "/v1/functions/Z10013/test", "POST", `{"timeoutMs": -1}`, 400},
		{"huge timeout", "/v1/functions/Z10013/test", "POST", `{"timeoutMs": 99999999999}`, 400},
		{"two values", "/v1/functions/Z10013/test", "POST", `{} {}`, 400},
		{"array", "/v1/functions/Z10013/test", "POST", `[]`, 400},
		{"oversized", "/v1/functions/Z10013/test", "POST", `{"timeoutMs": 1` + strings.Repeat(" ", 5000) + `}`, 413},
		{"not a function", "/v1/functions/Z11001/test", "POST", ``, 422},
		{"unknown function", "/v1/functions/Z99999/test", "POST", ``, 404},
		{"not a ZID", "/v1/functions/Z0/test", "POST", ``, 400},
		{"GET", "/v1/functions/Z10013/test", "GET", ``, 405},
		{"unknown route", "/v1/functions/Z10013/run", "POST", ``, 404},
		{"PUT on a function", "/v1/functions/Z10013", "PUT", `{}`, 405},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, f.handler, objRequest{method: tc.method, target: tc.target, body: tc.body})
			if rec.Code != tc.want {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.target, rec.Code, rec.Body, tc.want)
			}
			if msg, z5 := errorBody(t, rec); msg == "" || z5 == "" {
				t.Errorf("error body %s lacks a message or a Z5", rec.Body)
			}
		})
	}
	if after := f.generation(t); after != before {
		t.Errorf("store generation %d -> %d: bad requests wrote something", before, after)
	}
}

func TestLibraryWithoutStore(t *testing.T) {
	h := NewLibraryHandler(nil, orchestrator.New(nil))
	rec := do(t, h, objRequest{method: "GET", target: "/v1/functions?q=echo"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"Z801"`) {
		t.Errorf("list = %d %s, want Z801", rec.Code, rec.Body)
	}
	rec = do(t, h, objRequest{method: "GET", target: "/v1/functions/Z10001"})
	if rec.Code != 404 {
		t.Errorf("stored function without a store = %d, want 404", rec.Code)
	}
}

// FuzzTestRequest: any body of a test run is decoded or refused with 400 or 413, never a
// panic; the function does not exist, so nothing runs.
func FuzzTestRequest(f *testing.F) {
	for _, s := range []string{"", "{}", `{"timeoutMs":10}`, `{"timeoutMs":-1}`, `{"x":1}`, "[", `{"timeoutMs":1e99}`, "null", "\x00"} {
		f.Add(s)
	}
	st, err := store.Open(context.Background(), store.Memory)
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	h := NewLibraryHandler(st, orchestrator.New(tester.StoreLibrary{Store: st}))
	f.Fuzz(func(t *testing.T, body string) {
		req, msg := decodeTestRequest([]byte(body))
		if msg == "" && (req.TimeoutMs < 0 || req.TimeoutMs > MaxTestTimeout.Milliseconds()) {
			t.Fatalf("accepted timeout %d", req.TimeoutMs)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/functions/Z99999/test", strings.NewReader(body)))
		switch {
		case msg == "" && len(body) <= maxTestBody && rec.Code != 404:
			t.Fatalf("good body %q: %d, want 404", body, rec.Code)
		case msg != "" && rec.Code != 400 && rec.Code != 413:
			t.Fatalf("bad body %q (%s): %d, want 400", body, msg, rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("reply %q is not JSON", rec.Body)
		}
	})
}

// FuzzFunctionsQuery: any query string of the list answers 200 or 400 with JSON.
func FuzzFunctionsQuery(f *testing.F) {
	for _, s := range []string{"q=a", "limit=1&after=Z1", "limit=x", "q=%ff", "after=Z", "q=" + strings.Repeat("a", 300)} {
		f.Add(s)
	}
	h := NewLibraryHandler(nil, orchestrator.New(nil))
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/v1/functions", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if (rec.Code != 200 && rec.Code != 400) || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("?%s: %d %q", query, rec.Code, rec.Body)
		}
	})
}
