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
	orch := orchestrator.New(resolver,
		orchestrator.WithTimeout(*timeout), orchestrator.WithMaxDepth(*maxDepth), orchestrator.WithLogger(logger))
	opts := []api.Option{api.WithMaxBody(*maxBody), api.WithLogger(logger)}
	if st != nil {
		opts = append(opts, api.WithObjects(api.NewObjectsHandler(st, api.WithObjectsLogger(logger))))
	}
	handler := api.New(orch, opts...)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
