package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/quota"
)

// demoDir is the demo library's folder of Z*.json files.
const demoDir = "../../internal/library/demo"

const transferToken = "token-of-alice-for-transfer-tests"

// transferServer runs zeval serve's handler chain (limits with alice's token, the object API,
// no code) over an empty store in a temporary file, and points the client at no server and
// alice's token by default.
func transferServer(t *testing.T, args ...string) string {
	t.Helper()
	t.Setenv(quota.TokensEnv, "alice:"+transferToken)
	t.Setenv(clientTokenEnv, transferToken)
	t.Setenv("ZEVAL_SERVER", "")
	o := testOptions(t, args...)
	o.db, o.code = filepath.Join(t.TempDir(), "zeval.db"), "none"
	svc, _ := newTestService(t, o)
	srv := httptest.NewServer(svc.handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// generationOf reads the server's store generation from the export route.
func generationOf(t *testing.T, server string) string {
	t.Helper()
	resp, err := http.Head(server + api.ExportPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HEAD export = %s", resp.Status)
	}
	return resp.Header.Get(api.HeaderGeneration)
}

// readDir reads every file of dir.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// timing is the part of import and export messages that differs from run to run.
var timing = regexp.MustCompile(` in [0-9.]+[µmn]?s:`)

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("zeval %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// TestImportExportServer round-trips the demo library through a server: import --server,
// export --server, the same files byte for byte as an in-process import and export, and the
// same messages; importing again changes nothing.
func TestImportExportServer(t *testing.T) {
	server := transferServer(t)
	demo := readDir(t, demoDir)
	n := len(demo)
	db := filepath.Join(t.TempDir(), "local.db")

	local := mustRun(t, "import", "--db", db, demoDir)
	remote := mustRun(t, "import", "--server", server, demoDir)
	if want := strings.Replace(timing.ReplaceAllString(local, " in T:"), db, server, 1); timing.ReplaceAllString(remote, " in T:") != want {
		t.Errorf("import --server said %q, in process %q", remote, local)
	}
	if !strings.Contains(remote, " created, 0 updated, 0 unchanged") {
		t.Errorf("import --server said %q, want everything created", remote)
	}

	gen := generationOf(t, server)
	again := mustRun(t, "import", "--server", server, demoDir)
	if want := "0 created, 0 updated, " + strings.TrimSpace(strings.Fields(again)[1]) + " unchanged"; !strings.Contains(again, want) {
		t.Errorf("second import --server said %q, want everything unchanged", again)
	}
	if g := generationOf(t, server); g != gen {
		t.Errorf("second import wrote: generation %s -> %s", gen, g)
	}

	localOut, remoteOut := t.TempDir(), t.TempDir()
	mustRun(t, "export", "--db", db, localOut)
	out := mustRun(t, "export", "--server", server, remoteOut)
	if !strings.Contains(out, " written, 0 unchanged") || !strings.Contains(out, "from "+server+" to "+remoteOut) {
		t.Errorf("export --server said %q", out)
	}
	a, b := readDir(t, localOut), readDir(t, remoteOut)
	if len(a) != n || len(b) != n {
		t.Fatalf("exported %d files in process, %d from the server; the demo has %d", len(a), len(b), n)
	}
	for name, want := range a {
		if !bytes.Equal(b[name], want) {
			t.Errorf("%s exported from the server differs from the in-process export", name)
		}
	}
	if out := mustRun(t, "export", "--server", server, remoteOut); !strings.Contains(out, ": 0 written, ") {
		t.Errorf("second export --server said %q, want nothing written", out)
	}
	// The type filter works as in process.
	fnLocal, fnRemote := t.TempDir(), t.TempDir()
	mustRun(t, "export", "--db", db, "--type", "Z8", fnLocal)
	mustRun(t, "export", "--server", server, "--type", "Z8", fnRemote)
	if a, b := readDir(t, fnLocal), readDir(t, fnRemote); len(a) == 0 || len(a) != len(b) {
		t.Errorf("export --type Z8: %d files in process, %d from the server", len(a), len(b))
	}

	// The revisions are alice's, whose token wrote them.
	resp, err := http.Get(server + "/v1/objects/Z10001/revisions")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"author":"alice"`) || !strings.Contains(string(body), `"comment":"import `+demoDir) {
		t.Errorf("revisions of Z10001: %s", body)
	}
}

// TestImportServerRefused: a folder with bad files is refused by a server as in process,
// with the same messages, and nothing is written; so is an import without a valid token or
// over the server's batch limit.
func TestImportServerRefused(t *testing.T) {
	server := transferServer(t)
	dir := t.TempDir()
	for name, data := range readDir(t, demoDir) {
		switch name {
		case "Z10002.json":
			data = []byte(`{"Z1K1":"Z2",`) // not JSON
		case "Z10005.json":
			data = bytes.Replace(data, []byte(`"Z10005"`), []byte(`"Z10099"`), 1) // another ZID
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Zx.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	gen := generationOf(t, server)

	code, _, localErr := runCLI(t, "", "import", "--db", filepath.Join(t.TempDir(), "local.db"), dir)
	if code != 1 {
		t.Fatalf("in-process import of bad files: exit %d, %s", code, localErr)
	}
	code, _, remoteErr := runCLI(t, "", "import", "--server", server, dir)
	if code != 1 || remoteErr != localErr {
		t.Errorf("import --server of bad files: exit %d, stderr\n%s\nwant exit 1 and what the in-process import says:\n%s", code, remoteErr, localErr)
	}
	for _, want := range []string{"Z10002.json: ", "Z10005.json: ", "Zx.json: ", "3 file(s) rejected; nothing was imported"} {
		if !strings.Contains(remoteErr, want) {
			t.Errorf("import --server stderr does not say %q:\n%s", want, remoteErr)
		}
	}
	// Only a refusal the server finds (not one of a file that is not JSON).
	if err := os.Remove(filepath.Join(dir, "Z10002.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "Zx.json")); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "", "import", "--server", server, dir)
	if code != 1 || !strings.Contains(errs, "Z10005.json: store: Z10005:") || !strings.Contains(errs, "1 file(s) rejected") {
		t.Errorf("import --server with one invalid object: exit %d\n%s", code, errs)
	}
	if g := generationOf(t, server); g != gen {
		t.Fatalf("refused imports wrote: generation %s -> %s", gen, g)
	}

	tests := []struct {
		name, token string
		args        []string
		want        string
	}{
		{"no token", "", nil, "401"},
		{"unknown token", "not-a-token-of-this-server", nil, "401"},
		{"--db with --server", transferToken, []string{"--db", "x.db"}, "works in this process only"},
		{"--no-validate with --server", transferToken, []string{"--no-validate"}, "works in this process only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(clientTokenEnv, tc.token)
			args := append(append([]string{"import", "--server", server}, tc.args...), demoDir)
			code, _, errs := runCLI(t, "", args...)
			if code != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("zeval %s: exit %d, stderr %q; want 1 and %q", strings.Join(args, " "), code, errs, tc.want)
			}
		})
	}
	if g := generationOf(t, server); g != gen {
		t.Errorf("refused imports wrote: generation %s -> %s", gen, g)
	}
}

// TestImportServerLimits: a batch over the server's --max-batch-body is refused with 413
// (and a hint), while a single write may still be as large as --max-body; malformed JSON is
// a 400. Nothing is written.
func TestImportServerLimits(t *testing.T) {
	server := transferServer(t, "--max-batch-body", "20000")
	gen := generationOf(t, server)
	code, _, errs := runCLI(t, "", "import", "--server", server, demoDir)
	if code != 1 || !strings.Contains(errs, "413") || !strings.Contains(errs, "--max-batch-body") {
		t.Errorf("import over the batch limit: exit %d, %q; want 413 with a hint", code, errs)
	}
	post := func(body string) int {
		req, err := http.NewRequest("POST", server+api.BatchPath, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+transferToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(`{"objects":[{"object":`); got != 400 {
		t.Errorf("malformed batch = %d, want 400", got)
	}
	if got := post(`{"objects":[{"object":"` + strings.Repeat("x", 20000) + `"}]}`); got != 413 {
		t.Errorf("oversized batch = %d, want 413", got)
	}
	if g := generationOf(t, server); g != gen {
		t.Errorf("refused batches wrote: generation %s -> %s", gen, g)
	}
}
