package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

// The object store API, served by NewObjectsHandler:
//
//	PUT /v1/objects/{zid}            store the body (a Z2) as a new revision. Author and comment
//	                                 from the X-Zeval-Author and X-Zeval-Comment headers or the
//	                                 author and comment query parameters. If-Match: "N" writes
//	                                 only over revision N, If-None-Match: * only a new object.
//	                                 201 with Location for a new object, 200 otherwise (also
//	                                 when the body equals the latest revision: nothing is
//	                                 written, "changed": false).
//	GET  /v1/objects/{zid}           the latest revision's canonical JSON; ?revision=N for an
//	                                 older one. ETag "N" (the revision number), If-None-Match.
//	GET  /v1/objects/{zid}/revisions the revision history, newest first.
//	GET  /v1/objects                 list: type=Z8, label= (exact), prefix= (ignoring case),
//	                                 language=Z1002, aliases=true, ref=Z14K1:Z801 (or Z60K1:en),
//	                                 after=, limit=.
//	POST /v1/objects:batch           many objects in one transaction, all or nothing (batch.go).
//	GET  /v1/objects:export          every object, from one snapshot, as NDJSON (batch.go).
//
// Errors are JSON {"error": message, "status": code, "z5": Z5}: 400 for a body that is not
// JSON or a bad parameter (Z501, Z500), 404 for an unknown object or revision (Z504), 412 for
// a failed If-Match, 413 for a body over the limit, 422 for an object the store refuses (the
// validator's Z5, a Z502 / Z555 from the envelope check, or a Z554 label clash when the store
// keeps labels unique), 405 for other methods.

// ObjectsOption sets an optional setting of NewObjectsHandler.
type ObjectsOption func(*objectsHandler)

// WithObjectsMaxBody limits PUT bodies to n bytes (store.DefaultMaxObjectBytes otherwise).
func WithObjectsMaxBody(n int64) ObjectsOption { return func(h *objectsHandler) { h.maxBody = n } }

// WithObjectsLogger sets the logger of the object handlers (discarding by default).
func WithObjectsLogger(l *slog.Logger) ObjectsOption {
	return func(h *objectsHandler) { h.logger = l }
}

// WithObjectsDefaultAuthor sets the author of writes that name none ("anonymous" otherwise).
func WithObjectsDefaultAuthor(a string) ObjectsOption {
	return func(h *objectsHandler) { h.defaultAuthor = a }
}

type objectsHandler struct {
	store         *store.Store
	maxBody       int64
	maxBatchBody  int64
	exports       chan struct{} // a slot per running export
	logger        *slog.Logger
	defaultAuthor string
	mux           *http.ServeMux
}

// NewObjectsHandler returns the handler of the object store API on s (see above). Mount it
// at /v1/objects and /v1/objects/: it matches full paths itself. It is safe for concurrent
// use. With a nil store every request gets a 503.
func NewObjectsHandler(s *store.Store, opts ...ObjectsOption) http.Handler {
	h := &objectsHandler{store: s, maxBody: store.DefaultMaxObjectBytes, maxBatchBody: DefaultMaxBatchBody, defaultAuthor: "anonymous",
		exports: make(chan struct{}, maxExports)}
	for _, o := range opts {
		o(h)
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = store.DefaultMaxObjectBytes
	}
	if h.maxBatchBody <= 0 {
		h.maxBatchBody = DefaultMaxBatchBody
	}
	mux := http.NewServeMux()
	if s == nil {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			objError(w, http.StatusServiceUnavailable, "no object store is configured",
				z.ErrorString(z.CodeUnknown, "no object store is configured"))
		})
		h.mux = mux
		return h
	}
	mux.HandleFunc("PUT /v1/objects/{zid}", h.put)
	mux.HandleFunc("GET /v1/objects/{zid}", h.get)
	mux.HandleFunc("GET /v1/objects/{zid}/revisions", h.revisions)
	mux.HandleFunc("GET /v1/objects", h.list)
	mux.HandleFunc("GET /v1/objects/{$}", h.list)
	mux.HandleFunc("POST /v1/objects:batch", h.batch)
	mux.HandleFunc("GET /v1/objects:export", h.export)
	// Without a method, these match only when the method-specific patterns above do not.
	mux.HandleFunc("/v1/objects/{zid}", objMethodNotAllowed("GET, HEAD, PUT"))
	mux.HandleFunc("/v1/objects/{zid}/revisions", objMethodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/v1/objects", objMethodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/v1/objects/{$}", objMethodNotAllowed("GET, HEAD"))
	mux.HandleFunc(BatchPath, objMethodNotAllowed("POST"))
	mux.HandleFunc(ExportPath, objMethodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		objError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path,
			z.ErrorString(z.CodeUnknown, "no route for "+r.URL.Path))
	})
	h.mux = mux
	return h
}

