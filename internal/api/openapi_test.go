package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/quota"
	"github.com/zeval/zeval/internal/render"
	"github.com/zeval/zeval/internal/tester"
)

// fullChain is the handler chain zeval serve builds around this package: limits, then the
// page renderer at /v1/render, the Server with the object API, the library API and
// /openapi.json.
func fullChain(t *testing.T) (*libraryFixture, http.Handler) {
	t.Helper()
	f := newLibraryFixture(t)
	srv := New(f.orch, WithObjects(NewObjectsHandler(f.store)))
	lim, err := quota.New(quota.WithAnonymousWrites(), quota.WithMaxBody(DefaultMaxBody))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/render", NewRenderHandler(render.New(f.orch, tester.StoreLibrary{Store: f.store}, render.WithSessions(f.ev))))
	mux.Handle("/", Extend(srv, NewLibraryHandler(f.store, f.orch, WithLibraryEvaluator(f.ev))))
	return f, lim.Handler(mux)
}

func TestOpenAPIDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %v, want 3.x", doc["openapi"])
	}
	routes, err := OpenAPIRoutes()
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) < 15 {
		t.Fatalf("%d routes documented", len(routes))
	}
	// Every $ref points at something that exists.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				node := any(doc)
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := node.(map[string]any)
					node = m[part]
				}
				if node == nil {
					t.Errorf("$ref %s points nowhere", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

// exampleRequest builds a request for a documented route: path parameters filled in, a body
// that the handler accepts.
func exampleRequest(rt Route) *http.Request {
	path := strings.NewReplacer("{domain}", "wikifunctions.org", "{zid}", "Z10013").Replace(rt.Path)
	body := ""
	switch {
	case strings.Contains(path, "/evaluate"):
		body = `{"zobject":{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"x"}}`
	case path == "/v1/render":
		body = `{"markup": "{{#function:Z10013|x}}", "format": "html"}`
	case path == BatchPath:
		body = `{"objects":[{"object":` + objZ2("Z990002", `"a string"`, "OpenAPI batch") + `}]}`
	case rt.Method == "PUT":
		path = "/v1/objects/Z990001"
		body = objZ2("Z990001", `"a string"`, "OpenAPI check")
	}
	return httptest.NewRequest(rt.Method, path, strings.NewReader(body))
}

// TestOpenAPIRoutesAnswer: every documented route of this package answers through the real
// handler chain (not 404 or 405).
func TestOpenAPIRoutesAnswer(t *testing.T) {
	_, h := fullChain(t)
	routes, err := OpenAPIRoutes()
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		if rt.ServedBy != "" {
			continue // checked where it is served
		}
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, exampleRequest(rt))
			if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed || rec.Code >= 500 {
				t.Errorf("status %d: %s", rec.Code, rec.Body)
			}
		})
	}
}

// TestOpenAPICoversRoutes: every route this package registers with a method (read from the
// source: the patterns given to Handle and HandleFunc) is documented, and Extend's too.
func TestOpenAPICoversRoutes(t *testing.T) {
	routes, err := OpenAPIRoutes()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, rt := range routes {
		documented[rt.Method+" "+rt.Path] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				return true
			}
			pattern, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			method, path, ok := strings.Cut(pattern, " ")
			if !ok {
				return true // no method: a fallback (404, 405) or a mount
			}
			found++
			path = strings.TrimSuffix(path, "{$}")
			if !documented[method+" "+path] {
				t.Errorf("%s: %s %s is served but not in openapi.json", fset.Position(lit.Pos()), method, path)
			}
			return true
		})
		// Patterns built by concatenation ("POST /{domain}/"+v+"/evaluate", for v1 and v2).
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if bin, ok := call.Args[0].(*ast.BinaryExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Handle" || sel.Sel.Name == "HandleFunc") {
					text := string(src[fset.Position(bin.Pos()).Offset:fset.Position(bin.End()).Offset])
					for _, v := range []string{"v1", "v2"} {
						p := strings.NewReplacer(`"+v+"`, v, `"`, "").Replace(text)
						method, path, _ := strings.Cut(p, " ")
						found++
						path = strings.TrimSuffix(path, "{$}")
						if !documented[method+" "+path] {
							t.Errorf("%s: %s %s is served but not in openapi.json", fset.Position(bin.Pos()), method, path)
						}
					}
				}
			}
			return true
		})
	}
	if found < 15 {
		t.Errorf("found only %d route patterns in the source", found)
	}
}

// TestBadRequestsThroughChain: bad input through the whole chain gets a clear JSON error and
// writes nothing.
func TestBadRequestsThroughChain(t *testing.T) {
	f, h := fullChain(t)
	before := f.generation(t)
	tests := []struct {
		name, method, target, body string
		want                       int
	}{
		{"unknown route", "GET", "/nope", "", 404},
		{"unknown route under functions", "GET", "/v1/functions/Z10013/x/y", "", 404},
		{"POST openapi", "POST", "/openapi.json", "", 405},
		{"malformed evaluate", "POST", "/wikifunctions.org/v1/evaluate/", `{"zobject":`, 400},
		{"malformed PUT", "PUT", "/v1/objects/Z990002", `{"Z1K1":`, 400},
		{"oversized PUT", "PUT", "/v1/objects/Z990002", `"` + strings.Repeat("x", DefaultMaxBody) + `"`, 413},
		{"oversized evaluate", "POST", "/wikifunctions.org/v1/evaluate/", strings.Repeat(" ", DefaultMaxBody+1), 413},
		{"malformed test body", "POST", "/v1/functions/Z10013/test", `{`, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body)))
			if rec.Code != tc.want {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.target, rec.Code, rec.Body, tc.want)
			}
			var body struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
				t.Errorf("body %q is not a JSON error", rec.Body)
			}
		})
	}
	if after := f.generation(t); after != before {
		t.Errorf("generation %d -> %d: bad requests wrote", before, after)
	}
}

func TestExtendRecovers(t *testing.T) {
	h := Extend(http.NotFoundHandler(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/functions", nil))
	if rec.Code != http.StatusInternalServerError || !json.Valid(rec.Body.Bytes()) {
		t.Errorf("panicking library: %d %q, want a 500 JSON error", rec.Code, rec.Body)
	}
}
