package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/library"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/quota"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/tester"
	z "github.com/zeval/zeval/internal/zobject"
)

func TestArgFromText(t *testing.T) {
	listOf := func(item string) *z.Object {
		return z.NewRecord(z.NewRef(z.Z7), z.KV("Z7K1", z.NewRef("Z881")), z.KV("Z881K1", z.NewRef(item)))
	}
	tests := []struct {
		name, text string
		typ        *z.Object
		want       string // canonical JSON
		wantErr    string
	}{
		{"string", " a b ", z.NewRef(z.Z6), `" a b "`, ""},
		{"object as string", "x", z.NewRef(z.Z1), `"x"`, ""},
		{"true", "true", z.NewRef(z.Z40), `{"Z1K1":"Z40","Z40K1":"Z41"}`, ""},
		{"false", "false", z.NewRef(z.Z40), `{"Z1K1":"Z40","Z40K1":"Z42"}`, ""},
		{"bad Boolean", "yes", z.NewRef(z.Z40), "", "true or false"},
		{"natural number", "42", z.NewRef("Z13518"), `{"Z1K1":"Z13518","Z13518K1":"42"}`, ""},
		{"leading zero", "042", z.NewRef("Z13518"), "", "leading zeros"},
		{"negative", "-1", z.NewRef("Z13518"), "", "digits"},
		{"list", "a; b\\;c ;d", listOf(z.Z6), `["Z6","a","b;c","d"]`, ""},
		{"empty list", "  ", listOf(z.Z6), `["Z6"]`, ""},
		{"list of Booleans", "true;maybe", listOf(z.Z40), "", `list item "maybe"`},
		{"JSON for another type", `{"Z1K1":"Z60","Z60K1":"en"}`, z.NewRef("Z60"), `{"Z1K1":"Z60","Z60K1":"en"}`, ""},
		{"bad JSON", `{"Z1K1":`, z.NewRef("Z60"), "", "not valid JSON"},
		{"text for another type", "english", z.NewRef("Z60"), "", "ZObject in JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := argFromText(tc.text, tc.typ)
			if tc.wantErr != "" {
				if !strings.Contains(msg, tc.wantErr) {
					t.Fatalf("argFromText(%q) message = %q, want one saying %q", tc.text, msg, tc.wantErr)
				}
				return
			}
			if msg != "" {
				t.Fatalf("argFromText(%q): %s", tc.text, msg)
			}
			if s := string(got.CanonicalJSON()); s != tc.want {
				t.Errorf("argFromText(%q) = %s, want %s", tc.text, s, tc.want)
			}
		})
	}
}

