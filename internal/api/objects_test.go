package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

// testZ5Error is what a validator built on zobject returns: an error that marshals to its Z5.
type testZ5Error struct{ z5 *z.Object }

func (e *testZ5Error) Error() string                { return "invalid: " + e.z5.String() }
func (e *testZ5Error) MarshalJSON() ([]byte, error) { return e.z5.CanonicalJSON(), nil }

func testValidator() store.Validator {
	return store.ValidatorFunc(func(_ context.Context, z2 []byte) error {
		if z5 := z.Validate(z2, z.Canonical, "Z2"); z5 != nil {
			return &testZ5Error{z5}
		}
		return nil
	})
}

func newObjectsServer(t testing.TB, opts ...ObjectsOption) (*store.Store, http.Handler) {
	t.Helper()
	s, err := store.Open(context.Background(), store.Memory, store.WithValidator(testValidator()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, NewObjectsHandler(s, opts...)
}

// objZ2 builds a Z2 with an English label.
func objZ2(zid, value, label string) string {
	return fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":%s,"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":%q}]}}`,
		zid, value, label)
}

type objRequest struct {
	method, target, body string
	header               map[string]string
}

func do(t testing.TB, h http.Handler, req objRequest) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(req.method, req.target, strings.NewReader(req.body))
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// errorBody decodes an error reply and checks its shape; it returns the Z5's error type.
func errorBody(t *testing.T, w *httptest.ResponseRecorder) (message, z5type string) {
	t.Helper()
	var body struct {
		Error  string          `json:"error"`
		Status int             `json:"status"`
		Z5     json.RawMessage `json:"z5"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q is not JSON: %v", w.Body, err)
	}
	if body.Status != w.Code || body.Error == "" {
		t.Errorf("error body %s: want status %d and a message", w.Body, w.Code)
	}
	o, err := z.Parse(body.Z5)
	if err != nil || !z.IsError(o) {
		t.Fatalf("error body z5 %s is not a Z5: %v", body.Z5, err)
	}
	return body.Error, z.ErrorType(o)
}

func TestObjectsPutGet(t *testing.T) {
	s, h := newObjectsServer(t, WithObjectsMaxBody(600))
	v1 := objZ2("Z10001", `{"Z1K1":"Z6","Z6K1":"one"}`, "first")
	v2 := objZ2("Z10001", `"two"`, "second")

	type want struct {
		status   int
		revision int64
		created  bool
		changed  bool
		author   string
		comment  string
	}
	steps := []struct {
		name string
		req  objRequest
		want want
	}{
		{"create", objRequest{"PUT", "/v1/objects/Z10001", v1, map[string]string{"X-Zeval-Author": "alice", "X-Zeval-Comment": "new"}},
			want{http.StatusCreated, 1, true, true, "alice", "new"}},
		{"same again", objRequest{"PUT", "/v1/objects/Z10001", v1, map[string]string{"X-Zeval-Author": "bob"}},
			want{http.StatusOK, 1, false, false, "alice", "new"}},
		{"author from the query", objRequest{"PUT", "/v1/objects/Z10001?author=carol&comment=" + url.QueryEscape("to two"), v2, nil},
			want{http.StatusOK, 2, false, true, "carol", "to two"}},
		{"default author", objRequest{"PUT", "/v1/objects/Z10002", objZ2("Z0", `"x"`, "placeholder"), nil},
			want{http.StatusCreated, 1, true, true, "anonymous", ""}},
		{"matching If-Match", objRequest{"PUT", "/v1/objects/Z10002", objZ2("Z10002", `"y"`, "placeholder"), map[string]string{"If-Match": `"1"`}},
			want{http.StatusOK, 2, false, true, "anonymous", ""}},
		{"If-None-Match on a new object", objRequest{"PUT", "/v1/objects/Z10003", objZ2("Z10003", `"y"`, "three"), map[string]string{"If-None-Match": "*"}},
			want{http.StatusCreated, 1, true, true, "anonymous", ""}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			w := do(t, h, st.req)
			if w.Code != st.want.status {
				t.Fatalf("%s %s = %d %s, want %d", st.req.method, st.req.target, w.Code, w.Body, st.want.status)
			}
			var got objWriteResult
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Revision != st.want.revision || got.Created != st.want.created || got.Changed != st.want.changed ||
				got.Author != st.want.author || got.Comment != st.want.comment || got.RevisionID <= 0 {
				t.Errorf("PUT = %+v, want %+v", got, st.want)
			}
			if etag := w.Header().Get("ETag"); etag != fmt.Sprintf(`"%d"`, st.want.revision) {
				t.Errorf("ETag = %s, want revision %d", etag, st.want.revision)
			}
			if loc := w.Header().Get("Location"); st.want.created != (loc != "") {
				t.Errorf("Location = %q, created %v", loc, st.want.created)
			}
		})
	}

	canon := func(raw string) string {
		env, err := store.ParseZ2([]byte(raw), "")
		if err != nil {
			t.Fatal(err)
		}
		return string(env.Canonical)
	}
	gets := []struct {
		name   string
		req    objRequest
		status int
		body   string
		etag   string
	}{
		{"latest", objRequest{"GET", "/v1/objects/Z10001", "", nil}, http.StatusOK, canon(v2), `"2"`},
		{"first revision", objRequest{"GET", "/v1/objects/Z10001?revision=1", "", nil}, http.StatusOK, canon(v1), `"1"`},
		{"not modified", objRequest{"GET", "/v1/objects/Z10001", "", map[string]string{"If-None-Match": `"2"`}}, http.StatusNotModified, "", `"2"`},
		{"modified since", objRequest{"GET", "/v1/objects/Z10001", "", map[string]string{"If-None-Match": `"1"`}}, http.StatusOK, canon(v2), `"2"`},
		{"head", objRequest{"HEAD", "/v1/objects/Z10001", "", nil}, http.StatusOK, "", `"2"`},
		{"placeholder got its ZID", objRequest{"GET", "/v1/objects/Z10002?revision=1", "", nil}, http.StatusOK, canon(objZ2("Z10002", `"x"`, "placeholder")), `"1"`},
	}
	for _, g := range gets {
		t.Run(g.name, func(t *testing.T) {
			w := do(t, h, g.req)
			if w.Code != g.status || w.Body.String() != g.body || w.Header().Get("ETag") != g.etag {
				t.Errorf("%s %s = %d %s ETag %s, want %d %s ETag %s", g.req.method, g.req.target, w.Code, w.Body, w.Header().Get("ETag"), g.status, g.body, g.etag)
			}
		})
	}
	if w := do(t, h, objRequest{"GET", "/v1/objects/Z10001", "", nil}); w.Header().Get("Content-Type") != "application/json; charset=utf-8" ||
		w.Header().Get("Last-Modified") == "" || w.Header().Get("X-Zeval-Revision") != "2" {
		t.Errorf("GET headers = %v", w.Header())
	}
	if v, err := s.Version(context.Background(), "Z10001"); err != nil ||
		do(t, h, objRequest{"GET", "/v1/objects/Z10001", "", nil}).Header().Get("X-Zeval-Revision-Id") != fmt.Sprint(v) {
		t.Errorf("X-Zeval-Revision-Id is not the store's version %d (%v)", v, err)
	}

	w := do(t, h, objRequest{"GET", "/v1/objects/Z10001/revisions", "", nil})
	var hist struct {
		ZID       string        `json:"zid"`
		Revisions []objRevision `json:"revisions"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &hist); err != nil || w.Code != http.StatusOK {
		t.Fatalf("GET revisions = %d %s, %v", w.Code, w.Body, err)
	}
	if hist.ZID != "Z10001" || len(hist.Revisions) != 2 || hist.Revisions[0].Revision != 2 || hist.Revisions[0].Author != "carol" ||
		hist.Revisions[1].Revision != 1 || hist.Revisions[1].Author != "alice" || hist.Revisions[1].Comment != "new" {
		t.Errorf("GET revisions = %s", w.Body)
	}
}

func TestObjectsErrors(t *testing.T) {
	_, h := newObjectsServer(t, WithObjectsMaxBody(600))
	if w := do(t, h, objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"one"`, "first"), nil}); w.Code != http.StatusCreated {
		t.Fatalf("PUT = %d %s", w.Code, w.Body)
	}
	tests := []struct {
		name   string
		req    objRequest
		status int
		z5     string // error type of the Z5
		msg    string // in the message
	}{
		{"not JSON", objRequest{"PUT", "/v1/objects/Z10001", `{"Z1K1":`, nil}, http.StatusBadRequest, "Z501", "JSON syntax error"},
		{"empty body", objRequest{"PUT", "/v1/objects/Z10001", ``, nil}, http.StatusBadRequest, "Z501", "unexpected end"},
		{"number in the object", objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `{"Z1K1":"Z6","Z6K1":5}`, "x"), nil}, http.StatusUnprocessableEntity, "Z502", "number 5"},
		{"not a Z2", objRequest{"PUT", "/v1/objects/Z10001", `{"Z1K1":"Z6","Z6K1":"x"}`, nil}, http.StatusUnprocessableEntity, "Z502", "type Z2"},
		{"ZID mismatch", objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10005", `"x"`, "x"), nil}, http.StatusUnprocessableEntity, "Z555", "stored as Z10001"},
		{"validator refuses", objRequest{"PUT", "/v1/objects/Z10001", `{"Z1K1":"Z2","Z2K1":"Z10001","Z2K2":{"Z1K1":"Z40","Z40K1":"Z99"}}`, nil}, http.StatusUnprocessableEntity, "Z502", "invalid"},
		{"too large", objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"`+strings.Repeat("x", 700)+`"`, "x"), nil}, http.StatusRequestEntityTooLarge, "Z500", "larger than 600 bytes"},
		{"stale If-Match", objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"two"`, "x"), map[string]string{"If-Match": `"7"`}}, http.StatusPreconditionFailed, "Z500", "not 7"},
		{"If-None-Match on an existing object", objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"two"`, "x"), map[string]string{"If-None-Match": "*"}}, http.StatusPreconditionFailed, "Z500", "already exists"},
		{"bad If-Match", objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"two"`, "x"), map[string]string{"If-Match": "yesterday"}}, http.StatusBadRequest, "Z500", "If-Match"},
		{"author with a newline", objRequest{"PUT", "/v1/objects/Z10001?author=a%0Ab", objZ2("Z10001", `"two"`, "x"), nil}, http.StatusBadRequest, "Z500", "author"},
		{"PUT to a bad ZID", objRequest{"PUT", "/v1/objects/Q1", objZ2("Z10001", `"two"`, "x"), nil}, http.StatusBadRequest, "Z549", "not a ZID"},
		{"unknown object", objRequest{"GET", "/v1/objects/Z999", "", nil}, http.StatusNotFound, "Z504", "Z999"},
		{"unknown revision", objRequest{"GET", "/v1/objects/Z10001?revision=9", "", nil}, http.StatusNotFound, "Z504", "revision 9"},
		{"revision zero", objRequest{"GET", "/v1/objects/Z10001?revision=0", "", nil}, http.StatusBadRequest, "Z500", "positive"},
		{"revision not a number", objRequest{"GET", "/v1/objects/Z10001?revision=x", "", nil}, http.StatusBadRequest, "Z500", "positive"},
		{"GET a bad ZID", objRequest{"GET", "/v1/objects/foo", "", nil}, http.StatusBadRequest, "Z549", "not a ZID"},
		{"history of an unknown object", objRequest{"GET", "/v1/objects/Z999/revisions", "", nil}, http.StatusNotFound, "Z504", "Z999"},
		{"DELETE", objRequest{"DELETE", "/v1/objects/Z10001", "", nil}, http.StatusMethodNotAllowed, "Z500", "not allowed"},
		{"POST a list", objRequest{"POST", "/v1/objects", "{}", nil}, http.StatusMethodNotAllowed, "Z500", "not allowed"},
		{"PUT revisions", objRequest{"PUT", "/v1/objects/Z10001/revisions", "{}", nil}, http.StatusMethodNotAllowed, "Z500", "not allowed"},
		{"unknown path", objRequest{"GET", "/v1/objects/Z10001/labels", "", nil}, http.StatusNotFound, "Z500", "no route"},
		{"unknown list parameter", objRequest{"GET", "/v1/objects?kind=Z8", "", nil}, http.StatusBadRequest, "Z500", "unknown parameter"},
		{"list type not a ZID", objRequest{"GET", "/v1/objects?type=function", "", nil}, http.StatusBadRequest, "Z500", "not a ZID"},
		{"list limit zero", objRequest{"GET", "/v1/objects?limit=0", "", nil}, http.StatusBadRequest, "Z500", "limit"},
		{"list limit too high", objRequest{"GET", "/v1/objects?limit=100000", "", nil}, http.StatusBadRequest, "Z500", "limit"},
		{"list bad ref", objRequest{"GET", "/v1/objects?ref=Z14K1", "", nil}, http.StatusBadRequest, "Z500", "KEY:VALUE"},
		{"list bad aliases", objRequest{"GET", "/v1/objects?aliases=maybe", "", nil}, http.StatusBadRequest, "Z500", "aliases"},
		{"list parameter twice", objRequest{"GET", "/v1/objects?type=Z8&type=Z14", "", nil}, http.StatusBadRequest, "Z500", "2 times"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, h, tc.req)
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.req.method, tc.req.target, w.Code, w.Body, tc.status)
			}
			msg, z5 := errorBody(t, w)
			if z5 != tc.z5 || !strings.Contains(msg, tc.msg) {
				t.Errorf("%s %s = %q with a %s, want %q with a %s", tc.req.method, tc.req.target, msg, z5, tc.msg, tc.z5)
			}
		})
	}
	// Nothing of the above changed the object.
	w := do(t, h, objRequest{"GET", "/v1/objects/Z10001/revisions", "", nil})
	if !strings.Contains(w.Body.String(), `"revision":1`) || strings.Contains(w.Body.String(), `"revision":2`) {
		t.Errorf("history after rejected writes = %s, want only revision 1", w.Body)
	}
	if w := do(t, h, objRequest{"DELETE", "/v1/objects/Z10001", "", nil}); w.Header().Get("Allow") != "GET, HEAD, PUT" {
		t.Errorf("405 Allow = %q", w.Header().Get("Allow"))
	}
}

func TestObjectsNoStore(t *testing.T) {
	h := NewObjectsHandler(nil)
	for _, req := range []objRequest{{"GET", "/v1/objects/Z1", "", nil}, {"PUT", "/v1/objects/Z1", "{}", nil}, {"GET", "/v1/objects", "", nil}} {
		w := do(t, h, req)
		if w.Code != http.StatusServiceUnavailable {
			t.Errorf("%s %s without a store = %d, want 503", req.method, req.target, w.Code)
		}
		errorBody(t, w)
	}
}

func TestObjectsStoreLimit(t *testing.T) {
	s, err := store.Open(context.Background(), store.Memory, store.WithMaxObjectBytes(300))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := NewObjectsHandler(s) // the handler's own limit is higher than the store's
	w := do(t, h, objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"`+strings.Repeat("x", 400)+`"`, "x"), nil})
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("PUT over the store's limit = %d %s, want 413", w.Code, w.Body)
	}
	if msg, z5 := errorBody(t, w); z5 != "Z500" || !strings.Contains(msg, "more than the limit of 300") {
		t.Errorf("PUT over the store's limit = %q with a %s", msg, z5)
	}
}

