package tester_test

import (
	"strings"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/tester"
	z "github.com/zeval/zeval/internal/zobject"
)

func TestWriteTable(t *testing.T) {
	passing := tester.Implementation{ZID: "Z11001", Kind: "javascript", Rank: 1, Passed: 2, Duration: 1500 * time.Microsecond,
		Results: []tester.Result{{Tester: "Z12001", Passed: true}, {Tester: "Z12002", Passed: true}}}
	wrong := tester.Implementation{ZID: "Z11002", Kind: "python", Rank: 2, Passed: 1, Failed: 1,
		Results: []tester.Result{{Tester: "Z12001", Passed: true}, {Tester: "Z12002", Label: "two", Value: z.NewString("2!")}}}
	broken := tester.Implementation{ZID: "Z11003", Kind: "composition", Rank: 3, Failed: 2,
		Results: []tester.Result{{Tester: "Z12001", Error: z.ErrorString(z.CodeInEvaluation, "boom")}, {Tester: "Z12002"}}}
	tests := []struct {
		name    string
		reports []tester.Report
		want    []string // lines, in order, each matched by prefix after squeezing spaces
		totals  tester.Totals
	}{
		{
			name: "all pass",
			reports: []tester.Report{{Function: "Z10001", Label: "Double", Testers: []tester.Ref{{ZID: "Z12001"}, {ZID: "Z12002"}},
				Implementations: []tester.Implementation{passing}, Passed: 2}},
			want: []string{
				"FUNCTION LABEL IMPLEMENTATION KIND RANK PASSED FAILED TIME",
				"Z10001 Double Z11001 javascript 1 2 0 1.5 ms",
				"1 functions (0 without testers or implementations), 1 implementations, 2 tester runs: 2 passed, 0 failed in 3s",
			},
			totals: tester.Totals{Functions: 1, Implementations: 1, Runs: 2, Passed: 2},
		},
		{
			name: "failures are listed",
			reports: []tester.Report{{Function: "Z10001", Label: "Double", Testers: []tester.Ref{{ZID: "Z12001"}, {ZID: "Z12002"}},
				Implementations: []tester.Implementation{passing, wrong, broken}, Passed: 3, Failed: 3}},
			want: []string{
				"FUNCTION LABEL IMPLEMENTATION KIND RANK PASSED FAILED TIME",
				"Z10001 Double Z11001 javascript 1 2 0 1.5 ms",
				"Z10001 Double Z11002 python 2 1 1 0.0 ms",
				"Z10001 Double Z11003 composition 3 0 2 0.0 ms",
				`FAIL Z10001 Z11002 tester Z12002 (two): got "2!"`,
				`FAIL Z10001 Z11003 tester Z12001 (): error {"Z1K1":"Z5","Z5K1":"Z507"`,
				"FAIL Z10001 Z11003 tester Z12002 (): no value",
				"1 functions (0 without testers or implementations), 3 implementations, 6 tester runs: 3 passed, 3 failed in 3s",
			},
			totals: tester.Totals{Functions: 1, Implementations: 3, Runs: 6, Passed: 3, Failed: 3},
		},
		{
			name:    "untested function",
			reports: []tester.Report{{Function: "Z10002", Label: strings.Repeat("long label ", 10), Implementations: []tester.Implementation{{ZID: "Z11009"}}}},
			want: []string{
				"FUNCTION LABEL IMPLEMENTATION KIND RANK PASSED FAILED TIME",
				"Z10002 long label long label long label long l… - - - - - (0 testers, 1 implementations)",
				"1 functions (1 without testers or implementations), 1 implementations, 0 tester runs: 0 passed, 0 failed in 3s",
			},
			totals: tester.Totals{Functions: 1, Untested: 1, Implementations: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := tester.WriteTable(&b, tc.reports, 3*time.Second); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("WriteTable wrote %d lines, want %d:\n%s", len(lines), len(tc.want), b.String())
			}
			for i, l := range lines {
				if got := strings.Join(strings.Fields(l), " "); !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("line %d = %q, want %q", i+1, got, tc.want[i])
				}
			}
			if got := tester.Sum(tc.reports); got != tc.totals {
				t.Errorf("Sum = %+v, want %+v", got, tc.totals)
			}
		})
	}
}
