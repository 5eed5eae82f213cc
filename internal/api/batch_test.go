package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/quota"
	"github.com/zeval/zeval/internal/store"
)

// batchBody builds a batch of the given objects (Z2 JSON), with extra top-level fields.
func batchBody(extra string, objects ...string) string {
	items := make([]string, len(objects))
	for i, o := range objects {
		if strings.HasPrefix(o, `{"object"`) {
			items[i] = o
		} else {
			items[i] = `{"object":` + o + `}`
		}
	}
	if extra != "" {
		extra = "," + extra
	}
	return `{"objects":[` + strings.Join(items, ",") + `]` + extra + `}`
}

func generation(t *testing.T, s *store.Store) int64 {
	t.Helper()
	g, err := s.Generation(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func batchReply(t *testing.T, w *httptest.ResponseRecorder) BatchReply {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("batch = %d %s, want 200", w.Code, w.Body)
	}
	var r BatchReply
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("batch reply %s: %v", w.Body, err)
	}
	return r
}

// batchFailures decodes a refused batch and lists its failures as "index zid status".
func batchFailures(t *testing.T, w *httptest.ResponseRecorder) []string {
	t.Helper()
	errorBody(t, w)
	var r BatchErrorReply
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		t.Fatalf("batch error %s: %v", w.Body, err)
	}
	var out []string
	for _, f := range r.Failures {
		if f.Error == "" || !json.Valid(f.Z5) {
			t.Errorf("failure %+v has no message or Z5", f)
		}
		out = append(out, fmt.Sprintf("%d %s %d", f.Index, f.ZID, f.Status))
	}
	return out
}

func TestBatchWrite(t *testing.T) {
	s, h := newObjectsServer(t)
	post := func(body string, header map[string]string) *httptest.ResponseRecorder {
		return do(t, h, objRequest{"POST", BatchPath, body, header})
	}
	one, two := objZ2("Z10001", `"one"`, "one"), objZ2("Z10002", `"two"`, "two")

	r := batchReply(t, post(batchBody(`"comment":"first"`, one, two), map[string]string{"X-Zeval-Author": "alice"}))
	want := []BatchResult{{0, "Z10001", "created", 1, 1}, {1, "Z10002", "created", 1, 2}}
	if r.Created != 2 || !reflect.DeepEqual(r.Results, want) {
		t.Errorf("first batch = %+v, want %+v", r, want)
	}
	if o, err := s.Get(context.Background(), "Z10002"); err != nil || o.Author != "alice" || o.Comment != "first" {
		t.Errorf("Z10002 = %+v, %v; want by alice, comment first", o.Revision, err)
	}

	// The same batch again changes nothing.
	gen := generation(t, s)
	r = batchReply(t, post(batchBody("", one, two), nil))
	if r.Unchanged != 2 || r.Results[0].Status != "unchanged" || r.Results[1].Revision != 1 || generation(t, s) != gen {
		t.Errorf("same batch again = %+v, want both unchanged, nothing written", r)
	}

	// An update with the right base revision, in a batch with an unchanged object.
	r = batchReply(t, post(batchBody("", `{"object":`+objZ2("Z10001", `"uno"`, "one")+`,"zid":"Z10001","baseRevision":1}`, two), nil))
	if r.Updated != 1 || r.Unchanged != 1 || r.Results[0].Status != "updated" || r.Results[0].Revision != 2 {
		t.Errorf("update = %+v", r)
	}

	// A dry run says what would happen and writes nothing.
	gen = generation(t, s)
	r = batchReply(t, post(batchBody(`"dryRun":true`, objZ2("Z10003", `"three"`, "three")), nil))
	if !r.DryRun || r.Created != 1 || generation(t, s) != gen {
		t.Errorf("dry run = %+v (generation %d, was %d)", r, generation(t, s), gen)
	}
	if _, err := s.Get(context.Background(), "Z10003"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a dry run stored Z10003: %v", err)
	}

	// An empty batch is fine.
	if r := batchReply(t, post(`{"objects":[]}`, nil)); len(r.Results) != 0 {
		t.Errorf("empty batch = %+v", r)
	}
}

