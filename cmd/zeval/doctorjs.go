package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/zeval/zeval/internal/evaluator"
	z "github.com/zeval/zeval/internal/zobject"
)

// doctorJS says what runs JavaScript under the configuration (--javascript-kernel, as zeval
// serve takes it) and, for a kernel, that a trivial function runs in it.
type doctorJS struct {
	Engine  string  `json:"engine"` // "embedded (goja)" or "kernel deno"
	Kernel  string  `json:"kernel,omitempty"`
	OK      bool    `json:"ok"`
	FirstMS float64 `json:"first_call_ms"` // start a kernel, load the executor and the code, call
	CallMS  float64 `json:"call_ms"`       // a second call in the same kernel
	Error   string  `json:"error,omitempty"`
}

// doctorJavaScript checks the JavaScript engine: the embedded one always works; a kernel is
// started and called.
func doctorJavaScript(ctx context.Context, kernel string, startTimeout time.Duration) doctorJS {
	r := doctorJS{Engine: "embedded (goja)", Kernel: kernel}
	cfg := evaluator.Config{NoPython: true, JavaScriptKernel: kernel, MinIdle: -1, AcquireTimeout: startTimeout}
	e, err := evaluator.New(cfg)
	if err != nil {
		r.Error = err.Error()
		if kernel != "" {
			r.Engine = "kernel " + kernel
		}
		return r
	}
	defer e.Close()
	r.Engine = e.JavaScriptEngine()
	call, err := z.Parse([]byte(`{"Z1K1":"Z7","Z7K1":{"Z1K1":"Z8","Z8K1":["Z17"],"Z8K2":"Z6","Z8K3":["Z20"],` +
		`"Z8K4":["Z14",{"Z1K1":"Z14","Z14K1":"Z1000","Z14K3":{"Z1K1":"Z16","Z16K1":"Z600",` +
		`"Z16K2":"function Z1000(a, b) { return String(Number(a) + Number(b)); }"}}],"Z8K5":"Z1000"},` +
		`"Z1000K1":"1","Z1000K2":"1"}`))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	s := e.NewSession()
	defer s.Close()
	sctx := evaluator.WithSession(ctx, s)
	for i, d := range []*float64{&r.FirstMS, &r.CallMS} {
		began := time.Now()
		out, err := e.Evaluate(sctx, "javascript", call)
		*d = durMS(time.Since(began))
		if err == nil && out.Get("Z22K1").StringValue() != "2" {
			err = fmt.Errorf("call %d: 1 + 1 gave %s", i+1, out)
		}
		if err != nil {
			r.Error = err.Error()
			return r
		}
	}
	r.OK = true
	return r
}

func printDoctorJS(w io.Writer, r doctorJS) {
	status := "ok  "
	if !r.OK {
		status = "FAIL"
	}
	fmt.Fprintf(w, "javascript:\n  %s %s: first call %.1f ms, then %.2f ms %s\n", status, r.Engine, r.FirstMS, r.CallMS, doctorFirstLine(r.Error))
}
