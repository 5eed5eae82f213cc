package orchestrator

import (
	"os"
	"path/filepath"
	"testing"

	z "github.com/zeval/zeval/internal/zobject"
)

// english label of a Z12, for comparisons.
func englishLabel(z12 *z.Object) string {
	for _, m := range listItems(z12.Get("Z12K1")) {
		if m.Get("Z11K1").Is(english) {
			return text(m.Get("Z11K2"))
		}
	}
	return ""
}

// TestDefinitionsMatchSchemata checks our built-in definitions against function-schemata's
// data/definitions: the same keys, key types and validators for types; the same arguments,
// return type and implementations for functions; the same built-in for implementations.
func TestDefinitionsMatchSchemata(t *testing.T) {
	dir := corpusPath(t, "schemata", "definitions")
	defs := NewDefinitions()
	zids := defs.ZIDs()
	if len(zids) < 80 {
		t.Fatalf("only %d built-in definitions", len(zids))
	}
	for _, zid := range zids {
		t.Run(zid, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, zid+".json"))
			if err != nil {
				t.Fatalf("no upstream definition: %v", err)
			}
			up := z.MustParse(string(data))
			ours := defs.Get(zid)
			if got, want := text(ours.Get("Z2K1")), text(up.Get("Z2K1")); got != want {
				t.Errorf("Z2K1 = %s, want %s", got, want)
			}
			if got, want := englishLabel(ours.Get("Z2K3")), englishLabel(up.Get("Z2K3")); got != want {
				t.Errorf("label = %q, want %q", got, want)
			}
			o, u := ours.Get("Z2K2"), up.Get("Z2K2")
			switch {
			case u.Type().Is(z.Z4):
				// The Z4 itself appears in results, so it must be the same object.
				if !z.Equal(o, u) {
					t.Errorf("type = %s\nwant %s", o, u)
				}
			case u.Type().Is(z.Z8):
				oa, ua := listItems(o.Get("Z8K1")), listItems(u.Get("Z8K1"))
				if len(oa) != len(ua) {
					t.Fatalf("%d arguments, want %d", len(oa), len(ua))
				}
				for i := range oa {
					if !z.Equal(oa[i].Get("Z17K1"), ua[i].Get("Z17K1")) || text(oa[i].Get("Z17K2")) != text(ua[i].Get("Z17K2")) ||
						englishLabel(oa[i].Get("Z17K3")) != englishLabel(ua[i].Get("Z17K3")) {
						t.Errorf("argument %d = %s, want %s", i, oa[i], ua[i])
					}
				}
				for _, k := range []string{"Z8K2", "Z8K4", "Z8K5"} {
					if !z.Equal(o.Get(k), u.Get(k)) {
						t.Errorf("%s = %s, want %s", k, o.Get(k), u.Get(k))
					}
				}
			default:
				if !z.Equal(o, u) {
					t.Errorf("value = %s\nwant %s", o, u)
				}
			}
		})
	}
}
