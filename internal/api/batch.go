package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

// The object API's bulk routes, served by NewObjectsHandler beside the single-object ones:
//
//	POST /v1/objects:batch   writes many objects in one store transaction, all or nothing.
//	                         The body is one JSON object (BatchRequest, not NDJSON: nothing is
//	                         written before all of it is read and checked):
//	                           {"objects": [{"object": Z2, "zid": "Z801", "baseRevision": 3}, ...],
//	                            "comment": "...", "author": "...",
//	                            "uniqueLabels": true, "dryRun": true}
//	                         Only "objects" and each entry's "object" are required. "zid" is
//	                         the ZID the object must have (as the path of a PUT); "baseRevision"
//	                         is a per-object If-Match (-1: If-None-Match *). X-Zeval-Author and
//	                         X-Zeval-Comment take precedence over the body's (the server sets
//	                         the author from the API token). "uniqueLabels" refuses labels
//	                         another object has in the same language, as zeval import does;
//	                         "dryRun" checks everything and writes nothing. 200 with
//	                         BatchReply: counts and each object's {index, zid, status (created,
//	                         updated, unchanged), revision, revisionId}; importing the same
//	                         objects again answers every one unchanged and writes nothing. A
//	                         refused object refuses the batch: the reply is the object API's
//	                         error with "failures", each {index, zid, status, error, z5}, and
//	                         its status is the failures' status when they share one (400 not
//	                         JSON, 412 base revision, 413 object over the size limit, 422 not a
//	                         valid ZObject, a label clash or the same ZID twice), else 422. A
//	                         body that is not a BatchRequest is a 400, one over the batch limit
//	                         (WithObjectsMaxBatchBody, larger than the single-object limit) a
//	                         413; nothing is written either way.
//	GET  /v1/objects:export  the latest revision of every object (type=Z8: of one type), in ZID
//	                         order, from one consistent snapshot of the store, as NDJSON
//	                         (application/x-ndjson): one ExportLine a line, {zid, type,
//	                         revision, revisionId, object}. X-Zeval-Object-Count says how many
//	                         lines follow and X-Zeval-Generation the store's generation at the
//	                         snapshot. A failure after the reply has begun aborts the
//	                         connection, so a client never takes a short export for a whole one.
//	                         At most maxExports stream at once; another gets 503 and Retry-After.

// Paths and limits of the bulk routes.
const (
	BatchPath  = "/v1/objects:batch"
	ExportPath = "/v1/objects:export"
	// DefaultMaxBatchBody is the default limit on a batch's body.
	DefaultMaxBatchBody = 64 << 20
	// MaxBatchObjects is the most objects one batch may hold.
	MaxBatchObjects = 100000
	// exportWriteWindow is how long the client may take to read each part of an export: the
	// server's write timeout is moved on as the export progresses, so a large export is not
	// cut off, but a client that stops reading is.
	exportWriteWindow = 30 * time.Second
	// maxExports is how many exports may stream at once. Each holds one of the store's read
	// connections for as long as its client reads; the rest are left to evaluations.
	maxExports = 2
)

// Headers of an export.
const (
	HeaderObjectCount = "X-Zeval-Object-Count"
	HeaderGeneration  = "X-Zeval-Generation"
)

// WithObjectsMaxBatchBody limits the body of POST /v1/objects:batch to n bytes
// (DefaultMaxBatchBody otherwise). Each object in it is still held to the store's limit.
func WithObjectsMaxBatchBody(n int64) ObjectsOption {
	return func(h *objectsHandler) { h.maxBatchBody = n }
}

// BatchRequest is the body of POST /v1/objects:batch.
type BatchRequest struct {
	Objects      []BatchObject `json:"objects"`
	Author       string        `json:"author,omitempty"`
	Comment      string        `json:"comment,omitempty"`
	UniqueLabels bool          `json:"uniqueLabels,omitempty"`
	DryRun       bool          `json:"dryRun,omitempty"`
}

// BatchObject is one object of a batch.
type BatchObject struct {
	Object json.RawMessage `json:"object"`
	// ZID, when set, is the ZID the object must have.
	ZID string `json:"zid,omitempty"`
	// BaseRevision, when not 0, writes the object only over this revision; -1 only when it
	// does not exist yet.
	BaseRevision int64 `json:"baseRevision,omitempty"`
}

