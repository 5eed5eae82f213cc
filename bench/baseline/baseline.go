// Package baseline runs the outside baseline of zeval's benchmarks: execute_request round trips
// through jupyter_client, the reference Python client, on a kernel zeval started.
package baseline

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

//go:embed baseline.py
var script []byte

// Result is what the baseline measured: per-call latencies in µs and its client CPU seconds.
type Result struct {
	Latencies []float64 `json:"latencies_us"`
	CPU       float64   `json:"cpu_s"`
}

// Run executes code n times (after a warm-up) through jupyter_client, connected to the kernel of
// connFile, with the given Python (one that has jupyter_client: /usr/bin/python3 on Debian).
func Run(python, connFile string, n int, code string) (*Result, error) {
	dir, err := os.MkdirTemp("", "zeval-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "baseline.py")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		return nil, err
	}
	out, err := exec.Command(python, path, connFile, strconv.Itoa(n), code).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("baseline: %v: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var res Result
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("baseline output %q: %w", out, err)
	}
	return &res, nil
}
