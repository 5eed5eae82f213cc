package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRemoveStaleCgroups(t *testing.T) {
	root := t.TempDir() // stands for a cgroup hierarchy: empty directories behave alike
	dead := 0
	for pid := 4194000; pid > 4000000; pid-- {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			dead = pid
			break
		}
	}
	if dead == 0 {
		t.Fatal("found no unused pid")
	}
	dirs := []struct {
		name string
		gone bool
	}{
		{fmt.Sprintf("zeval-%d-123/k1", dead), true},
		{fmt.Sprintf("zeval-%d-124", dead), true},
		{fmt.Sprintf("zeval-%d-125", os.Getpid()), false}, // its owner runs
		{"zeval-notapid-1", false},
		{"other", false},
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d.name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleCgroups(root)
	for _, d := range dirs {
		_, err := os.Stat(filepath.Join(root, d.name))
		if gone := os.IsNotExist(err); gone != d.gone {
			t.Errorf("%s removed = %v, want %v", d.name, gone, d.gone)
		}
	}
}

func TestReadAllowList(t *testing.T) {
	tests := []struct {
		name   string
		hidden []string
		check  func(t *testing.T, allowed []string)
	}{
		{"hides the temp dir, keeps its siblings", []string{os.TempDir()}, func(t *testing.T, allowed []string) {
			for _, a := range allowed {
				if a == os.TempDir() || a == "/" {
					t.Errorf("allow-list has %s", a)
				}
			}
			if !containsPath(allowed, "/usr") || !containsPath(allowed, "/etc") {
				t.Errorf("allow-list %v lacks /usr or /etc", allowed)
			}
		}},
		{"a nested hidden dir keeps its parent's other entries", []string{"/usr/share/jupyter"}, func(t *testing.T, allowed []string) {
			if containsPath(allowed, "/usr") || containsPath(allowed, "/usr/share") || containsPath(allowed, "/usr/share/jupyter") {
				t.Errorf("allow-list %v grants a parent of the hidden dir", allowed)
			}
			if !containsPath(allowed, "/usr/bin") || !containsPath(allowed, "/usr/share/doc") {
				t.Errorf("allow-list %v lacks the hidden dir's siblings", allowed)
			}
		}},
		{"hiding / allows nothing", []string{"/"}, func(t *testing.T, allowed []string) {
			if len(allowed) != 0 {
				t.Errorf("allow-list = %v, want none", allowed)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, readAllowList(tc.hidden)) })
	}
}

func containsPath(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestRemoveStaleDirs(t *testing.T) {
	root := t.TempDir()
	dead := 0
	for pid := 4194000; pid > 4000000; pid-- {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			dead = pid
			break
		}
	}
	dirs := []struct {
		name string
		gone bool
	}{
		{fmt.Sprintf("zeval-sandbox-%d-77/k1", dead), true},
		{fmt.Sprintf("zeval-sandbox-%d-78", os.Getpid()), false},
		{"zeval-sandbox-123456789", false}, // not of our naming
		{"zeval-other-1-2", false},
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(root, d.name), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	RemoveStaleDirs(root, "zeval-sandbox-")
	for _, d := range dirs {
		_, err := os.Stat(filepath.Join(root, d.name))
		if gone := os.IsNotExist(err); gone != d.gone {
			t.Errorf("%s removed = %v, want %v", d.name, gone, d.gone)
		}
	}
}
