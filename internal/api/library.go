package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/tester"
	z "github.com/zeval/zeval/internal/zobject"
)

// The library API, served by NewLibraryHandler. Functions, implementations and testers are
// ZObjects with revisions: they are created and edited through the object API
// (PUT /v1/objects/{zid}); these routes read them as a library and run the testers.
//
//	GET  /v1/functions              the functions (built-in and stored), in ZID order:
//	                                {"functions": [{zid, label, revision, builtin}], "next"}.
//	                                q= keeps those whose label or ZID contains q (ignoring
//	                                case); limit= (1-1000, default 100) and after=ZID page.
//	GET  /v1/functions/{zid}        the function's Z2 with its implementations and testers
//	                                (each {zid, label, revision, kind, object}).
//	POST /v1/functions/{zid}/test   runs every tester against every implementation
//	                                (internal/tester) and answers the report: pass/fail and
//	                                time of each pair, implementations ranked by failures,
//	                                then speed. The body may be empty or {"timeoutMs": N}.
//
// Errors are the object API's: {"error", "status", "z5"}; 400 for a bad parameter or body,
// 404 (Z504) for an unknown function, 422 (Z518) for a ZID that is not a function, 413 for a
// body over the limit, 405 for other methods.

// Limits of the library API.
const (
	DefaultFunctionsLimit = 100
	MaxFunctionsLimit     = 1000
	// DefaultTestTimeout bounds a test run that names no timeout; MaxTestTimeout any run.
	DefaultTestTimeout = 2 * time.Minute
	MaxTestTimeout     = 10 * time.Minute
	maxTestBody        = 4 << 10
	// maxScan bounds how many stored functions one list or search reads.
	maxScan = 100000
)

// LibraryOption sets an optional setting of NewLibraryHandler.
type LibraryOption func(*libraryHandler)

// WithLibraryEvaluator gives each test run its own session of ev, so a Python
// implementation's kernel is loaded once per run and released at its end.
func WithLibraryEvaluator(ev *evaluator.Evaluator) LibraryOption {
	return func(h *libraryHandler) { h.ev = ev }
}

// WithLibraryLogger sets the logger (discarding by default).
func WithLibraryLogger(l *slog.Logger) LibraryOption {
	return func(h *libraryHandler) { h.logger = l }
}

type libraryHandler struct {
	store  *store.Store
	orch   tester.Orchestrator
	ev     *evaluator.Evaluator
	logger *slog.Logger
	mux    *http.ServeMux
}

// NewLibraryHandler returns the handler of the library API (see above) over the store st
// (nil: built-in functions only) and the orchestrator that runs testers. Mount it at
// /v1/functions and /v1/functions/ (Extend does). It is safe for concurrent use.
func NewLibraryHandler(st *store.Store, orch tester.Orchestrator, opts ...LibraryOption) http.Handler {
	h := &libraryHandler{store: st, orch: orch}
	for _, o := range opts {
		o(h)
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/functions", h.list)
	mux.HandleFunc("GET /v1/functions/{$}", h.list)
	mux.HandleFunc("GET /v1/functions/{zid}", h.get)
	mux.HandleFunc("POST /v1/functions/{zid}/test", h.test)
	mux.HandleFunc("/v1/functions", objMethodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/v1/functions/{$}", objMethodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/v1/functions/{zid}", objMethodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/v1/functions/{zid}/test", objMethodNotAllowed("POST"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		objError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path,
			z.ErrorString(z.CodeUnknown, "no route for "+r.URL.Path))
	})
	h.mux = mux
	return h
}

