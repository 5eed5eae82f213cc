package jupyter

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSpec(t *testing.T, data, name, body string) string {
	t.Helper()
	dir := filepath.Join(data, "kernels", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSearchPathOrder(t *testing.T) {
	t.Setenv("JUPYTER_PATH", "/a"+string(os.PathListSeparator)+"/b")
	t.Setenv("JUPYTER_DATA_DIR", "/data")
	t.Setenv("VIRTUAL_ENV", "/venv")
	t.Setenv("CONDA_PREFIX", "")
	got := SearchPath()
	want := []string{"/a", "/b", "/data", "/venv/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("SearchPath() = %v, want %v", got, want)
	}
	t.Setenv("JUPYTER_DATA_DIR", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if got := SearchPath(); got[2] != "/xdg/jupyter" {
		t.Errorf("SearchPath()[2] with XDG_DATA_HOME = %q, want /xdg/jupyter", got[2])
	}
}

func TestFindSpecs(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	writeSpec(t, first, "Py", `{"argv":["python3","-m","ipykernel_launcher","-f","{connection_file}"],"display_name":"First","language":"python"}`)
	writeSpec(t, second, "py", `{"argv":["x"],"display_name":"Second","language":"python"}`)
	writeSpec(t, second, "other", `{"argv":["other","{connection_file}"],"display_name":"Other","language":"r","interrupt_mode":"message","env":{"A":"1"},"metadata":{"debugger":true}}`)
	writeSpec(t, second, "broken", `{"argv":`)
	writeSpec(t, second, "noargv", `{"argv":[],"display_name":"x"}`)
	writeSpec(t, second, "badmode", `{"argv":["x"],"interrupt_mode":"loud"}`)
	writeSpec(t, second, "bad name!", `{"argv":["x"]}`)
	dirs := []string{first, second}

	specs, problems := FindSpecs(dirs)
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "other,py" {
		t.Errorf("FindSpecs names = %s, want other,py", got)
	}
	if len(problems) != 3 {
		t.Errorf("FindSpecs problems = %v, want 3 (broken, noargv, badmode)", problems)
	}

	py, err := FindSpec(dirs, "PY")
	if err != nil {
		t.Fatalf("FindSpec(PY): %v", err)
	}
	if py.DisplayName != "First" {
		t.Errorf("FindSpec(PY).DisplayName = %q, want First (the earlier directory shadows)", py.DisplayName)
	}
	if py.InterruptMode != "signal" {
		t.Errorf("default interrupt mode = %q, want signal", py.InterruptMode)
	}
	other, err := FindSpec(dirs, "other")
	if err != nil {
		t.Fatal(err)
	}
	if other.InterruptMode != "message" || other.Env["A"] != "1" || other.Metadata["debugger"] != true || other.Language != "r" {
		t.Errorf("FindSpec(other) = %+v, fields not parsed", other)
	}

	_, err = FindSpec(dirs, "nope")
	if !errors.Is(err, ErrNoSuchKernel) || !strings.Contains(err.Error(), "other, py") {
		t.Errorf("FindSpec(nope) = %v, want ErrNoSuchKernel listing other, py", err)
	}
	_, err = FindSpec(dirs, "broken")
	var se *SpecError
	if !errors.As(err, &se) {
		t.Errorf("FindSpec(broken) = %v, want the SpecError of its kernel.json", err)
	}
}

func TestCommandMapsPython(t *testing.T) {
	prefix := t.TempDir()
	data := filepath.Join(prefix, "share", "jupyter")
	dir := writeSpec(t, data, "py", `{"argv":["python3","-f","{connection_file}","{resource_dir}"]}`)
	s, err := LoadSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Command("/tmp/c.json"); got[0] != "/usr/bin/python3" || got[2] != "/tmp/c.json" || got[3] != dir {
		t.Errorf("Command() = %v, want /usr/bin/python3 (no python in the prefix) and substitutions", got)
	}
	if err := os.MkdirAll(filepath.Join(prefix, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(prefix, "bin", "python3")
	if err := os.WriteFile(own, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := s.Command("c"); got[0] != own {
		t.Errorf("Command()[0] = %q, want the prefix's own %q", got[0], own)
	}
	s.Argv[0] = "/opt/bin/python3"
	if got := s.Command("c"); got[0] != "/opt/bin/python3" {
		t.Errorf("Command()[0] = %q, an absolute path must stay", got[0])
	}
}