// BatchReply is the answer to a batch that was written (or, with dryRun, would be).
type BatchReply struct {
	DryRun    bool          `json:"dryRun,omitempty"`
	Created   int           `json:"created"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Results   []BatchResult `json:"results"`
}

// BatchResult is what a batch did with one object.
type BatchResult struct {
	Index      int    `json:"index"`
	ZID        string `json:"zid"`
	Status     string `json:"status"` // created, updated or unchanged
	Revision   int64  `json:"revision"`
	RevisionID int64  `json:"revisionId"`
}

// BatchFailure is why one object refused a batch.
type BatchFailure struct {
	Index  int             `json:"index"`
	ZID    string          `json:"zid,omitempty"`
	Status int             `json:"status"`
	Error  string          `json:"error"`
	Z5     json.RawMessage `json:"z5"`
}

// BatchErrorReply is the answer to a refused batch: the object API's error with the failures.
type BatchErrorReply struct {
	Error    string          `json:"error"`
	Status   int             `json:"status"`
	Z5       json.RawMessage `json:"z5"`
	Failures []BatchFailure  `json:"failures"`
}

// ExportLine is one line of GET /v1/objects:export.
type ExportLine struct {
	ZID        string          `json:"zid"`
	Type       string          `json:"type"`
	Revision   int64           `json:"revision"`
	RevisionID int64           `json:"revisionId"`
	Object     json.RawMessage `json:"object"`
}

// errBadBatch is wrapped by every error of decodeBatch.
var errBadBatch = errors.New("not a batch")

// decodeBatch reads a batch body: one JSON object, no unknown fields, an "objects" array of
// at most MaxBatchObjects entries, each with an "object", a ZID (if any) that is one and a
// base revision of -1 or more. It checks the shape only; the store checks the objects.
func decodeBatch(body []byte) (BatchRequest, error) {
	var req BatchRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return BatchRequest{}, fmt.Errorf(`%w: the body is not a JSON object {"objects": [...]}: %v`, errBadBatch, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return BatchRequest{}, fmt.Errorf("%w: the body has more than one JSON value", errBadBatch)
	}
	if req.Objects == nil {
		return BatchRequest{}, fmt.Errorf(`%w: the body has no "objects" array`, errBadBatch)
	}
	if len(req.Objects) > MaxBatchObjects {
		return BatchRequest{}, fmt.Errorf("%w: %d objects, more than the limit of %d", errBadBatch, len(req.Objects), MaxBatchObjects)
	}
	for i, o := range req.Objects {
		switch raw := bytes.TrimSpace(o.Object); {
		case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
			return BatchRequest{}, fmt.Errorf(`%w: objects[%d] has no "object"`, errBadBatch, i)
		case o.ZID != "" && !store.IsZID(o.ZID):
			return BatchRequest{}, fmt.Errorf("%w: objects[%d]: zid %q is not a ZID", errBadBatch, i, o.ZID)
		case o.BaseRevision < -1:
			return BatchRequest{}, fmt.Errorf(`%w: objects[%d]: baseRevision %d is not a revision (or -1: "must not exist yet")`, errBadBatch, i, o.BaseRevision)
		}
	}
	return req, nil
}

func (h *objectsHandler) batch(w http.ResponseWriter, r *http.Request) {
	body, ok := objReadBody(w, r, h.maxBatchBody)
	if !ok {
		return
	}
	req, err := decodeBatch(body)
	if err != nil {
		objError(w, http.StatusBadRequest, err.Error(), z.ErrorString(z.CodeSyntax, err.Error(), objTruncate(string(body), 1024)))
		return
	}
	edit := store.Edit{
		Author:  objFirst(r.Header.Get("X-Zeval-Author"), req.Author, h.defaultAuthor),
		Comment: objFirst(r.Header.Get("X-Zeval-Comment"), req.Comment),
	}
	docs := make([]store.Doc, len(req.Objects))
	for i, o := range req.Objects {
		docs[i] = store.Doc{Name: fmt.Sprintf("objects[%d]", i), ZID: o.ZID, Data: o.Object, BaseRevision: o.BaseRevision}
	}
	var opts []store.BatchOption
	if req.DryRun {
		opts = append(opts, store.DryRun())
	}
	if req.UniqueLabels {
		opts = append(opts, store.UniqueLabels())
	}
	res, err := h.store.PutBatch(r.Context(), docs, edit, opts...)
	var be *store.BatchError
	if errors.As(err, &be) {
		h.batchRefused(w, r, req, be)
		return
	}
	if err != nil {
		h.storeError(w, r, "", nil, err)
		return
	}
	reply := BatchReply{DryRun: req.DryRun, Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged,
		Results: make([]BatchResult, len(res.Results))}
	for i, pr := range res.Results {
		status := "unchanged"
		switch {
		case pr.Created:
			status = "created"
		case pr.Changed:
			status = "updated"
		}
		reply.Results[i] = BatchResult{Index: i, ZID: pr.ZID, Status: status, Revision: pr.Revision.Revision, RevisionID: pr.ID}
	}
	if !req.DryRun && res.Created+res.Updated > 0 {
		h.logger.LogAttrs(r.Context(), slog.LevelInfo, "objects stored", slog.Int("created", res.Created),
			slog.Int("updated", res.Updated), slog.Int("unchanged", res.Unchanged), slog.String("author", edit.Author))
	}
	objJSON(w, http.StatusOK, reply)
}

// batchRefused answers a batch the store refused, naming every refused object.
func (h *objectsHandler) batchRefused(w http.ResponseWriter, r *http.Request, req BatchRequest, be *store.BatchError) {
	out := BatchErrorReply{Failures: make([]BatchFailure, 0, len(be.Failed))}
	for _, f := range be.Failed {
		bf := BatchFailure{Index: f.Index, ZID: batchZID(req, f)}
		var data []byte
		if f.Index >= 0 && f.Index < len(req.Objects) {
			data = req.Objects[f.Index].Object
		}
		bf.Status, bf.Error, bf.Z5 = h.classify(r, bf.ZID, data, f.Err)
		if bf.Status == 0 {
			// A refusal the object API has no status of its own for (the same ZID twice).
			bf.Status, bf.Error = http.StatusUnprocessableEntity, f.Err.Error()
			bf.Z5 = z.ErrorString(z.CodeUnknown, bf.Error).CanonicalJSON()
		}
		switch {
		case out.Status == 0:
			out.Status = bf.Status
		case out.Status != bf.Status && out.Status < 500:
			out.Status = max(http.StatusUnprocessableEntity, bf.Status)
		}
		out.Failures = append(out.Failures, bf)
	}
	if out.Status >= 500 {
		out.Status = http.StatusInternalServerError
	}
	out.Error = fmt.Sprintf("%d of %d objects refused; nothing was written", len(out.Failures), len(req.Objects))
	if len(out.Failures) == 1 {
		f := out.Failures[0]
		name := fmt.Sprintf("objects[%d]", f.Index)
		if f.ZID != "" {
			name += " (" + f.ZID + ")"
		}
		out.Error = name + " refused; nothing was written: " + f.Error
	}
	out.Z5 = z.ErrorString(z.CodeUnknown, out.Error).CanonicalJSON()
	objJSON(w, out.Status, out)
}

// batchZID names the object of a failure: the ZID it was sent under, else the one the store
// read from it, else its Z2K1 if that is a ZID.
func batchZID(req BatchRequest, f store.DocError) string {
	if f.Index < 0 || f.Index >= len(req.Objects) {
		return ""
	}
	if zid := req.Objects[f.Index].ZID; zid != "" {
		return zid
	}
	var (
		ie *store.InvalidError
		lc *store.LabelClashError
	)
	switch {
	case errors.As(f.Err, &lc):
		return lc.ZID
	case errors.As(f.Err, &ie) && ie.ZID != "":
		return ie.ZID
	}
	// The object may be far from a valid Z2: read its Z2K1 as plainly as possible.
	var probe struct{ Z2K1 json.RawMessage }
	if json.Unmarshal(req.Objects[f.Index].Object, &probe) != nil {
		return ""
	}
	var zid string
	if json.Unmarshal(probe.Z2K1, &zid) != nil {
		var str struct{ Z6K1 string }
		_ = json.Unmarshal(probe.Z2K1, &str)
		zid = str.Z6K1
	}
	if !store.IsZID(zid) {
		return ""
	}
	return zid
}

// exportParams reads the query of an export: type= only.
func exportParams(r *http.Request) (string, string) {
	v := r.URL.Query()
	for k, vals := range v {
		if k != "type" {
			return "", fmt.Sprintf("unknown parameter %q (known: type)", k)
		}
		if len(vals) > 1 {
			return "", fmt.Sprintf("parameter %q given %d times", k, len(vals))
		}
	}
	typ := v.Get("type")
	if typ != "" && !store.IsZID(typ) {
		return "", fmt.Sprintf("type %q is not a ZID", typ)
	}
	return typ, ""
}

func (h *objectsHandler) export(w http.ResponseWriter, r *http.Request) {
	typ, msg := exportParams(r)
	if msg != "" {
		objError(w, http.StatusBadRequest, msg, z.ErrorString(z.CodeUnknown, msg))
		return
	}
	select {
	case h.exports <- struct{}{}:
		defer func() { <-h.exports }()
	default:
		w.Header().Set("Retry-After", "5")
		msg := fmt.Sprintf("%d exports are running; try again later", maxExports)
		objError(w, http.StatusServiceUnavailable, msg, z.ErrorString(z.CodeUnknown, msg))
		return
	}
	ctx := r.Context()
	snap, err := h.store.Snapshot(ctx)
	if err != nil {
		h.storeError(w, r, "", nil, err)
		return
	}
	defer snap.Close()
	count, err := snap.Count(ctx, typ)
	if err != nil {
		h.storeError(w, r, "", nil, err)
		return
	}
	gen, err := snap.Generation(ctx)
	if err != nil {
		h.storeError(w, r, "", nil, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set(HeaderObjectCount, strconv.Itoa(count))
	w.Header().Set(HeaderGeneration, strconv.FormatInt(gen, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	sent := 0
	err = snap.Each(ctx, typ, func(o store.Object) error {
		// Not supported by every ResponseWriter (a test's recorder); then the server's own
		// write timeout holds.
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
		sent++
		return enc.Encode(ExportLine{ZID: o.ZID, Type: o.Type, Revision: o.Revision.Revision, RevisionID: o.ID, Object: o.Data})
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && sent != count {
		err = fmt.Errorf("counted %d objects but read %d", count, sent)
	}
	if err != nil {
		// The status is sent: only a broken connection can tell the client now.
		h.logger.LogAttrs(ctx, slog.LevelError, "export cut off", slog.Int("sent", sent), slog.Int("count", count),
			slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
}
