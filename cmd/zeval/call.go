package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/render"
	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

const callHelp = `usage: zeval call [flags] ZID [ARG...]

Calls function ZID with the arguments, each written as text and converted to the type the
function declares for it, as page markup is: Z6 (and Z1) a string; Z40 true or false; Z13518
digits; a typed list (Z881) items separated by ; (\; for a literal ;). An argument of any
other type is a ZObject in JSON. Prints the result: a string as it is, a Boolean as true or
false, anything else as canonical JSON; --json prints the whole Z22 envelope. The exit status
is 1 when the call fails (the Z5 goes to stderr), 2 for bad usage.

Works in this process on --db (default $ZEVAL_DB or ./zeval.db when it exists; built-in
functions only otherwise), or with --server on a running zeval serve.

flags:`

// runCall calls a function with arguments written as text and prints the result.
func runCall(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	server := serverFlag(fs)
	src := orchSourceFlags(fs)
	code := codeFlag(fs)
	timeout := fs.Duration("timeout", 15*time.Second, "time budget of the call (in this process)")
	asJSON := fs.Bool("json", false, "print the whole Z22 envelope")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, callHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return exitError{2}
	}
	zid, texts := fs.Arg(0), fs.Args()[1:]
	if !z.IsZID(zid) {
		fmt.Fprintf(env.stderr, "zeval call: %q is not a ZID (Z followed by a number, like Z801)\n", zid)
		return exitError{2}
	}
	var b backend
	if *server != "" {
		c, err := newAPIClient(*server)
		if err != nil {
			return err
		}
		b = c
	} else {
		lb, closeFn, err := openLocal(ctx, env, src, *code, *timeout)
		if err != nil {
			return err
		}
		defer closeFn()
		b = lb
	}
	z2, err := b.function(ctx, zid)
	if err != nil {
		return err
	}
	call, msg := buildCall(zid, z2.Get("Z2K2"), texts)
	if msg != "" {
		fmt.Fprintf(env.stderr, "zeval call: %s\n", msg)
		return exitError{2}
	}
	envelope, err := b.evaluate(ctx, call)
	if err != nil {
		return err
	}
	if *asJSON {
		fmt.Fprintf(env.stdout, "%s\n", orchestrator.EnvelopeJSON(envelope))
	}
	if e := z.EnvelopeError(envelope); e != nil && !z.IsVoid(e) {
		fmt.Fprintf(env.stderr, "zeval call: %s failed: %s\n", zid, e.CanonicalJSON())
		return exitError{1}
	}
	if !*asJSON {
		fmt.Fprintln(env.stdout, resultText(envelope.Get("Z22K1")))
	}
	return nil
}

// backend is where call and functions find functions and evaluate: this process or a server.
type backend interface {
	function(ctx context.Context, zid string) (*z.Object, error)
	evaluate(ctx context.Context, call *z.Object) (*z.Object, error)
	functions(ctx context.Context, q string) ([]api.FunctionEntry, error)
}

var (
	_ backend = (*apiClient)(nil)
	_ backend = (*localBackend)(nil)
)

// localBackend evaluates in this process. Listing goes through the library API's handler,
// called in process, so both modes list the same way.
type localBackend struct {
	*apiClient
	orch     *orchestrator.Orchestrator
	resolver orchestrator.Resolver
	ev       *evaluator.Evaluator
}

// openLocal opens the store (--db, else $ZEVAL_DB or ./zeval.db when it exists) and the
// evaluator, and returns the backend with what closes them.
func openLocal(ctx context.Context, env *cliEnv, src orchSource, code string, timeout time.Duration) (*localBackend, func(), error) {
	if *src.db == "" {
		if p := storeDefaultDB(); fileExists(p) {
			*src.db = p
		}
	} else if !fileExists(*src.db) {
		// Reading must not create an empty database where the user mistyped a path.
		return nil, nil, fmt.Errorf("no database at %s", *src.db)
	}
	resolver, st, closeStore, err := src.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := []orchestrator.Option{orchestrator.WithTimeout(timeout), orchestrator.WithLogger(logger)}
	ev, err := openEvaluator(code, -1, logger)
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	if ev != nil {
		opts = append(opts, orchestrator.WithEvaluator(ev))
	}
	orch := orchestrator.New(resolver, opts...)
	if ev != nil {
		ev.SetCaller(orch.Call)
	}
	var h http.Handler = api.Extend(api.New(orch), api.NewLibraryHandler(st, orch, api.WithLibraryEvaluator(ev)))
	if ev != nil {
		h = withSessions(ev, h)
	}
	c := &apiClient{http: &http.Client{Transport: handlerTransport{h}}, base: &url.URL{Scheme: "http", Host: "in-process"}}
	closeFn := func() {
		if ev != nil {
			ev.Close()
		}
		closeStore()
	}
	return &localBackend{apiClient: c, orch: orch, resolver: resolver, ev: ev}, closeFn, nil
}

