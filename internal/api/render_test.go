package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/render"
	z "github.com/zeval/zeval/internal/zobject"
)

// A composition with no code: Z10001(x) = Echo(x).
const echoFunction = `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z10001"},"Z2K2":{"Z1K1":"Z8","Z8K1":["Z17",{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"Z10001K1","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z10001","Z14K2":{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":{"Z1K1":"Z18","Z18K1":"Z10001K1"}}}],"Z8K5":"Z10001"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`

func newRenderServer(t *testing.T, opts ...RenderOption) *httptest.Server {
	t.Helper()
	fn, err := z.Parse([]byte(echoFunction))
	if err != nil {
		t.Fatal(err)
	}
	resolver := orchestrator.MapResolver{"Z10001": fn}
	orch := orchestrator.New(resolver)
	srv := httptest.NewServer(NewRenderHandler(render.New(orch, resolver), opts...))
	t.Cleanup(srv.Close)
	return srv
}

func TestRenderHandler(t *testing.T) {
	srv := newRenderServer(t, WithRenderMaxBody(4096))
	tests := []struct {
		name, body string
		status     int
		want       []string // substrings of the answer
	}{
		{"page", `{"markup": "<p>{{#function:Z10001|hi}} {{#function:Z866|a|a}}</p>", "format": "html"}`, 200,
			[]string{`"html":"\u003cp\u003ehi true\u003c/p\u003e"`, `"errors":[]`, `"calls":[]`}},
		{"metadata", `{"markup": "{{#function:Z10001|hi}}", "format": "html", "metadata": true}`, 200,
			[]string{`"function":"Z10001"`, `"implementationType":"Composition"`, `"position":{"offset":0,"line":1,"column":1}`}},
		{"hostile argument", `{"markup": "{{#function:Z10001|<script>alert(1)</script>}}", "format": "html"}`, 200,
			[]string{`"html":"\u0026lt;script\u0026gt;alert(1)\u0026lt;/script\u0026gt;"`}},
		{"failed call", `{"markup": "a {{#function:Z19999|x}} b", "format": "wikitext"}`, 200,
			[]string{`zeval-error`, `"errors":[{"function":"Z19999"`, `"Z5K1":"Z504"`}},
		{"default format", `{"markup": "{{#function:Z10001|a-b}}"}`, 200, []string{`"html":"a\u0026#45;b"`}},
		{"unbalanced", `{"markup": "x\n  {{#function:Z10001|a", "format": "html"}`, 400,
			[]string{`"error":"line 2:3: {{#function: opened here is never closed by }}"`, `"line":2`, `"column":3`}},
		{"too deep", `{"markup": "` + strings.Repeat("{{#function:Z10001|", 40) + strings.Repeat("}}", 40) + `"}`, 400,
			[]string{`nest deeper than the limit`}},
		{"unknown format", `{"markup": "x", "format": "pdf"}`, 400, []string{`unknown markup format`}},
		{"no markup", `{"format": "html"}`, 400, []string{`no \"markup\"`}},
		{"not JSON", `markup=x`, 400, []string{`not a JSON object`}},
		{"two values", `{"markup": "x"} {}`, 400, []string{`more than one JSON value`}},
		{"too large", `{"markup": "` + strings.Repeat("x", 5000) + `"}`, 413, []string{`larger than 4096 bytes`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := post(t, srv.URL+"/v1/render", tt.body)
			if status != tt.status {
				t.Errorf("POST /v1/render %s = %d %s, want %d", tt.body, status, body, tt.status)
			}
			if !strings.HasPrefix(ctype, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ctype)
			}
			if !json.Valid(body) {
				t.Errorf("answer is not JSON: %s", body)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("answer %s does not contain %s", body, w)
				}
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/v1/render")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET /v1/render = %d, Allow %q; want 405, POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}
