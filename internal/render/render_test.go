package render

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/evaluator"
	z "github.com/zeval/zeval/internal/zobject"
)

func render(t *testing.T, r *Renderer, markup string, format Format) *Result {
	t.Helper()
	res, err := r.Render(context.Background(), Request{Markup: markup, Format: format, Metadata: true})
	if err != nil {
		t.Fatalf("Render(%q) error %v", markup, err)
	}
	return res
}

func TestRenderValues(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	r := e.renderer()
	tests := []struct {
		name, markup, want string
	}{
		{"text untouched", "<p>Hello</p> }} {{tpl}}", "<p>Hello</p> }} {{tpl}}"},
		{"one call", "<p>{{#function:Z10001|abc}}</p>", "<p>ABC</p>"},
		{"two arguments", "{{#function:Z10002|a|b}}", "ab"},
		{"nested call", "{{#function:Z10001|{{#function:Z10002|x|y}}}}", "XY"},
		{"call inside text argument", "{{#function:Z10002|<{{#function:Z10001|q}}>|!}}", "&lt;Q&gt;!"},
		{"escaped pipe", "{{#function:Z10003|a{{!}}b\\|c}}", "a|b|c"},
		{"escaped braces", `{{#function:Z10003|\}\}\{\{}}`, "}}{{"},
		{"boolean argument and result", "{{#function:Z10007|true}} {{#function:Z10007|false}}", "false true"},
		{"list argument", "{{#function:Z10008|a; b ;c\\;d}}", "a+b+c;d"},
		{"empty list", "{{#function:Z10008|}}", ""},
		{"list result as text", "{{#function:Z10013|x,y,z}}", "x, y, z"},
		{"list result passed to a list argument", "{{#function:Z10008|{{#function:Z10013|x,y}}}}", "x+y"},
		{"natural number", "{{#function:Z10011|42}}", "n=42"},
		{"composition", "{{#function:Z10009|hey}}", "HEY!"},
		{"html type is trusted", "{{#function:Z10006|x}}", "<b>x</b>"},
		{"html type argument is escaped", "{{#function:Z10006|<i>}}", "<b><i></b>"},
		{"html result as text argument", "{{#function:Z10003|{{#function:Z10006|y}}}}", "&lt;b&gt;y&lt;/b&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := render(t, r, tt.markup, FormatHTML)
			if len(res.Errors) > 0 {
				t.Errorf("Render(%q) errors %+v", tt.markup, res.Errors)
			}
			if res.HTML != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.markup, res.HTML, tt.want)
			}
		})
	}
}

func TestRenderEscapesHostileStrings(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	r := e.renderer()
	hostile := []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`' onmouseover='alert(1)`,
		`[[Special:Evil]] {{evil}} ''bold'' __NOTOC__`,
		"\n# heading\n* list",
		"[link](javascript:alert(1)) <b>*x*</b>",
		"&amp; &#60;",
	}
	for _, format := range []Format{FormatHTML, FormatWikitext, FormatMarkdown} {
		for i, h := range hostile {
			t.Run(fmt.Sprintf("%s/%d", format, i), func(t *testing.T) {
				arg := strings.NewReplacer("|", "{{!}}", "}", `\}`, "{", `\{`).Replace(h)
				res := render(t, r, "{{#function:Z10003|"+arg+"}}", format)
				if strings.ContainsAny(res.HTML, "<>\"'") {
					t.Errorf("%s: echo of %q rendered %q, which holds markup characters", format, h, res.HTML)
				}
				syntax := map[Format]string{FormatWikitext: "[]{}|*#_;:=~\n", FormatMarkdown: "[](){}|*#_`\\\n"}[format]
				if syntax != "" && strings.ContainsAny(entity.ReplaceAllString(res.HTML, ""), syntax) {
					t.Errorf("%s: echo of %q rendered %q, which holds %s syntax", format, h, res.HTML, format)
				}
				if got := unescapeEntities(res.HTML); got != strings.TrimSpace(h) {
					t.Errorf("%s: echo of %q reads %q once entities are decoded", format, h, got)
				}
			})
		}
	}
	t.Run("error marker", func(t *testing.T) {
		res := render(t, r, `{{#function:Z10004|<script>x</script>}}{{#function:"><script>}}`, FormatHTML)
		if strings.Contains(res.HTML, "<script") || strings.Contains(res.HTML, `"><`) {
			t.Errorf("error markers carry markup: %q", res.HTML)
		}
		if n := strings.Count(res.HTML, `<span class="zeval-error"`); n != 2 {
			t.Errorf("%d error markers in %q, want 2", n, res.HTML)
		}
	})
}

