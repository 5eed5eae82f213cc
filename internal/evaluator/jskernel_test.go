package evaluator

import (
	"context"
	"strings"
	"testing"
	"time"
)

// denoKernel is the JavaScript kernelspec the tests use; scripts/setup.sh installs it, so a
// missing one fails the tests.
const denoKernel = "deno"

func TestJavaScriptKernelSmoke(t *testing.T) {
	l := newLibrary(t, Config{JavaScriptKernel: denoKernel, CallTimeout: 3 * time.Second}, map[string]string{
		"Z1050": "function Z1050(a, b) { return String(Number(a) + Number(b)); }",
	})
	s := l.e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)
	out := l.call(t, ctx, "Z1050", str("5"), str("8"))
	t.Logf("%s", out)
	if got := value(t, out); got != "13" {
		t.Errorf("Z1050(5, 8) = %s, want 13", got)
	}
	_ = strings.Contains
}
