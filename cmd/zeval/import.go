package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/zobject"
)

// runImport loads a folder of Z*.json files into the store. The whole import is one
// transaction: when any file is rejected, every rejected file is listed with the reason and
// nothing is written. Labels are kept unique per language, as on Wikifunctions, unless
// --allow-duplicate-labels. Files whose object is already stored as is write nothing, so importing
// the same folder twice is harmless.
func runImport(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	db := fs.String("db", storeDefaultDB(), "SQLite database file; $ZEVAL_DB sets the default")
	author := fs.String("author", storeDefaultAuthor(), "author of the revisions")
	comment := fs.String("comment", "", "comment of the revisions (default: \"import DIR\")")
	noValidate := fs.Bool("no-validate", false, "check only the Z2 envelope, not the ZObject inside")
	dupLabels := fs.Bool("allow-duplicate-labels", false, "let two objects have the same label in one language")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval import [flags] DIR\n\nLoads every Z*.json file of DIR into the store, all or nothing.\n\nflags:")
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
