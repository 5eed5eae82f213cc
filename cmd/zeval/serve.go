package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
)

// runServe runs the HTTP API (the Wikifunctions orchestrator API and the object store API)
// until the process is interrupted.
func runServe(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	src := orchSourceFlags(fs)
	timeout := fs.Duration("timeout", 15*time.Second, "time budget of one evaluation")
	maxDepth := fs.Int("max-depth", 256, "limit on nested function calls")
	maxBody := fs.Int64("max-body", api.DefaultMaxBody, "limit on request body size in bytes")
	code := codeFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval serve [flags]\n\nServes POST /{domain}/v1/evaluate/ and the object API.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitError{2}
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, nil))
	resolver, st, closeFn, err := src.open(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	orchOpts := []orchestrator.Option{
		orchestrator.WithTimeout(*timeout), orchestrator.WithMaxDepth(*maxDepth), orchestrator.WithLogger(logger)}
	ev, err := openEvaluator(*code, 0, logger)
	if err != nil {
		return err
	}
	if ev != nil {
		defer ev.Close()
		orchOpts = append(orchOpts, orchestrator.WithEvaluator(ev))
	}
	orch := orchestrator.New(resolver, orchOpts...)
	if ev != nil {
		ev.SetCaller(orch.Call)
	}
	opts := []api.Option{api.WithMaxBody(*maxBody), api.WithLogger(logger)}
	if st != nil {
		opts = append(opts, api.WithObjects(api.NewObjectsHandler(st, api.WithObjectsLogger(logger))))
	}
	var handler http.Handler = api.New(orch, opts...)
	handler = withRender(handler, orch, resolver, st, ev, *maxBody, logger)
	if ev != nil {
		handler = withSessions(ev, handler)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(env.stdout, "zeval serving on http://%s\n", ln.Addr())
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// withSessions gives every request an evaluator session: a function called again within the
// request reuses its kernel, and the request's kernels are released when it ends.
func withSessions(ev *evaluator.Evaluator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := ev.NewSession()
		defer s.Close()
		next.ServeHTTP(w, r.WithContext(evaluator.WithSession(r.Context(), s)))
	})
}
