package library_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/library"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/render"
	"github.com/zeval/zeval/internal/store"
	"github.com/zeval/zeval/internal/tester"
	z "github.com/zeval/zeval/internal/zobject"
)

// objects reads every file of the embedded library, parsed, by ZID.
func objects(t *testing.T) map[string]*z.Object {
	t.Helper()
	names, err := fs.Glob(library.FS(), "Z*.json")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*z.Object{}
	for _, name := range names {
		data, err := fs.ReadFile(library.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		o, err := z.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[strings.TrimSuffix(name, ".json")] = o
	}
	return out
}

func refIDs(list *z.Object) []string {
	var out []string
	for _, it := range z.ListItems(list) {
		out = append(out, it.RefID())
	}
	return out
}

func englishLabel(o *z.Object) string {
	for _, l := range z.ListItems(o.Get("Z12K1")) {
		if l.Get("Z11K1").Is("Z1002") {
			return l.Get("Z11K2").StringValue()
		}
	}
	return ""
}

// TestShape checks what the library promises: at least 40 functions with English labels and
// argument labels, each with two or more testers and implementations that point back at it,
// implementations of all three kinds, files in canonical form named by their ZIDs.
func TestShape(t *testing.T) {
	objs := objects(t)
	kinds := map[string]int{}
	functions, testers, twoImpls := 0, 0, 0
	for zid, o := range objs {
		t.Run(zid, func(t *testing.T) {
			data, err := fs.ReadFile(library.FS(), zid+".json")
			if err != nil {
				t.Fatal(err)
			}
			if e := z.ValidateDeep(data, z.Canonical, "Z2"); e != nil {
				t.Fatalf("ValidateDeep(%s) = %s, want no error", zid, e)
			}
			pretty, err := store.Pretty(o.CanonicalJSON())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pretty, data) {
				t.Errorf("%s.json is not in the canonical tab-indented layout; run go generate ./internal/library", zid)
			}
			if got := o.Get("Z2K1").StringValue(); got != zid {
				t.Errorf("%s.json holds Z2K1 %q", zid, got)
			}
			if englishLabel(o.Get("Z2K3")) == "" {
				t.Errorf("%s has no English label", zid)
			}
			v := o.Get("Z2K2")
			switch {
			case v.Type().Is(z.Z61):
				if zid != "Z600" && zid != "Z610" {
					t.Errorf("%s: unexpected programming language object", zid)
				}
				return
			case !inPrivateRange(zid):
				t.Errorf("%s is outside Z10000–Z19999", zid)
			}
			switch {
			case v.Type().Is(z.Z8):
				functions++
				if got := v.Get("Z8K5").RefID(); got != zid {
					t.Errorf("%s: Z8K5 = %s", zid, got)
				}
				for i, d := range z.ListItems(v.Get("Z8K1")) {
					if englishLabel(d.Get("Z17K3")) == "" {
						t.Errorf("%s: argument %d has no English label", zid, i+1)
					}
				}
				ts, is := refIDs(v.Get("Z8K3")), refIDs(v.Get("Z8K4"))
				if len(ts) < 2 {
					t.Errorf("%s has %d testers, want at least 2", zid, len(ts))
				}
				if len(is) == 0 {
					t.Errorf("%s has no implementation", zid)
				}
				if len(is) > 1 {
					twoImpls++
				}
				for _, id := range ts {
					if got := objs[id].Get("Z2K2").Get("Z20K1").RefID(); got != zid {
						t.Errorf("%s lists tester %s, whose Z20K1 is %q", zid, id, got)
					}
				}
				for _, id := range is {
					if got := objs[id].Get("Z2K2").Get("Z14K1").RefID(); got != zid {
						t.Errorf("%s lists implementation %s, whose Z14K1 is %q", zid, id, got)
					}
				}
			case v.Type().Is(z.Z14):
				switch {
				case v.Has("Z14K2"):
					kinds["composition"]++
				case v.Has("Z14K3"):
					kinds[map[string]string{"Z610": "python", "Z600": "javascript"}[v.Get("Z14K3").Get("Z16K1").RefID()]]++
				default:
					t.Errorf("%s: implementation is neither code nor a composition", zid)
				}
			case v.Type().Is(z.Z20):
				testers++
			default:
				t.Errorf("%s: unexpected value type %s", zid, v.Type())
			}
		})
	}
	t.Logf("%d functions (%d with several implementations), %d testers, implementations: %v", functions, twoImpls, testers, kinds)
	if functions < 40 {
		t.Errorf("%d functions, want at least 40", functions)
	}
	if twoImpls < 10 {
		t.Errorf("%d functions with several implementations, want at least 10", twoImpls)
	}
	for _, k := range []string{"python", "javascript", "composition"} {
		if kinds[k] == 0 {
			t.Errorf("no %s implementation", k)
		}
	}
	if kinds[""] != 0 {
		t.Errorf("%d code implementations in an unknown language", kinds[""])
	}
}

func inPrivateRange(zid string) bool {
	return len(zid) == 6 && zid >= "Z10000" && zid <= "Z19999"
}

