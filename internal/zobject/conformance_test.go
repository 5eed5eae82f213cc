package zobject

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// schemataDir holds the function-schemata test files converted to JSON. It lives beside the
// repository (../shared from the repository root); CI checks it out there.
const schemataDir = "../../../shared/conformance/wikifunctions/schemata"

func schemataPath(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join(schemataDir, sub)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("conformance data missing: %v (expected %s beside the repository; see ../shared/conformance/wikifunctions/README.md)", err, dir)
	}
	return dir
}

// tally counts passing cases per file and prints them when the test ends. Cases run one
// after another (no t.Parallel), so it needs no lock.
type tally struct {
	counts map[string][2]int // file -> passed, total
}

func newTally(t *testing.T) *tally {
	tl := &tally{counts: map[string][2]int{}}
	t.Cleanup(func() {
		files := make([]string, 0, len(tl.counts))
		for f := range tl.counts {
			files = append(files, f)
		}
		sort.Strings(files)
		pass, total := 0, 0
		var b strings.Builder
		for _, f := range files {
			c := tl.counts[f]
			pass += c[0]
			total += c[1]
			fmt.Fprintf(&b, "  %-36s %3d/%3d\n", f, c[0], c[1])
		}
		fmt.Fprintf(&b, "schemata conformance: %d/%d cases pass in %d files", pass, total, len(files))
		t.Log("\n" + b.String())
		fmt.Println(b.String())
	})
	return tl
}

func (tl *tally) record(file string, ok bool) {
	c := tl.counts[file]
	c[1]++
	if ok {
		c[0]++
	}
	tl.counts[file] = c
}

// runCase runs f as a subtest and records whether it passed.
func (tl *tally) runCase(t *testing.T, file, name string, f func(t *testing.T)) {
	t.Helper()
	ok := t.Run(name, f)
	tl.record(file, ok)
}

// jsonEqual compares two JSON texts as values (key order ignored).
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// z9k1Values collects every string stored under a key "Z9K1" anywhere in a JSON text, which
// is how upstream's tests look for error codes.
func z9k1Values(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", data, err)
	}
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && k == "Z9K1" {
					out[s] = true
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return out
}

type formCase struct {
	Name     string          `json:"name"`
	Object   json.RawMessage `json:"object"`
	Expected json.RawMessage `json:"expected"`
	Errors   []string        `json:"errors"`
}

type validationCase struct {
	Name   string          `json:"name"`
	Object json.RawMessage `json:"object"`
}

type errorCase struct {
	Name      string          `json:"name"`
	Object    json.RawMessage `json:"object"`
	Errors    []string        `json:"errors"`
	JSErrors  []string        `json:"js_errors"`
	PHPErrors []string        `json:"php_errors"`
}

const normalVoid = `{"Z1K1":"Z9","Z9K1":"Z24"}`

const normalMetadataType = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z883"},` +
	`"Z883K1":{"Z1K1":"Z9","Z9K1":"Z6"},"Z883K2":{"Z1K1":"Z9","Z9K1":"Z1"}}`

// TestSchemataConformance runs every file in schemata/tests: normalization,
// canonicalization, the canonical/normal/mixed validation files and the error files.
func TestSchemataConformance(t *testing.T) {
	dir := schemataPath(t, "tests")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s (%v)", dir, err)
	}
	tl := newTally(t)
	for _, path := range files {
		base := strings.TrimSuffix(filepath.Base(path), ".json")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(base, func(t *testing.T) {
			switch {
			case base == "normalization" || base == "canonicalization":
				runFormFile(t, tl, base, data)
			case strings.HasPrefix(base, "canonical_zobject."):
				runValidationFile(t, tl, base, data, Canonical, strings.TrimPrefix(base, "canonical_zobject."))
			case strings.HasPrefix(base, "normal_zobject."):
				runValidationFile(t, tl, base, data, Normal, strings.TrimPrefix(base, "normal_zobject."))
			case strings.HasPrefix(base, "mixed_zobject."):
				runValidationFile(t, tl, base, data, Mixed, strings.TrimPrefix(base, "mixed_zobject."))
			case base == "errors.normal_Z2":
				runErrorFile(t, tl, base, data, Normal)
			case base == "errors.canonical_Z2":
				runErrorFile(t, tl, base, data, Canonical)
			default:
				tl.record(base, false)
				t.Errorf("test file %s is not understood by this test: teach it", base)
			}
		})
	}
}

