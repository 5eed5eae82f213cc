package evaluator

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

var _ orchestrator.PartsEvaluator = (*Evaluator)(nil)

// wholeOnly hides EvaluateParts: the orchestrator then hands over a Z7 to Evaluate.
type wholeOnly struct{ e *Evaluator }

func (w wholeOnly) Languages() []string { return w.e.Languages() }
func (w wholeOnly) Evaluate(ctx context.Context, language string, call *z.Object) (*z.Object, error) {
	return w.e.Evaluate(ctx, language, call)
}

// countingParts counts the calls that come in parts.
type countingParts struct {
	wholeOnly
	parts atomic.Int64
}

func (c *countingParts) EvaluateParts(ctx context.Context, language string, fn, impl *z.Object, args []z.Field) (*z.Object, []z.MapEntry, error) {
	c.parts.Add(1)
	return c.e.EvaluateParts(ctx, language, fn, impl, args)
}

// TestEvaluateParts checks that calls given to the evaluator in parts come out of the
// orchestrator as they do through Evaluate: values, errors and metadata (but for times).
func TestEvaluateParts(t *testing.T) {
	fns := map[string]string{
		"Z1000": testFunctions["Z1000"], "Z1005": testFunctions["Z1005"], "Z1009": testFunctions["Z1009"],
		"Z1010": testFunctions["Z1010"], "Z1011": testFunctions["Z1011"], "Z1020": testFunctions["Z1020"],
		"Z1021": testFunctions["Z1021"],
		"Z1030": "function Z1030() { throw new Error('bad js'); }",
		"Z1031": "function Z1031( {",
		"Z1032": "def Z1032(Z1032K1):\n\tprint('to stdout')\n\treturn Z1032K1[::-1]",
	}
	arity := map[string]int{"Z1000": 2, "Z1005": 1, "Z1011": 1, "Z1020": 1, "Z1021": 1, "Z1032": 1}
	lib := orchestrator.MapResolver{}
	for zid, code := range fns {
		lang, _ := languageOf(code)
		var decls []string
		for i := 1; i <= arity[zid]; i++ {
			decls = append(decls, fmt.Sprintf(`{"Z1K1":"Z17","Z17K1":"Z6","Z17K2":"%sK%d","Z17K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`, zid, i))
		}
		impl := "Z" + fmt.Sprint(20000+len(lib))
		lib[zid] = z.MustParse(fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":{"Z1K1":"Z8","Z8K1":["Z17"%s],"Z8K2":"Z1","Z8K3":["Z20"],"Z8K4":["Z14",%q],"Z8K5":%q},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`,
			zid, strings.Repeat(",", min(1, len(decls)))+strings.Join(decls, ","), impl, zid))
		lib[impl] = z.MustParse(fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":{"Z1K1":"Z14","Z14K1":%q,"Z14K3":{"Z1K1":"Z16","Z16K1":{"Z1K1":"Z61","Z61K1":%q},"Z16K2":%s}},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`,
			impl, zid, lang, mustJSON(code)))
	}
	e, err := New(Config{MinIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	parts := &countingParts{wholeOnly: wholeOnly{e}}
	inParts := orchestrator.New(lib, orchestrator.WithEvaluator(parts))
	whole := orchestrator.New(lib, orchestrator.WithEvaluator(wholeOnly{e}))
	e.SetCaller(inParts.Call)
	s := e.NewSession()
	defer s.Close()
	ctx := WithSession(context.Background(), s)
	for _, c := range []struct {
		zid  string
		args []string
	}{
		{"Z1000", []string{"5", "8"}}, {"Z1005", []string{"héllo"}}, {"Z1009", nil}, {"Z1010", nil},
		{"Z1011", []string{"ab"}}, {"Z1020", []string{"2"}}, {"Z1030", nil}, {"Z1031", nil}, {"Z1032", []string{"abc"}},
	} {
		fields := []z.Field{}
		for i, a := range c.args {
			fields = append(fields, z.KV(fmt.Sprintf("%sK%d", c.zid, i+1), z.NewString(a)))
		}
		call := z.NewCall(z.NewRef(c.zid), fields...)
		got := comparable(inParts.Evaluate(ctx, orchestrator.Request{Call: call}))
		want := comparable(whole.Evaluate(ctx, orchestrator.Request{Call: call}))
		if got != want {
			t.Errorf("%s%v in parts:\n%s\nwant, as a Z7:\n%s", c.zid, c.args, got, want)
		}
		if !strings.Contains(want, "evaluationRuntime") {
			t.Errorf("%s%v: no evaluationRuntime in %s", c.zid, c.args, want)
		}
	}
	if parts.parts.Load() == 0 {
		t.Errorf("the orchestrator never used EvaluateParts")
	}
}

// comparable writes a Z22 without the metadata that differs from one run to the next.
func comparable(z22 *z.Object) string {
	var b strings.Builder
	b.WriteString(z22.Get("Z22K1").String())
	for _, e := range z.MapEntries(z22.Get("Z22K2")) {
		k := e.Key.StringValue()
		if k == "evaluationDuration" || strings.HasPrefix(k, "orchestration") {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s", k, e.Value)
	}
	return b.String()
}
