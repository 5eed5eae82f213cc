package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/orchestrator"
)

const corpusDir = "../../../shared/conformance/wikifunctions"

func newTestServer(t *testing.T, opts ...Option) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(orchestrator.New(nil), opts...))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// z9Values collects every value under a key named Z9K1, as upstream's getMissingZ5 walks.
func z9Values(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "Z9K1" {
				out[s] = true
			}
			z9Values(val, out)
		}
	case []any:
		for _, val := range x {
			z9Values(val, out)
		}
	}
}

type httpCase struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Request struct {
		Method string          `json:"method"`
		Path   string          `json:"path"`
		Body   json.RawMessage `json:"body"`
	} `json:"request"`
	Expect struct {
		Status       int             `json:"status"`
		Kind         string          `json:"kind"`
		Codes        []string        `json:"codes"`
		ResultType   json.RawMessage `json:"result_type"`
		FirstElement json.RawMessage `json:"first_element"`
	} `json:"expect"`
}

// TestHTTPConformance runs the corpus' HTTP cases against the server over loopback.
func TestHTTPConformance(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "orchestrator", "http_cases.json"))
	if err != nil {
		t.Fatalf("conformance corpus missing (%v): it must be at %s, beside the repository", err, corpusDir)
	}
	var file struct {
		Cases []httpCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t)
	passed := 0
	for _, c := range file.Cases {
		t.Run(c.ID, func(t *testing.T) {
			status, ctype, body := post(t, srv.URL+c.Request.Path, string(c.Request.Body))
			if status != c.Expect.Status || !strings.Contains(ctype, "application/json") {
				t.Fatalf("%s: status %d %q, want %d application/json: %s", c.Name, status, ctype, c.Expect.Status, body)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%s: reply is not JSON: %v", c.Name, err)
			}
			switch c.Expect.Kind {
			case "error_codes_present":
				found := map[string]bool{}
				z9Values(got, found)
				for _, code := range c.Expect.Codes {
					if !found[code] {
						t.Errorf("%s: error code %s missing from %s", c.Name, code, body)
					}
				}
			case "z823_envelope":
				pair, _ := got["Z22K1"].(map[string]any)
				var wantType map[string]any
				_ = json.Unmarshal(c.Expect.ResultType, &wantType)
				gotType, _ := pair["Z1K1"].(map[string]any)
				for _, k := range []string{"Z1K1", "Z882K1", "Z882K2"} {
					if !reflect.DeepEqual(gotType[k], wantType[k]) {
						t.Errorf("%s: pair type %s = %v, want %v", c.Name, k, gotType[k], wantType[k])
					}
				}
				var first any
				_ = json.Unmarshal(c.Expect.FirstElement, &first)
				if !reflect.DeepEqual(pair["K1"], first) {
					t.Errorf("%s: first element = %v, want %v", c.Name, pair["K1"], first)
				}
				if !isMapJSON(got["Z22K2"]) || !isMapJSON(pair["K2"]) {
					t.Errorf("%s: metadata is not a map: %s", c.Name, body)
				}
				if hasKey(pair["K2"], "errors") || hasKey(got["Z22K2"], "errors") {
					t.Errorf("%s: unexpected errors: %s", c.Name, body)
				}
			default:
				t.Fatalf("unknown expectation %q", c.Expect.Kind)
			}
			if !t.Failed() {
				passed++
			}
		})
	}
	t.Logf("HTTP conformance: %d/%d cases pass", passed, len(file.Cases))
}

func isMapJSON(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	t, ok := m["Z1K1"].(map[string]any)
	return ok && t["Z7K1"] == "Z883"
}

// hasKey reports whether the canonical map m has an entry with key k.
func hasKey(m any, k string) bool {
	mm, _ := m.(map[string]any)
	items, _ := mm["K1"].([]any)
	for _, it := range items {
		if p, ok := it.(map[string]any); ok && p["K1"] == k {
			return true
		}
	}
	return false
}

