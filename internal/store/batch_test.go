package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// failures lists a *BatchError's documents as "index name".
func failures(t *testing.T, err error) []string {
	t.Helper()
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("error = %v, want a *BatchError", err)
	}
	var out []string
	for _, f := range be.Failed {
		out = append(out, fmt.Sprintf("%d %s", f.Index, f.Name))
	}
	return out
}

// TestPutBatchBaseRevisions: each document's base revision is checked, every conflict is
// reported by index and name, and a batch with one conflict writes nothing.
func TestPutBatchBaseRevisions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		s := open(t)
		if _, err := s.PutBatch(ctx, []Doc{{Data: z2("Z10", `"a"`)}, {Data: z2("Z11", `"a"`)}}, Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, s)
		_, err := s.PutBatch(ctx, []Doc{
			{Name: "ten", Data: z2("Z10", `"b"`), BaseRevision: 1},    // fine
			{Name: "eleven", Data: z2("Z11", `"b"`), BaseRevision: 2}, // at 1
			{Name: "twelve", Data: z2("Z12", `"b"`), BaseRevision: -1},
			{Name: "ten again", ZID: "Z13", Data: z2("Z13", `"b"`), BaseRevision: 3}, // does not exist
		}, Edit{Author: "a"})
		if got, want := failures(t, err), []string{"1 eleven", "3 ten again"}; !reflect.DeepEqual(got, want) {
			t.Errorf("failures = %v, want %v", got, want)
		}
		if !errors.Is(err, ErrConflict) {
			t.Errorf("error %v does not unwrap to ErrConflict", err)
		}
		if after := snapshot(t, s); after != before {
			t.Errorf("a batch with conflicts changed the store")
		}
		// A base revision the batch's Edit gives is overridden by the document's.
		res, err := s.PutBatch(ctx, []Doc{
			{Data: z2("Z10", `"b"`), BaseRevision: 1},
			{Data: z2("Z12", `"b"`), BaseRevision: -1},
		}, Edit{Author: "a", BaseRevision: 7})
		if err != nil || res.Updated != 1 || res.Created != 1 {
			t.Fatalf("PutBatch(matching bases) = %+v, %v", res, err)
		}
		if _, err := s.PutBatch(ctx, []Doc{{Name: "bad", Data: z2("Z10", `"c"`), BaseRevision: -2}}, Edit{Author: "a"}); !errors.Is(err, ErrBadEdit) {
			t.Errorf("PutBatch(base -2) = %v, want ErrBadEdit", err)
		}
	})
}

// TestPutBatchDryRun: a dry run answers what the batch would do, or its failures, and writes
// nothing.
func TestPutBatchDryRun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		s := open(t)
		if _, err := s.Put(ctx, "", z2("Z10", `"a"`, "Z1002:ten"), Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, s)
		docs := []Doc{{Data: z2("Z10", `"a"`, "Z1002:ten")}, {Data: z2("Z11", `"b"`)}, {Data: z2("Z12", `"c"`, "Z1002:ten")}}
		dry, err := s.PutBatch(ctx, docs, Edit{Author: "a"}, DryRun())
		if err != nil || dry.Unchanged != 1 || dry.Created != 2 || len(dry.Results) != 3 {
			t.Fatalf("PutBatch(dry run) = %+v, %v", dry, err)
		}
		if after := snapshot(t, s); after != before {
			t.Fatalf("a dry run changed the store")
		}
		// Label clashes and conflicts are found by a dry run too.
		_, err = s.PutBatch(ctx, docs, Edit{Author: "a"}, DryRun(), UniqueLabels())
		if got, want := failures(t, err), []string{"2 "}; !reflect.DeepEqual(got, want) {
			t.Errorf("dry run failures = %v, want %v", got, want)
		}
		var lc *LabelClashError
		if !errors.As(err, &lc) || lc.Other != "Z10" {
			t.Errorf("dry run error = %v, want a clash with Z10", err)
		}
		if after := snapshot(t, s); after != before {
			t.Fatalf("a failed dry run changed the store")
		}
		// The real batch does what the dry run said.
		res, err := s.PutBatch(ctx, docs, Edit{Author: "a"})
		if err != nil || res.Created != dry.Created || res.Unchanged != dry.Unchanged {
			t.Errorf("PutBatch = %+v, %v; the dry run said %+v", res, err, dry)
		}
		for i := range res.Results {
			if res.Results[i].Revision.Revision != dry.Results[i].Revision.Revision || res.Results[i].ZID != dry.Results[i].ZID {
				t.Errorf("result %d = %+v, the dry run said %+v", i, res.Results[i], dry.Results[i])
			}
		}
	})
}

