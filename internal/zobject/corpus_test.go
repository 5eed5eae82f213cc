package zobject

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestCorpusCanonicalRoundTrip parses every object the orchestrator corpus holds (expected
// results, expected errors, wiki objects), checks that expected results written back in
// canonical form give the same JSON, that normal → Parse gives the same object, and that the
// wiki objects are well-formed.
func TestCorpusCanonicalRoundTrip(t *testing.T) {
	path := filepath.Join(schemataDir, "..", "orchestrator", "public_cases.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("conformance data missing: %v", err)
	}
	var file struct {
		Cases []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Input  json.RawMessage
			Expect struct {
				Result         json.RawMessage `json:"result"`
				ExpectedForm   string          `json:"expected_form"`
				ErrorValue     json.RawMessage `json:"error_value"`
				ErrorValueForm string          `json:"error_value_form"`
			} `json:"expect"`
			WikiObjects map[string]json.RawMessage `json:"wiki_objects"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	checked := 0
	// exact: raw is already in the canonical form upstream's canonicalize writes (results
	// are); wiki objects sometimes spell key strings out, so for them only the round trip
	// through the normal form is checked.
	check := func(t *testing.T, what string, raw json.RawMessage, exact bool) {
		t.Helper()
		if len(raw) == 0 || string(raw) == "null" {
			return
		}
		checked++
		o, err := Parse(raw)
		if err != nil {
			t.Errorf("%s: Parse(%s) = %v", what, raw, err)
			return
		}
		if got := o.CanonicalJSON(); exact && !jsonEqual(got, raw) {
			t.Errorf("%s: CanonicalJSON(Parse(x)) = %s, want %s", what, got, raw)
		}
		back, err := Parse(o.NormalJSON())
		if err != nil || !Equal(back, o) {
			t.Errorf("%s: Parse(NormalJSON(x)) = %v, %v; want x", what, back, err)
		}
	}
	for _, c := range file.Cases {
		t.Run(c.ID, func(t *testing.T) {
			if c.Expect.ExpectedForm == "canonical" {
				check(t, "expect.result", c.Expect.Result, true)
			}
			if c.Expect.ErrorValueForm == "canonical" {
				check(t, "expect.error_value", c.Expect.ErrorValue, true)
			}
			for zid, w := range c.WikiObjects {
				var text string
				if json.Unmarshal(w, &text) == nil {
					w = json.RawMessage(text)
				}
				check(t, "wiki_objects."+zid, w, false)
				// Test fixtures often lack Z2K3, so only well-formedness is required.
				if r := Normalize(w); !r.OK() {
					t.Errorf("wiki_objects.%s: Normalize = %s", zid, r.Error)
				}
			}
			if _, e := Decode(c.Input); e != nil {
				t.Logf("input does not decode (may be on purpose): %s", e)
			}
		})
	}
	t.Logf("%d canonical objects round-trip", checked)
}

// TestCorpusNormalRoundTrip parses the normal-form function calls the evaluator corpus sends
// (request_z7.zobject) and the results it expects, and checks that NormalJSON writes the
// strictly normal ones back unchanged and is a fixed point for all of them.
func TestCorpusNormalRoundTrip(t *testing.T) {
	path := filepath.Join(schemataDir, "..", "evaluator", "public_cases.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("conformance data missing: %v", err)
	}
	var file struct {
		Cases []struct {
			ID       string `json:"id"`
			RequestZ struct {
				ZObject json.RawMessage `json:"zobject"`
			} `json:"request_z7"`
			Expected struct {
				Kind string          `json:"kind"`
				Z22  json.RawMessage `json:"z22"`
			} `json:"expected"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, c := range file.Cases {
		t.Run(c.ID, func(t *testing.T) {
			for _, raw := range []json.RawMessage{c.RequestZ.ZObject, c.Expected.Z22} {
				if len(raw) == 0 || string(raw) == "null" {
					continue
				}
				checked++
				o, err := Parse(raw)
				if err != nil {
					t.Fatalf("Parse(%s) = %v", raw, err)
				}
				normal := o.NormalJSON()
				// Some corpus objects are deliberately malformed, and some mix in canonical
				// bits ("Z1K1":"Z12"); the strictly normal ones must come back unchanged.
				if Validate(raw, Normal, Z1) == nil && !jsonEqual(normal, raw) {
					t.Errorf("NormalJSON(Parse(x)) = %s, want %s", normal, raw)
				}
				again, err := Parse(normal)
				if err != nil || !Equal(again, o) || !jsonEqual(again.NormalJSON(), normal) {
					t.Errorf("NormalJSON is not a fixed point for %s: %s", raw, normal)
				}
			}
		})
	}
	t.Logf("%d normal objects round-trip", checked)
}
