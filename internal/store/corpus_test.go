package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// wikiObjectRejects are the fake wiki objects of the public orchestrator cases that a store
// must refuse: the upstream fake wiki serves them under a ZID they do not have, or serves a
// value that is not a persistent object at all. A conformance test has to serve these cases
// from something other than a store.
var wikiObjectRejects = map[string]string{
	"orch-040/Z88404":  "the object says it is Z88403, but it is being stored as Z88404",
	"orch-062/Z100005": "the object says it is Z40003, but it is being stored as Z100005",
	"orch-065/Z20015":  `a persistent object has type Z2, not "Z4"`,
}

// TestOrchestratorWikiObjects stores the fake wiki objects of every public orchestrator case
// (what the conformance test loads into a temporary store) and reads each back.
func TestOrchestratorWikiObjects(t *testing.T) {
	raw, err := os.ReadFile("../../../shared/conformance/wikifunctions/orchestrator/public_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			ID          string                     `json:"id"`
			WikiObjects map[string]json.RawMessage `json:"wiki_objects"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stored, rejected := 0, 0
	for _, c := range file.Cases {
		if len(c.WikiObjects) == 0 {
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			s := openMemory(t)
			zids := make([]string, 0, len(c.WikiObjects))
			for zid := range c.WikiObjects {
				zids = append(zids, zid)
			}
			sort.Strings(zids)
			var docs []Doc
			for _, zid := range zids {
				want, reject := wikiObjectRejects[c.ID+"/"+zid]
				if !reject {
					docs = append(docs, Doc{Name: zid, ZID: zid, Data: c.WikiObjects[zid]})
					continue
				}
				if _, err := s.Put(ctx, zid, c.WikiObjects[zid], Edit{Author: "conformance"}); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Put(%s) = %v, want an error saying %q", zid, err, want)
				}
				rejected++
			}
			res, err := s.PutBatch(ctx, docs, Edit{Author: "conformance"})
			if err != nil {
				t.Fatalf("PutBatch = %v", err)
			}
			if res.Created != len(docs) {
				t.Errorf("PutBatch created %d, want %d", res.Created, len(docs))
			}
			for _, d := range docs {
				zid := d.ZID
				got, err := s.Fetch(ctx, zid)
				if err != nil {
					t.Errorf("Fetch(%s) = %v", zid, err)
					continue
				}
				var a, b any
				if json.Unmarshal(got, &a) != nil || json.Unmarshal(c.WikiObjects[zid], &b) != nil {
					t.Fatalf("%s: not JSON", zid)
				}
				// Only Z2K1 may change: to its Z6 form.
				b.(map[string]any)["Z2K1"] = map[string]any{"Z1K1": "Z6", "Z6K1": zid}
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Errorf("Fetch(%s) = %s, want the object as given", zid, got)
				}
			}
			stored += len(docs)
		})
	}
	if rejected != len(wikiObjectRejects) {
		t.Errorf("refused %d wiki objects, want the %d known ones", rejected, len(wikiObjectRejects))
	}
	t.Logf("stored and read back %d wiki objects, refused %d", stored, rejected)
}
