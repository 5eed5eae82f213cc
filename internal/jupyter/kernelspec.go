package jupyter

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Spec is a kernelspec: how to start one kind of kernel (kernel.json plus where it was found).
type Spec struct {
	Name          string            `json:"name"`
	Dir           string            `json:"path"`
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"` // "signal" (the default) or "message"
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

// ErrNoSuchKernel is returned (wrapped, with the names that do exist) for an unknown kernel name.
var ErrNoSuchKernel = errors.New("no such kernel")

var specName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// SearchPath returns the directories searched for kernelspecs, in Jupyter's order: each JUPYTER_PATH
// entry, the user data dir (JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else
// ~/.local/share/jupyter), the active environment's prefix (VIRTUAL_ENV or CONDA_PREFIX, standing in
// for Python's sys.prefix), /usr/local/share/jupyter and /usr/share/jupyter. Each is a data
// directory; kernelspecs live in its "kernels" subdirectory.
func SearchPath() []string {
	var dirs []string
	for _, p := range filepath.SplitList(os.Getenv("JUPYTER_PATH")) {
		if p != "" {
			dirs = append(dirs, p)
		}
	}
	switch {
	case os.Getenv("JUPYTER_DATA_DIR") != "":
		dirs = append(dirs, os.Getenv("JUPYTER_DATA_DIR"))
	case os.Getenv("XDG_DATA_HOME") != "":
		dirs = append(dirs, filepath.Join(os.Getenv("XDG_DATA_HOME"), "jupyter"))
	default:
		if home, err := os.UserHomeDir(); err == nil {
			dirs = append(dirs, filepath.Join(home, ".local", "share", "jupyter"))
		}
	}
	for _, env := range []string{"VIRTUAL_ENV", "CONDA_PREFIX"} {
		if p := os.Getenv(env); p != "" {
			dirs = append(dirs, filepath.Join(p, "share", "jupyter"))
		}
	}
	dirs = append(dirs, "/usr/local/share/jupyter", "/usr/share/jupyter")
	return dedupe(dirs)
}

func dedupe(dirs []string) []string {
	seen := make(map[string]bool, len(dirs))
	out := dirs[:0]
	for _, d := range dirs {
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// FindSpecs lists the kernelspecs under the data directories dirs (as from SearchPath), sorted by
// name. A name found in an earlier directory shadows the same name (case-insensitively) later.
// A kernelspec directory whose kernel.json cannot be read is reported in problems, not fatal.
func FindSpecs(dirs []string) (specs []*Spec, problems []error) {
	seen := map[string]bool{}
	for _, data := range dirs {
		entries, err := os.ReadDir(filepath.Join(data, "kernels"))
		if err != nil {
			continue // a missing directory is normal
		}
		for _, e := range entries {
			name := strings.ToLower(e.Name())
			if seen[name] || !specName.MatchString(e.Name()) {
				continue
			}
			dir := filepath.Join(data, "kernels", e.Name())
			if _, err := os.Stat(filepath.Join(dir, "kernel.json")); err != nil {
				continue
			}
			seen[name] = true
			s, err := LoadSpec(dir)
			if err != nil {
				problems = append(problems, err)
				continue
			}
			s.Name = name
			specs = append(specs, s)
		}
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, problems
}

// FindSpec returns the kernelspec called name (case-insensitive) under dirs. An unknown name gives
// an error wrapping ErrNoSuchKernel that lists the kernels that exist.
func FindSpec(dirs []string, name string) (*Spec, error) {
	specs, problems := FindSpecs(dirs)
	var names []string
	for _, s := range specs {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
		names = append(names, s.Name)
	}
	for _, p := range problems {
		if strings.EqualFold(filepath.Base(filepath.Dir(pathOf(p))), name) {
			return nil, p
		}
	}
	have := "none"
	if len(names) > 0 {
		have = strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("%w %q (available: %s; searched %s)", ErrNoSuchKernel, name, have,
		strings.Join(dirs, ":"))
}

func pathOf(err error) string {
	var pe *SpecError
	if errors.As(err, &pe) {
		return pe.Path
	}
	return ""
}

// SpecError reports a kernel.json that cannot be used.
type SpecError struct {
	Path string
	Err  error
}

func (e *SpecError) Error() string { return fmt.Sprintf("kernelspec %s: %v", e.Path, e.Err) }
func (e *SpecError) Unwrap() error { return e.Err }

// LoadSpec reads dir/kernel.json. The name is the directory's base name, lower-cased.
func LoadSpec(dir string) (*Spec, error) {
	path := filepath.Join(dir, "kernel.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &SpecError{path, err}
	}
	var raw struct {
		Argv          []string          `json:"argv"`
		DisplayName   string            `json:"display_name"`
		Language      string            `json:"language"`
		InterruptMode string            `json:"interrupt_mode"`
		Env           map[string]string `json:"env"`
		Metadata      map[string]any    `json:"metadata"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, &SpecError{path, err}
	}
	if len(raw.Argv) == 0 {
		return nil, &SpecError{path, errors.New("argv is empty")}
	}
	switch raw.InterruptMode {
	case "":
		raw.InterruptMode = "signal"
	case "signal", "message":
	default:
		return nil, &SpecError{path, fmt.Errorf("interrupt_mode %q is neither signal nor message", raw.InterruptMode)}
	}
	s := &Spec{
		Name:          strings.ToLower(filepath.Base(dir)),
		Dir:           dir,
		Argv:          raw.Argv,
		DisplayName:   raw.DisplayName,
		Language:      raw.Language,
		InterruptMode: raw.InterruptMode,
		Env:           raw.Env,
		Metadata:      raw.Metadata,
	}
	return s, nil
}

// Command returns the argv to start the kernel with connectionFile substituted. As jupyter_client
// does, an argv[0] of "python" or "python3" means the Python that owns the kernelspec: the
// interpreter of the prefix the kernelspec lives under (/usr/share/jupyter → /usr/bin/python3),
// not whatever "python3" is first on PATH.
func (s *Spec) Command(connectionFile string) []string {
	argv := make([]string, len(s.Argv))
	for i, a := range s.Argv {
		argv[i] = strings.ReplaceAll(a, "{connection_file}", connectionFile)
		argv[i] = strings.ReplaceAll(argv[i], "{resource_dir}", s.Dir)
	}
	if argv[0] == "python" || argv[0] == "python3" {
		argv[0] = s.ownerPython()
	}
	return argv
}

// ownerPython finds the interpreter of the prefix that holds the kernelspec.
func (s *Spec) ownerPython() string {
	// s.Dir is <prefix>/share/jupyter/kernels/<name>.
	prefix := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(s.Dir))))
	if filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(s.Dir)))) == "share" {
		for _, p := range []string{"python3", "python"} {
			cand := filepath.Join(prefix, "bin", p)
			if fi, err := os.Stat(cand); err == nil && fi.Mode()&0o111 != 0 {
				return cand
			}
		}
	}
	return "/usr/bin/python3"
}