var entity = regexp.MustCompile(`&#[0-9]+;`)

// unescapeEntities decodes the numeric and named references the escapers write.
func unescapeEntities(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '&' {
			if j := strings.IndexByte(s[i:], ';'); j > 0 {
				ent := s[i+1 : i+j]
				switch {
				case strings.HasPrefix(ent, "#"):
					var n int
					if _, err := fmt.Sscanf(ent[1:], "%d", &n); err == nil {
						b.WriteRune(rune(n))
						i += j
						continue
					}
				case ent == "lt" || ent == "gt" || ent == "amp" || ent == "quot":
					b.WriteString(map[string]string{"lt": "<", "gt": ">", "amp": "&", "quot": `"`}[ent])
					i += j
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestRenderFailedCalls(t *testing.T) {
	cfg := jsOnly()
	cfg.CallTimeout = 300 * time.Millisecond
	e := newEnv(t, cfg, allFunctions()...)
	r := e.renderer()
	tests := []struct {
		name, markup string
		code         string // the error type expected in Errors[0]
		message      string // a part of its message
	}{
		{"unknown function", "{{#function:Z19999|x}}", z.CodeZIDNotFound, "Z19999"},
		{"not a ZID", "{{#function:upper|x}}", z.CodeZIDNotFound, "must be a ZID"},
		{"not a function", "{{#function:Z60001|x}}", z.CodeWrongContentType, "not a function"},
		{"too many arguments", "{{#function:Z10001|a|b}}", z.CodeArgumentCount, "takes 1 argument"},
		{"too few arguments", "{{#function:Z10002|a}}", z.CodeArgumentCount, "takes 2 argument"},
		{"failing function", "{{#function:Z10004|x}}", "", "broken"},
		{"time limit", "{{#function:Z10005}}", "", "time limit"},
		{"bad boolean", "{{#function:Z10007|yes}}", z.CodeArgumentType, "true or false"},
		{"bad natural number", "{{#function:Z10011|-3}}", z.CodeArgumentType, "digits"},
		{"unsupported argument type", "{{#function:Z10012|a}}", z.CodeArgumentType, "cannot write"},
		{"failing inner call", "{{#function:Z10001|{{#function:Z10004|x}}}}", z.CodeInEvaluation, "broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			markup := "<p>before</p>" + tt.markup + "{{#function:Z10001|after}}"
			res := render(t, r, markup, FormatHTML)
			if !strings.HasPrefix(res.HTML, "<p>before</p><span class=\"zeval-error\"") || !strings.HasSuffix(res.HTML, "</span>AFTER") {
				t.Errorf("Render(%q) = %q, want the text, a marker and the next call's result", markup, res.HTML)
			}
			if len(res.Errors) == 0 {
				t.Fatalf("Render(%q) has no errors", markup)
			}
			got := res.Errors[0]
			if tt.code != "" && !strings.HasPrefix(got.Message, tt.code) {
				t.Errorf("error = %q, want type %s", got.Message, tt.code)
			}
			if !strings.Contains(got.Message, tt.message) {
				t.Errorf("error = %q, want it to mention %q", got.Message, tt.message)
			}
			if zerr, err := z.Parse(got.Error); err != nil || !z.IsError(zerr) {
				t.Errorf("error's Z5 %s is not a Z5 (%v)", got.Error, err)
			}
			if got.Pos.Line != 1 || got.Pos.Col != len("<p>before</p>")+1 {
				t.Errorf("error position %v, want 1:%d", got.Pos, len("<p>before</p>")+1)
			}
			if res.Stats.Failed != len(res.Errors) || res.Calls[0].Error == "" {
				t.Errorf("Stats.Failed = %d, errors %d, first call's error %q", res.Stats.Failed, len(res.Errors), res.Calls[0].Error)
			}
		})
	}
}

func TestRenderSyntaxErrors(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	r := New(e.run, e.lib, WithSessions(e.ev), WithMaxDepth(3), WithMaxCalls(5))
	tests := []struct {
		name, markup string
		want         error
	}{
		{"unclosed", "ok\n{{#function:Z10001|x", ErrUnclosed},
		{"too deep", "{{#function:Z10001|{{#function:Z10001|{{#function:Z10001|{{#function:Z10001|x}}}}}}}}", ErrTooDeep},
		{"too many calls", strings.Repeat("{{#function:Z10001|x}}", 6), ErrTooManyCalls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Render(context.Background(), Request{Markup: tt.markup, Format: FormatHTML})
			if !errors.Is(err, tt.want) {
				t.Errorf("Render(%q) error = %v, want %v", tt.markup, err, tt.want)
			}
		})
	}
	if _, err := r.Render(context.Background(), Request{Markup: "x", Format: "pdf"}); !errors.Is(err, ErrFormat) {
		t.Errorf("Render(format pdf) error = %v, want ErrFormat", err)
	}
	if e.run.total.Load() != 0 {
		t.Errorf("%d calls were evaluated for pages that do not parse", e.run.total.Load())
	}
}

func TestRenderIdenticalCallsEvaluatedOnce(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	r := e.renderer(WithWorkers(8))
	const n = 200
	markup := strings.Repeat("{{#function:Z10001|same}} {{#function:Z10001| same }} ", n/2) +
		"{{#function:Z10002|{{#function:Z10001|same}}|x}}"
	res := render(t, r, markup, FormatHTML)
	if got := e.run.perCall[`{"Z1K1":"Z7","Z7K1":"Z10001","Z10001K1":"same"}`]; got != 1 {
		t.Errorf("Z10001(same) evaluated %d times for %d identical calls, want 1", got, n+1)
	}
	if res.Stats.Evaluations != 2 || res.Stats.Calls != n+2 {
		t.Errorf("Stats = %+v, want %d calls and 2 evaluations", res.Stats, n+2)
	}
	dedup := 0
	for _, c := range res.Calls {
		if c.Deduplicated {
			dedup++
		}
	}
	if dedup != n {
		t.Errorf("%d calls marked deduplicated, want %d", dedup, n)
	}
	if !strings.HasPrefix(res.HTML, "SAME SAME ") || !strings.HasSuffix(res.HTML, "SAMEx") {
		t.Errorf("Render = %.40q…, want SAME everywhere", res.HTML)
	}
}

func TestRenderConcurrency(t *testing.T) {
	var defs []fnDef
	var b strings.Builder
	for i := 0; i < 12; i++ {
		zid := fmt.Sprintf("Z%d", 11000+i)
		defs = append(defs, busy(zid, 20))
		fmt.Fprintf(&b, "{{#function:%s|%d}}", zid, i)
	}
	e := newEnv(t, jsOnly(), defs...)
	const workers = 3
	res := render(t, e.renderer(WithWorkers(workers)), b.String(), FormatHTML)
	if res.HTML != "01234567891011" {
		t.Errorf("Render = %q, want the arguments in page order", res.HTML)
	}
	if got := e.run.maxIn.Load(); got < 2 || got > workers {
		t.Errorf("at most %d calls ran at once, want between 2 and %d (the worker bound)", got, workers)
	}
	if res.Stats.Workers != workers {
		t.Errorf("Stats.Workers = %d, want %d", res.Stats.Workers, workers)
	}
}

func TestRenderCache(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	c := cache.NewMemory(0)
	r := e.renderer(WithCache(c))
	page := "{{#function:Z10001|a}} {{#function:Z10009|b}} {{#function:Z10010}} {{#function:Z10014}}"
	first := render(t, r, page, FormatHTML)
	evals := e.run.total.Load()
	second := render(t, r, page, FormatHTML)
	if first.HTML[:5] != second.HTML[:5] || !strings.HasPrefix(first.HTML, "A B! ") {
		t.Fatalf("renders = %q and %q, want A B! …", first.HTML, second.HTML)
	}
	caches := func(res *Result) string {
		var out []string
		for _, c := range res.Calls {
			out = append(out, c.Cache)
		}
		return strings.Join(out, ",")
	}
	if got := caches(first); got != "miss,miss,off,off" {
		t.Errorf("first render cache = %s, want miss,miss,off,off", got)
	}
	if got := caches(second); got != "hit,hit,off,off" {
		t.Errorf("second render cache = %s, want hit,hit,off,off (nor what depends on a non-deterministic function)", got)
	}
	if got := e.run.total.Load() - evals; got != 2 {
		t.Errorf("second render evaluated %d calls, want 2 (the non-deterministic one and its user)", got)
	}
	if first.HTML == second.HTML {
		t.Errorf("the non-deterministic function gave the same value twice: %q", first.HTML)
	}
	if s := c.Stats(); s.Hits != 2 || s.Puts != 2 {
		t.Errorf("cache stats %+v, want 2 hits and 2 puts (never the non-deterministic function)", s)
	}
	if second.Stats.CacheHits != 2 || second.Stats.Cache == nil || second.Stats.Cache.Hits != 2 {
		t.Errorf("second render stats %+v, want 2 cache hits", second.Stats)
	}
	if second.Calls[0].Language != "javascript" || second.Calls[0].Implementation != implZID("Z10001") {
		t.Errorf("cached call metadata %+v, want the implementation and language of the evaluation", second.Calls[0])
	}

	t.Run("edit of the function's implementation", func(t *testing.T) {
		edited := fnUpper
		edited.code = "function Z10001(Z10001K1) { return '[' + Z10001K1.toUpperCase() + ']'; }"
		e.lib.put(t, edited)
		res := render(t, r, page, FormatHTML)
		if !strings.HasPrefix(res.HTML, "[A] [B!] ") {
			t.Errorf("after the edit Render = %q, want [A] [B!] …", res.HTML)
		}
		if got := caches(res); got != "miss,miss,off,off" {
			t.Errorf("after the edit cache = %s, want miss,miss,off,off (the composition calls the edited function)", got)
		}
	})
	t.Run("edit of a dependency only", func(t *testing.T) {
		edited := fnConcat
		edited.code = "function Z10002(Z10002K1, Z10002K2) { return Z10002K1 + Z10002K2 + Z10002K2; }"
		e.lib.put(t, edited)
		res := render(t, r, page, FormatHTML)
		if !strings.HasPrefix(res.HTML, "[A] [B!!] ") {
			t.Errorf("after the edit Render = %q, want [A] [B!!] …", res.HTML)
		}
		if got := caches(res); got != "hit,miss,off,off" {
			t.Errorf("after the edit cache = %s, want hit,miss,off,off", got)
		}
	})
	t.Run("failures are not cached", func(t *testing.T) {
		before := c.Stats().Puts
		render(t, r, "{{#function:Z10004|x}}", FormatHTML)
		res := render(t, r, "{{#function:Z10004|x}}", FormatHTML)
		if c.Stats().Puts != before || res.Calls[0].Cache != "off" {
			t.Errorf("a failed call was cached: puts %d → %d, cache %q", before, c.Stats().Puts, res.Calls[0].Cache)
		}
	})
}

// versions is a Versioner over a map.
type versions map[string]int64

func (v versions) Version(_ context.Context, zid string) (int64, error) {
	if n, ok := v[zid]; ok {
		return n, nil
	}
	return 0, errors.New("not in the store")
}

// Calls of one function are evaluated together (its kernel then serves them back to back) after
// a first call of every function, and the page keeps its order.
func TestRenderGroupsCallsByFunction(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	var b strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "{{#function:Z10003|e%d}} {{#function:Z10001|u%d}} ", i, i)
	}
	res := render(t, e.renderer(WithWorkers(1)), b.String(), FormatHTML)
	if want := "e0 U0 e1 U1 e2 U2 e3 U3 e4 U4 "; res.HTML != want {
		t.Errorf("Render = %q, want %q", res.HTML, want)
	}
	got := strings.Join(e.run.order, " ")
	// The first call of each function first (their kernels start side by side), then the rest.
	if want := "Z10003 Z10001 " + strings.Repeat("Z10001 ", 4) + strings.TrimSpace(strings.Repeat("Z10003 ", 4)); got != want {
		t.Errorf("evaluated in the order %s, want %s", got, want)
	}
}

func TestRenderCacheKeysUseRevisions(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	vs := versions{"Z10001": 1, implZID("Z10001"): 2}
	r := e.renderer(WithCache(cache.NewMemory(0)), WithVersions(vs))
	page := "{{#function:Z10001|a}}"
	render(t, r, page, FormatHTML)
	if got := render(t, r, page, FormatHTML).Calls[0].Cache; got != "hit" {
		t.Fatalf("second render cache = %s, want hit", got)
	}
	vs[implZID("Z10001")] = 3 // a new revision, even with the same content
	if got := render(t, r, page, FormatHTML).Calls[0].Cache; got != "miss" {
		t.Errorf("after a new implementation revision cache = %s, want miss", got)
	}
}

func TestRenderSessionSharedByPythonCalls(t *testing.T) {
	pyUpper := fnDef{zid: "Z12001", args: []string{`"Z6"`}, lang: "python-3", code: "def Z12001(Z12001K1):\n    return Z12001K1.upper()\n"}
	pyCount := fnDef{zid: "Z12002", args: []string{`"Z6"`}, lang: "python-3",
		code: "_calls = []\ndef Z12002(Z12002K1):\n    _calls.append(Z12002K1)\n    return str(len(_calls))\n"}
	e := newEnv(t, evaluator.Config{MinIdle: 2, CallTimeout: 20 * time.Second}, pyUpper, pyCount, fnConcat)
	r := e.renderer()
	var b strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "{{#function:Z12001|w%d}},", i)
	}
	b.WriteString("{{#function:Z10002|{{#function:Z12002|a}}|{{#function:Z12002|b}}}}")
	res := render(t, r, b.String(), FormatHTML)
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %+v", res.Errors)
	}
	if !strings.HasPrefix(res.HTML, "W0,W1,W2,") {
		t.Errorf("Render = %q, want W0,W1,…", res.HTML)
	}
	// Both calls of Z12002 ran in the same kernel, which kept its state between them.
	if !strings.HasSuffix(res.HTML, ",12") {
		t.Errorf("Render = %q, want it to end with ,12 (one kernel for Z12002)", res.HTML)
	}
	if len(e.run.sessions) != 1 {
		t.Errorf("the calls ran in %d sessions, want 1", len(e.run.sessions))
	}
	if e.run.maxKernels != 3 {
		t.Errorf("the session held up to %d kernels, want 3 (one per function: two Python, one JavaScript)", e.run.maxKernels)
	}
	for s := range e.run.sessions {
		if s.Kernels() != 0 {
			t.Errorf("after the render the session holds %d kernels, want 0 (closed)", s.Kernels())
		}
	}
	if res.Calls[0].Language != "python-3" || res.Calls[0].ImplementationType != "Evaluated" {
		t.Errorf("metadata %+v, want language python-3, Evaluated", res.Calls[0])
	}
	// A second render is a new session: Z12002 starts counting again.
	res = render(t, r, "{{#function:Z12002|c}}", FormatHTML)
	if res.HTML != "1" {
		t.Errorf("second render = %q, want 1 (a fresh kernel)", res.HTML)
	}
}

