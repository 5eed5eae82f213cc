package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"testing"

	z "github.com/zeval/zeval/internal/zobject"
)

// corpusDir is the Wikifunctions conformance corpus, beside the repository.
const corpusDir = "../../../shared/conformance/wikifunctions"

func corpusPath(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{corpusDir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("conformance corpus missing (%v): it must be at %s, beside the repository", err, corpusDir)
	}
	return p
}

// definitionsDir serves schemata/definitions/<ZID>.json, parsed once per test binary.
type definitionsDir struct {
	dir  string
	mu   sync.Mutex
	objs map[string]*z.Object
}

func (d *definitionsDir) get(zid string) (*z.Object, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o, ok := d.objs[zid]; ok {
		return o, o != nil
	}
	var o *z.Object
	if data, err := os.ReadFile(filepath.Join(d.dir, zid+".json")); err == nil {
		o, _ = z.Parse(data)
	}
	d.objs[zid] = o
	return o, o != nil
}

// fakeWiki plays upstream's mock wiki: the case's objects, then the definitions folder.
type fakeWiki struct {
	objects   map[string]*z.Object
	fetchErrs map[string]bool
	defs      *definitionsDir
	languages map[string]string
}

// wikiError carries the exact text node-fetch gives for a failed mock request.
type wikiError struct {
	msg      string
	notFound bool
}

func (e *wikiError) Error() string { return e.msg }

func (e *wikiError) Unwrap() error {
	if e.notFound {
		return ErrNotFound
	}
	return nil
}

func (w *fakeWiki) Resolve(_ context.Context, zid string) (*z.Object, error) {
	if w.fetchErrs[zid] {
		// The reply {"problem":"bad"} has no entry for zid; upstream's dereference reads
		// the entry's wikilambda_fetch and fails the way JavaScript does.
		return nil, &wikiError{msg: "TypeError: Cannot read properties of undefined (reading 'wikilambda_fetch')"}
	}
	if o, ok := w.objects[zid]; ok {
		return o, nil
	}
	if o, ok := w.defs.get(zid); ok {
		return o, nil
	}
	return nil, &wikiError{notFound: true, msg: "FetchError: request to http://thewiki/?action=wikilambda_fetch&format=json&zids=" +
		zid + " failed, reason: No persistent zobject available for " + zid + "."}
}

func (w *fakeWiki) LanguageByCode(_ context.Context, code string) (string, error) {
	if zid, ok := w.languages[code]; ok {
		return zid, nil
	}
	return "", ErrNotFound
}

// stub is one of upstream's evaluator stubs.
type stub struct {
	ZID             string          `json:"zid"`
	EffectiveStatus int             `json:"effective_status"`
	ResponseKind    string          `json:"response_kind"`
	ResponseBody    json.RawMessage `json:"response_body"`
}

// fakeEvaluator plays the evaluator stubs, selected by the function's ZID. A call the
// upstream run recorded (same function, same arguments) gets the recorded reply; otherwise
// the stub answers as its note describes.
type fakeEvaluator struct {
	stubs    map[string]stub
	recorded []recordedCall
}

// recordedCall is one evaluator request and reply of the upstream run (observed.evaluator_calls).
type recordedCall struct {
	Function string `json:"function_name"`
	Request  struct {
		Arguments map[string]json.RawMessage `json:"functionArguments"`
	} `json:"request"`
	Status int             `json:"response_status"`
	Body   json.RawMessage `json:"response_body"`
}

// replay finds the recorded reply to a call of zid with these arguments.
func (e fakeEvaluator) replay(zid string, call *z.Object) (recordedCall, bool) {
	for _, rc := range e.recorded {
		if rc.Function != zid || len(rc.Request.Arguments) == 0 {
			continue
		}
		same := true
		for k, want := range rc.Request.Arguments {
			var a, b any
			if json.Unmarshal(want, &a) != nil || json.Unmarshal(call.Get(k).NormalJSON(), &b) != nil || !reflect.DeepEqual(a, b) {
				same = false
				break
			}
		}
		if same {
			return rc, true
		}
	}
	return recordedCall{}, false
}

func (fakeEvaluator) Languages() []string {
	return []string{"javascript-es2020", "javascript-es2019", "javascript-es2018", "javascript-es2017",
		"javascript-es2016", "javascript-es2015", "javascript", "python-3-9", "python-3-8", "python-3-7",
		"python-3", "python"}
}