func (h *objectsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func objMethodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		objError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use "+allow,
			z.ErrorString(z.CodeUnknown, "method "+r.Method+" not allowed"))
	}
}

// objPathZID reads {zid} and answers 400 when it is not a ZID.
func objPathZID(w http.ResponseWriter, r *http.Request) (string, bool) {
	zid := r.PathValue("zid")
	if !store.IsZID(zid) {
		objError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a ZID (Z followed by a number, like Z801)", zid),
			z.ErrorString(z.CodeInvalidReference, zid))
		return "", false
	}
	return zid, true
}

// objWriteResult is the body of a successful PUT.
type objWriteResult struct {
	ZID        string    `json:"zid"`
	Revision   int64     `json:"revision"`
	RevisionID int64     `json:"revisionId"`
	Created    bool      `json:"created"`
	Changed    bool      `json:"changed"`
	Author     string    `json:"author"`
	Comment    string    `json:"comment"`
	Time       time.Time `json:"time"`
}

func (h *objectsHandler) put(w http.ResponseWriter, r *http.Request) {
	zid, ok := objPathZID(w, r)
	if !ok {
		return
	}
	body, ok := objReadBody(w, r, h.maxBody)
	if !ok {
		return
	}
	edit := store.Edit{
		Author:  objFirst(r.Header.Get("X-Zeval-Author"), r.URL.Query().Get("author"), h.defaultAuthor),
		Comment: objFirst(r.Header.Get("X-Zeval-Comment"), r.URL.Query().Get("comment")),
	}
	if im := r.Header.Get("If-Match"); im != "" {
		rev, ok := objParseETag(im)
		if !ok {
			msg := fmt.Sprintf(`If-Match %q is not a revision ETag such as "3"`, im)
			objError(w, http.StatusBadRequest, msg, z.ErrorString(z.CodeUnknown, msg))
			return
		}
		edit.BaseRevision = rev
	}
	if r.Header.Get("If-None-Match") == "*" {
		edit.BaseRevision = -1
	}
	res, err := h.store.Put(r.Context(), zid, body, edit)
	if err != nil {
		h.storeError(w, r, zid, body, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/objects/"+zid)
	}
	objRevisionHeaders(w, res.Revision)
	objJSON(w, status, objWriteResult{
		ZID: res.ZID, Revision: res.Revision.Revision, RevisionID: res.ID, Created: res.Created, Changed: res.Changed,
		Author: res.Author, Comment: res.Comment, Time: res.Time,
	})
}

func (h *objectsHandler) get(w http.ResponseWriter, r *http.Request) {
	zid, ok := objPathZID(w, r)
	if !ok {
		return
	}
	var (
		o   store.Object
		err error
	)
	if rv := r.URL.Query().Get("revision"); rv != "" {
		n, perr := strconv.ParseInt(rv, 10, 64)
		if perr != nil || n <= 0 {
			msg := fmt.Sprintf("revision %q is not a positive number", rv)
			objError(w, http.StatusBadRequest, msg, z.ErrorString(z.CodeUnknown, msg))
			return
		}
		o, err = h.store.GetRevision(r.Context(), zid, n)
	} else {
		o, err = h.store.Get(r.Context(), zid)
	}
	if err != nil {
		h.storeError(w, r, zid, nil, err)
		return
	}
	objRevisionHeaders(w, o.Revision)
	w.Header().Set("Last-Modified", o.Time.Format(http.TimeFormat))
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if rev, ok := objParseETag(inm); ok && rev == o.Revision.Revision {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(o.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(o.Data)
	}
}

// objRevision is one entry of a revision history.
type objRevision struct {
	Revision   int64     `json:"revision"`
	RevisionID int64     `json:"revisionId"`
	Author     string    `json:"author"`
	Comment    string    `json:"comment"`
	Time       time.Time `json:"time"`
}

func (h *objectsHandler) revisions(w http.ResponseWriter, r *http.Request) {
	zid, ok := objPathZID(w, r)
	if !ok {
		return
	}
	hist, err := h.store.History(r.Context(), zid)
	if err != nil {
		h.storeError(w, r, zid, nil, err)
		return
	}
	out := struct {
		ZID       string        `json:"zid"`
		Revisions []objRevision `json:"revisions"`
	}{ZID: zid, Revisions: make([]objRevision, len(hist))}
	for i, rv := range hist {
		out.Revisions[i] = objRevision{Revision: rv.Revision, RevisionID: rv.ID, Author: rv.Author, Comment: rv.Comment, Time: rv.Time}
	}
	objJSON(w, http.StatusOK, out)
}

// objEntry is one object of a list.
type objEntry struct {
	ZID        string `json:"zid"`
	Type       string `json:"type"`
	Revision   int64  `json:"revision"`
	RevisionID int64  `json:"revisionId"`
	Label      string `json:"label,omitempty"`
}

// objListParam reports whether a list takes the query parameter k.
func objListParam(k string) bool {
	switch k {
	case "type", "label", "prefix", "language", "aliases", "ref", "after", "limit":
		return true
	}
	return false
}

func (h *objectsHandler) list(w http.ResponseWriter, r *http.Request) {
	q, msg := objParseList(r.URL.Query())
	if msg != "" {
		objError(w, http.StatusBadRequest, msg, z.ErrorString(z.CodeUnknown, msg))
		return
	}
	entries, next, err := h.store.List(r.Context(), q)
	if err != nil {
		h.storeError(w, r, "", nil, err)
		return
	}
	out := struct {
		Objects []objEntry `json:"objects"`
		Next    string     `json:"next,omitempty"`
	}{Objects: make([]objEntry, len(entries)), Next: next}
	for i, e := range entries {
		out.Objects[i] = objEntry{ZID: e.ZID, Type: e.Type, Revision: e.Revision, RevisionID: e.ID, Label: e.Label}
	}
	objJSON(w, http.StatusOK, out)
}

// objParseList turns query parameters into a store query, or says what is wrong with them.
func objParseList(v url.Values) (store.Query, string) {
	var q store.Query
	for k, vals := range v {
		if !objListParam(k) {
			return q, fmt.Sprintf("unknown parameter %q (known: type, label, prefix, language, aliases, ref, after, limit)", k)
		}
		if len(vals) > 1 {
			return q, fmt.Sprintf("parameter %q given %d times", k, len(vals))
		}
	}
	q.Type, q.Label, q.Prefix, q.Language, q.After = v.Get("type"), v.Get("label"), v.Get("prefix"), v.Get("language"), v.Get("after")
	for name, zid := range map[string]string{"type": q.Type, "language": q.Language, "after": q.After} {
		if zid != "" && !store.IsZID(zid) {
			return q, fmt.Sprintf("%s %q is not a ZID", name, zid)
		}
	}
	if a := v.Get("aliases"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			return q, fmt.Sprintf("aliases %q is not true or false", a)
		}
		q.Aliases = b
	}
	if ref := v.Get("ref"); ref != "" {
		key, target, ok := strings.Cut(ref, ":")
		if !ok || key == "" || target == "" {
			return q, fmt.Sprintf("ref %q is not KEY:VALUE, as Z14K1:Z801", ref)
		}
		q.Ref = store.Ref{Key: key, Target: target}
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 || n > store.MaxListLimit {
			return q, fmt.Sprintf("limit %q is not a number from 1 to %d", l, store.MaxListLimit)
		}
		q.Limit = n
	}
	return q, ""
}

// objReadBody reads a request body of at most limit bytes, or answers 413 or 400.
func objReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			msg := fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)
			objError(w, http.StatusRequestEntityTooLarge, msg, z.ErrorString(z.CodeUnknown, msg))
			return nil, false
		}
		objError(w, http.StatusBadRequest, "cannot read request body: "+err.Error(), z.ErrorString(z.CodeUnknown, err.Error()))
		return nil, false
	}
	return body, true
}

