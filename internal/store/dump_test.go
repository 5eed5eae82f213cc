package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// definitions reads the corpus' definition files: name to bytes, and the ZIDs of the
// functions (Z8) and of the implementations of Z801, found without the store.
func definitions(t testing.TB) (files map[string][]byte, functions []string, echoImpls []string) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(definitionsDir, ImportPattern))
	if err != nil || len(names) < 1000 {
		t.Fatalf("definitions in %s: %d files, %v", definitionsDir, len(names), err)
	}
	files = make(map[string][]byte, len(names))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = data
		var z struct {
			Z2K2 json.RawMessage
		}
		if err := json.Unmarshal(data, &z); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		var v struct {
			Z1K1  any
			Z14K1 any
		}
		if json.Unmarshal(z.Z2K2, &v) != nil {
			continue // a list value
		}
		zid := strings.TrimSuffix(filepath.Base(n), ".json")
		if v.Z1K1 == "Z8" {
			functions = append(functions, zid)
		}
		if v.Z1K1 == "Z14" && v.Z14K1 == "Z801" {
			echoImpls = append(echoImpls, zid)
		}
	}
	return files, functions, echoImpls
}

func sortZIDs(z []string) []string {
	sort.Slice(z, func(i, j int) bool {
		if len(z[i]) != len(z[j]) {
			return len(z[i]) < len(z[j])
		}
		return z[i] < z[j]
	})
	return z
}

