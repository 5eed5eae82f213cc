package zobject

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds adds every test object of the schemata test files, plus a few hand-made ones.
func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		`"a"`, `"Z1"`, `[]`, `["Z6","a"]`, `{"Z1K1":"Z6","Z6K1":"Z6"}`, `{"Z1K1":"Z9","Z9K1":"x"}`,
		`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z6"},"Z6K1":"x"}`, `{"Z1K1":"Z99","Z99K1":3}`, `{"a":1}`,
		`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"a","K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}}}`,
		"\"\xff\"", `"\ud800"`, `[[[[["Z1"]]]]]`,
	} {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join(schemataDir, "tests", "*.json"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			continue
		}
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if o, ok := x["object"]; ok {
					if b, err := json.Marshal(o); err == nil {
						f.Add(b)
					}
				}
				for _, c := range x {
					walk(c)
				}
			case []any:
				for _, c := range x {
					walk(c)
				}
			}
		}
		walk(v)
	}
}

// FuzzParse checks that Parse never panics, and that whatever it accepts survives a trip
// through the normal form unchanged and through the canonical form when upstream's
// canonicalize accepts it.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Parse(data)
		if err != nil {
			if ErrorObject(err) == nil {
				t.Fatalf("ErrorObject(%v) = nil", err)
			}
			return
		}
		size := NormalSize(o, 1<<20)
		if size > 1<<20 {
			return // legitimately huge normal form (lists as item types of lists)
		}
		normal := o.NormalJSON()
		if len(normal) != size {
			t.Fatalf("NormalSize(%q) = %d, len(NormalJSON) = %d", data, size, len(normal))
		}
		back, err := Parse(normal)
		if err != nil {
			t.Fatalf("Parse(NormalJSON(%q)) = %v; normal = %s", data, err, normal)
		}
		if !Equal(back, o) {
			t.Fatalf("Parse(NormalJSON(%q)) = %s, want %s", data, back, o)
		}
		canonical := o.CanonicalJSON()
		if _, err := Parse(canonical); err != nil {
			t.Fatalf("Parse(CanonicalJSON(%q)) = %v; canonical = %s", data, err, canonical)
		}
		if !json.Valid(normal) || !json.Valid(canonical) {
			t.Fatalf("invalid JSON written for %q", data)
		}
		for _, form := range []Form{Canonical, Normal, Mixed} {
			for _, typ := range []string{Z1, Z2, Z4, Z6, Z8, Z9, Z12, Z14, SchemaList, SchemaGeneric} {
				if e := Validate(data, form, typ); e != nil && !IsError(e) {
					t.Fatalf("Validate(%q, %v, %s) = %s, not a Z5", data, form, typ, e)
				}
			}
			_ = ValidateDeep(data, form, Z2)
		}
	})
}

// FuzzCanonicalize checks that Normalize and Canonicalize never panic, always answer a
// well-formed envelope with a valid Z5 on failure, and agree with each other: canonicalize is
// idempotent and gives the same answer from the normal form.
func FuzzCanonicalize(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n := Normalize(data)
		c := Canonicalize(data)
		for _, r := range []Result{n, c} {
			if r.OK() == (r.Error != nil) || r.OK() && r.Object == nil {
				t.Fatalf("inconsistent Result for %q: %+v", data, r)
			}
			if !json.Valid(r.Envelope()) {
				t.Fatalf("envelope of %q is not JSON: %s", data, r.Envelope())
			}
			if r.Error != nil {
				if e := ValidateObject(r.Error, Z5); e != nil {
					t.Fatalf("error for %q is not a valid Z5: %s: %s", data, r.Error, e)
				}
			}
		}
		if !c.OK() {
			return
		}
		if !n.OK() {
			t.Fatalf("Canonicalize accepted %q but Normalize did not: %s", data, n.Error)
		}
		again := Canonicalize(c.JSON)
		if !again.OK() || !bytes.Equal(again.JSON, c.JSON) {
			t.Fatalf("Canonicalize is not idempotent on %q: %s then %s (%v)", data, c.JSON, again.JSON, again.Error)
		}
		fromNormal := Canonicalize(n.JSON)
		if !fromNormal.OK() || !bytes.Equal(fromNormal.JSON, c.JSON) {
			t.Fatalf("Canonicalize(Normalize(%q)) = %s (%v), want %s", data, fromNormal.JSON, fromNormal.Error, c.JSON)
		}
		// Not Normalize(Canonicalize(x)) == Normalize(x): canonical form loses a literal Z4
		// used as a list's type, as upstream's does.
		if nn := Normalize(c.JSON); !nn.OK() {
			t.Fatalf("Normalize(Canonicalize(%q)) failed: %s", data, nn.Error)
		}
	})
}

// FuzzParseDirect checks that Parse's direct path builds exactly what the general path (the
// node tree, then build) builds, whenever it takes an input.
func FuzzParseDirect(f *testing.F) {
	fuzzSeeds(f)
	for _, s := range []string{
		`{"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": "Z6", "Z6K1": "W1234"}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}`,
		`{"Z1K1":"Z6","Z6K1":{"Z1K1":"Z6","Z6K1":"x"}}`, `{"Z1K1":"Z9","Z9K1":"Q42"}`, `{"Z1K1":"Z6","Z6K1":"Q42"}`,
		`{"Z1K1":"Z6","Z9K1":"x"}`, `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z6"},"Z6K1":"x"}`, `{"Z6K1":"x","Z1K1":"Z6"}`,
		`["Z6"]`, `[["Z1"],[]]`, `{}`, `{"a":{}}`, `{"a":"b","a":"c"}`, `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}}`,
		`{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":"Z881","Z881K1":"Z6"},"K1":"a","K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}}}`,
		`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6"},"K1":"a"}`, `"a\"b\u00e9"`, ` "x" `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		direct, ok := parseDirect(data)
		if !ok {
			return
		}
		n, err := decodeJSON(data)
		if err != nil {
			t.Fatalf("parseDirect(%q) took what the decoder rejects: %v", data, err)
		}
		general, err := buildTop(n)
		if err != nil {
			t.Fatalf("parseDirect(%q) took what build rejects: %v", data, err)
		}
		if !sameTree(direct, general) {
			t.Fatalf("parseDirect(%q) = %s, the general path %s", data, direct, general)
		}
	})
}

// sameTree reports whether a and b are built alike: the same kinds, texts, keys in the same
// order, items and item types (Equal would let a list equal a record in cons form).
func sameTree(a, b *Object) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.kind != b.kind || a.text != b.text || len(a.keys) != len(b.keys) || len(a.vals) != len(b.vals) ||
		(a.index == nil) != (b.index == nil) || !sameTree(a.itemType, b.itemType) {
		return false
	}
	for i := range a.keys {
		if a.keys[i] != b.keys[i] {
			return false
		}
	}
	for i := range a.vals {
		if !sameTree(a.vals[i], b.vals[i]) {
			return false
		}
	}
	return true
}

// TestParseDirectTakes checks that the direct path takes what kernels answer and canonical
// objects (FuzzParseDirect checks what it builds).
func TestParseDirectTakes(t *testing.T) {
	for _, s := range []string{
		`{"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": "Z6", "Z6K1": "W1234"}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}`,
		`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":["Z6","a","b"]}`,
	} {
		if _, ok := parseDirect([]byte(s)); !ok {
			t.Errorf("parseDirect(%s) gave up", s)
		}
	}
}