// TestBatchRefused: a batch with refused objects writes nothing and names each by index and
// ZID, with the status the failures share.
func TestBatchRefused(t *testing.T) {
	s, h := newObjectsServer(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "", []byte(objZ2("Z10001", `"one"`, "taken")), store.Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	good := objZ2("Z10002", `"fine"`, "fine")
	notZObject := objZ2("Z10003", `{"Z1K1":"Z6","Z6K1":5}`, "three")
	big := objZ2("Z10005", `"`+strings.Repeat("x", store.DefaultMaxObjectBytes)+`"`, "big")
	tests := []struct {
		name   string
		body   string
		status int
		want   []string // failures
	}{
		{"one invalid object", batchBody("", good, notZObject), 422, []string{"1 Z10003 422"}},
		{"wrong ZID", batchBody("", `{"object":`+good+`,"zid":"Z10009"}`), 422, []string{"0 Z10009 422"}},
		{"same ZID twice", batchBody("", good, good), 422, []string{"1 Z10002 422"}},
		{"label clash", batchBody(`"uniqueLabels":true`, good, objZ2("Z10004", `"x"`, "taken")), 422, []string{"1 Z10004 422"}},
		{"stale base revision", batchBody("", good, `{"object":`+objZ2("Z10001", `"uno"`, "one")+`,"baseRevision":2}`), 412, []string{"1 Z10001 412"}},
		{"must not exist", batchBody("", `{"object":`+objZ2("Z10001", `"uno"`, "one")+`,"baseRevision":-1}`), 412, []string{"0 Z10001 412"}},
		{"invalid before conflicting", batchBody("", notZObject, good, `{"object":`+objZ2("Z10001", `"uno"`, "one")+`,"baseRevision":7}`), 422, []string{"0 Z10003 422"}},
		{"mixed refusals", batchBody("", notZObject, good, big), 422, []string{"0 Z10003 422", "2 Z10005 413"}},
		{"object not a Z2", batchBody("", good, `"a string"`), 422, []string{"1  422"}},
		{"object over the store's limit", batchBody("", big), 413, []string{"0 Z10005 413"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := generation(t, s)
			w := do(t, h, objRequest{"POST", BatchPath, tc.body, nil})
			if w.Code != tc.status {
				t.Fatalf("batch = %d %.500s, want %d", w.Code, w.Body, tc.status)
			}
			if got := batchFailures(t, w); tc.want != nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("failures = %v, want %v\n%s", got, tc.want, w.Body)
			}
			if after := generation(t, s); after != before {
				t.Errorf("a refused batch wrote (generation %d -> %d)", before, after)
			}
		})
	}
}

// TestBatchBadBodies: what is not a batch is a 400 (413 when too large), before the store
// sees anything.
func TestBatchBadBodies(t *testing.T) {
	s, h := newObjectsServer(t, WithObjectsMaxBatchBody(1<<12))
	good := objZ2("Z10002", `"fine"`, "fine")
	tests := []struct {
		name, method, body string
		status             int
		want               string
	}{
		{"malformed JSON", "POST", `{"objects":[`, 400, "not a JSON object"},
		{"array", "POST", `[` + good + `]`, 400, "not a JSON object"},
		{"no objects", "POST", `{}`, 400, `no "objects"`},
		{"null objects", "POST", `{"objects":null}`, 400, `no "objects"`},
		{"unknown field", "POST", `{"objects":[],"comments":"x"}`, 400, "unknown field"},
		{"unknown item field", "POST", `{"objects":[{"object":` + good + `,"base":1}]}`, 400, "unknown field"},
		{"item without object", "POST", `{"objects":[{"object":` + good + `},{"zid":"Z1"}]}`, 400, `objects[1] has no "object"`},
		{"null object", "POST", `{"objects":[{"object":null}]}`, 400, `objects[0] has no "object"`},
		{"bad zid", "POST", `{"objects":[{"object":` + good + `,"zid":"../x"}]}`, 400, "is not a ZID"},
		{"bad base revision", "POST", `{"objects":[{"object":` + good + `,"baseRevision":-2}]}`, 400, "not a revision"},
		{"two values", "POST", `{"objects":[]} {}`, 400, "more than one JSON value"},
		{"empty body", "POST", ``, 400, "not a JSON object"},
		{"over the batch limit", "POST", batchBody("", good, `"`+strings.Repeat("x", 1<<12)+`"`), 413, "larger than 4096"},
		{"GET", "GET", "", 405, "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, objRequest{tc.method, BatchPath, tc.body, nil})
			msg, _ := errorBody(t, w)
			if w.Code != tc.status || !strings.Contains(msg, tc.want) {
				t.Errorf("batch = %d %q, want %d with %q", w.Code, msg, tc.status, tc.want)
			}
		})
	}
	if g := generation(t, s); g != 0 {
		t.Errorf("bad bodies wrote (generation %d)", g)
	}
}

