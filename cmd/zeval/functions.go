package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

// runFunctions lists the functions (built-in and stored) with their labels, in this process
// or on a server.
func runFunctions(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("functions", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	server := serverFlag(fs)
	src := orchSourceFlags(fs)
	q := fs.String("q", "", "list only functions whose label or ZID contains this (ignoring case)")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	builtins := fs.Bool("builtins", true, "list built-in functions too")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval functions [flags] [SEARCH]\n\nLists functions with their labels: in this process on --db (default $ZEVAL_DB or\n./zeval.db when it exists), or with --server on a running zeval serve.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	switch {
	case fs.NArg() == 1 && *q == "":
		*q = fs.Arg(0)
	case fs.NArg() > 0:
		fs.Usage()
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
		// Listing runs no code.
		lb, closeFn, err := openLocal(ctx, env, src, "none", time.Second)
		if err != nil {
			return err
		}
		defer closeFn()
		b = lb
	}
	list, err := b.functions(ctx, *q)
	if err != nil {
		return err
	}
	kept := list[:0]
	for _, f := range list {
		if *builtins || !f.BuiltIn {
			kept = append(kept, f)
		}
	}
	if *asJSON {
		data, err := json.MarshalIndent(kept, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.stdout, "%s\n", data)
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	for _, f := range kept {
		where := ""
		if f.BuiltIn {
			where = "built-in"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.ZID, f.Label, where)
	}
	return tw.Flush()
}
