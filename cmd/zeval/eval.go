package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

// runEval evaluates one function call (a Z7 in any JSON form) from a file or stdin and prints
// the Z22 envelope, or with --result only its Z22K1. The exit status is 1 when the envelope
// reports an error.
func runEval(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	src := orchSourceFlags(fs)
	resultOnly := fs.Bool("result", false, "print only the result (Z22K1)")
	code := codeFlag(fs)
	validate := fs.Bool("validate", true, "run upstream's doValidate checks before evaluating")
	timeout := fs.Duration("timeout", 15*time.Second, "time budget of the evaluation")
	server := serverFlag(fs) // --server: evaluate on a running zeval serve (client.go)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval eval [flags] FILE|-\n\nEvaluates the function call in FILE (- for stdin) and prints the Z22 envelope.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError{2}
	}
	var data []byte
	var err error
	if name := fs.Arg(0); name == "-" {
		data, err = io.ReadAll(io.LimitReader(env.stdin, 64<<20))
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return err
	}
	if *server != "" {
		return evalRemote(ctx, env, *server, data, *validate, *resultOnly)
	}
	resolver, _, closeFn, err := src.open(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	opts := []orchestrator.Option{orchestrator.WithTimeout(*timeout)}
	ev, err := openEvaluator(*code, -1, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	if ev != nil {
		defer ev.Close()
		session := ev.NewSession()
		defer session.Close()
		ctx = evaluator.WithSession(ctx, session)
		opts = append(opts, orchestrator.WithEvaluator(ev))
	}
	orch := orchestrator.New(resolver, opts...)
	if ev != nil {
		ev.SetCaller(orch.Call)
	}
	call, zerr := z.Decode(data)
	if zerr != nil {
		call = zerr
	}
	envelope := orch.Evaluate(ctx, orchestrator.Request{Call: call, DoValidate: *validate})
	out := orchestrator.EnvelopeJSON(envelope)
	if *resultOnly {
		out = envelope.Get("Z22K1").CanonicalJSON()
	}
	if _, err := fmt.Fprintf(env.stdout, "%s\n", out); err != nil {
		return err
	}
	if e := z.EnvelopeError(envelope); e != nil && !z.IsVoid(e) {
		if *resultOnly {
			fmt.Fprintf(env.stderr, "error: %s\n", e.CanonicalJSON())
		}
		return exitError{1}
	}
	return nil
}

// orchSource says where the orchestrator finds objects that are not built in.
type orchSource struct {
	db   *string
	defs *string
}

func orchSourceFlags(fs *flag.FlagSet) orchSource {
	return orchSource{
		db:   fs.String("db", "", "SQLite store to resolve ZIDs from (none: built-ins and --defs only)"),
		defs: fs.String("defs", "", "folder of Z*.json persistent objects to resolve ZIDs from, after the store"),
	}
}

// open builds the resolver: the store (returned too, nil without --db), then the definitions
// folder. Built-ins are always known.
func (s orchSource) open(ctx context.Context) (orchestrator.Resolver, *store.Store, func(), error) {
	var chain orchestrator.Chain
	var st *store.Store
	closeFn := func() {}
	if *s.db != "" {
		var err error
		// Writes through the object API are validated the way zeval import validates them.
		st, err = store.Open(ctx, *s.db, store.WithValidator(zobjectValidator{}))
		if err != nil {
			return nil, nil, nil, err
		}
		closeFn = func() { _ = st.Close() }
		chain = append(chain, &storeResolver{store: st, cache: map[string]cachedObject{}})
	}
	if *s.defs != "" {
		m, err := loadDefinitions(os.DirFS(*s.defs))
		if err != nil {
			closeFn()
			return nil, nil, nil, err
		}
		chain = append(chain, m)
	}
	return chain, st, closeFn, nil
}

// loadDefinitions reads every Z*.json file of fsys as a persistent object.
func loadDefinitions(fsys fs.FS) (orchestrator.MapResolver, error) {
	names, err := fs.Glob(fsys, "Z*.json")
	if err != nil {
		return nil, err
	}
	m := make(orchestrator.MapResolver, len(names))
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		o, err := z.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		m[strings.TrimSuffix(path.Base(name), ".json")] = o
	}
	return m, nil
}

// storeResolver resolves ZIDs from the store. It keeps parsed objects and checks the store's
// generation, so an object is parsed again only after the store changed.
type storeResolver struct {
	store *store.Store
	mu    sync.Mutex
	cache map[string]cachedObject
}

type cachedObject struct {
	generation int64
	obj        *z.Object
}

func (r *storeResolver) Resolve(ctx context.Context, zid string) (*z.Object, error) {
	gen, err := r.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	c, ok := r.cache[zid]
	r.mu.Unlock()
	if ok && c.generation == gen {
		return c.obj, nil
	}
	data, err := r.store.Fetch(ctx, zid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", zid, orchestrator.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	o, err := z.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("stored object %s: %w", zid, err)
	}
	r.mu.Lock()
	r.cache[zid] = cachedObject{gen, o}
	r.mu.Unlock()
	return o, nil
}

var _ orchestrator.Resolver = (*storeResolver)(nil)

// codeFlag is the --code flag: the languages code implementations may run in.
func codeFlag(fs *flag.FlagSet) *string {
	return fs.String("code", "js,python", "languages code implementations run in: js, python, js,python, or none (they then answer that no evaluator is available)")
}

// openEvaluator starts the evaluator for the languages of --code, or returns nil for none.
// minIdle is how many Python kernels to keep ready (negative: none, start them on demand);
// tune, if any, adjusts the rest of the configuration (zeval render: the fork server).
func openEvaluator(code string, minIdle int, logger *slog.Logger, tune ...func(*evaluator.Config)) (*evaluator.Evaluator, error) {
	if code == "" || code == "none" {
		return nil, nil
	}
	js, python := false, false
	for _, l := range strings.Split(code, ",") {
		switch strings.TrimSpace(l) {
		case "js", "javascript":
			js = true
		case "python", "py":
			python = true
		default:
			return nil, fmt.Errorf("--code: unknown language %q (want js, python)", l)
		}
	}
	cfg := evaluator.Config{NoJavaScript: !js, NoPython: !python, MinIdle: minIdle, Logger: logger}
	for _, f := range tune {
		f(&cfg)
	}
	return evaluator.New(cfg)
}

// LanguageByCode finds the stored natural language (Z60) whose code is code, for Z860.
func (r *storeResolver) LanguageByCode(ctx context.Context, code string) (string, error) {
	entries, _, err := r.store.List(ctx, store.Query{Type: "Z60", Ref: store.Ref{Key: "Z60K1", Target: code}, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(entries) == 0 {
		return "", fmt.Errorf("language %q: %w", code, orchestrator.ErrNotFound)
	}
	return entries[0].ZID, nil
}

var _ orchestrator.LanguageResolver = (*storeResolver)(nil)