func runFormFile(t *testing.T, tl *tally, file string, data []byte) {
	var f struct {
		TestObjects struct {
			Success []formCase `json:"success"`
			Throws  []formCase `json:"throws"`
		} `json:"test_objects"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.TestObjects.Success)+len(f.TestObjects.Throws) == 0 {
		t.Fatalf("%s has no cases", file)
	}
	run := Normalize
	if file == "canonicalization" {
		run = Canonicalize
	}
	for _, c := range f.TestObjects.Success {
		tl.runCase(t, file, "success/"+c.Name, func(t *testing.T) {
			env := run(c.Object).Envelope()
			var z22 map[string]json.RawMessage
			if err := json.Unmarshal(env, &z22); err != nil {
				t.Fatalf("envelope %s is not JSON: %v", env, err)
			}
			if !jsonEqual(z22["Z22K1"], c.Expected) {
				t.Errorf("%s(%s).Z22K1 = %s, want %s", file, c.Object, z22["Z22K1"], c.Expected)
			}
			if string(z22["Z22K2"]) != normalVoid {
				t.Errorf("%s(%s).Z22K2 = %s, want %s", file, c.Object, z22["Z22K2"], normalVoid)
			}
		})
	}
	for _, c := range f.TestObjects.Throws {
		tl.runCase(t, file, "throws/"+c.Name, func(t *testing.T) {
			env := run(c.Object).Envelope()
			var z22 map[string]json.RawMessage
			if err := json.Unmarshal(env, &z22); err != nil {
				t.Fatalf("envelope %s is not JSON: %v", env, err)
			}
			if !jsonEqual(z22["Z22K1"], []byte(normalVoid)) {
				t.Errorf("%s(%s).Z22K1 = %s, want void", file, c.Object, z22["Z22K1"])
			}
			var meta map[string]json.RawMessage
			if err := json.Unmarshal(z22["Z22K2"], &meta); err != nil {
				t.Fatalf("Z22K2 %s is not an object: %v", z22["Z22K2"], err)
			}
			if !jsonEqual(meta["Z1K1"], []byte(normalMetadataType)) {
				t.Errorf("%s(%s).Z22K2.Z1K1 = %s, want %s", file, c.Object, meta["Z1K1"], normalMetadataType)
			}
			codes := z9k1Values(t, z22["Z22K2"])
			for _, code := range c.Errors {
				if !codes[code] {
					t.Errorf("%s(%s): error %s lacks %s", file, c.Object, z22["Z22K2"], code)
				}
			}
		})
	}
}

func runValidationFile(t *testing.T, tl *tally, file string, data []byte, form Form, typ string) {
	var f struct {
		TestObjects struct {
			Success []validationCase `json:"success"`
			Failure []validationCase `json:"failure"`
		} `json:"test_objects"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.TestObjects.Success)+len(f.TestObjects.Failure) == 0 {
		t.Fatalf("%s has no cases", file)
	}
	for _, c := range f.TestObjects.Success {
		tl.runCase(t, file, "success/"+c.Name, func(t *testing.T) {
			if e := Validate(c.Object, form, typ); e != nil {
				t.Errorf("Validate(%s, %v, %s) = %s, want valid", c.Object, form, typ, e.NormalJSON())
			}
		})
	}
	for _, c := range f.TestObjects.Failure {
		tl.runCase(t, file, "failure/"+c.Name, func(t *testing.T) {
			e := Validate(c.Object, form, typ)
			if e == nil {
				t.Fatalf("Validate(%s, %v, %s) = valid, want a Z5", c.Object, form, typ)
			}
			checkErrorIsNormalZ5(t, e)
		})
	}
}

func runErrorFile(t *testing.T, tl *tally, file string, data []byte, form Form) {
	var f struct {
		TestObjects []errorCase `json:"test_objects"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.TestObjects) == 0 {
		t.Fatalf("%s has no cases", file)
	}
	for _, c := range f.TestObjects {
		tl.runCase(t, file, c.Name, func(t *testing.T) {
			e := Validate(c.Object, form, Z2)
			if e == nil {
				t.Fatalf("Validate(%s, %v, Z2) = valid, want a Z5", c.Object, form)
			}
			checkErrorIsNormalZ5(t, e)
			want := append([]string{}, c.Errors...)
			// Upstream adds js_errors with Set.add(...list): only the first one counts.
			if len(c.JSErrors) > 0 {
				want = append(want, c.JSErrors[0])
			}
			codes := z9k1Values(t, e.NormalJSON())
			for _, code := range want {
				if !codes[code] {
					t.Errorf("Validate(%s, %v, Z2) = %s, lacks %s", c.Object, form, e.NormalJSON(), code)
				}
			}
		})
	}
}

// checkErrorIsNormalZ5 checks that e is a Z5 that is itself valid in normal form.
func checkErrorIsNormalZ5(t *testing.T, e *Object) {
	t.Helper()
	if !IsError(e) {
		t.Fatalf("error %s is not a Z5", e)
	}
	if bad := Validate(e.NormalJSON(), Normal, Z5); bad != nil {
		t.Errorf("error %s is not a valid normal Z5: %s", e.NormalJSON(), bad)
	}
}

// TestDefinitionsAreValidCanonicalZ2 checks every persistent object shipped with
// function-schemata against the canonical and normal Z2 rules, applied deeply, and that each survives
// canonical → normal → canonical unchanged.
func TestDefinitionsAreValidCanonicalZ2(t *testing.T) {
	dir := schemataPath(t, "definitions")
	files, err := filepath.Glob(filepath.Join(dir, "Z*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no definitions in %s (%v)", dir, err)
	}
	failed := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		if e := ValidateDeep(data, Canonical, Z2); e != nil {
			failed++
			t.Errorf("%s: ValidateDeep(canonical, Z2) = %s", name, e)
			continue
		}
		n := Normalize(data)
		if !n.OK() {
			failed++
			t.Errorf("%s: Normalize = %s", name, n.Error)
			continue
		}
		if e := ValidateDeep(n.JSON, Normal, Z2); e != nil {
			failed++
			t.Errorf("%s: normal form fails ValidateDeep(normal, Z2): %s", name, e)
			continue
		}
		// Canonicalize spells some strings more compactly than the files do (a key such as
		// "Z885K1" needs no {"Z1K1":"Z6"}), so compare against Canonicalize(x).
		c, want := Canonicalize(n.JSON), Canonicalize(data)
		if !c.OK() || !want.OK() || !jsonEqual(c.JSON, want.JSON) {
			failed++
			t.Errorf("%s: Canonicalize(Normalize(x)) = %s (%v), want Canonicalize(x) = %s (%v)", name, c.JSON, c.Error, want.JSON, want.Error)
		}
	}
	t.Logf("definitions: %d/%d valid and round-trip", len(files)-failed, len(files))
}