// function finds the function among the built-ins, then in the store and --defs.
func (b *localBackend) function(ctx context.Context, zid string) (*z.Object, error) {
	if o := b.orch.Definitions().Get(zid); o != nil {
		return o, nil
	}
	if b.resolver != nil {
		o, err := b.resolver.Resolve(ctx, zid)
		if err == nil {
			return o, nil
		}
		if !errors.Is(err, orchestrator.ErrNotFound) && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s: no such function (is --db right?)", zid)
}

// evaluate evaluates the call in one evaluator session.
func (b *localBackend) evaluate(ctx context.Context, call *z.Object) (*z.Object, error) {
	if b.ev != nil {
		s := b.ev.NewSession()
		defer s.Close()
		ctx = evaluator.WithSession(ctx, s)
	}
	return b.orch.Evaluate(ctx, orchestrator.Request{Call: call, DoValidate: true}), nil
}

// handlerTransport serves requests with a handler in this process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// buildCall makes the Z7 of function zid (fn its Z8) with arguments written as text.
func buildCall(zid string, fn *z.Object, texts []string) (*z.Object, string) {
	if !fn.IsRecord() || !fn.Type().Is(z.Z8) {
		return nil, zid + " is not a function"
	}
	decls := z.ListItems(fn.Get("Z8K1"))
	if len(decls) != len(texts) {
		var sig []string
		for _, d := range decls {
			sig = append(sig, d.Get("Z17K2").StringValue()+": "+z.TypeKey(d.Get("Z17K1")))
		}
		return nil, fmt.Sprintf("%s takes %d argument(s) (%s), %d given", zid, len(decls), strings.Join(sig, ", "), len(texts))
	}
	fields := []z.Field{z.KV("Z7K1", z.NewRef(zid))}
	for i, d := range decls {
		key := d.Get("Z17K2")
		if !key.IsString() {
			return nil, fmt.Sprintf("%s: argument %d has no key", zid, i+1)
		}
		v, msg := argFromText(texts[i], d.Get("Z17K1"))
		if msg != "" {
			return nil, fmt.Sprintf("argument %d (%s): %s", i+1, key.StringValue(), msg)
		}
		fields = append(fields, z.KV(key.StringValue(), v))
	}
	return z.NewRecord(z.NewRef(z.Z7), fields...), ""
}

// argFromText converts an argument written as text to the declared type typ: by the rules of
// page markup (render.FromText) for the types markup can write, as a ZObject in JSON otherwise.
func argFromText(s string, typ *z.Object) (*z.Object, string) {
	if render.CanWrite(typ) {
		return render.FromText(s, typ)
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") || strings.HasPrefix(t, `"`) {
		if !json.Valid([]byte(t)) {
			return nil, "not valid JSON"
		}
		o, err := z.Parse([]byte(t))
		if err != nil {
			return nil, "not a ZObject: " + err.Error()
		}
		return o, ""
	}
	return nil, fmt.Sprintf("a value of type %s is written as a ZObject in JSON", z.TypeKey(typ))
}

// resultText writes a result for a terminal: a string as it is, a Boolean as true or false,
// a list of strings one per line, anything else as canonical JSON.
func resultText(v *z.Object) string {
	if v.IsString() {
		return v.StringValue()
	}
	if b, ok := z.BoolValue(v); ok {
		return fmt.Sprint(b)
	}
	if items := z.ListItems(v); v.IsList() || items != nil {
		lines := make([]string, 0, len(items))
		for _, it := range items {
			if !it.IsString() {
				return v.String()
			}
			lines = append(lines, it.StringValue())
		}
		return strings.Join(lines, "\n")
	}
	return v.String()
}
