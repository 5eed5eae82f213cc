package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDoctorJSON(t *testing.T) {
	code, out, errs := runCLI(t, "", "doctor", "--json", "--kernel", "python3")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("zeval doctor --json output is not JSON: %v\n%s\n%s", err, out, errs)
	}
	if code != 0 || !rep.OK {
		t.Fatalf("zeval doctor exit %d, ok %v, failures %q", code, rep.OK, rep.Failures)
	}
	ways := map[string]bool{}
	for _, k := range rep.Kernels {
		if k.Kernel != "python3" || !k.OK || k.Result != "2" || k.StartMS <= 0 {
			t.Errorf("kernel check %+v, want python3 ok with 1+1 = 2 and a start time", k)
		}
		ways[strings.Fields(k.Way)[0]] = true
	}
	for _, w := range []string{"plain", "fork", "sandboxed"} {
		if !ways[w] {
			t.Errorf("no %q kernel among %+v", w, rep.Kernels)
		}
	}
	if len(rep.Pools) != 1 || !rep.Pools[0].OK || rep.Pools[0].Stats.Started < 2 {
		t.Errorf("pools = %+v, want one healthy pool that started at least 2 kernels", rep.Pools)
	}
	if len(rep.Protections) == 0 {
		t.Error("no protections reported")
	}
	for _, p := range rep.Probes {
		if !p.OK {
			t.Errorf("probe %+v failed", p)
		}
	}
}

func TestDoctorFailures(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"unknown kernel", []string{"doctor", "--no-sandbox", "--kernel", "no-such-kernel"}, 1, `kernelspec "no-such-kernel" not found`},
		{"bad flag", []string{"doctor", "--bogus"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"doctor", "extra"}, 2, "usage: zeval doctor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			if !strings.Contains(out+errs, tc.want) {
				t.Errorf("output does not contain %q:\n%s%s", tc.want, out, errs)
			}
		})
	}
}