func (e fakeEvaluator) Evaluate(_ context.Context, _ string, call *z.Object) (*z.Object, error) {
	fn := call.Get("Z7K1")
	zid := text(fn.Get("Z8K5"))
	if rc, ok := e.replay(zid, call); ok {
		if rc.Status == 0 {
			rc.Status = 200 // node-fetch reports a null status as 200
		}
		if rc.Status < 200 || rc.Status > 299 {
			return nil, fmt.Errorf("Function evaluation failed with status %d: %s", rc.Status, compact(rc.Body))
		}
		return z.Parse(rc.Body)
	}
	s, ok := e.stubs[zid]
	if !ok || s.ResponseKind == "not_set" {
		return nil, fmt.Errorf("request to http://theevaluator/ failed, reason: The evaluator for ZID %s was never set!", zid)
	}
	var body []byte
	switch s.ResponseKind {
	case "constant":
		body = s.ResponseBody
	case "computed":
		// Z40002: increments a decimal numeral (see the stub's note).
		arg := call.Get(zid + "K1")
		n, err := strconv.Atoi(text(arg))
		if err != nil {
			return nil, err
		}
		body = []byte(`{"Z1K1":"Z22","Z22K1":"` + strconv.Itoa(n+1) + `","Z22K2":"Z24"}`)
	default:
		return nil, fmt.Errorf("unknown stub kind %q", s.ResponseKind)
	}
	if s.EffectiveStatus < 200 || s.EffectiveStatus > 299 {
		return nil, fmt.Errorf("Function evaluation failed with status %d: %s", s.EffectiveStatus, compact(body))
	}
	return z.Parse(body)
}

// compact is the JSON text as node-fetch would read it from a JSON reply: no spaces.
func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

// swapSelector is upstream's test selector: implementations[1], then [0], then the rest.
type swapSelector struct{}