// readExport reads an NDJSON export, checking the count header.
func readExport(t *testing.T, w *httptest.ResponseRecorder) []ExportLine {
	t.Helper()
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("export = %d %s %.300s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var lines []ExportLine
	sc := bufio.NewScanner(bytes.NewReader(w.Body.Bytes()))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var l ExportLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("export line %q: %v", sc.Bytes(), err)
		}
		lines = append(lines, l)
	}
	if n, err := strconv.Atoi(w.Header().Get(HeaderObjectCount)); err != nil || n != len(lines) {
		t.Errorf("%s = %q, but %d lines", HeaderObjectCount, w.Header().Get(HeaderObjectCount), len(lines))
	}
	return lines
}

func TestExport(t *testing.T) {
	s, h := newObjectsServer(t)
	ctx := context.Background()
	if r := batchReply(t, do(t, h, objRequest{"POST", BatchPath, batchBody("",
		objZ2("Z10010", `{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14"],"Z8K5":"Z10010"}`, "f <&>"),
		objZ2("Z9", `"nine"`, "nine"), objZ2("Z10001", `"one"`, "one")), nil})); r.Created != 3 {
		t.Fatalf("batch = %+v", r)
	}
	if _, err := s.Put(ctx, "", []byte(objZ2("Z9", `"nine, again"`, "nine")), store.Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	lines := readExport(t, do(t, h, objRequest{"GET", ExportPath, "", nil}))
	var zids []string
	for _, l := range lines {
		zids = append(zids, l.ZID)
		o, err := s.Get(ctx, l.ZID)
		if err != nil || !bytes.Equal(o.Data, l.Object) || o.Revision.Revision != l.Revision || o.ID != l.RevisionID || o.Type != l.Type {
			t.Errorf("export line %s = %+v, store has %+v (%v)", l.ZID, l, o, err)
		}
	}
	if want := []string{"Z9", "Z10001", "Z10010"}; !reflect.DeepEqual(zids, want) {
		t.Errorf("exported %v, want %v", zids, want)
	}
	w := do(t, h, objRequest{"GET", ExportPath, "", nil})
	if g := w.Header().Get(HeaderGeneration); g != strconv.FormatInt(generation(t, s), 10) {
		t.Errorf("%s = %q, want %d", HeaderGeneration, g, generation(t, s))
	}
	if !strings.Contains(w.Body.String(), "f <&>") {
		t.Errorf("export escaped HTML characters: %.300s", w.Body)
	}
	if lines := readExport(t, do(t, h, objRequest{"GET", ExportPath + "?type=Z8", "", nil})); len(lines) != 1 || lines[0].ZID != "Z10010" {
		t.Errorf("export of Z8 = %+v", lines)
	}
	if w := do(t, h, objRequest{"HEAD", ExportPath, "", nil}); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get(HeaderObjectCount) != "3" {
		t.Errorf("HEAD export = %d, %d bytes, count %q", w.Code, w.Body.Len(), w.Header().Get(HeaderObjectCount))
	}
	for target, status := range map[string]int{
		ExportPath + "?type=eight":      400,
		ExportPath + "?limit=3":         400,
		ExportPath + "?type=Z8&type=Z6": 400,
	} {
		w := do(t, h, objRequest{"GET", target, "", nil})
		if msg, _ := errorBody(t, w); w.Code != status {
			t.Errorf("GET %s = %d %s, want %d", target, w.Code, msg, status)
		}
	}
	if w := do(t, h, objRequest{"POST", ExportPath, "", nil}); w.Code != 405 {
		t.Errorf("POST export = %d, want 405", w.Code)
	}
	// While maxExports exports stream, another is turned away.
	oh := h.(*objectsHandler)
	for range maxExports {
		oh.exports <- struct{}{}
	}
	if w := do(t, h, objRequest{"GET", ExportPath, "", nil}); w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Errorf("export with every slot taken = %d, want 503 with Retry-After", w.Code)
	}
	for range maxExports {
		<-oh.exports
	}
	_, eh := newObjectsServer(t)
	if lines := readExport(t, do(t, eh, objRequest{"GET", ExportPath, "", nil})); len(lines) != 0 {
		t.Errorf("export of an empty store = %d lines", len(lines))
	}
}