func TestEvaluateBadInput(t *testing.T) {
	srv := newTestServer(t, WithMaxBody(1024))
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		want   string // substring of the reply
	}{
		{"malformed JSON", "/1/v1/evaluate/", `{"zobject": {`, 400, `"error"`},
		{"not an object", "/1/v1/evaluate/", `[1,2]`, 400, `"error"`},
		{"trailing data", "/1/v1/evaluate/", `{"zobject": "x"} {}`, 400, "more than one JSON value"},
		{"no zobject", "/1/v1/evaluate/", `{"doValidate": true}`, 400, `no \"zobject\"`},
		{"too large", "/1/v1/evaluate/", `{"zobject": "` + strings.Repeat("x", 2000) + `"}`, 413, "larger than 1024"},
		{"unknown ZID", "/1/v1/evaluate/", `{"zobject": {"Z1K1": "Z7", "Z7K1": "Z88888"}}`, 200, `"Z504"`},
		{"not a call", "/1/v2/evaluate/", `{"zobject": "Hello"}`, 200, `"Z539"`},
		{"number", "/wikifunctions.org/v1/evaluate", `{"zobject": 3}`, 200, `"Z521"`},
		{"wrong argument key", "/1/v1/evaluate/", `{"zobject": {"Z1K1": "Z7", "Z7K1": "Z801", "Z801K9": "x"}}`, 200, "Could not find argument Z801K1."},
		{"echo", "/1/v1/evaluate/", `{"zobject": {"Z1K1": "Z7", "Z7K1": "Z801", "Z801K1": "hello"}, "doValidate": true}`, 200, `"Z22K1":"hello"`},
		{"no route", "/1/v1/nothing/", `{}`, 404, "no route"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype, body := post(t, srv.URL+tc.path, tc.body)
			if status != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("POST %s %s = %d %s, want %d containing %s", tc.path, tc.body, status, body, tc.status, tc.want)
			}
			if !strings.Contains(ctype, "application/json") || !json.Valid(body) {
				t.Errorf("POST %s: reply %q %s is not JSON", tc.path, ctype, body)
			}
		})
	}
}

func TestEvaluateGet(t *testing.T) {
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/wikifunctions.org/v1/evaluate/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /wikifunctions.org/v1/evaluate/ = %d, want 200", resp.StatusCode)
	}
}

func TestSupportedLanguages(t *testing.T) {
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/1/v1/supported-programming-languages/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "[]" {
		t.Errorf("GET supported-programming-languages = %d %s, want 200 [] (no evaluator)", resp.StatusCode, b)
	}
}

// FuzzEvaluate feeds arbitrary bodies to the evaluate handler: it must answer JSON, never
// panic, and never hang.
func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{
		`{"zobject": {"Z1K1": "Z7", "Z7K1": "Z801", "Z801K1": "x"}}`,
		`{"zobject": {"Z1K1": "Z7", "Z7K1": "Z802", "Z802K1": "Z41", "Z802K2": "a", "Z802K3": "b"}, "doValidate": true}`,
		`{"zobject": ["Z6", "a"]}`,
		`{"zobject": {"Z1K1": "Z7", "Z7K1": {"Z1K1": "Z8", "Z8K1": ["Z17"], "Z8K2": "Z1", "Z8K3": ["Z20"], "Z8K4": ["Z14"], "Z8K5": "Z999999"}}}`,
		`{`, `null`, `{"zobject": null}`,
	} {
		f.Add([]byte(s))
	}
	h := New(orchestrator.New(nil, orchestrator.WithMaxDepth(64)), WithMaxBody(1<<16))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/1/v1/evaluate/", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("reply to %q is not JSON: %q", body, rec.Body.Bytes())
		}
		if rec.Code != 200 && rec.Code != 400 && rec.Code != 413 {
			t.Fatalf("reply to %q has status %d", body, rec.Code)
		}
	})
}
