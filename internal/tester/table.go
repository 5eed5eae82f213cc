package tester

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Totals counts what a set of reports holds.
type Totals struct {
	Functions       int // reports
	Untested        int // functions without testers or without implementations
	Implementations int
	Runs            int // tester runs: testers × implementations
	Passed          int
	Failed          int
}

// Sum adds up reports.
func Sum(reports []Report) Totals {
	t := Totals{Functions: len(reports)}
	for _, r := range reports {
		if len(r.Testers) == 0 || len(r.Implementations) == 0 {
			t.Untested++
		}
		t.Implementations += len(r.Implementations)
		for _, im := range r.Implementations {
			t.Runs += len(im.Results)
		}
		t.Passed += r.Passed
		t.Failed += r.Failed
	}
	return t
}

// WriteTable writes the reports for people: one row per implementation, ranked within each
// function (a function without testers or implementations gets a row saying so), then one
// line per failed tester with the value or error it got, then the totals.
func WriteTable(w io.Writer, reports []Report, elapsed time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FUNCTION\tLABEL\tIMPLEMENTATION\tKIND\tRANK\tPASSED\tFAILED\tTIME")
	for _, r := range reports {
		if len(r.Testers) == 0 || len(r.Implementations) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t(%d testers, %d implementations)\n", r.Function, cut(r.Label, 40), len(r.Testers), len(r.Implementations))
			continue
		}
		for _, im := range r.Implementations {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Function, cut(r.Label, 40), im.ZID, im.Kind, im.Rank, im.Passed, im.Failed, milliseconds(im.Duration))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		for _, im := range r.Implementations {
			for _, res := range im.Results {
				if res.Passed {
					continue
				}
				got := "no value"
				switch {
				case res.Error != nil:
					got = "error " + cut(res.Error.String(), 300)
				case res.Value != nil:
					got = "got " + cut(res.Value.String(), 300)
				}
				if _, err := fmt.Fprintf(w, "FAIL %s %s tester %s (%s): %s\n", r.Function, im.ZID, res.Tester, res.Label, got); err != nil {
					return err
				}
			}
		}
	}
	t := Sum(reports)
	_, err := fmt.Fprintf(w, "%d functions (%d without testers or implementations), %d implementations, %d tester runs: %d passed, %d failed in %s\n",
		t.Functions, t.Untested, t.Implementations, t.Runs, t.Passed, t.Failed, elapsed.Round(time.Millisecond))
	return err
}

func milliseconds(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// cut shortens s to at most n runes.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
