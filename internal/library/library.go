package library

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

//go:generate go run gen.go

//go:embed demo/Z*.json
var demo embed.FS

// FS returns the demo library as a folder of Z*.json files, the form store.Import reads.
func FS() fs.FS {
	sub, err := fs.Sub(demo, "demo")
	if err != nil {
		panic(err) // the embedded folder exists: a build without it does not compile
	}
	return sub
}

// Load imports the demo library into st in one transaction (store.Import): all of it or, when
// any object is rejected, none. Objects already stored as they are write nothing, so loading
// twice is harmless.
func Load(ctx context.Context, st *store.Store) (store.BatchResult, error) {
	return st.Import(ctx, FS(), store.Edit{Author: "zeval", Comment: "demo library"})
}

// Objects returns the demo library's persistent objects parsed, by ZID (for resolvers that
// need no store, such as the benchmarks').
func Objects() (map[string]*z.Object, error) {
	objs := map[string]*z.Object{}
	err := fs.WalkDir(FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".json") {
			return err
		}
		data, err := fs.ReadFile(FS(), name)
		if err != nil {
			return err
		}
		o, err := z.Parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		objs[strings.TrimSuffix(name, ".json")] = o
		return nil
	})
	return objs, err
}

//go:embed demo.txt
var page string

// Page returns the demo page: wikitext that calls the library's functions with
// {{#function:ZID|arg|...}} markup the way an article would, nested calls included.
func Page() string { return page }
