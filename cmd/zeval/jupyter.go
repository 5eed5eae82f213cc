package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zeval/zeval/internal/jupyter"
)

// jupyterCommands lists the subcommands that drive kernels directly.
func jupyterCommands() []command {
	return []command{
		{"kernels", "list the Jupyter kernelspecs zeval can find", runKernels},
		{"exec", "run code in a fresh kernel and print its outputs", runExec},
	}
}

func runKernels(_ context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("kernels", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	specs, problems := jupyter.FindSpecs(jupyter.SearchPath())
	for _, p := range problems {
		fmt.Fprintf(env.stderr, "warning: %v\n", p)
	}
	if *asJSON {
		if specs == nil {
			specs = []*jupyter.Spec{}
		}
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(specs)
	}
	if len(specs) == 0 {
		fmt.Fprintln(env.stderr, "no kernelspecs found; searched:")
		for _, d := range jupyter.SearchPath() {
			fmt.Fprintln(env.stderr, "  "+d)
		}
		return exitError{1}
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLANGUAGE\tDISPLAY NAME\tINTERRUPT\tPATH")
	for _, s := range specs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Language, s.DisplayName, s.InterruptMode, s.Dir)
	}
	return tw.Flush()
}

func runExec(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	kernel := fs.String("kernel", "python3", "kernelspec name")
	timeout := fs.Duration("timeout", 0, "interrupt the code after this long (0: no limit)")
	start := fs.Duration("start-timeout", 60*time.Second, "how long to wait for the kernel to start")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: zeval exec [--kernel NAME] CODE|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError{2}
	}
	code := fs.Arg(0)
	if code == "-" {
		b, err := readAll(env)
		if err != nil {
			return err
		}
		code = b
	}
	spec, err := jupyter.FindSpec(jupyter.SearchPath(), *kernel)
	if err != nil {
		return err
	}
	k, err := jupyter.Launch(ctx, spec, jupyter.WithStartTimeout(*start))
	if err != nil {
		return err
	}
	defer k.Shutdown(context.Background())

	runCtx := ctx
	if *timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	// Outputs are printed as they arrive; an interrupt (Ctrl-C or the timeout) is passed on to
	// the kernel, and the code's KeyboardInterrupt is then reported like any other error.
	stop := context.AfterFunc(runCtx, func() { _ = k.Interrupt(context.Background()) })
	defer stop()
	stdin := bufio.NewReader(env.stdin)
	res, err := k.Execute(context.WithoutCancel(ctx), code, jupyter.OnOutput(func(o jupyter.Output) {
		printOutput(env, o)
	}), jupyter.WithInput(func(prompt string, _ bool) (string, error) {
		fmt.Fprint(env.stderr, prompt)
		line, err := stdin.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("reading input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}))
	if err != nil {
		return err
	}
	if res.Status != "ok" {
		if errors.Is(runCtx.Err(), context.DeadlineExceeded) {
			fmt.Fprintf(env.stderr, "zeval exec: interrupted after %v\n", *timeout)
		}
		return exitError{1}
	}
	return nil
}

func printOutput(env *cliEnv, o jupyter.Output) {
	switch o.Type {
	case "stream":
		if o.Name == "stderr" {
			fmt.Fprint(env.stderr, o.Text)
		} else {
			fmt.Fprint(env.stdout, o.Text)
		}
	case "error":
		fmt.Fprintln(env.stderr, o.Text)
	default:
		if t := o.PlainText(); t != "" {
			fmt.Fprintln(env.stdout, t)
		}
	}
}

func readAll(env *cliEnv) (string, error) {
	b, err := io.ReadAll(env.stdin)
	return string(b), err
}