// storeError answers an error from the store with its status and Z5.
func (h *objectsHandler) storeError(w http.ResponseWriter, r *http.Request, zid string, body []byte, err error) {
	status, msg, z5 := h.classify(r, zid, body, err)
	if status == 0 {
		h.logger.LogAttrs(r.Context(), slog.LevelError, "store failure", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("error", err.Error()))
		status, msg, z5 = http.StatusInternalServerError, "store failure", z.ErrorString(z.CodeUnknown, "store failure").CanonicalJSON()
	}
	objErrorRaw(w, status, msg, z5)
}

// classify gives an error from the store its status, message and Z5; status 0 when the
// error is none the object API knows (a failure of the store itself).
func (h *objectsHandler) classify(r *http.Request, zid string, body []byte, err error) (int, string, []byte) {
	var (
		ie *store.InvalidError
		lc *store.LabelClashError
	)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err.Error(), z.ErrorString(z.CodeZIDNotFound, zid).CanonicalJSON()
	case errors.Is(err, store.ErrMalformed):
		return http.StatusBadRequest, err.Error(), z.ErrorString(z.CodeSyntax, objReason(err), objTruncate(string(body), 1024)).CanonicalJSON()
	case errors.Is(err, store.ErrValidatorPanic):
		h.logger.LogAttrs(r.Context(), slog.LevelError, "validator panic", slog.String("zid", zid), slog.String("error", err.Error()))
		return http.StatusInternalServerError, "the validator failed", z.ErrorString(z.CodeUnknown, "the validator failed").CanonicalJSON()
	case errors.As(err, &lc):
		return http.StatusUnprocessableEntity, err.Error(), z.ErrorString(z.CodeLabelClash, lc.Other, lc.Language).CanonicalJSON()
	case errors.As(err, &ie):
		return http.StatusUnprocessableEntity, err.Error(), objInvalidZ5(ie)
	case errors.Is(err, store.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, err.Error(), z.ErrorString(z.CodeUnknown, objReason(err)).CanonicalJSON()
	case errors.Is(err, store.ErrConflict):
		return http.StatusPreconditionFailed, err.Error(), z.ErrorString(z.CodeUnknown, err.Error()).CanonicalJSON()
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		// The client has gone or timed out; whatever we write is best effort.
		return http.StatusServiceUnavailable, "request canceled", z.ErrorString(z.CodeUnknown, "request canceled").CanonicalJSON()
	case errors.Is(err, store.ErrBadEdit):
		return http.StatusBadRequest, err.Error(), z.ErrorString(z.CodeUnknown, err.Error()).CanonicalJSON()
	}
	return 0, "", nil
}

