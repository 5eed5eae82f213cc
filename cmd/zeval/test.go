package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/tester"
)

// runTest runs every tester of the given functions (all stored functions without arguments)
// against every implementation and prints a summary table, implementations ranked, or with
// --json the reports. The exit status is 1 when a tester failed.
func runTest(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	src := orchSourceFlags(fs)
	code := codeFlag(fs)
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	timeout := fs.Duration("timeout", time.Minute, "time budget of one tester call")
	jobs := fs.Int("jobs", 2, "functions tested at once, each in its own evaluator session")
	server := serverFlag(fs) // --server: run the testers on a running zeval serve (client.go)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval test [flags] [ZID...]\n\nRuns the testers of the functions (default: every stored function) against each\nimplementation and prints a summary, implementations ranked by failures, then time.\n\nflags:")
		fs.PrintDefaults()
	}
	zids, err := storeParseArgs(fs, args)
	if err != nil {
		return exitError{2}
	}
	if *jobs < 1 {
		*jobs = 1
	}
	for _, zid := range zids {
		if !store.IsZID(zid) {
			return fmt.Errorf("%q is not a ZID", zid)
		}
	}
	if *server != "" {
		return testRemote(ctx, env, *server, zids, *jobs, *asJSON)
	}
	if *src.db == "" {
		*src.db = storeDefaultDB()
	}
	// Testing must not create an empty database where the user mistyped a path.
	if _, err := os.Stat(*src.db); err != nil {
		return fmt.Errorf("no database at %s (set --db or $ZEVAL_DB)", *src.db)
	}
	resolver, st, closeFn, err := src.open(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	lib := testLibrary{Resolver: resolver, store: tester.StoreLibrary{Store: st}}
	if len(zids) == 0 {
		if zids, err = lib.store.Functions(ctx); err != nil {
			return err
		}
	}

	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := []orchestrator.Option{orchestrator.WithTimeout(*timeout), orchestrator.WithLogger(logger)}
	ev, err := openEvaluator(*code, 0, logger)
	if err != nil {
		return err
	}
	var runOpts []tester.Option
	if ev != nil {
		defer ev.Close()
		opts = append(opts, orchestrator.WithEvaluator(ev))
		runOpts = append(runOpts, tester.WithSessions(ev))
	}
	orch := orchestrator.New(resolver, opts...)
	if ev != nil {
		ev.SetCaller(orch.Call)
	}

	start := time.Now()
	progress := newProgress(env.stderr, len(zids))
	reports, err := tester.RunAll(ctx, orch, lib, zids, *jobs, append(runOpts, tester.WithDone(progress.done))...)
	progress.finish()
	if err != nil {
		return err // it names the ZID
	}

	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false) // results may be HTML fragments
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	} else if err := tester.WriteTable(env.stdout, reports, time.Since(start)); err != nil {
		return err
	}
	for _, r := range reports {
		if r.Failed > 0 {
			return exitError{1}
		}
	}
	return nil
}

// testLibrary reads objects as the orchestrator does (store, then --defs) and finds
// implementations and testers by reference in the store.
type testLibrary struct {
	orchestrator.Resolver
	store tester.StoreLibrary
}

func (l testLibrary) Referrers(ctx context.Context, key, target string) ([]string, error) {
	return l.store.Referrers(ctx, key, target)
}

var _ tester.Referrers = testLibrary{}

// progress shows "testing 3/56 Z10003" on a terminal, and nothing otherwise. Safe for
// concurrent use.
type progress struct {
	w     io.Writer // nil when not a terminal
	total int
	mu    sync.Mutex
	n     int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{total: total}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.w = w
		}
	}
	return p
}

func (p *progress) done(r tester.Report) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	const width = 30
	bar := strings.Repeat("#", p.n*width/p.total) + strings.Repeat(".", width-p.n*width/p.total)
	fmt.Fprintf(p.w, "\r[%s] %d/%d %-8s", bar, p.n, p.total, r.Function)
}

func (p *progress) finish() {
	if p.w != nil && p.n > 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
