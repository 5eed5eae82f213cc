package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/cache/redistest"
	"github.com/zeval/zeval/internal/library"
	"github.com/zeval/zeval/internal/render"
	"github.com/zeval/zeval/internal/store"
)

// demoStore is a store file holding the demo library.
func demoStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "zeval.db")
	st, err := store.Open(ctx, db, store.WithValidator(zobjectValidator{}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := library.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	return db
}

// writePage writes markup to a file named name in a new directory and returns its path.
func writePage(t *testing.T, name, markup string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(markup), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// demoPage calls three demo library functions that have JavaScript or composition
// implementations, so that --code js renders it.
const demoPage = "People from Paris are called {{#function:Z10001|Paris|ians}}; " +
	"{{#function:Z10013|x}} and {{#function:Z10031|a;b;c}}.\n"

func TestRender(t *testing.T) {
	db := demoStore(t)
	good := writePage(t, "page.txt", demoPage)
	unknown := writePage(t, "unknown.txt", "Before {{#function:Z99999|x}} after {{#function:Z10001|a|b}}.")
	unbalanced := writePage(t, "unbalanced.txt", "First line\nthen {{#function:Z10001|a|{{#function:Z10013|b}}\n")
	html := writePage(t, "page.html", "<b>{{#function:Z10001|<i>|x}}</b>")
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		wantOut  []string // each contained in stdout
		wantErr  string   // contained in stderr
	}{
		{name: "HTML to stdout", args: []string{good},
			wantOut: []string{"Parisians", "(x)", "a, b and c", "People from Paris are called"}},
		{name: "stdin", args: []string{"-"}, stdin: demoPage, wantOut: []string{"Parisians"}},
		{name: "HTML format by extension", args: []string{html}, wantOut: []string{"<b>&lt;i&gt;x</b>"}},
		{name: "unknown function", args: []string{unknown}, wantCode: 1,
			wantOut: []string{`class="zeval-error"`, `data-function="Z99999"`, "Before ", "ab"}, wantErr: "Z99999"},
		{name: "unbalanced braces", args: []string{unbalanced}, wantCode: 2, wantErr: "unbalanced.txt: line 2:6"},
		{name: "missing file", args: []string{filepath.Join(t.TempDir(), "absent.txt")}, wantCode: 1, wantErr: "absent.txt: no such file"},
		{name: "no file", args: nil, wantCode: 2, wantErr: "usage: zeval render"},
		{name: "bad format", args: []string{"--format", "pdf", good}, wantCode: 1, wantErr: "pdf"},
		{name: "bad cache", args: []string{"--cache", "disk", good}, wantCode: 1, wantErr: `--cache "disk"`},
		{name: "bad cache URL", args: []string{"--cache", "redis://localhost:6379/x", good}, wantCode: 1, wantErr: `database "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"render", "--db", db, "--code", "js"}, tc.args...)
			code, out, errs := runCLI(t, tc.stdin, args...)
			if code != tc.wantCode {
				t.Fatalf("zeval %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, tc.wantCode, out, errs)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout %q, want it to contain %q", out, w)
				}
			}
			if !strings.Contains(errs, tc.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.wantErr)
			}
		})
	}
}

// renderJSON runs zeval render --json and decodes the answer.
func renderJSON(t *testing.T, wantCode int, args ...string) (render.Result, string) {
	t.Helper()
	args = append([]string{"render", "--json", "--code", "js"}, args...)
	code, out, errs := runCLI(t, "", args...)
	if code != wantCode {
		t.Fatalf("zeval %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, out, errs)
	}
	var res render.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("zeval render --json output is not a result: %v\n%s", err, out)
	}
	return res, errs
}

func TestRenderJSON(t *testing.T) {
	db := demoStore(t)
	res, _ := renderJSON(t, 0, "--db", db, writePage(t, "page.txt", demoPage))
	if !strings.Contains(res.HTML, "Parisians") || len(res.Calls) != 3 || len(res.Errors) != 0 {
		t.Errorf("--json = html %q, %d calls, errors %v; want Parisians, 3 calls, no errors", res.HTML, len(res.Calls), res.Errors)
	}
	for _, c := range res.Calls {
		if c.Cache != "off" {
			t.Errorf("call %s: cache %q, want off (no cache by default)", c.Function, c.Cache)
		}
	}
	res, _ = renderJSON(t, 1, "--db", db, writePage(t, "unknown.txt", "{{#function:Z99999}} {{#function:Z10001|a|b}}"))
	if len(res.Errors) != 1 || res.Errors[0].Function != "Z99999" || res.Errors[0].Message == "" || !strings.Contains(res.HTML, "ab") {
		t.Errorf("--json with an unknown function: errors %+v, html %q; want one error for Z99999 and the rest rendered", res.Errors, res.HTML)
	}
}

// callsCache lists the cache field of each call.
func callsCache(res render.Result) string {
	var out []string
	for _, c := range res.Calls {
		out = append(out, c.Cache)
	}
	return strings.Join(out, ",")
}

// TestRenderRedisCache: two zeval render processes on one Redis: the second is answered
// from the first one's results, with nothing evaluated.
func TestRenderRedisCache(t *testing.T) {
	db := demoStore(t)
	srv := redistest.Start(t)
	page := writePage(t, "page.txt", demoPage)
	first, _ := renderJSON(t, 0, "--db", db, "--cache", srv.URL(), page)
	if got := callsCache(first); got != "miss,miss,miss" {
		t.Errorf("first render: calls' cache %s, want miss,miss,miss", got)
	}
	second, _ := renderJSON(t, 0, "--db", db, "--cache", srv.URL(), page)
	if got := callsCache(second); got != "hit,hit,hit" || second.Stats.Evaluations != 0 {
		t.Errorf("second render: calls' cache %s, %d evaluations; want hit,hit,hit and none", got, second.Stats.Evaluations)
	}
	if second.HTML != first.HTML {
		t.Errorf("cached render = %q, want the first one's %q", second.HTML, first.HTML)
	}
	if s := second.Stats.Cache; s == nil || s.Hits != 3 || s.Errors != 0 {
		t.Errorf("second render cache stats = %+v, want 3 hits, no errors", s)
	}
	// Another prefix is another cache.
	other, _ := renderJSON(t, 0, "--db", db, "--cache", srv.URL()+"?prefix=other:", page)
	if got := callsCache(other); got != "miss,miss,miss" {
		t.Errorf("render with another prefix: calls' cache %s, want miss,miss,miss", got)
	}

	// Without Redis the page renders all the same: misses, errors counted, a warning.
	srv.Kill()
	down, errs := renderJSON(t, 0, "--db", db, "--cache", srv.URL(), page)
	if !strings.Contains(down.HTML, "Parisians") || len(down.Errors) != 0 {
		t.Errorf("render with Redis down = %q, errors %v; want the page", down.HTML, down.Errors)
	}
	if s := down.Stats.Cache; s == nil || s.Hits != 0 || s.Errors == 0 {
		t.Errorf("render with Redis down: cache stats %+v, want no hits and errors counted", s)
	}
	if !strings.Contains(errs, "redis cache does not answer") {
		t.Errorf("stderr %q, want a warning that Redis does not answer", errs)
	}
}

// TestServeRedisCache: two zeval serve processes sharing one Redis: a page rendered by one
// is answered from the cache by the other, and /metrics counts it.
func TestServeRedisCache(t *testing.T) {
	srv := redistest.Start(t)
	defs := jsDefs(t)
	var bases []string
	for i := 0; i < 2; i++ {
		o := testOptions(t, "--cache", srv.URL())
		o.db, o.defs, o.code = "", defs, "js"
		svc, _ := newTestService(t, o)
		hs := httptest.NewServer(svc.handler)
		t.Cleanup(hs.Close)
		bases = append(bases, hs.URL)
	}
	page := `{"markup": "<p>{{#function:Z10002|hi}} {{#function:Z10002|there}}</p>", "format": "html", "metadata": true}`
	for i, base := range bases {
		resp, err := http.Post(base+"/v1/render", "application/json", strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var res render.Result
		if err := json.Unmarshal(body, &res); resp.StatusCode != 200 || err != nil || res.HTML != "<p>hi! there!</p>" {
			t.Fatalf("server %d: POST /v1/render = %s %s", i, resp.Status, body)
		}
		want := []string{"miss,miss", "hit,hit"}[i]
		if got := callsCache(res); got != want {
			t.Errorf("server %d: calls' cache %s, want %s", i, got, want)
		}
	}
	for i, want := range []map[string]float64{
		{`zeval_cache_hits_total{cache="render"}`: 0, `zeval_cache_misses_total{cache="render"}`: 2, `zeval_cache_errors_total{cache="render"}`: 0},
		{`zeval_cache_hits_total{cache="render"}`: 2, `zeval_cache_misses_total{cache="render"}`: 0, `zeval_cache_errors_total{cache="render"}`: 0},
	} {
		m := scrape(t, bases[i])
		for series, v := range want {
			if got, ok := m[series]; !ok || got != v {
				t.Errorf("server %d: %s = %v (present %v), want %v", i, series, got, ok, v)
			}
		}
		if _, ok := m[`zeval_cache_entries{cache="render"}`]; ok {
			t.Errorf("server %d: zeval_cache_entries exported for Redis, which cannot tell", i)
		}
	}
}
