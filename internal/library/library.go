package library

import (
	"context"
	"embed"
	"io/fs"

	"github.com/zeval/zeval/internal/store"
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

//go:embed demo.txt
var page string

// Page returns the demo page: wikitext that calls the library's functions with
// {{#function:ZID|arg|...}} markup the way an article would, nested calls included.
func Page() string { return page }
