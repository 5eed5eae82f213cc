package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestKernelsJSON(t *testing.T) {
	code, out, errs := runCLI(t, "", "kernels", "--json")
	if code != 0 {
		t.Fatalf("zeval kernels --json exit %d: %s", code, errs)
	}
	var specs []struct {
		Name, Language, Path string
		InterruptMode        string `json:"interrupt_mode"`
	}
	if err := json.Unmarshal([]byte(out), &specs); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	found := map[string]bool{}
	for _, s := range specs {
		found[s.Name] = s.Language == "python" && s.Path != "" && s.InterruptMode != ""
	}
	if !found["python3"] || !found["xpython"] {
		t.Errorf("zeval kernels --json = %s, want python3 and xpython with language, path and interrupt mode", out)
	}
}

func TestExec(t *testing.T) {
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		stdout   string
		stderrIn string
	}{
		{"prints outputs", "", []string{"exec", "--kernel", "xpython", "print('hi'); 6*7"}, 0, "hi\n42\n", ""},
		{"error exits 1 with traceback", "", []string{"exec", "--kernel", "xpython", "1/0"}, 1, "", "ZeroDivisionError"},
		{"input answered from stdin", "world\n", []string{"exec", "--kernel", "python3", "print('hello ' + input('name? '))"}, 0, "hello world\n", "name? "},
		{"code from stdin", "print(2 ** 10)\n", []string{"exec", "--kernel", "xpython", "-"}, 0, "1024\n", ""},
		{"unknown kernel lists the kernels", "", []string{"exec", "--kernel", "nope", "1"}, 1, "", "python3"},
		{"interrupted by the timeout", "", []string{"exec", "--kernel", "python3", "--timeout", "1s", "import time; time.sleep(30)"}, 1, "", "KeyboardInterrupt"},
		{"no code", "", []string{"exec"}, 2, "", "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("zeval %v exit %d, want %d\nstdout %q\nstderr %q", tc.args, code, tc.code, out, errs)
			}
			if tc.stdout != "" && out != tc.stdout {
				t.Errorf("stdout = %q, want %q", out, tc.stdout)
			}
			if !strings.Contains(errs, tc.stderrIn) {
				t.Errorf("stderr %q does not contain %q", errs, tc.stderrIn)
			}
		})
	}
}
