package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/zeval/zeval/internal/store"
)

// runExport writes the latest revision of every stored object to DIR as ZID.json,
// pretty-printed canonical JSON, each file replaced atomically. Files already holding the same
// bytes are left alone, and files of DIR that are not objects of the store are not touched.
func runExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	db := fs.String("db", storeDefaultDB(), "SQLite database file; $ZEVAL_DB sets the default")
	typ := fs.String("type", "", "export only objects whose value has this type, as Z8")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval export [flags] DIR\n\nWrites every stored object to DIR/ZID.json.\n\nflags:")
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
	if *typ != "" && !store.IsZID(*typ) {
		return fmt.Errorf("--type %q is not a ZID", *typ)
	}
	// Exporting must not create an empty database where the user mistyped a path.
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("no database at %s (set --db or $ZEVAL_DB)", *db)
	}
	s, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	res, err := s.Export(ctx, pos[0], *typ)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "exported %d objects from %s to %s in %v: %d written, %d unchanged\n",
		res.Written+res.Unchanged, *db, pos[0], time.Since(start).Round(time.Millisecond), res.Written, res.Unchanged)
	return nil
}
