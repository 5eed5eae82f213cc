package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/pool"
	"github.com/zeval/zeval/internal/telemetry"
	z "github.com/zeval/zeval/internal/zobject"
)

// promtool finds promtool. It is installed by make setup (Debian package prometheus), so a
// missing promtool is a failure, not a skip.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (%v): run make setup, or apt-get install prometheus", err)
	}
	return p
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(promtool(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestAlertRules(t *testing.T) {
	t.Run("check", func(t *testing.T) { runPromtool(t, "check", "rules", "prometheus/alerts.yml") })
	t.Run("unit tests", func(t *testing.T) { runPromtool(t, "test", "rules", "prometheus/alerts_test.yml") })
	t.Run("example configuration", func(t *testing.T) { runPromtool(t, "check", "config", "prometheus/prometheus.yml") })
}

type fakePool struct{}

func (fakePool) Stats() pool.Stats { return pool.Stats{Name: "python3", MinIdle: 1, Max: 2} }

type fakeEvaluator struct{}

func (fakeEvaluator) Languages() []string { return []string{"python-3"} }
func (fakeEvaluator) Evaluate(context.Context, string, *z.Object) (*z.Object, error) {
	return z.ResultEnvelope(z.NewString("x"), nil), nil
}

// exportedMetrics makes zeval's telemetry produce every series once and returns the names a
// query may use (histograms with their _bucket, _count and _sum).
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	mfs := exercisedRegistry(t)
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_count", "_sum"} {
				names[mf.GetName()+s] = true
			}
		}
	}
	return names
}

// exercisedRegistry makes zeval's telemetry produce every series once and gathers them.
func exercisedRegistry(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := telemetry.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.WatchPool(fakePool{})
	m.WatchCache("results", cache.NewMemory(1<<10))
	m.Rejected("rate")
	m.ObserveQueueWait("admission", time.Millisecond)
	m.KernelStartObserver("python3")(time.Second, nil)
	m.SetReady(true)
	obs := telemetry.Observers{Metrics: m}
	_, end := obs.Call()(context.Background(), "Z1", 1)
	end(orchestrator.CallEvent{Function: "Z1", Kind: "BuiltIn", Depth: 1, Error: z.ErrorString("Z507", "x")})
	if _, err := obs.Code(fakeEvaluator{}).Evaluate(context.Background(), "python-3", nil); err != nil {
		t.Fatal(err)
	}
	_, done := obs.Acquire()(context.Background(), "python-3", "Z1")
	done(nil)
	telemetry.Middleware{Metrics: m}.Wrap(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// TestMetricsLint runs promtool's linter (naming, units, _total on counters) over every
// series zeval exports.
func TestMetricsLint(t *testing.T) {
	var buf bytes.Buffer
	for _, mf := range exercisedRegistry(t) {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// recordingRules are the series alerts.yml records, which the dashboard may use too.
func recordingRules(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*- record:\s*(\S+)`).FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = true
	}
	return out
}

// metricRef finds names of series in a query: identifiers followed by a selector or range,
// or zeval_ names anywhere.
var metricRef = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]`)

func referencedMetrics(expr string) []string {
	var out []string
	for _, m := range metricRef.FindAllStringSubmatch(expr, -1) {
		switch m[1] {
		case "by", "without", "on", "ignoring", "group_left", "group_right":
			continue
		}
		out = append(out, m[1])
	}
	for _, m := range regexp.MustCompile(`\bzeval[_:][a-zA-Z0-9_:]+`).FindAllString(expr, -1) {
		out = append(out, m)
	}
	return out
}

type dashboard struct {
	Title  string `json:"title"`
	UID    string `json:"uid"`
	Panels []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func TestDashboard(t *testing.T) {
	data, err := os.ReadFile("grafana/zeval.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard title %q uid %q panels %d: want all set", d.Title, d.UID, len(d.Panels))
	}
	known := exportedMetrics(t)
	for k := range recordingRules(t) {
		known[k] = true
	}
	used := map[string]bool{}
	ids := map[int]bool{}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for i, tg := range p.Targets {
			refs := referencedMetrics(tg.Expr)
			if len(refs) == 0 {
				t.Errorf("panel %q query %q names no metric", p.Title, tg.Expr)
			}
			for _, r := range refs {
				used[r] = true
				if !known[r] {
					t.Errorf("panel %q uses %s, which zeval does not export", p.Title, r)
				}
			}
			// Grafana's variables, replaced so that promtool can parse the query.
			expr := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*").Replace(tg.Expr)
			q, _ := json.Marshal(expr)
			fmt.Fprintf(&rules, "      - record: dashboard:panel%d:q%d\n        expr: %s\n", p.ID, i, q)
		}
	}
	// Every signal the issue asks the dashboard to show.
	for _, want := range []string{
		telemetry.MetricHTTPDuration + "_count", telemetry.MetricHTTPDuration + "_bucket", telemetry.MetricCallErrors,
		telemetry.MetricPoolKernels, telemetry.MetricKernelStart + "_bucket", telemetry.MetricCacheHits,
		telemetry.MetricCacheMisses, telemetry.MetricRejected, telemetry.MetricCallDuration + "_bucket",
	} {
		if !used[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, "check", "rules", file)
}

func TestAlertsUseExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	known := exportedMetrics(t)
	for k := range recordingRules(t) {
		known[k] = true
	}
	var unknown []string
	for _, m := range regexp.MustCompile(`\bzeval[_:][a-zA-Z0-9_:]+`).FindAllString(string(data), -1) {
		if !known[m] {
			unknown = append(unknown, m)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		t.Errorf("alerts.yml uses series zeval does not export: %v", unknown)
	}
}

func TestRunbookCoversAlerts(t *testing.T) {
	rules, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	runbook, err := os.ReadFile("RUNBOOK.md")
	if err != nil {
		t.Fatal(err)
	}
	alerts := regexp.MustCompile(`(?m)^\s*- alert:\s*(\S+)`).FindAllStringSubmatch(string(rules), -1)
	if len(alerts) < 5 {
		t.Fatalf("%d alerts, want at least 5 (error rate, latency, pool exhaustion, crash loop, rejections)", len(alerts))
	}
	for _, a := range alerts {
		t.Run(a[1], func(t *testing.T) {
			if !strings.Contains(string(runbook), "\n## "+a[1]+"\n") {
				t.Errorf("RUNBOOK.md has no section \"## %s\"", a[1])
			}
			if !strings.Contains(string(rules), "deploy/RUNBOOK.md#"+strings.ToLower(a[1])) {
				t.Errorf("alert %s does not link to its runbook section", a[1])
			}
		})
	}
}