// TestBatchThroughServer: the Server routes the bulk routes to the object API, and the
// limits in front of it treat a batch as a write: no token, a bad token or no tokens at all
// is refused and writes nothing; with a token the token's name is the author.
func TestBatchThroughServer(t *testing.T) {
	s, objects := newObjectsServer(t)
	srv := New(nil, WithObjects(objects))
	tokens, err := quota.ParseTokens([]byte("alice:secret-token-of-alice-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	withTokens, err := quota.New(quota.WithTokens(tokens))
	if err != nil {
		t.Fatal(err)
	}
	noTokens, err := quota.New()
	if err != nil {
		t.Fatal(err)
	}
	body := batchBody(`"author":"mallory"`, objZ2("Z10001", `"one"`, "one"))
	tests := []struct {
		name   string
		h      http.Handler
		auth   string
		status int
	}{
		{"no token", withTokens.Handler(srv), "", 401},
		{"unknown token", withTokens.Handler(srv), "Bearer nope-nope-nope-nope-nope-nope", 401},
		{"not bearer", withTokens.Handler(srv), "Basic YTpi", 401},
		{"writes off", noTokens.Handler(srv), "", 403},
		{"token", withTokens.Handler(srv), "Bearer secret-token-of-alice-0123456789", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := generation(t, s)
			w := do(t, tc.h, objRequest{"POST", BatchPath, body, map[string]string{"Authorization": tc.auth}})
			if w.Code != tc.status {
				t.Fatalf("batch = %d %s, want %d", w.Code, w.Body, tc.status)
			}
			if tc.status != 200 && generation(t, s) != before {
				t.Errorf("a refused batch wrote")
			}
		})
	}
	if o, err := s.Get(context.Background(), "Z10001"); err != nil || o.Author != "alice" {
		t.Errorf("Z10001 = %+v, %v; want written by alice (the token), not the body's author", o.Revision, err)
	}
	if lines := readExport(t, do(t, withTokens.Handler(srv), objRequest{"GET", ExportPath, "", nil})); len(lines) != 1 {
		t.Errorf("export through the server = %d lines, want 1", len(lines))
	}
}

// FuzzDecodeBatch: the batch decoder answers every body with a request or an error, never a
// panic, and what it accepts is what the handler writes or refuses with a 4xx naming objects.
func FuzzDecodeBatch(f *testing.F) {
	good := objZ2("Z10001", `"one"`, "one")
	f.Add(batchBody("", good))
	f.Add(batchBody(`"dryRun":true,"uniqueLabels":true,"comment":"c"`, good, objZ2("Z10002", `"two"`, "one")))
	f.Add(`{"objects":[{"object":` + good + `,"zid":"Z10001","baseRevision":-1}]}`)
	f.Add(`{"objects":[{"object":"x"}]}`)
	f.Add(`{"objects":[{"object":{"Z1K1":`)
	f.Add(`{"objects":[]}`)
	f.Add(`[` + good + `]`)
	f.Add(strings.Repeat(`{"objects":[`, 500))
	f.Add("{\"objects\":[{\"object\":\"\xff\"}]}")
	_, h := newObjectsServer(f, WithObjectsMaxBatchBody(1<<16))
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodeBatch([]byte(body))
		if err == nil {
			if req.Objects == nil {
				t.Fatalf("decodeBatch(%q) accepted a body without objects", body)
			}
			for i, o := range req.Objects {
				if len(o.Object) == 0 || (o.ZID != "" && !store.IsZID(o.ZID)) || o.BaseRevision < -1 {
					t.Fatalf("decodeBatch(%q) accepted objects[%d] = %+v", body, i, o)
				}
			}
		} else if !errors.Is(err, errBadBatch) {
			t.Fatalf("decodeBatch(%q) = %v, not an errBadBatch", body, err)
		}
		w := do(t, h, objRequest{"POST", BatchPath, body, nil})
		switch {
		case w.Code == http.StatusOK:
			if err != nil {
				t.Fatalf("handler wrote %q, which decodeBatch refuses: %v", body, err)
			}
		case w.Code >= 400 && w.Code < 500:
			var e BatchErrorReply
			if jerr := json.Unmarshal(w.Body.Bytes(), &e); jerr != nil || e.Error == "" || len(e.Z5) == 0 {
				t.Fatalf("batch %q = %d with body %q, want a JSON error", body, w.Code, w.Body)
			}
			if err == nil && w.Code != http.StatusRequestEntityTooLarge && len(e.Failures) == 0 {
				t.Fatalf("batch %q = %d without failures, though it decodes", body, w.Code)
			}
		default:
			t.Fatalf("batch %q = %d %s", body, w.Code, w.Body)
		}
	})
}