func (h *libraryHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// FunctionEntry is one function of a list.
type FunctionEntry struct {
	ZID      string `json:"zid"`
	Label    string `json:"label,omitempty"`
	Revision int64  `json:"revision,omitempty"` // 0 for a built-in
	BuiltIn  bool   `json:"builtin,omitempty"`
}

// FunctionList is the body of GET /v1/functions.
type FunctionList struct {
	Functions []FunctionEntry `json:"functions"`
	Next      string          `json:"next,omitempty"`
}

func (h *libraryHandler) list(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	for k, vals := range v {
		switch k {
		case "q", "limit", "after":
		default:
			badParam(w, fmt.Sprintf("unknown parameter %q (known: q, limit, after)", k))
			return
		}
		if len(vals) > 1 {
			badParam(w, fmt.Sprintf("parameter %q given %d times", k, len(vals)))
			return
		}
	}
	limit := DefaultFunctionsLimit
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxFunctionsLimit {
			badParam(w, fmt.Sprintf("limit %q is not a number from 1 to %d", l, MaxFunctionsLimit))
			return
		}
		limit = n
	}
	after := v.Get("after")
	if after != "" && !z.IsZID(after) {
		badParam(w, fmt.Sprintf("after %q is not a ZID", after))
		return
	}
	q := strings.ToLower(strings.TrimSpace(v.Get("q")))
	if len(q) > 256 {
		badParam(w, "q is longer than 256 bytes")
		return
	}
	all, err := h.functions(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := FunctionList{Functions: []FunctionEntry{}}
	for _, f := range all {
		if after != "" && !zidLess(after, f.ZID) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(f.Label), q) && !strings.Contains(strings.ToLower(f.ZID), q) {
			continue
		}
		if len(out.Functions) == limit {
			out.Next = out.Functions[limit-1].ZID
			break
		}
		out.Functions = append(out.Functions, f)
	}
	objJSON(w, http.StatusOK, out)
}

// functions lists every built-in and stored function in ZID order; a stored one with the
// ZID of a built-in hides it, as the resolver order does not (built-ins win there), so the
// built-in is kept.
func (h *libraryHandler) functions(ctx context.Context) ([]FunctionEntry, error) {
	defs := h.orch.Definitions()
	seen := map[string]bool{}
	var out []FunctionEntry
	for _, zid := range defs.ZIDs() {
		z2 := defs.Get(zid)
		if !z2.Get("Z2K2").Type().Is(z.Z8) {
			continue
		}
		seen[zid] = true
		out = append(out, FunctionEntry{ZID: zid, Label: tester.Label(z2), BuiltIn: true})
	}
	if h.store != nil {
		q := store.Query{Type: z.Z8, Limit: store.MaxListLimit}
		for n := 0; n < maxScan; {
			entries, next, err := h.store.List(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if !seen[e.ZID] {
					out = append(out, FunctionEntry{ZID: e.ZID, Label: e.Label, Revision: e.Revision})
				}
			}
			n += len(entries)
			if next == "" {
				break
			}
			q.After = next
		}
	}
	sort.Slice(out, func(i, j int) bool { return zidLess(out[i].ZID, out[j].ZID) })
	return out, nil
}

// zidLess orders ZIDs by number (Z9 before Z10).
func zidLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Member is an implementation or tester of a function.
type Member struct {
	ZID      string `json:"zid"` // "Z8K4[n]" for a literal inside the function
	Label    string `json:"label,omitempty"`
	Revision int64  `json:"revision,omitempty"`
	// Kind of an implementation: the language of code, "composition" or "built-in".
	Kind   string          `json:"kind,omitempty"`
	Object json.RawMessage `json:"object,omitempty"` // the Z2 (the Z14/Z20 for a literal)
	Error  json.RawMessage `json:"error,omitempty"`  // why it could not be read
}

// FunctionDetail is the body of GET /v1/functions/{zid}.
type FunctionDetail struct {
	ZID             string          `json:"zid"`
	Label           string          `json:"label,omitempty"`
	Revision        int64           `json:"revision,omitempty"`
	BuiltIn         bool            `json:"builtin,omitempty"`
	Function        json.RawMessage `json:"function"`
	Implementations []Member        `json:"implementations"`
	Testers         []Member        `json:"testers"`
}