// openStore imports the library into a new store, validated and with unique labels as zeval
// import does.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx := context.Background()
	validate := store.ValidatorFunc(func(_ context.Context, z2 []byte) error {
		if e := z.Validate(z2, z.Canonical, "Z2"); e != nil {
			return &zerror{e}
		}
		return nil
	})
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "zeval.db"), store.WithValidator(validate), store.WithUniqueLabels())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	res, err := library.Load(ctx, st)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if res.Created != len(objects(t)) {
		t.Errorf("Load created %d objects, want %d", res.Created, len(objects(t)))
	}
	again, err := library.Load(ctx, st)
	if err != nil || again.Unchanged != res.Created {
		t.Errorf("second Load = %+v, %v; want everything unchanged", again, err)
	}
	return st
}

type zerror struct{ z5 *z.Object }

func (e *zerror) Error() string { return e.z5.String() }

// TestEveryTesterPasses runs every tester of every function against every implementation,
// through the real orchestrator and evaluator: Python in ipykernel, JavaScript embedded.
func TestEveryTesterPasses(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	lib := tester.StoreLibrary{Store: st}
	// Time limits are generous: this test is about results, and a loaded machine starts
	// kernels slowly.
	ev, err := evaluator.New(evaluator.Config{CallTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("evaluator (needs the python3 kernelspec, ipykernel): %v", err)
	}
	t.Cleanup(ev.Close)
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev), orchestrator.WithTimeout(5*time.Minute))
	ev.SetCaller(orch.Call)

	fns, err := lib.Functions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Functions run two at a time, each in its own session, as separate tester runs would.
	reports := make([]tester.Report, len(fns))
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, zid := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			reports[i], errs[i] = tester.Run(ctx, orch, lib, zid, tester.WithSessions(ev))
		}()
	}
	wg.Wait()

	passed, failed := 0, 0
	kinds := map[string]int{}
	pairs := map[string]bool{}
	for i, rep := range reports {
		if errs[i] != nil {
			t.Errorf("Run(%s): %v", fns[i], errs[i])
			continue
		}
		passed += rep.Passed
		failed += rep.Failed
		if len(rep.Testers) < 2 || len(rep.Implementations) == 0 {
			t.Errorf("Run(%s): %d testers, %d implementations", fns[i], len(rep.Testers), len(rep.Implementations))
		}
		for _, im := range rep.Implementations {
			kinds[im.Kind]++
			if len(im.Results) != len(rep.Testers) {
				t.Errorf("%s %s: %d results for %d testers", rep.Function, im.ZID, len(im.Results), len(rep.Testers))
			}
			for _, r := range im.Results {
				pairs[im.ZID+"/"+r.Tester] = true
				if !r.Passed {
					t.Errorf("%s %q: tester %s (%s) fails against %s (%s): value %v, error %v",
						rep.Function, rep.Label, r.Tester, r.Label, im.ZID, im.Kind, r.Value, r.Error)
				}
			}
		}
	}
	var ks []string
	for k, n := range kinds {
		ks = append(ks, k+"="+strconv.Itoa(n))
	}
	sort.Strings(ks)
	t.Logf("%d functions, %d implementations (%s), %d tester runs: %d passed, %d failed",
		len(fns), kinds["python"]+kinds["javascript"]+kinds["composition"], strings.Join(ks, " "), len(pairs), passed, failed)
	if len(fns) < 40 {
		t.Errorf("%d functions in the store, want at least 40", len(fns))
	}
	if passed == 0 || failed != 0 {
		t.Errorf("%d passed, %d failed; want all to pass", passed, failed)
	}
}

