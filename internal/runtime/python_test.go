package runtime

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// pythonBin is the interpreter the tests run the executor with: ZEVAL_TEST_PYTHON, else
// Debian's /usr/bin/python3. A missing interpreter fails the tests; it is never a skip.
func pythonBin() string {
	if p := os.Getenv("ZEVAL_TEST_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

// executorDir writes the embedded executor source to a fresh directory, so that the tests run
// exactly what zeval loads into kernels.
func executorDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ExecutorModule+".py"), []byte(PythonExecutor), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runPython runs the interpreter isolated from the environment (-I) and without bytecode
// files (-B). The deadline only guards against a hang; no test asserts on time.
func runPython(t testing.TB, dir, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pythonBin(), append([]string{"-I", "-B"}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewBufferString(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// pythonScript is a script that imports the executor as ex from dir, then runs body. out(x)
// prints x as one JSON line with sorted keys.
func pythonScript(dir, body string) string {
	return "import json, sys\n" +
		"sys.path.insert(0, " + pyString(dir) + ")\n" +
		"import " + ExecutorModule + " as ex\n" +
		"def out(x):\n" +
		"    print(json.dumps(x, sort_keys=True))\n" +
		body
}

// pyString renders s as a Python string literal.
func pyString(s string) string {
	var b bytes.Buffer
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