func (swapSelector) Order(impls []*z.Object) []int {
	out := FirstSelector{}.Order(impls)
	if len(out) > 1 {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

type randomSelector struct{}

func (randomSelector) Order(impls []*z.Object) []int { return rand.Perm(len(impls)) }

type orchCase struct {
	ID         string                     `json:"id"`
	Name       string                     `json:"name"`
	Input      json.RawMessage            `json:"input"`
	DoValidate bool                       `json:"do_validate"`
	Skip       bool                       `json:"skip"`
	Selector   *string                    `json:"implementation_selector"`
	Wiki       map[string]json.RawMessage `json:"wiki_objects"`
	FetchErrs  []string                   `json:"wiki_fetch_errors"`
	Stubs      []stub                     `json:"evaluator_stubs"`
	Observed   struct {
		EvaluatorCalls []recordedCall `json:"evaluator_calls"`
	} `json:"observed"`
	Extra   []string `json:"expected_extra_metadata"`
	Missing []string `json:"expected_missing_metadata"`
	Expect  struct {
		Result       json.RawMessage `json:"result"`
		ResultIsVoid bool            `json:"result_is_void"`
		ErrorCheck   string          `json:"error_check"`
		ErrorValue   json.RawMessage `json:"error_value"`
	} `json:"expect"`
}

type orchFile struct {
	Shared struct {
		Stubs        map[string]stub `json:"evaluator_stubs"`
		StandardMeta []string        `json:"standard_metadata_keys"`
	} `json:"shared"`
	Cases []orchCase `json:"cases"`
}

func loadJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// plain decodes JSON into generic values for deep comparison.
func plain(t testing.TB, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("bad JSON %s: %v", data, err)
	}
	return v
}

// envelopeParts returns the canonical Z22K1 and the metadata map of an envelope.
func envelopeParts(t testing.TB, env *z.Object) (result any, meta map[string]any, keys []string) {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(env.CanonicalJSON(), &c); err != nil {
		t.Fatalf("envelope is not JSON: %v", err)
	}
	meta = map[string]any{}
	for _, e := range z.MapEntries(env.Get("Z22K2")) {
		k := e.Key.StringValue()
		keys = append(keys, k)
		meta[k] = plain(t, e.Value.CanonicalJSON())
	}
	return c["Z22K1"], meta, keys
}

func isVoidJSON(v any) bool {
	if v == "Z24" {
		return true
	}
	m, ok := v.(map[string]any)
	return ok && m["Z1K1"] == "Z21"
}

// checkCase runs one case and returns why it failed ("" when it passed).
func checkCase(t *testing.T, c orchCase, shared orchFile, defs *definitionsDir, languages map[string]string) string {
	wiki := &fakeWiki{objects: map[string]*z.Object{}, fetchErrs: map[string]bool{}, defs: defs, languages: languages}
	for zid, raw := range c.Wiki {
		o, err := z.Parse(raw)
		if err != nil {
			return fmt.Sprintf("wiki object %s does not parse: %v", zid, err)
		}
		wiki.objects[zid] = o
	}
	for _, zid := range c.FetchErrs {
		wiki.fetchErrs[zid] = true
	}
	ev := fakeEvaluator{stubs: map[string]stub{}, recorded: c.Observed.EvaluatorCalls}
	for k, s := range shared.Shared.Stubs {
		ev.stubs[k] = s
	}
	for _, s := range c.Stubs {
		ev.stubs[s.ZID] = s
	}
	var sel Selector
	if c.Selector != nil {
		switch *c.Selector {
		case "first":
			sel = FirstSelector{}
		case "random":
			sel = randomSelector{}
		case "custom":
			sel = swapSelector{}
		}
	}
	o := New(wiki, WithEvaluator(ev), WithHostname("test"))
	input, err := z.Parse(c.Input)
	var env *z.Object
	if err != nil {
		env = o.Evaluate(context.Background(), Request{Call: z.ErrorObject(err), DoValidate: c.DoValidate, Selector: sel})
	} else {
		env = o.Evaluate(context.Background(), Request{Call: input, DoValidate: c.DoValidate, Selector: sel})
	}
	res, meta, keys := envelopeParts(t, env)
	var problems []string
	if c.Expect.ResultIsVoid {
		if !isVoidJSON(res) {
			problems = append(problems, fmt.Sprintf("result = %s, want void", mustJSON(res)))
		}
	} else if want := plain(t, c.Expect.Result); !reflect.DeepEqual(res, want) {
		problems = append(problems, fmt.Sprintf("result = %s, want %s", mustJSON(res), c.Expect.Result))
	}
	gotErr, ok := meta["errors"]
	if !ok {
		gotErr = "Z24"
	}
	switch c.Expect.ErrorCheck {
	case "void":
		if !isVoidJSON(gotErr) {
			problems = append(problems, fmt.Sprintf("error = %s, want none", mustJSON(gotErr)))
		}
	case "equals":
		if want := plain(t, c.Expect.ErrorValue); !reflect.DeepEqual(gotErr, want) {
			problems = append(problems, fmt.Sprintf("error = %s, want %s", mustJSON(gotErr), c.Expect.ErrorValue))
		}
	}
	for _, k := range shared.Shared.StandardMeta {
		_, has := meta[k]
		if contains(c.Missing, k) {
			if has {
				problems = append(problems, "metadata has "+k+", want it absent")
			}
		} else if !has {
			problems = append(problems, "metadata lacks "+k)
		}
	}
	for _, k := range c.Extra {
		if _, has := meta[k]; !has {
			problems = append(problems, "metadata lacks "+k)
		}
	}
	if len(problems) > 0 {
		return fmt.Sprintf("%v (metadata keys %v)", problems, keys)
	}
	return ""
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type knownFailure struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// TestConformance runs every orchestrator case of the corpus. A case that fails must be
// listed in testdata/known_failures.json with the reason.
func TestConformance(t *testing.T) {
	var file orchFile
	loadJSON(t, corpusPath(t, "orchestrator", "public_cases.json"), &file)
	var known []knownFailure
	loadJSON(t, "testdata/known_failures.json", &known)
	knownBy := map[string]string{}
	for _, k := range known {
		knownBy[k.ID] = k.Reason
	}
	var languages map[string]string
	loadJSON(t, corpusPath(t, "schemata", "definitions", "naturalLanguages.json"), &languages)
	defs := &definitionsDir{dir: corpusPath(t, "schemata", "definitions"), objs: map[string]*z.Object{}}

	passed, skipped, failedKnown := 0, 0, 0
	var nowPassing []string
	for _, c := range file.Cases {
		if c.Skip {
			skipped++
			continue
		}
		c := c
		t.Run(c.ID, func(t *testing.T) {
			why := checkCase(t, c, file, defs, languages)
			reason, listed := knownBy[c.ID]
			switch {
			case why == "" && listed:
				nowPassing = append(nowPassing, c.ID)
				passed++
			case why == "":
				passed++
			case listed:
				failedKnown++
				t.Logf("%s (%s): known failure (%s): %s", c.ID, c.Name, reason, why)
			default:
				t.Errorf("%s (%s): %s", c.ID, c.Name, why)
			}
		})
	}
	total := len(file.Cases) - skipped
	t.Logf("orchestrator conformance: %d/%d non-skipped cases pass (%.1f%%), %d known failures, %d skipped upstream",
		passed, total, 100*float64(passed)/float64(total), failedKnown, skipped)
	fmt.Printf("orchestrator conformance: %d/%d non-skipped cases pass, %d skipped\n", passed, total, skipped)
	if len(nowPassing) > 0 {
		sort.Strings(nowPassing)
		t.Logf("listed in known_failures.json but passing now: %v", nowPassing)
	}
}