// TestPutBatchUniqueLabels: the option keeps labels unique in one batch of a store that does
// not otherwise.
func TestPutBatchUniqueLabels(t *testing.T) {
	ctx := context.Background()
	s := openMemory(t)
	docs := []Doc{{Name: "a", Data: z2("Z10", `"a"`, "Z1002:same")}, {Name: "b", Data: z2("Z11", `"b"`, "Z1002:same")}}
	if _, err := s.PutBatch(ctx, docs, Edit{Author: "a"}, UniqueLabels()); err == nil {
		t.Error("PutBatch(UniqueLabels, one label twice) = nil error")
	}
	if g, _ := s.Generation(ctx); g != 0 {
		t.Errorf("a refused batch wrote (generation %d)", g)
	}
	if _, err := s.PutBatch(ctx, docs, Edit{Author: "a"}); err != nil {
		t.Errorf("PutBatch(without the option) = %v", err)
	}
}

// TestSnapshot: a snapshot sees the store as it was when it began, counts what it visits,
// and stops at the callback's error.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	s := openFile(t)
	if _, err := s.PutBatch(ctx, []Doc{
		{Data: z2("Z100", `"a"`)}, {Data: z2("Z9", `{"Z1K1":"Z8","Z8K2":"Z6"}`)}, {Data: z2("Z20", `"c"`)},
	}, Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	gen, _ := s.Generation(ctx)
	// A write after the snapshot began is not seen by it.
	if _, err := s.Put(ctx, "", z2("Z1", `"late"`), Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "", z2("Z20", `"changed"`), Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	if g, err := snap.Generation(ctx); err != nil || g != gen {
		t.Errorf("snapshot Generation = %d, %v; want %d", g, err, gen)
	}
	for typ, want := range map[string]int{"": 3, "Z8": 1, "Z6": 2, "Z40": 0} {
		if n, err := snap.Count(ctx, typ); err != nil || n != want {
			t.Errorf("Count(%q) = %d, %v; want %d", typ, n, err, want)
		}
	}
	var got []string
	err = snap.Each(ctx, "", func(o Object) error {
		got = append(got, o.ZID+":"+string(o.Data[len(o.Data)-30:]))
		if !o.Latest || o.Revision.Revision != 1 || o.Author != "a" || o.Time.IsZero() {
			t.Errorf("Each gave %+v", o.Revision)
		}
		return nil
	})
	if err != nil || len(got) != 3 || !strings.HasPrefix(got[0], "Z9:") || !strings.HasPrefix(got[1], "Z20:") || strings.Contains(got[1], "changed") {
		t.Errorf("Each = %v, %v; want Z9, Z20 (as it was), Z100", got, err)
	}
	stop := errors.New("stop")
	n := 0
	if err := snap.Each(ctx, "", func(Object) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Each with a failing callback = %v after %d calls, want stop after 1", err, n)
	}
}

func TestExportFile(t *testing.T) {
	dir := t.TempDir()
	data := z2("Z10", `"a"`)
	for _, zid := range []string{"../Z10", "Z10/x", "", "README"} {
		if _, err := ExportFile(dir, zid, data); err == nil {
			t.Errorf("ExportFile(%q) = nil error", zid)
		}
	}
	if _, err := ExportFile(dir, "Z10", []byte(`{"Z1K1":`)); err == nil {
		t.Error("ExportFile(malformed) = nil error")
	}
	if w, err := ExportFile(dir, "Z10", data); err != nil || !w {
		t.Errorf("ExportFile = %v, %v; want written", w, err)
	}
	if w, err := ExportFile(dir, "Z10", data); err != nil || w {
		t.Errorf("ExportFile(again) = %v, %v; want unchanged", w, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("dir holds %d entries, want Z10.json", len(entries))
	}
	if _, err := os.Stat(filepath.Join(dir, "Z10.json")); err != nil {
		t.Error(err)
	}
}