func TestRenderFormatsKeepText(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	r := e.renderer()
	tests := []struct {
		format       Format
		markup, want string
	}{
		{FormatWikitext, "== Title ==\n'''{{#function:Z10001|a-b}}''' [[Link]]", "== Title ==\n'''A&#45;B''' [[Link]]"},
		{FormatMarkdown, "# Title\n\n*{{#function:Z10001|a_b}}* [x](y)", "# Title\n\n*A&#95;B* [x](y)"},
		{FormatHTML, "<h1>T</h1>{{#function:Z10001|a&b}}", "<h1>T</h1>A&amp;B"},
		{FormatMarkdown, "{{#function:Z10006|md}}", "<b>md</b>"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			if got := render(t, r, tt.markup, tt.format).HTML; got != tt.want {
				t.Errorf("Render(%s, %q) = %q, want %q", tt.format, tt.markup, got, tt.want)
			}
		})
	}
}

func TestRenderCancelled(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.renderer().Render(ctx, Request{Markup: "{{#function:Z10001|x}}"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Render with a cancelled context: error %v, want context.Canceled", err)
	}
	// A render whose time runs out still renders, with markers.
	cfg := jsOnly()
	e = newEnv(t, cfg, allFunctions()...)
	res, err := e.renderer(WithTimeout(200*time.Millisecond)).Render(context.Background(),
		Request{Markup: "{{#function:Z10005}}|{{#function:Z10001|x}}", Format: FormatHTML})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) == 0 || !strings.Contains(res.HTML, "zeval-error") {
		t.Errorf("render past its time: %q, errors %+v; want an error marker", res.HTML, res.Errors)
	}
}

func TestRenderBuiltins(t *testing.T) {
	e := newEnv(t, jsOnly(), allFunctions()...)
	r := New(e.orch, e.lib, WithSessions(e.ev)) // the orchestrator itself: its built-ins are known
	res := render(t, r, "{{#function:Z866|a|a}} {{#function:Z866|a|{{#function:Z10001|a}}}} {{#function:Z801|x}}", FormatHTML)
	if res.HTML != "true false x" || len(res.Errors) > 0 {
		t.Errorf("Render(built-ins) = %q, errors %+v; want true false x", res.HTML, res.Errors)
	}
}