// objInvalidZ5 is the Z5 of an object the store refused: the validator's own Z5 when its error
// marshals to one, else one built from the store's reason.
func objInvalidZ5(ie *store.InvalidError) []byte {
	var m json.Marshaler
	if ie.Err != nil && errors.As(ie.Err, &m) {
		if b, err := m.MarshalJSON(); err == nil && json.Valid(b) {
			return b
		}
	}
	if ie.Path == "Z2K1" && strings.Contains(ie.Reason, "being stored as") {
		// Upstream's "title mismatch": the object's ZID is not the one it is stored under.
		return z.ErrorString(z.CodeTitleMismatch, ie.ZID, ie.Reason).CanonicalJSON()
	}
	reason := objReason(ie)
	return z.Error(z.CodeNotWellformed, z.NewRef(z.CodeUnknown), z.ErrorString(z.CodeUnknown, reason)).CanonicalJSON()
}

// objReason is an error's message without the package prefix.
func objReason(err error) string {
	var ie *store.InvalidError
	if errors.As(err, &ie) && ie.Err == nil {
		if ie.Path != "" {
			return ie.Path + ": " + ie.Reason
		}
		return ie.Reason
	}
	return strings.TrimPrefix(err.Error(), "store: ")
}

// objTruncate shortens s to at most n bytes of valid UTF-8.
func objTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

func objRevisionHeaders(w http.ResponseWriter, rev store.Revision) {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(rev.Revision, 10)))
	w.Header().Set("X-Zeval-Revision", strconv.FormatInt(rev.Revision, 10))
	w.Header().Set("X-Zeval-Revision-Id", strconv.FormatInt(rev.ID, 10))
}

// objParseETag reads a revision ETag, "3" or W/"3".
func objParseETag(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	if len(s) < 3 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, false
	}
	n, err := strconv.ParseInt(s[1:len(s)-1], 10, 64)
	return n, err == nil && n > 0
}

func objFirst(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func objJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode reply","status":500}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func objError(w http.ResponseWriter, status int, message string, z5 *z.Object) {
	objErrorRaw(w, status, message, z5.CanonicalJSON())
}

// objErrorRaw answers {"error": message, "status": status, "z5": z5} with z5 already JSON.
func objErrorRaw(w http.ResponseWriter, status int, message string, z5 []byte) {
	objJSON(w, status, struct {
		Error  string          `json:"error"`
		Status int             `json:"status"`
		Z5     json.RawMessage `json:"z5"`
	}{message, status, z5})
}
