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
