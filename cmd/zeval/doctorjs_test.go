package main

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestJavaScriptKernelOption(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o, _ := serveFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if o.javaScriptKernel != "" {
		t.Errorf("default --javascript-kernel = %q, want empty (the embedded engine)", o.javaScriptKernel)
	}
	env := func(k string) (string, bool) { return "deno", k == "ZEVAL_JAVASCRIPT_KERNEL" }
	if err := applyConfig(fs, "", env); err != nil {
		t.Fatal(err)
	}
	if o.javaScriptKernel != "deno" {
		t.Errorf("ZEVAL_JAVASCRIPT_KERNEL=deno gave --javascript-kernel %q", o.javaScriptKernel)
	}
}

func TestDoctorJavaScript(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		kernel, engine string
		ok             bool
	}{
		{"", "embedded (goja)", true},
		{"deno", "kernel deno", true},
		{"python3", "kernel python3", false},
	} {
		r := doctorJavaScript(ctx, c.kernel, time.Minute)
		if r.Engine != c.engine || r.OK != c.ok {
			t.Errorf("doctorJavaScript(%q) = engine %q ok %v (%s), want %q %v", c.kernel, r.Engine, r.OK, r.Error, c.engine, c.ok)
		}
		if !c.ok && !strings.Contains(r.Error, "not JavaScript") {
			t.Errorf("doctorJavaScript(%q) error %q, want the reason", c.kernel, r.Error)
		}
	}
}
