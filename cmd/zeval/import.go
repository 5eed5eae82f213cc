package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/user"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/zobject"
)

// runImport loads a folder of Z*.json files into the store, or with --server into a running
// zeval serve (importRemote). The whole import is one transaction: when any file is
// rejected, every rejected file is listed with the reason and nothing is written. Labels are
// kept unique per language, as on Wikifunctions, unless --allow-duplicate-labels. Files whose
// object is already stored as is write nothing, so importing the same folder twice is
// harmless.
func runImport(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	db := fs.String("db", storeDefaultDB(), "SQLite database file; $ZEVAL_DB sets the default")
	author := fs.String("author", storeDefaultAuthor(), "author of the revisions")
	comment := fs.String("comment", "", "comment of the revisions (default: \"import DIR\")")
	noValidate := fs.Bool("no-validate", false, "check only the Z2 envelope, not the ZObject inside")
	dupLabels := fs.Bool("allow-duplicate-labels", false, "let two objects have the same label in one language")
	server := serverFlag(fs) // --server: import into a running zeval serve (importRemote)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval import [flags] DIR\n\nLoads every Z*.json file of DIR into the store (--db), or into a running zeval serve\n(--server; writes need the API token in $"+clientTokenEnv+"), all or nothing.\n\nflags:")
		fs.PrintDefaults()
	}
	pos, err := storeParseArgs(fs, args)
	if err != nil {
		return exitError{2}
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError{2}
	}
	dir := pos[0]
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if *comment == "" {
		*comment = "import " + dir
	}
	if *server != "" {
		if err := localOnly(fs, "db", "no-validate"); err != nil {
			return err
		}
		return importRemote(ctx, env, *server, dir, store.Edit{Author: *author, Comment: *comment}, !*dupLabels)
	}
	var opts []store.Option
	if !*noValidate {
		opts = append(opts, store.WithValidator(zobjectValidator{}))
	}
	if !*dupLabels {
		opts = append(opts, store.WithUniqueLabels())
	}
	s, err := store.Open(ctx, *db, opts...)
	if err != nil {
		return err
	}
	defer s.Close()

	start := time.Now()
	res, err := s.Import(ctx, os.DirFS(dir), store.Edit{Author: *author, Comment: *comment})
	var be *store.BatchError
	if errors.As(err, &be) {
		for _, f := range be.Failed {
			fmt.Fprintf(env.stderr, "%s: %v\n", f.Name, f.Err)
		}
		fmt.Fprintf(env.stderr, "zeval import: %d file(s) rejected; nothing was imported\n", len(be.Failed))
		return exitError{1}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "imported %d objects from %s into %s in %v: %d created, %d updated, %d unchanged\n",
		len(res.Results), dir, *db, time.Since(start).Round(time.Millisecond), res.Created, res.Updated, res.Unchanged)
	return nil
}

// localOnly refuses flags that make sense only in process when a server is named (by
// --server or $ZEVAL_SERVER).
func localOnly(fs *flag.FlagSet, names ...string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n && err == nil {
				err = fmt.Errorf("--%s works in this process only, not with --server (or $ZEVAL_SERVER) %s", n, fs.Lookup("server").Value)
			}
		}
	})
	return err
}