func (h *libraryHandler) get(w http.ResponseWriter, r *http.Request) {
	zid, ok := objPathZID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	z2, rev, builtin, err := h.fetch(ctx, zid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fn := z2.Get("Z2K2")
	if !fn.IsRecord() || !fn.Type().Is(z.Z8) {
		notFunction(w, zid)
		return
	}
	out := FunctionDetail{ZID: zid, Label: tester.Label(z2), Revision: rev, BuiltIn: builtin, Function: z2.CanonicalJSON()}
	if out.Implementations, err = h.members(ctx, zid, fn.Get("Z8K4"), "Z8K4", "Z14K1", z.Z14); err != nil {
		h.fail(w, r, err)
		return
	}
	if out.Testers, err = h.members(ctx, zid, fn.Get("Z8K3"), "Z8K3", "Z20K1", z.Z20); err != nil {
		h.fail(w, r, err)
		return
	}
	objJSON(w, http.StatusOK, out)
}

// fetch finds a persistent object among the built-ins, then in the store.
func (h *libraryHandler) fetch(ctx context.Context, zid string) (z2 *z.Object, rev int64, builtin bool, err error) {
	if o := h.orch.Definitions().Get(zid); o != nil {
		return o, 0, true, nil
	}
	if h.store == nil {
		return nil, 0, false, fmt.Errorf("%s: %w", zid, store.ErrNotFound)
	}
	o, err := h.store.Get(ctx, zid)
	if err != nil {
		return nil, 0, false, err
	}
	parsed, err := z.Parse(o.Data)
	if err != nil {
		return nil, 0, false, fmt.Errorf("stored object %s: %w", zid, err)
	}
	return parsed, o.Revision.Revision, false, nil
}

// members lists the items of the function's list (Z8K3 or Z8K4), then the stored objects
// whose refKey names the function, each once: the set internal/tester runs.
func (h *libraryHandler) members(ctx context.Context, zid string, list *z.Object, listKey, refKey, typ string) ([]Member, error) {
	out := []Member{}
	seen := map[string]bool{}
	add := func(id string) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		m := Member{ZID: id}
		z2, rev, _, err := h.fetch(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			m.Error = z.ErrorString(z.CodeZIDNotFound, id).CanonicalJSON()
		case err != nil:
			return err
		case !z2.Get("Z2K2").Type().Is(typ):
			m.Error = z.ErrorString(z.CodeUnexpectedType, typ, id).CanonicalJSON()
		default:
			m.Label, m.Revision, m.Object = tester.Label(z2), rev, z2.CanonicalJSON()
			if typ == z.Z14 {
				m.Kind = h.kind(ctx, z2.Get("Z2K2"))
			}
		}
		out = append(out, m)
		return nil
	}
	for i, it := range z.ListItems(list) {
		switch {
		case it.IsRef():
			if err := add(it.RefID()); err != nil {
				return nil, err
			}
		case it.IsString() && z.IsZID(it.StringValue()):
			if err := add(it.StringValue()); err != nil {
				return nil, err
			}
		case it.IsRecord():
			m := Member{ZID: fmt.Sprintf("%s[%d]", listKey, i+1), Object: it.CanonicalJSON()}
			if typ == z.Z14 {
				m.Kind = h.kind(ctx, it)
			}
			out = append(out, m)
		}
	}
	if h.store != nil {
		q := store.Query{Ref: store.Ref{Key: refKey, Target: zid}, Limit: store.MaxListLimit}
		for n := 0; n < maxScan; {
			entries, next, err := h.store.List(ctx, q)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if err := add(e.ZID); err != nil {
					return nil, err
				}
			}
			n += len(entries)
			if next == "" {
				break
			}
			q.After = next
		}
	}
	return out, nil
}

// kind names the kind of an implementation as the tester report does.
func (h *libraryHandler) kind(ctx context.Context, impl *z.Object) string {
	switch {
	case impl.Has("Z14K2"):
		return tester.KindComposition
	case impl.Has("Z14K4"):
		return tester.KindBuiltIn
	case impl.Has("Z14K3"):
		lang := impl.Get("Z14K3").Get("Z16K1")
		if lang.IsRef() {
			z2, _, _, err := h.fetch(ctx, lang.RefID())
			if err != nil {
				return lang.RefID()
			}
			lang = z2.Get("Z2K2")
		}
		if code := lang.Get("Z61K1"); code.IsString() {
			return code.StringValue()
		}
	}
	return "unknown"
}

