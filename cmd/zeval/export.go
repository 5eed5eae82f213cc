package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/store"
)

// runExport writes the latest revision of every stored object to DIR as ZID.json,
// pretty-printed canonical JSON, each file replaced atomically. Files already holding the same
// bytes are left alone, and files of DIR that are not objects of the store are not touched.
// With --server the objects come from a running zeval serve (exportRemote), into the same
// files.
func runExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	db := fs.String("db", storeDefaultDB(), "SQLite database file; $ZEVAL_DB sets the default")
	typ := fs.String("type", "", "export only objects whose value has this type, as Z8")
	server := serverFlag(fs) // --server: export from a running zeval serve (exportRemote)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval export [flags] DIR\n\nWrites every stored object (of --db, or of a running zeval serve with --server) to\nDIR/ZID.json.\n\nflags:")
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
	if *server != "" {
		if err := localOnly(fs, "db"); err != nil {
			return err
		}
		return exportRemote(ctx, env, *server, pos[0], *typ)
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

// exportRemote is zeval export --server: it reads GET /v1/objects:export, the server's
// objects from one snapshot as NDJSON, and writes each with store.ExportFile, as the
// in-process export does. An export that breaks off (fewer objects than the server counted)
// is an error; the files written until then are whole.
func exportRemote(ctx context.Context, env *cliEnv, server, dir, typ string) error {
	c, err := newAPIClient(server)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	path := api.ExportPath
	if typ != "" {
		path += "?type=" + url.QueryEscape(typ)
	}
	start := time.Now()
	resp, err := c.send(ctx, http.MethodGet, path, nil, "application/x-ndjson")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	want, err := strconv.Atoi(resp.Header.Get(api.HeaderObjectCount))
	if err != nil || want < 0 {
		return fmt.Errorf("the server's export has no %s: is %s a zeval serve with a store?", api.HeaderObjectCount, server)
	}
	var res store.ExportResult
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), maxReply)
	for sc.Scan() {
		var line api.ExportLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("line %d of the server's export: %w", res.Written+res.Unchanged+1, err)
		}
		written, err := store.ExportFile(dir, line.ZID, line.Object)
		if err != nil {
			return fmt.Errorf("store: export %s: %w", line.ZID, err)
		}
		if written {
			res.Written++
		} else {
			res.Unchanged++
		}
	}
	got := res.Written + res.Unchanged
	if err := sc.Err(); err != nil {
		return fmt.Errorf("the server's export broke off after %d of %d objects: %w", got, want, err)
	}
	if got != want {
		return fmt.Errorf("the server's export broke off after %d of %d objects", got, want)
	}
	fmt.Fprintf(env.stdout, "exported %d objects from %s to %s in %v: %d written, %d unchanged\n",
		got, server, dir, time.Since(start).Round(time.Millisecond), res.Written, res.Unchanged)
	return nil
}