func TestImportDefinitions(t *testing.T) {
	ctx := context.Background()
	files, functions, echoImpls := definitions(t)
	s := openFile(t, WithUniqueLabels()) // the definitions keep Wikifunctions' rule

	start := time.Now()
	res, err := s.Import(ctx, os.DirFS(definitionsDir), Edit{Author: "import", Comment: "definitions"})
	if err != nil {
		t.Fatalf("Import = %v", err)
	}
	t.Logf("imported %d definitions in %v", res.Created, time.Since(start))
	if res.Created != len(files) || res.Updated != 0 || res.Unchanged != 0 || len(res.Results) != len(files) {
		t.Errorf("Import = created %d updated %d unchanged %d, want %d created", res.Created, res.Updated, res.Unchanged, len(files))
	}
	gen, err := s.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for name, raw := range files {
		zid := strings.TrimSuffix(name, ".json")
		got, err := s.Fetch(ctx, zid)
		if err != nil {
			t.Errorf("Fetch(%s) = %v", zid, err)
			continue
		}
		if !bytes.Equal(got, canonical(t, raw)) {
			t.Errorf("Fetch(%s) is not the canonical form of %s", zid, name)
		}
	}
	fns, _, err := s.List(ctx, Query{Type: "Z8", Limit: MaxListLimit})
	if err != nil || !reflect.DeepEqual(zids(fns), sortZIDs(functions)) {
		t.Errorf("List(functions) = %d entries, %v; want %d", len(fns), err, len(functions))
	}
	impls, _, err := s.List(ctx, Query{Type: "Z14", Ref: Ref{"Z14K1", "Z801"}})
	if err != nil || !reflect.DeepEqual(zids(impls), sortZIDs(echoImpls)) || len(echoImpls) == 0 {
		t.Errorf("List(implementations of Z801) = %v, %v; want %v", zids(impls), err, echoImpls)
	}
	echo, _, err := s.List(ctx, Query{Label: "Echo", Language: "Z1002"})
	if err != nil || !reflect.DeepEqual(zids(echo), []string{"Z801"}) {
		t.Errorf("List(label Echo) = %v, %v; want [Z801]", zids(echo), err)
	}
	alias, _, err := s.List(ctx, Query{Prefix: "identi", Aliases: true, Type: "Z8"})
	if err != nil || !reflect.DeepEqual(zids(alias), []string{"Z801"}) {
		t.Errorf("List(alias identi...) = %v, %v; want [Z801]", zids(alias), err)
	}

	for code, want := range map[string]string{"en": "Z1002", "de": "Z1430"} {
		lang, _, err := s.List(ctx, Query{Type: "Z60", Ref: Ref{"Z60K1", code}})
		if err != nil || !reflect.DeepEqual(zids(lang), []string{want}) {
			t.Errorf("List(language code %s) = %v, %v; want [%s]", code, zids(lang), err, want)
		}
	}

	// A second import of the same folder is a no-op.
	res, err = s.Import(ctx, os.DirFS(definitionsDir), Edit{Author: "import", Comment: "again"})
	if err != nil || res.Unchanged != len(files) || res.Created+res.Updated != 0 {
		t.Errorf("second Import = %+v, %v; want all %d unchanged", res, err, len(files))
	}
	if g, err := s.Generation(ctx); err != nil || g != gen {
		t.Errorf("Generation after a second import = %d, %v; want %d", g, err, gen)
	}

	// Export writes the folder back; a stray file is left alone, a second export writes nothing.
	out := t.TempDir()
	stray := filepath.Join(out, "README")
	if err := os.WriteFile(stray, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	ex, err := s.Export(ctx, out, "")
	if err != nil || ex.Written != len(files) || ex.Unchanged != 0 {
		t.Fatalf("Export = %+v, %v; want %d written", ex, err, len(files))
	}
	for name, raw := range files {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("exported %s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, raw) && !bytes.Equal(canonical(t, got), canonical(t, raw)) {
			t.Errorf("exported %s differs from the definition", name)
		}
	}
	if b, err := os.ReadFile(stray); err != nil || string(b) != "mine" {
		t.Errorf("Export touched a file it does not own: %q, %v", b, err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(out, ".*")); len(tmp) != 0 {
		t.Errorf("Export left temporary files: %v", tmp)
	}
	ex, err = s.Export(ctx, out, "")
	if err != nil || ex.Written != 0 || ex.Unchanged != len(files) {
		t.Errorf("second Export = %+v, %v; want %d unchanged", ex, err, len(files))
	}
	fnDir := t.TempDir()
	ex, err = s.Export(ctx, fnDir, "Z8")
	if err != nil || ex.Written != len(functions) {
		t.Errorf("Export(Z8) = %+v, %v; want %d written", ex, err, len(functions))
	}

	// The exported folder imports into a fresh store as the same objects.
	fresh := openMemory(t)
	if res, err := fresh.Import(ctx, os.DirFS(out), Edit{Author: "import"}); err != nil || res.Created != len(files) {
		t.Fatalf("Import(exported) = %+v, %v", res, err)
	}
	for name := range files {
		zid := strings.TrimSuffix(name, ".json")
		a, _ := s.Fetch(ctx, zid)
		b, err := fresh.Fetch(ctx, zid)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs after export and import: %v", zid, err)
		}
	}
}

func TestImportFailures(t *testing.T) {
	ctx := context.Background()
	rejecting := ValidatorFunc(func(_ context.Context, z2 []byte) error {
		if bytes.Contains(z2, []byte("rejected")) {
			return &z5Error{key: "Z502"}
		}
		return nil
	})
	fsys := fstest.MapFS{
		"Z1.json":     {Data: z2("Z1", `"fine"`)},
		"Z2.json":     {Data: []byte(`{"Z1K1":"Z2",`)},
		"Z3.json":     {Data: z2("Z4", `"fine"`)},
		"Z5.json":     {Data: z2("Z5", `"rejected"`)},
		"Z6.json":     {Data: z2("Z6", `"fine"`)},
		"Zfoo.json":   {Data: z2("Z7", `"fine"`)},
		"notes.txt":   {Data: []byte("ignored")},
		"Z8.json.bak": {Data: []byte("ignored")},
		"sub/Z9.json": {Data: []byte("not read: only the top folder is")},
	}
	s := openMemory(t, WithValidator(rejecting))
	before := snapshot(t, s)
	_, err := s.Import(ctx, fsys, Edit{Author: "import"})
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Import = %v, want a *BatchError", err)
	}
	var names []string
	for _, f := range be.Failed {
		names = append(names, f.Name)
	}
	if want := []string{"Z2.json", "Z3.json", "Z5.json", "Zfoo.json"}; !reflect.DeepEqual(names, want) {
		t.Errorf("failed files = %v, want %v\n%v", names, want, err)
	}
	for _, want := range []string{"Z2.json: store: Z2: JSON syntax error", "Z3.json: store: Z3: Z2K1: the object says it is Z4", "Z5.json: store: Z5: Z5/Z502", "Zfoo.json: the name is not a ZID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Import error does not say %q:\n%v", want, err)
		}
	}
	var z5 *z5Error
	if !errors.As(err, &z5) || !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrInvalid) {
		t.Errorf("Import error does not unwrap to the files' errors: %v", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("a failed import wrote something:\n%s", after)
	}

	// Without the bad files the import goes through.
	for _, bad := range []string{"Z2.json", "Z3.json", "Z5.json", "Zfoo.json"} {
		delete(fsys, bad)
	}
	res, err := s.Import(ctx, fsys, Edit{Author: "import"})
	if err != nil || res.Created != 2 {
		t.Errorf("Import(good files) = %+v, %v; want 2 created", res, err)
	}
	if _, err := s.Import(ctx, fsys, Edit{}); err == nil {
		t.Error("Import without an author = nil error")
	}
}