// TestRequest is the optional body of POST /v1/functions/{zid}/test.
type TestRequest struct {
	// TimeoutMs bounds the whole run (DefaultTestTimeout when 0, at most MaxTestTimeout).
	TimeoutMs int64 `json:"timeoutMs,omitempty"`
}

// TestReport is the body of a test run: the tester report and whether all passed.
type TestReport struct {
	tester.Report
	OK bool `json:"ok"`
}

// decodeTestRequest reads the optional body of a test run. It returns a message for a body
// that is not one.
func decodeTestRequest(body []byte) (TestRequest, string) {
	var req TestRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return req, ""
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, "request body is not {\"timeoutMs\": N}: " + err.Error()
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, "request body has more than one JSON value"
	}
	if req.TimeoutMs < 0 || req.TimeoutMs > MaxTestTimeout.Milliseconds() {
		return req, fmt.Sprintf("timeoutMs %d is not from 0 to %d", req.TimeoutMs, MaxTestTimeout.Milliseconds())
	}
	return req, ""
}

func (h *libraryHandler) test(w http.ResponseWriter, r *http.Request) {
	zid, ok := objPathZID(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTestBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			msg := fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)
			objError(w, http.StatusRequestEntityTooLarge, msg, z.ErrorString(z.CodeUnknown, msg))
			return
		}
		badParam(w, "cannot read request body: "+err.Error())
		return
	}
	req, msg := decodeTestRequest(body)
	if msg != "" {
		objError(w, http.StatusBadRequest, msg, z.ErrorString(z.CodeSyntax, msg, objTruncate(string(body), 256)))
		return
	}
	timeout := DefaultTestTimeout
	if req.TimeoutMs > 0 {
		timeout = time.Duration(req.TimeoutMs) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	var lib tester.Library = builtinLibrary{}
	if h.store != nil {
		lib = tester.StoreLibrary{Store: h.store}
	}
	var opts []tester.Option
	if h.ev != nil {
		opts = append(opts, tester.WithSessions(h.ev))
	}
	rep, err := tester.Run(ctx, h.orch, lib, zid, opts...)
	switch {
	case errors.Is(err, tester.ErrNotFunction):
		notFunction(w, zid)
		return
	case errors.Is(err, orchestrator.ErrNotFound), errors.Is(err, store.ErrNotFound):
		objError(w, http.StatusNotFound, zid+" not found", z.ErrorString(z.CodeZIDNotFound, zid))
		return
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil:
		msg := fmt.Sprintf("the test run took longer than %v", timeout)
		objError(w, http.StatusGatewayTimeout, msg, z.ErrorString(z.CodeUnknown, msg))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	objJSON(w, http.StatusOK, TestReport{Report: rep, OK: rep.OK()})
}

// builtinLibrary is the Library of a server without a store: nothing beyond the built-ins,
// which the run finds itself.
type builtinLibrary struct{}

func (builtinLibrary) Resolve(_ context.Context, zid string) (*z.Object, error) {
	return nil, fmt.Errorf("%s: %w", zid, orchestrator.ErrNotFound)
}

func badParam(w http.ResponseWriter, msg string) {
	objError(w, http.StatusBadRequest, msg, z.ErrorString(z.CodeUnknown, msg))
}

func notFunction(w http.ResponseWriter, zid string) {
	objError(w, http.StatusUnprocessableEntity, zid+" is not a function (Z8)", z.ErrorString(z.CodeObjectType, z.Z8, zid))
}

// fail answers an error of the store or the library.
func (h *libraryHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, orchestrator.ErrNotFound):
		zid := r.PathValue("zid")
		objError(w, http.StatusNotFound, zid+" not found", z.ErrorString(z.CodeZIDNotFound, zid))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		objError(w, http.StatusServiceUnavailable, "request canceled", z.ErrorString(z.CodeUnknown, "request canceled"))
	default:
		h.logger.LogAttrs(r.Context(), slog.LevelError, "library failure", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		objError(w, http.StatusInternalServerError, "library failure", z.ErrorString(z.CodeUnknown, "library failure"))
	}
}
