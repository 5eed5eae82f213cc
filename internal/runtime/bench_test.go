package runtime

import (
	"encoding/json"
	"strconv"
	"testing"
)

// benchScript times n calls of a trivial function in one interpreter: through call() (the hot
// path: deserialize, call, serialize, Z22), through call() plus the JSON decoding and encoding a
// channel does, and directly (the baseline: the bare Python call of the same function).
const benchScript = `
import time
h = ex.load("def Z1000(Z1000K1):\n    return Z1000K1", "Z1000")
args = {"Z1000K1": {"Z1K1": "Z6", "Z6K1": "x"}}
frame = json.dumps(args)
fn = h.function
call = ex.call
n = max(int(sys.argv[1]) // 5, 1)

def best(f):
    """Microseconds per run of f: the best of 5 rounds of n runs (least disturbed by load)."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter_ns()
        f()
        times.append((time.perf_counter_ns() - t0) / n / 1000)
    return min(times)

def calls():
    for _ in range(n):
        call(h, args)

def calls_json():
    for _ in range(n):
        ex.dumps(call(h, ex.loads(frame)))

def direct():
    for _ in range(n):
        fn(Z1000K1="x")

calls()
assert call(h, args)["Z22K1"] == {"Z1K1": "Z6", "Z6K1": "x"}
out({"call": best(calls), "json": best(calls_json), "direct": best(direct)})
`

// BenchmarkPythonCall runs 3×b.N calls in one interpreter and reports the per-call times Python
// measured (µs/call, µs/call+json, µs/direct: each the best of five rounds) and the ratio of
// call() to the bare call. ns/op covers all three loops and the interpreter's start.
func BenchmarkPythonCall(b *testing.B) {
	dir := executorDir(b)
	n := b.N
	if n < 1000 {
		n = 1000
	}
	stdout, stderr, err := runPython(b, dir, "", "-c", pythonScript(dir, benchScript), strconv.Itoa(n))
	if err != nil {
		b.Fatalf("python: %v\n%s", err, stderr)
	}
	var r struct{ Call, JSON, Direct float64 }
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		b.Fatalf("bench output %q: %v", stdout, err)
	}
	b.ReportMetric(r.Call, "µs/call")
	b.ReportMetric(r.JSON, "µs/call+json")
	b.ReportMetric(r.Direct, "µs/direct")
	if r.Direct > 0 {
		b.ReportMetric(r.Call/r.Direct, "call/direct")
	}
}