func TestPutBatchDuplicates(t *testing.T) {
	ctx := context.Background()
	s := openMemory(t)
	_, err := s.PutBatch(ctx, []Doc{
		{Name: "first", Data: z2("Z10", `"a"`)},
		{Name: "second", Data: z2("Z10", `"b"`)},
	}, Edit{Author: "a"})
	var be *BatchError
	if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed[0].Name != "second" || !strings.Contains(err.Error(), "Z10 is also in first") {
		t.Errorf("PutBatch(duplicates) = %v, want the second named", err)
	}
	if g, _ := s.Generation(ctx); g != 0 {
		t.Errorf("Generation = %d after a failed batch, want 0", g)
	}
}

func TestExportErrors(t *testing.T) {
	ctx := context.Background()
	s := openMemory(t)
	if _, err := s.Put(ctx, "", z2("Z10", `"a"`), Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Export(ctx, file, ""); err == nil {
		t.Error("Export into a file = nil error")
	}
	// A directory in the way of Z10.json makes the rename fail; nothing else is left behind.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "Z10.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Z10.json", "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Export(ctx, dir, ""); err == nil {
		t.Error("Export over a directory = nil error")
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*")); len(tmp) != 0 {
		t.Errorf("Export left temporary files: %v", tmp)
	}
}

// BenchmarkImportDefinitions measures importing the whole definitions folder into a new file
// store, and re-importing it unchanged.
func BenchmarkImportDefinitions(b *testing.B) {
	ctx := context.Background()
	fsys := os.DirFS(definitionsDir)
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s, err := Open(ctx, filepath.Join(b.TempDir(), "z.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := s.Import(ctx, fsys, Edit{Author: "bench"}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		s, err := Open(ctx, filepath.Join(b.TempDir(), "z.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Import(ctx, fsys, Edit{Author: "bench"}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.Import(ctx, fsys, Edit{Author: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFetch measures the read the orchestrator makes for every reference it resolves.
func BenchmarkFetch(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "z.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Import(ctx, os.DirFS(definitionsDir), Edit{Author: "bench"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Fetch(ctx, "Z801"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGeneration measures the check a cache makes before trusting what it holds.
func BenchmarkGeneration(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "z.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Import(ctx, os.DirFS(definitionsDir), Edit{Author: "bench"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Generation(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut measures one write of a new revision (validation not included).
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "z.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	raw, err := os.ReadFile(filepath.Join(definitionsDir, "Z801.json"))
	if err != nil {
		b.Fatal(err)
	}
	versions := [][]byte{raw, bytes.Replace(raw, []byte(`"Echo"`), []byte(`"Echo!"`), 1)}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Put(ctx, "", versions[i%2], Edit{Author: "bench"}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