// TestDemoPage renders the demo page through the real renderer, orchestrator and evaluator:
// every call must succeed, at least 40 distinct library functions must be called, and the
// results must read as the article means them.
func TestDemoPage(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	lib := tester.StoreLibrary{Store: st}
	ev, err := evaluator.New(evaluator.Config{CallTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("evaluator (needs the python3 kernelspec, ipykernel): %v", err)
	}
	t.Cleanup(ev.Close)
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev), orchestrator.WithTimeout(5*time.Minute))
	ev.SetCaller(orch.Call)
	r := render.New(orch, lib, render.WithSessions(ev), render.WithTimeout(10*time.Minute), render.WithWorkers(4))
	res, err := r.Render(ctx, render.Request{Markup: library.Page(), Format: render.FormatWikitext, Metadata: true})
	if err != nil {
		t.Fatalf("Render(demo page) = %v", err)
	}
	for _, e := range res.Errors {
		t.Errorf("demo page %s: %s: %s", e.Pos, e.Function, e.Message)
	}
	used := map[string]bool{}
	for _, c := range res.Calls {
		used[c.Function] = true
	}
	t.Logf("demo page: %d calls of %d functions, %d evaluated", res.Stats.Calls, len(used), res.Stats.Evaluations)
	if len(used) < 40 {
		t.Errorf("the demo page calls %d distinct functions, want at least 40", len(used))
	}
	for _, want := range []string{
		"Paris, the City of Light",
		"Paris is a city in France with a population of 2,102,650.",
		"about 13.2 million inhabitants, and 20.6% of the residents",
		"It is an old city",
		"divided into twenty arrondissements",
		"Its rivers are the Seine, Marne and Bièvre.",
		"25.6 °C (78.1 °F)",
		"Notre-Dame de Paris was begun in the 12th century.",
		"opened on 31 March 1889, a Sunday; it is 137 years old",
		"The 33rd Summer Olympics (MMXXIV) took place from 26 July – 11 August 2024, 100 years after",
		"Marie Curie was born on 7 November 1867 in Warsaw.",
		"7 November 1867 – 4 July 1934 (aged 66)",
		"won the Nobel Prize 2 times, in 1903 and 1911.",
		"Paris has 130 museums; the 3 most visited are:",
		`<table class="wikitable"><tr><th>Museum</th><th>Visitors</th><th>Opened</th></tr><tr><td>Louvre</td><td>8,900,000</td><td>10 August 1793</td></tr>`,
		"<ul><li>Bastille</li><li>Belleville</li><li>Le Marais</li><li>Montmartre</li><li>Saint-Germain-des-Prés</li></ul>",
		"One gets around by metro, bus, tram or bicycle.",
		"★★★★ (1 review, then 1,200 reviews)",
	} {
		if !strings.Contains(res.HTML, want) {
			t.Errorf("the rendered demo page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("rendered page:\n%s", res.HTML)
	}
}

// TestGenerated checks that demo/ is what gen.go writes, so a hand edit of a file, or of
// gen.go without running it, is caught.
func TestGenerated(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command(goCmd, "run", "gen.go", "-out", dir).CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, out)
	}
	want, err := fs.Glob(os.DirFS(dir), "*")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.Glob(library.FS(), "*")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("demo/ holds %d files, gen.go writes %d: run go generate ./internal/library", len(got), len(want))
	}
	for _, name := range want {
		w, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		g, err := fs.ReadFile(library.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			t.Errorf("demo/%s differs from what gen.go writes: run go generate ./internal/library", name)
		}
	}
}

// TestScaledPage checks the benchmark page: n calls, all different, of at least 40 library
// functions, each with as many arguments as the function declares.
func TestScaledPage(t *testing.T) {
	objs := objects(t)
	for _, n := range []int{0, 1, 54, 2000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			lines := strings.Split(strings.TrimSuffix(library.ScaledPage(n), "\n"), "\n")[1:]
			if len(lines) != n {
				t.Fatalf("ScaledPage(%d) has %d calls", n, len(lines))
			}
			seen := map[string]bool{}
			fns := map[string]bool{}
			for _, l := range lines {
				if seen[l] {
					t.Errorf("ScaledPage(%d): %q twice", n, l)
				}
				seen[l] = true
				parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(l, "* {{#function:"), "}}"), "|")
				zid := parts[0]
				fns[zid] = true
				fn := objs[zid].Get("Z2K2")
				if !fn.Type().Is(z.Z8) {
					t.Fatalf("%q calls %s, not a library function", l, zid)
				}
				if want := len(z.ListItems(fn.Get("Z8K1"))); len(parts)-1 != want {
					t.Errorf("%q has %d arguments, %s takes %d", l, len(parts)-1, zid, want)
				}
			}
			if want := min(n, library.ScaledFunctions()); len(fns) != want {
				t.Errorf("ScaledPage(%d) calls %d functions, want %d", n, len(fns), want)
			}
		})
	}
	if library.ScaledFunctions() < 40 {
		t.Errorf("ScaledPage spreads over %d functions, want at least 40", library.ScaledFunctions())
	}
}

// TestScaledPageRenders renders two calls of every function of the scaled page: all valid.
func TestScaledPageRenders(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	lib := tester.StoreLibrary{Store: st}
	ev, err := evaluator.New(evaluator.Config{CallTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("evaluator (needs the python3 kernelspec, ipykernel): %v", err)
	}
	t.Cleanup(ev.Close)
	orch := orchestrator.New(lib, orchestrator.WithEvaluator(ev), orchestrator.WithTimeout(5*time.Minute))
	ev.SetCaller(orch.Call)
	r := render.New(orch, lib, render.WithSessions(ev), render.WithTimeout(10*time.Minute), render.WithWorkers(4))
	n := 2 * library.ScaledFunctions()
	res, err := r.Render(ctx, render.Request{Markup: library.ScaledPage(n), Format: render.FormatWikitext})
	if err != nil {
		t.Fatalf("Render(scaled page) = %v", err)
	}
	for _, e := range res.Errors {
		t.Errorf("scaled page %s: %s: %s", e.Pos, e.Function, e.Message)
	}
	if res.Stats.Evaluations != n {
		t.Errorf("%d of %d calls evaluated", res.Stats.Evaluations, n)
	}
	for _, want := range []string{"* word0s\n", "* 1,007,919\n", "* 1 January 1800\n", "* Town 1 is a city in France with a population of 1,001.\n"} {
		if !strings.Contains(res.HTML, want) {
			t.Errorf("the rendered scaled page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("rendered page:\n%s", res.HTML)
	}
}
