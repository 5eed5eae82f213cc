package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestParseZ2(t *testing.T) {
	const canonEcho = `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z801"},"Z2K2":{"Z1K1":"Z8","Z8K2":"Z1"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Echo"}]}}`
	tests := []struct {
		name      string
		zid       string
		in        string
		wantZID   string
		wantType  string
		wantCanon string // when not empty
	}{
		{name: "canonical", in: canonEcho, wantZID: "Z801", wantType: "Z8", wantCanon: canonEcho},
		{
			name:      "keys in any order, spaces",
			in:        ` { "Z2K3": {"Z12K1":["Z11",{"Z11K2":"Echo","Z11K1":"Z1002","Z1K1":"Z11"}],"Z1K1":"Z12"}, "Z2K2": {"Z8K2":"Z1","Z1K1":"Z8"}, "Z2K1": {"Z6K1":"Z801","Z1K1":"Z6"}, "Z1K1": "Z2" } `,
			wantZID:   "Z801",
			wantType:  "Z8",
			wantCanon: canonEcho,
		},
		{
			name:      "Z2K1 as a bare string",
			in:        `{"Z1K1":"Z2","Z2K1":"Z801","Z2K2":{"Z1K1":"Z8","Z8K2":"Z1"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Echo"}]}}`,
			wantZID:   "Z801",
			wantType:  "Z8",
			wantCanon: canonEcho,
		},
		{
			name:      "Z2K1 as a Z9 record",
			in:        `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z9","Z9K1":"Z801"},"Z2K2":{"Z1K1":"Z8","Z8K2":"Z1"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Echo"}]}}`,
			wantZID:   "Z801",
			wantType:  "Z8",
			wantCanon: canonEcho,
		},
		{
			name:      "placeholder Z0 takes the given ZID",
			zid:       "Z801",
			in:        `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z0"},"Z2K2":{"Z1K1":"Z8","Z8K2":"Z1"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Echo"}]}}`,
			wantZID:   "Z801",
			wantType:  "Z8",
			wantCanon: canonEcho,
		},
		{
			name:      "missing Z2K1 takes the given ZID",
			zid:       "Z801",
			in:        `{"Z1K1":"Z2","Z2K2":{"Z1K1":"Z8","Z8K2":"Z1"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Echo"}]}}`,
			wantZID:   "Z801",
			wantType:  "Z8",
			wantCanon: canonEcho,
		},
		{name: "list value", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":["Z1"]}`, wantZID: "Z13", wantType: "Z881"},
		{name: "string value", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"hello"}`, wantZID: "Z13", wantType: "Z6"},
		{name: "reference value", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"Z41"}`, wantZID: "Z13", wantType: "Z9"},
		{
			name:     "value typed by a function call",
			in:       `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z6"},"K1":"a","K2":"b"}}`,
			wantZID:  "Z13",
			wantType: "Z882",
		},
		{
			name:      "control characters and unicode are kept",
			in:        `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"tab\there \"q\" \\ \u0001 é 日本 <&>"}`,
			wantZID:   "Z13",
			wantType:  "Z6",
			wantCanon: `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z13"},"Z2K2":"tab\there \"q\" \\ \u0001 é 日本 <&>"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := ParseZ2([]byte(tc.in), tc.zid)
			if err != nil {
				t.Fatalf("ParseZ2 = %v, want no error", err)
			}
			if env.ZID != tc.wantZID || env.Type != tc.wantType {
				t.Errorf("ParseZ2 = ZID %s type %q, want %s %q", env.ZID, env.Type, tc.wantZID, tc.wantType)
			}
			if tc.wantCanon != "" && string(env.Canonical) != tc.wantCanon {
				t.Errorf("canonical =\n%s\nwant\n%s", env.Canonical, tc.wantCanon)
			}
			var a, b any
			if err := json.Unmarshal([]byte(tc.in), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(env.Canonical, &b); err != nil {
				t.Fatalf("canonical bytes are not JSON: %v", err)
			}
			again, err := ParseZ2(env.Canonical, "")
			if err != nil || string(again.Canonical) != string(env.Canonical) {
				t.Errorf("ParseZ2(canonical) = %s, %v; want the same bytes", again.Canonical, err)
			}
		})
	}
}

func TestParseZ2Rejects(t *testing.T) {
	const labels = `"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}`
	tests := []struct {
		name      string
		zid       string
		in        string
		malformed bool   // ErrMalformed rather than ErrInvalid
		want      string // in the message
	}{
		{name: "empty", in: ``, malformed: true, want: "unexpected end"},
		{name: "not JSON", in: `{"Z1K1": Z2}`, malformed: true, want: "invalid character"},
		{name: "truncated", in: `{"Z1K1":"Z2","Z2K2":{"Z1K1":"Z8"`, malformed: true, want: "unexpected end"},
		{name: "trailing data", in: `{"Z1K1":"Z2","Z2K1":"Z1","Z2K2":"x"} {}`, malformed: true, want: "after the top-level value"},
		{name: "invalid UTF-8", in: "{\"Z1K1\":\"Z2\",\"Z2K1\":\"Z1\",\"Z2K2\":\"\xff\"}", malformed: true, want: "invalid UTF-8"},
		{name: "number", in: `{"Z1K1":"Z2","Z2K1":"Z1","Z2K2":{"Z1K1":"Z6","Z6K1":12}}`, want: "Z2K2.Z6K1: number 12"},
		{name: "boolean", in: `{"Z1K1":"Z2","Z2K1":"Z1","Z2K2":["Z1",true]}`, want: "Z2K2[1]: boolean true"},
		{name: "null", in: `{"Z1K1":"Z2","Z2K1":"Z1","Z2K2":null}`, want: "Z2K2: null"},
		{name: "duplicate key", in: `{"Z1K1":"Z2","Z2K1":"Z1","Z2K2":"a","Z2K2":"b"}`, want: "Z2K2: duplicate key"},
		{name: "top-level list", in: `["Z2"]`, want: "must be a record"},
		{name: "not a Z2", in: `{"Z1K1":"Z8","Z2K1":"Z1","Z2K2":"x"}`, want: `Z1K1: a persistent object has type Z2, not "Z8"`},
		{name: "no type", in: `{"Z2K1":"Z1","Z2K2":"x"}`, want: "type Z2, not nothing"},
		{name: "bad ZID", in: `{"Z1K1":"Z2","Z2K1":"Z01","Z2K2":"x"}`, want: `"Z01" is not a ZID`},
		{name: "ZID too long", in: `{"Z1K1":"Z2","Z2K1":"Z12345678901234567890","Z2K2":"x"}`, want: "is not a ZID"},
		{name: "ZID record without Z6K1", in: `{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6"},"Z2K2":"x"}`, want: "the ZID must be a string"},
		{name: "ZID list", in: `{"Z1K1":"Z2","Z2K1":["Z6"],"Z2K2":"x"}`, want: "not a list"},
		{name: "no ZID anywhere", in: `{"Z1K1":"Z2","Z2K2":"x"}`, want: "no ZID"},
		{name: "ZID mismatch", zid: "Z12", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x"}`, want: "says it is Z13, but it is being stored as Z12"},
		{name: "given ZID bad", zid: "Q12", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x"}`, want: `"Q12" is not a ZID`},
		{name: "no value", in: `{"Z1K1":"Z2","Z2K1":"Z13",` + labels + `}`, want: "needs a value"},
		{name: "labels not Z12", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K3":"label"}`, want: "Z2K3: must be a Z12"},
		{name: "labels list missing", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K3":{"Z1K1":"Z12"}}`, want: "Z2K3.Z12K1: must be a typed list"},
		{name: "label not Z11", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K3":{"Z1K1":"Z12","Z12K1":["Z11","x"]}}`, want: "Z2K3.Z12K1[1]: must be a Z11"},
		{name: "label language", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"en","Z11K2":"x"}]}}`, want: "Z11K1: the language must be a reference"},
		{name: "label text", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":["Z6"]}]}}`, want: "Z11K2: the text must be a string"},
		{name: "aliases not Z32", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K4":{"Z1K1":"Z12"}}`, want: "Z2K4: must be a Z32"},
		{name: "alias not a string", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K4":{"Z1K1":"Z32","Z32K1":["Z31",{"Z1K1":"Z31","Z31K1":"Z1002","Z31K2":["Z6",["Z6"]]}]}}`, want: "Z2K4.Z32K1[1].Z31K2[1]: an alias must be a string"},
		{name: "description not Z12", in: `{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"x","Z2K5":"d"}`, want: "Z2K5: must be a Z12"},
		{name: "too deep", in: strings.Repeat("[", maxDepth+5) + strings.Repeat("]", maxDepth+5), want: "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := ParseZ2([]byte(tc.in), tc.zid)
			if err == nil {
				t.Fatalf("ParseZ2(%.60q) = %s, want an error", tc.in, env.Canonical)
			}
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseZ2 error %T %v, want *InvalidError", err, err)
			}
			if got := errors.Is(err, ErrMalformed); got != tc.malformed {
				t.Errorf("errors.Is(%v, ErrMalformed) = %v, want %v", err, got, tc.malformed)
			}
			if got := errors.Is(err, ErrInvalid); got == tc.malformed {
				t.Errorf("errors.Is(%v, ErrInvalid) = %v, want %v", err, got, !tc.malformed)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseZ2 error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestEnvelopeIndexes(t *testing.T) {
	in := `{"Z1K1":"Z2","Z2K1":"Z801","Z2K2":{"Z1K1":"Z8","Z8K2":"Z1","Z8K3":["Z20","Z8010","Z8011"],"Z8K4":["Z14","Z901"],"Z8K5":"Z801","Z8K6":"not a zid"},
		"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Echo"},{"Z1K1":"Z11","Z11K1":"Z1430","Z11K2":{"Z1K1":"Z6","Z6K1":"Eco"}}]},
		"Z2K4":{"Z1K1":"Z32","Z32K1":["Z31",{"Z1K1":"Z31","Z31K1":"Z1002","Z31K2":["Z6","Identity","Print"]}]}}`
	env, err := ParseZ2([]byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := []Label{
		{Language: "Z1002", Text: "Echo"},
		{Language: "Z1430", Text: "Eco"},
		{Language: "Z1002", Text: "Identity", Alias: true},
		{Language: "Z1002", Text: "Print", Alias: true},
	}
	if !reflect.DeepEqual(env.Labels, wantLabels) {
		t.Errorf("Labels = %+v, want %+v", env.Labels, wantLabels)
	}
	wantRefs := []Ref{{"Z8K2", "Z1"}, {"Z8K3", "Z8010"}, {"Z8K3", "Z8011"}, {"Z8K4", "Z901"}, {"Z8K5", "Z801"}, {"Z8K6", "not a zid"}}
	if !reflect.DeepEqual(env.Refs, wantRefs) {
		t.Errorf("Refs = %+v, want %+v", env.Refs, wantRefs)
	}
}

func TestKeyOrder(t *testing.T) {
	keys := []string{"b", "K10", "Z2K1", "Z10K1", "K2", "Z1K1", "Z2K10", "Z2K2", "K1", "a", "Z1K2", "Zx", "Z01K1", "Z11K1"}
	want := []string{"Z1K1", "Z1K2", "Z2K1", "Z2K2", "Z2K10", "Z10K1", "Z11K1", "K1", "K2", "K10", "Z01K1", "Zx", "a", "b"}
	got := append([]string(nil), keys...)
	sort.Slice(got, func(i, j int) bool { return keyLess(got[i], got[j]) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sorted keys = %v, want %v", got, want)
	}
	// keyLess must be a strict order: irreflexive and asymmetric.
	for _, a := range keys {
		if keyLess(a, a) {
			t.Errorf("keyLess(%q, %q) = true", a, a)
		}
		for _, b := range keys {
			if a != b && keyLess(a, b) == keyLess(b, a) {
				t.Errorf("keyLess(%q, %q) == keyLess(%q, %q)", a, b, b, a)
			}
		}
	}
}

// TestPrettyDefinitions checks that re-indenting the canonical form of every definition file
// gives the file back: the export layout is the upstream one. Z1884.json is hand-formatted
// upstream (one list on one line) and is compared as canonical JSON only.
func TestPrettyDefinitions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(definitionsDir, ImportPattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no definitions in %s: %v", definitionsDir, err)
	}
	identical := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		env, err := ParseZ2(raw, "")
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		pretty, err := Pretty(env.Canonical)
		if err != nil {
			t.Fatalf("Pretty(%s) = %v", filepath.Base(f), err)
		}
		if string(pretty) == string(raw) {
			identical++
			continue
		}
		back, err := ParseZ2(pretty, "")
		if err != nil || string(back.Canonical) != string(env.Canonical) {
			t.Errorf("%s: Pretty changed the object", filepath.Base(f))
		}
		if filepath.Base(f) != "Z1884.json" {
			t.Errorf("%s: Pretty(canonical) differs from the file", filepath.Base(f))
		}
	}
	t.Logf("%d of %d definition files re-indent byte for byte", identical, len(files))
}

// FuzzParseZ2 feeds arbitrary bodies to the Z2 decoder: it must never panic, and what it
// accepts must come back unchanged when parsed again.
func FuzzParseZ2(f *testing.F) {
	for _, s := range []string{
		`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z801"},"Z2K2":{"Z1K1":"Z8","Z8K2":"Z1"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11",{"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"Echo"}]}}`,
		`{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":["Z1"],"Z2K4":{"Z1K1":"Z32","Z32K1":["Z31",{"Z1K1":"Z31","Z31K1":"Z1002","Z31K2":["Z6","a"]}]}}`,
		`{"Z1K1":"Z2","Z2K1":"Z13","Z2K2":"\u0000\t\"é"}`,
		`{"Z1K1":"Z2","Z2K2":1}`,
		`[[[[`,
		``,
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "Z13")
	}
	f.Fuzz(func(t *testing.T, body []byte, zid string) {
		env, err := ParseZ2(body, zid)
		if err != nil {
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseZ2 error %T, want *InvalidError", err)
			}
			return
		}
		if !IsZID(env.ZID) || (zid != "" && env.ZID != zid) {
			t.Fatalf("ParseZ2 ZID = %q (given %q)", env.ZID, zid)
		}
		again, err := ParseZ2(env.Canonical, "")
		if err != nil {
			t.Fatalf("ParseZ2(canonical %q) = %v", env.Canonical, err)
		}
		if string(again.Canonical) != string(env.Canonical) {
			t.Fatalf("canonical form not stable:\n%s\n%s", env.Canonical, again.Canonical)
		}
		pretty, err := Pretty(env.Canonical)
		if err != nil {
			t.Fatalf("Pretty = %v", err)
		}
		back, err := ParseZ2(pretty, "")
		if err != nil || string(back.Canonical) != string(env.Canonical) {
			t.Fatalf("Pretty changed the object: %v", err)
		}
	})
}