// importRemote is zeval import --server: it reads DIR as the in-process import does and
// sends every object in one POST /v1/objects:batch, which the server writes in one
// transaction. A file that is not JSON cannot travel in the batch: it is refused here, with
// the store's own message, and the others are still checked by the server (a dry run), so
// that every rejected file is listed, as in process.
func importRemote(ctx context.Context, env *cliEnv, server, dir string, edit store.Edit, uniqueLabels bool) error {
	c, err := newAPIClient(server)
	if err != nil {
		return err
	}
	docs, failed, err := store.ReadDir(os.DirFS(dir))
	if err != nil {
		return err
	}
	req := api.BatchRequest{Objects: []api.BatchObject{}, Author: edit.Author, Comment: edit.Comment, UniqueLabels: uniqueLabels}
	var names []string // of the batch's objects
	for _, d := range docs {
		if !json.Valid(d.Data) || !utf8.Valid(d.Data) {
			_, perr := store.ParseZ2(d.Data, d.ZID)
			if perr == nil {
				perr = errors.New("not JSON in UTF-8")
			}
			failed = append(failed, store.DocError{Name: d.Name, Index: -1, Err: perr})
			continue
		}
		req.Objects = append(req.Objects, api.BatchObject{Object: d.Data, ZID: d.ZID})
		names = append(names, d.Name)
	}
	req.DryRun = len(failed) > 0
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(req); err != nil {
		return err
	}

	start := time.Now()
	var reply api.BatchReply
	err = c.do(ctx, http.MethodPost, api.BatchPath, body.Bytes(), &reply)
	var se *serverError
	if errors.As(err, &se) {
		var refused api.BatchErrorReply
		if json.Unmarshal(se.Body, &refused) == nil && len(refused.Failures) > 0 {
			for _, f := range refused.Failures {
				name := fmt.Sprintf("objects[%d]", f.Index)
				if f.Index >= 0 && f.Index < len(names) {
					name = names[f.Index]
				}
				failed = append(failed, store.DocError{Name: name, Index: f.Index, Err: errors.New(f.Error)})
			}
			err = nil
		}
	}
	switch {
	case errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden):
		return fmt.Errorf("%w (set $%s to an API token of the server)", err, clientTokenEnv)
	case errors.As(err, &se) && se.Status == http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%w (the server's --max-batch-body limits an import)", err)
	case err != nil:
		return err
	}
	if len(failed) > 0 {
		store.SortFailures(failed)
		for _, f := range failed {
			fmt.Fprintf(env.stderr, "%s: %v\n", f.Name, f.Err)
		}
		fmt.Fprintf(env.stderr, "zeval import: %d file(s) rejected; nothing was imported\n", len(failed))
		return exitError{1}
	}
	fmt.Fprintf(env.stdout, "imported %d objects from %s into %s in %v: %d created, %d updated, %d unchanged\n",
		len(reply.Results), dir, server, time.Since(start).Round(time.Millisecond), reply.Created, reply.Updated, reply.Unchanged)
	return nil
}

// storeDefaultDB is the database the store commands use without --db: $ZEVAL_DB, else
// zeval.db in the working directory.
func storeDefaultDB() string {
	if p := os.Getenv("ZEVAL_DB"); p != "" {
		return p
	}
	return "zeval.db"
}

func storeDefaultAuthor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "zeval"
}

// storeParseArgs parses flags that may come before or after the positional arguments
// ("zeval import DIR --db x.db" as well as "zeval import --db x.db DIR").
func storeParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// zobjectValidator checks a Z2 with the zobject package: a well-formed canonical ZObject of
// type Z2. It also canonicalizes bodies first (store.Canonicalizer), so objects written in
// normal or mixed form are stored in canonical form. It is the validator of every store the
// zeval command opens.
type zobjectValidator struct{}

var (
	_ store.Validator     = zobjectValidator{}
	_ store.Canonicalizer = zobjectValidator{}
)

func (zobjectValidator) Canonicalize(_ context.Context, z2 []byte) ([]byte, error) {
	r := zobject.Canonicalize(z2)
	if r.Error != nil {
		return nil, &zobjectError{z5: r.Error}
	}
	return r.JSON, nil
}

func (zobjectValidator) Validate(_ context.Context, z2 []byte) error {
	if z5 := zobject.Validate(z2, zobject.Canonical, "Z2"); z5 != nil {
		return &zobjectError{z5: z5}
	}
	return nil
}

// zobjectError carries the Z5 a validator returned. It marshals to the Z5 itself, which is
// what the objects API puts in its error bodies.
type zobjectError struct{ z5 *zobject.Object }

func (e *zobjectError) Error() string {
	s := e.z5.String()
	if len(s) > 400 {
		s = strings.ToValidUTF8(s[:400], "") + "..."
	}
	return "not a valid ZObject (" + zobject.ErrorType(e.z5) + "): " + s
}

func (e *zobjectError) MarshalJSON() ([]byte, error) { return e.z5.CanonicalJSON(), nil }