// demoServer serves the API the way zeval serve does (limits, object API, library API) over
// a store with the demo library, running JavaScript only. It returns the URL and the file of
// the store.
func demoServer(t *testing.T, limits ...quota.Option) (string, string) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "zeval.db")
	st, err := store.Open(ctx, db, store.WithValidator(zobjectValidator{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := library.Load(ctx, st); err != nil {
		t.Fatal(err)
	}
	ev, err := evaluator.New(evaluator.Config{NoPython: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ev.Close)
	orch := orchestrator.New(tester.StoreLibrary{Store: st}, orchestrator.WithEvaluator(ev))
	ev.SetCaller(orch.Call)
	var h http.Handler = api.Extend(api.New(orch, api.WithObjects(api.NewObjectsHandler(st))),
		api.NewLibraryHandler(st, orch, api.WithLibraryEvaluator(ev)))
	lim, err := quota.New(limits...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(lim.Handler(withSessions(ev, h)))
	t.Cleanup(srv.Close)
	return srv.URL, db
}

func TestCallAndFunctions(t *testing.T) {
	url, db := demoServer(t)
	t.Setenv("ZEVAL_SERVER", "")
	t.Setenv("ZEVAL_DB", filepath.Join(t.TempDir(), "absent.db"))
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantOut    string // contained in stdout
		wantErr    string // contained in stderr
		wantNotOut string
	}{
		{name: "call on a server", args: []string{"call", "--server", url, "Z10001", "foo", "bar"}, wantOut: "foobar\n"},
		{name: "call in process", args: []string{"call", "--db", db, "--code", "js", "Z10013", "x"}, wantOut: "(x)\n"},
		{name: "call a built-in without a store", args: []string{"call", "--code", "none", "Z801", "hi"}, wantOut: "hi\n"},
		{name: "Boolean result", args: []string{"call", "--server", url, "Z10007", "true"}, wantOut: "false\n"},
		{name: "list argument", args: []string{"call", "--server", url, "Z10031", "a; b; c"}, wantOut: "a, b and c\n"},
		{name: "JSON envelope", args: []string{"call", "--server", url, "--json", "Z801", "x"}, wantOut: `"Z22K1":"x"`},
		{name: "wrong argument count", args: []string{"call", "--server", url, "Z10001", "one"}, wantCode: 2, wantErr: "takes 2 argument(s)"},
		{name: "bad Boolean", args: []string{"call", "--server", url, "Z10007", "maybe"}, wantCode: 2, wantErr: "true or false"},
		{name: "unknown function", args: []string{"call", "--server", url, "Z99999"}, wantCode: 1, wantErr: "no such function"},
		{name: "not a ZID", args: []string{"call", "--server", url, "echo"}, wantCode: 2, wantErr: "not a ZID"},
		{name: "missing database", args: []string{"call", "--db", "/nonexistent/x.db", "Z801", "x"}, wantCode: 1, wantErr: "no database"},
		{name: "bad server URL", args: []string{"call", "--server", "ftp://x", "Z801", "x"}, wantCode: 1, wantErr: "want a URL"},
		{name: "functions on a server", args: []string{"functions", "--server", url, "title"}, wantOut: "Z10003", wantNotOut: "Z10001"},
		{name: "functions in process", args: []string{"functions", "--db", db, "--builtins=false"}, wantOut: "Z10056", wantNotOut: "Z801"},
		{name: "functions as JSON", args: []string{"functions", "--server", url, "--json", "-q", "join two"}, wantOut: `"zid": "Z10001"`},
		{name: "test on a server", args: []string{"test", "--server", url, "Z10013", "Z10007"}, wantOut: "Z10007"},
		{name: "test on a server, failing", args: []string{"test", "--server", url, "--json", "Z10006"}, wantCode: 1, wantOut: `"failed": `},
		{name: "test on a server, unknown", args: []string{"test", "--server", url, "Z99999"}, wantCode: 1, wantErr: "404"},
		{name: "eval on a server", args: []string{"eval", "--server", url, "--result", "-"},
			stdin: `{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"a","Z10001K2":"b"}`, wantOut: `"ab"`},
		{name: "eval on a server, failing", args: []string{"eval", "--server", url, "-"},
			stdin: `{"Z1K1":"Z7","Z7K1":"Z99999"}`, wantCode: 1, wantOut: "Z504"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("zeval %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.wantCode, out, errs)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout %q, want it to contain %q", out, tc.wantOut)
			}
			if tc.wantNotOut != "" && strings.Contains(out, tc.wantNotOut) {
				t.Errorf("stdout %q contains %q", out, tc.wantNotOut)
			}
			if !strings.Contains(errs, tc.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.wantErr)
			}
		})
	}
}

// TestCallRefused: the server's refusals reach the user with the server's reason.
func TestCallRefused(t *testing.T) {
	url, _ := demoServer(t, quota.WithRate(0.001, 2))
	t.Setenv(clientTokenEnv, "")
	if code, _, errs := runCLI(t, "", "call", "--server", url, "Z801", "x"); code != 0 {
		t.Fatalf("first call: exit %d %s", code, errs)
	}
	// One GET (the function) and one POST (the call) per zeval call: the bucket is empty now.
	code, _, errs := runCLI(t, "", "call", "--server", url, "Z801", "x")
	if code != 1 || !strings.Contains(errs, "429") || !strings.Contains(errs, "rate limit") || !strings.Contains(errs, "retry after") {
		t.Errorf("over the limit: exit %d, stderr %q; want 1 and the 429 with its reason and Retry-After", code, errs)
	}
	t.Setenv(clientTokenEnv, "not-a-valid-token-at-all")
	code, _, errs = runCLI(t, "", "functions", "--server", url)
	if code != 1 || !strings.Contains(errs, "401") || !strings.Contains(errs, "not valid") {
		t.Errorf("bad token: exit %d, stderr %q; want 1 and the 401", code, errs)
	}
}
