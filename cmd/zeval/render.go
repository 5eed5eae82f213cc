package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/render"
	"github.com/zeval/zeval/internal/store"
)

// runRender renders a page (wikitext, Markdown or HTML with {{#function:...}} calls) from a
// file or stdin and prints the HTML, or with --json the whole answer of POST /v1/render. The
// exit status is 1 when a call failed (the page is printed all the same) and 2 for markup
// that does not parse.
func runRender(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	src := orchSourceFlags(fs)
	code := codeFlag(fs)
	format := fs.String("format", "", "markup format: wikitext, markdown or html (default: by the file's extension, .html/.htm html, .md markdown, else wikitext)")
	asJSON := fs.Bool("json", false, "print the whole answer as JSON (html, calls with metadata, errors, stats)")
	timeout := fs.Duration("timeout", render.DefaultTimeout, "time budget of the whole render")
	callTimeout := fs.Duration("call-timeout", 15*time.Second, "time budget of one call")
	workers := fs.Int("workers", 0, "calls evaluated at once (default: 16 per CPU)")
	cacheSpec := fs.String("cache", "none", cacheUsage)
	forkServer := fs.Bool("python-fork-server", true, "start ipykernel kernels by forking a warm server (milliseconds instead of half a second each)")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval render [flags] FILE|-\n\nRenders the page in FILE (- for stdin) and prints the HTML.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError{2}
	}
	name := fs.Arg(0)
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(env.stdin, 64<<20))
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return err
	}
	if *format == "" {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".html", ".htm":
			*format = "html"
		case ".md", ".markdown":
			*format = "markdown"
		}
	}
	f, err := render.ParseFormat(*format)
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	resolver, st, closeFn, err := src.open(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	opts := []orchestrator.Option{orchestrator.WithTimeout(*callTimeout), orchestrator.WithLogger(logger)}
	// A render is one process and one page: kernels start when the page needs them.
	ev, err := openEvaluator(*code, -1, logger, func(c *evaluator.Config) { c.ForkServer = *forkServer })
	if err != nil {
		return err
	}
	if ev != nil {
		defer ev.Close()
		opts = append(opts, orchestrator.WithEvaluator(ev))
	}
	orch := orchestrator.New(resolver, opts...)
	if ev != nil {
		ev.SetCaller(orch.Call)
	}
	results, closeCache, err := openCache(ctx, *cacheSpec, cache.DefaultMaxBytes, logger)
	if err != nil {
		return err
	}
	defer closeCache()
	ropts := []render.Option{render.WithTimeout(*timeout), render.WithWorkers(*workers)}
	if results != nil {
		ropts = append(ropts, render.WithCache(results))
	}
	r := newRenderer(orch, resolver, st, ev, logger, ropts...)
	res, err := r.Render(ctx, render.Request{Markup: string(data), Format: f, Metadata: *asJSON})
	if err != nil {
		var se *render.SyntaxError
		if errors.As(err, &se) {
			fmt.Fprintf(env.stderr, "zeval render: %s: %v\n", name, se)
			return exitError{2}
		}
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if _, err := io.WriteString(env.stdout, res.HTML); err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		for _, e := range res.Errors {
			fmt.Fprintf(env.stderr, "zeval render: %s:%s: %s: %s\n", name, e.Pos, e.Function, e.Message)
		}
		return exitError{1}
	}
	return nil
}

// newRenderer wires a page renderer to the orchestrator: functions resolved like the
// orchestrator resolves them, revision IDs from the store (when there is one) for cache keys,
// one evaluator session per page (when code runs). One process renders one page, so a result
// cache is worth having only when it is shared (--cache redis://...), not by default.
func newRenderer(orch *orchestrator.Orchestrator, resolver orchestrator.Resolver, st *store.Store, ev *evaluator.Evaluator, logger *slog.Logger, opts ...render.Option) *render.Renderer {
	base := []render.Option{render.WithLogger(logger)}
	if st != nil {
		base = append(base, render.WithVersions(st))
	}
	if ev != nil {
		base = append(base, render.WithSessions(ev))
	}
	return render.New(orch, resolver, append(base, opts...)...)
}
