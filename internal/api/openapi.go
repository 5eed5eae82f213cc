package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	z "github.com/zeval/zeval/internal/zobject"
)

// openAPIDoc is the OpenAPI 3 document of every route of zeval serve, written by hand.
// openapi_test.go checks it against the handlers: every documented route answers and
// every route the package registers is documented.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document (a copy).
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

// Route is one documented operation.
type Route struct {
	Method string // GET, PUT, POST
	Path   string // as documented: /v1/objects/{zid}
	// ServedBy names who serves it when not this package's handlers ("zeval serve" for the
	// operator routes /healthz, /readyz, /metrics).
	ServedBy string
}

// OpenAPIRoutes lists the documented operations, sorted by path then method, so a test of a
// full handler chain can check that each answers.
func OpenAPIRoutes() ([]Route, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return nil, fmt.Errorf("api: openapi.json: %w", err)
	}
	var out []Route
	for path, ops := range doc.Paths {
		var servedBy string
		if raw, ok := ops["x-zeval-served-by"]; ok {
			if err := json.Unmarshal(raw, &servedBy); err != nil {
				return nil, fmt.Errorf("api: openapi.json: %s: x-zeval-served-by: %w", path, err)
			}
		}
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch", "head", "options":
				out = append(out, Route{Method: strings.ToUpper(m), Path: path, ServedBy: servedBy})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out, nil
}

// recovering answers a panic of h with a 500 JSON error and lets the server keep serving,
// as Server.ServeHTTP does for its own routes.
func recovering(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				respondError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// Extend returns base (the Server, with whatever wraps it) with the library API (library,
// as from NewLibraryHandler; nil leaves it out) at /v1/functions and the OpenAPI document
// at /openapi.json beside it. Everything else goes to base.
func Extend(base, library http.Handler) http.Handler {
	mux := http.NewServeMux()
	if library != nil {
		library = recovering(library)
		mux.Handle("/v1/functions", library)
		mux.Handle("/v1/functions/", library)
	}
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(openAPIDoc)
	})
	mux.HandleFunc("/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		objError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use GET",
			z.ErrorString(z.CodeUnknown, "method "+r.Method+" not allowed"))
	})
	mux.Handle("/", base)
	return mux
}