func TestObjectsLabelClash(t *testing.T) {
	s, err := store.Open(context.Background(), store.Memory, store.WithUniqueLabels())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := NewObjectsHandler(s)
	if w := do(t, h, objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"a"`, "Echo"), nil}); w.Code != http.StatusCreated {
		t.Fatalf("PUT = %d %s", w.Code, w.Body)
	}
	w := do(t, h, objRequest{"PUT", "/v1/objects/Z10002", objZ2("Z10002", `"b"`, "Echo"), nil})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("PUT with a clashing label = %d %s, want 422", w.Code, w.Body)
	}
	if msg, z5 := errorBody(t, w); z5 != "Z554" || !strings.Contains(msg, "already the label of Z10001") {
		t.Errorf("PUT with a clashing label = %q with a %s, want a Z554", msg, z5)
	}
}

func TestObjectsValidatorPanic(t *testing.T) {
	s, err := store.Open(context.Background(), store.Memory, store.WithValidator(store.ValidatorFunc(func(context.Context, []byte) error {
		panic("validator bug")
	})))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := NewObjectsHandler(s)
	w := do(t, h, objRequest{"PUT", "/v1/objects/Z10001", objZ2("Z10001", `"a"`, "a"), nil})
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("PUT with a panicking validator = %d %s, want 500", w.Code, w.Body)
	}
	errorBody(t, w)
	if w := do(t, h, objRequest{"GET", "/v1/objects/Z10001", "", nil}); w.Code != http.StatusNotFound {
		t.Errorf("GET after a failed PUT = %d, want 404", w.Code)
	}
}

func TestObjectsValidatorZ5IsPassedOn(t *testing.T) {
	_, h := newObjectsServer(t)
	body := `{"Z1K1":"Z2","Z2K1":"Z10001","Z2K2":{"Z1K1":"Z40","Z40K1":"Z99"}}`
	w := do(t, h, objRequest{"PUT", "/v1/objects/Z10001", body, nil})
	var reply struct {
		Z5 json.RawMessage `json:"z5"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &reply); err != nil {
		t.Fatal(err)
	}
	env, err := store.ParseZ2([]byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	want := z.Validate(env.Canonical, z.Canonical, "Z2")
	if want == nil {
		t.Fatal("zobject accepts the object the test needs it to refuse")
	}
	if !bytes.Equal(reply.Z5, want.CanonicalJSON()) {
		t.Errorf("z5 = %s, want the validator's %s", reply.Z5, want.CanonicalJSON())
	}
}

func TestObjectsList(t *testing.T) {
	_, h := newObjectsServer(t)
	objs := []string{
		objZ2("Z10001", `{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14","Z10011"],"Z8K5":"Z10001"}`, "Join strings"),
		objZ2("Z10002", `{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z6","Z8K3":["Z20"],"Z8K4":["Z14"],"Z8K5":"Z10002"}`, "join lists"),
		objZ2("Z10011", `{"Z1K1":"Z14","Z14K1":"Z10001","Z14K3":{"Z1K1":"Z16","Z16K1":"Z600","Z16K2":"code"}}`, "Join in JavaScript"),
		objZ2("Z10012", `"x"`, "Other"),
	}
	for _, o := range objs {
		env, err := store.ParseZ2([]byte(o), "")
		if err != nil {
			t.Fatal(err)
		}
		if w := do(t, h, objRequest{"PUT", "/v1/objects/" + env.ZID, o, nil}); w.Code != http.StatusCreated {
			t.Fatalf("PUT %s = %d %s", env.ZID, w.Code, w.Body)
		}
	}
	tests := []struct {
		target string
		want   []string
		next   string
	}{
		{"/v1/objects", []string{"Z10001", "Z10002", "Z10011", "Z10012"}, ""},
		{"/v1/objects/", []string{"Z10001", "Z10002", "Z10011", "Z10012"}, ""},
		{"/v1/objects?type=Z8", []string{"Z10001", "Z10002"}, ""},
		{"/v1/objects?type=Z14&ref=Z14K1:Z10001", []string{"Z10011"}, ""},
		{"/v1/objects?label=Join+strings", []string{"Z10001"}, ""},
		{"/v1/objects?prefix=JOIN&language=Z1002", []string{"Z10001", "Z10002", "Z10011"}, ""},
		{"/v1/objects?prefix=join&type=Z8&limit=1", []string{"Z10001"}, "Z10001"},
		{"/v1/objects?prefix=join&type=Z8&limit=1&after=Z10001", []string{"Z10002"}, ""},
		{"/v1/objects?prefix=nothing", []string{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			w := do(t, h, objRequest{"GET", tc.target, "", nil})
			var got struct {
				Objects []objEntry `json:"objects"`
				Next    string     `json:"next"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s, %v", tc.target, w.Code, w.Body, err)
			}
			ids := []string{}
			for _, e := range got.Objects {
				ids = append(ids, e.ZID)
				if e.Revision != 1 || e.RevisionID <= 0 || e.Label == "" || e.Type == "" {
					t.Errorf("entry %+v is incomplete", e)
				}
			}
			if !reflect.DeepEqual(ids, tc.want) || got.Next != tc.next {
				t.Errorf("GET %s = %v next %q, want %v next %q", tc.target, ids, got.Next, tc.want, tc.next)
			}
		})
	}
}

// FuzzObjectsPut sends arbitrary bodies, ZIDs and authors to PUT: every answer is a success
// or a 4xx with a JSON error body, never a 5xx or a panic, and what is accepted reads back.
func FuzzObjectsPut(f *testing.F) {
	f.Add(objZ2("Z10001", `"one"`, "first"), "Z10001", "alice")
	f.Add(objZ2("Z0", `{"Z1K1":"Z6","Z6K1":"x"}`, "p"), "Z10002", "")
	f.Add(`{"Z1K1":"Z2","Z2K1":"Z1","Z2K2":{"Z1K1":"Z40","Z40K1":"Z41"}}`, "Z1", "b")
	f.Add(`{"Z1K1":`, "Z1", "")
	f.Add(`[`, "x/y", "\n")
	f.Add(strings.Repeat(`[`, 2000), "Z3", "a")
	_, h := newObjectsServer(f, WithObjectsMaxBody(1<<14))
	f.Fuzz(func(t *testing.T, body, zid, author string) {
		target := "/v1/objects/" + url.PathEscape(zid) + "?author=" + url.QueryEscape(author)
		w := do(t, h, objRequest{"PUT", target, body, nil})
		switch {
		case w.Code == http.StatusOK || w.Code == http.StatusCreated:
			got := do(t, h, objRequest{"GET", "/v1/objects/" + url.PathEscape(zid), "", nil})
			env, err := store.ParseZ2([]byte(body), zid)
			if err != nil || got.Code != http.StatusOK || got.Body.String() != string(env.Canonical) {
				t.Fatalf("accepted %q as %s, but GET = %d %s (%v)", body, zid, got.Code, got.Body, err)
			}
		case w.Code >= 300 && w.Code < 400:
			// The mux redirects a path that cleans to another (a ZID of "." or ".."); that is
			// routing, not the object API.
			if p := "/v1/objects/" + zid; path.Clean(p) == p {
				t.Fatalf("PUT to %q = %d, a redirect of a clean path", zid, w.Code)
			}
		case w.Code >= 400 && w.Code < 500:
			var e struct {
				Error string          `json:"error"`
				Z5    json.RawMessage `json:"z5"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || len(e.Z5) == 0 {
				t.Fatalf("PUT %q = %d with body %q, want a JSON error", body, w.Code, w.Body)
			}
		default:
			t.Fatalf("PUT %q to %q = %d %s", body, zid, w.Code, w.Body)
		}
	})
}
