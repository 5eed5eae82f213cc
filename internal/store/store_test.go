package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// definitionsDir is the Wikifunctions definitions folder of the conformance corpus.
const definitionsDir = "../../../shared/conformance/wikifunctions/schemata/definitions"

// z2 builds a Z2 with value (JSON) and labels given as "Z1002:text" (aliases as "Z1002~text").
func z2(zid, value string, labels ...string) []byte {
	var l, a []string
	for _, s := range labels {
		if lang, text, ok := strings.Cut(s, ":"); ok {
			l = append(l, fmt.Sprintf(`{"Z1K1":"Z11","Z11K1":%q,"Z11K2":%q}`, lang, text))
		} else if lang, text, ok := strings.Cut(s, "~"); ok {
			a = append(a, fmt.Sprintf(`{"Z1K1":"Z31","Z31K1":%q,"Z31K2":["Z6",%q]}`, lang, text))
		}
	}
	out := fmt.Sprintf(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":%q},"Z2K2":%s,"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"%s]}`,
		zid, value, prefixComma(l))
	if len(a) > 0 {
		out += fmt.Sprintf(`,"Z2K4":{"Z1K1":"Z32","Z32K1":["Z31"%s]}`, prefixComma(a))
	}
	return []byte(out + "}")
}

func prefixComma(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return "," + strings.Join(items, ",")
}

// canonical returns the canonical bytes of a Z2 for comparisons.
func canonical(t *testing.T, raw []byte) []byte {
	t.Helper()
	env, err := ParseZ2(raw, "")
	if err != nil {
		t.Fatalf("ParseZ2(%s) = %v", raw, err)
	}
	return env.Canonical
}

type backend struct {
	name string
	open func(t *testing.T, opts ...Option) *Store
}

func openFile(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "zeval.db"), opts...)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openMemory(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), Memory, opts...)
	if err != nil {
		t.Fatalf("Open(Memory) = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachBackend runs the same test against a file store and an in-memory store.
func forEachBackend(t *testing.T, f func(t *testing.T, open func(t *testing.T, opts ...Option) *Store)) {
	for _, b := range []backend{{"file", openFile}, {"memory", openMemory}} {
		t.Run(b.name, func(t *testing.T) { f(t, b.open) })
	}
}

// snapshot renders every row of every table, to check that a failed write changed nothing.
func snapshot(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"revisions", "objects", "labels", "refs"} {
		rows, err := s.read.Query("SELECT * FROM " + table + " ORDER BY 1, 2, 3")
		if err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %q\n", table, vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func fixedClock(t0 time.Time) func() time.Time {
	return func() time.Time { return t0 }
}

func TestRevisions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		s := open(t, WithClock(fixedClock(t0)))
		v1 := z2("Z801", `{"Z1K1":"Z8","Z8K2":"Z1"}`, "Z1002:Echo")
		v2 := z2("Z801", `{"Z1K1":"Z8","Z8K2":"Z6"}`, "Z1002:Echo")

		r1, err := s.Put(ctx, "Z801", v1, Edit{Author: "alice", Comment: "create"})
		if err != nil {
			t.Fatalf("Put v1 = %v", err)
		}
		if !r1.Created || !r1.Changed || r1.Revision.Revision != 1 || r1.ID <= 0 || !r1.Time.Equal(t0) {
			t.Errorf("Put v1 = %+v, want created revision 1 at %v", r1, t0)
		}

		// The same object again, even spelled differently, writes nothing.
		same := []byte(strings.ReplaceAll(string(v1), `"Z8K2":"Z1"`, ` "Z8K2" : "Z1" `))
		for _, body := range [][]byte{v1, same} {
			r, err := s.Put(ctx, "", body, Edit{Author: "carol", Comment: "again"})
			if err != nil || r.Changed || r.Created || r.Revision.Revision != 1 || r.ID != r1.ID || r.Author != "alice" {
				t.Errorf("Put(unchanged) = %+v, %v; want revision 1 of alice, unchanged", r, err)
			}
		}

		t1 := t0.Add(time.Hour)
		r2, err := s.Put(ctx, "Z801", v2, Edit{Author: "bob", Comment: "returns strings", Time: t1})
		if err != nil {
			t.Fatalf("Put v2 = %v", err)
		}
		if r2.Created || !r2.Changed || r2.Revision.Revision != 2 || r2.ID <= r1.ID || !r2.Time.Equal(t1) {
			t.Errorf("Put v2 = %+v, want revision 2 after ID %d at %v", r2, r1.ID, t1)
		}

		latest, err := s.Get(ctx, "Z801")
		if err != nil || latest.Revision.Revision != 2 || !latest.Latest || !bytes.Equal(latest.Data, canonical(t, v2)) || latest.Author != "bob" || latest.Type != "Z8" {
			t.Errorf("Get = %+v, %v; want revision 2 by bob", latest, err)
		}
		first, err := s.GetRevision(ctx, "Z801", 1)
		if err != nil || first.Revision.Revision != 1 || first.Latest || !bytes.Equal(first.Data, canonical(t, v1)) ||
			first.Author != "alice" || first.Comment != "create" || !first.Time.Equal(t0) || first.ID != r1.ID {
			t.Errorf("GetRevision(1) = %+v, %v; want alice's revision", first, err)
		}
		data, err := s.Fetch(ctx, "Z801")
		if err != nil || !bytes.Equal(data, canonical(t, v2)) {
			t.Errorf("Fetch = %s, %v; want revision 2", data, err)
		}
		if v, err := s.Version(ctx, "Z801"); err != nil || v != r2.ID {
			t.Errorf("Version = %d, %v; want %d", v, err, r2.ID)
		}
		if g, err := s.Generation(ctx); err != nil || g != r2.ID {
			t.Errorf("Generation = %d, %v; want %d", g, err, r2.ID)
		}

		hist, err := s.History(ctx, "Z801")
		if err != nil {
			t.Fatal(err)
		}
		want := []Revision{r2.Revision, r1.Revision}
		if !reflect.DeepEqual(hist, want) {
			t.Errorf("History = %+v, want %+v", hist, want)
		}

		// An older revision keeps its own type when the latest changes it.
		if _, err := s.Put(ctx, "Z801", z2("Z801", `"now a string"`), Edit{Author: "bob"}); err != nil {
			t.Fatal(err)
		}
		if o, err := s.GetRevision(ctx, "Z801", 1); err != nil || o.Type != "Z8" {
			t.Errorf("GetRevision(1).Type = %q, %v; want Z8", o.Type, err)
		}
		if o, err := s.Get(ctx, "Z801"); err != nil || o.Type != "Z6" || o.Revision.Revision != 3 {
			t.Errorf("Get.Type = %q rev %d, %v; want Z6 rev 3", o.Type, o.Revision.Revision, err)
		}
	})
}

func TestNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		s := open(t)
		if _, err := s.Put(ctx, "", z2("Z801", `"x"`), Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			call func() error
		}{
			{"Get", func() error { _, err := s.Get(ctx, "Z999"); return err }},
			{"Fetch", func() error { _, err := s.Fetch(ctx, "Z999"); return err }},
			{"Version", func() error { _, err := s.Version(ctx, "Z999"); return err }},
			{"History", func() error { _, err := s.History(ctx, "Z999"); return err }},
			{"GetRevision missing object", func() error { _, err := s.GetRevision(ctx, "Z999", 1); return err }},
			{"GetRevision too high", func() error { _, err := s.GetRevision(ctx, "Z801", 2); return err }},
			{"GetRevision zero", func() error { _, err := s.GetRevision(ctx, "Z801", 0); return err }},
			{"Fetch not a ZID", func() error { _, err := s.Fetch(ctx, "'; DROP TABLE objects; --"); return err }},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.call(); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s = %v, want ErrNotFound", tc.name, err)
				}
			})
		}
	})
}

// z5Error stands for the Z5 error the zobject validator returns.
type z5Error struct{ key string }

func (e *z5Error) Error() string { return "Z5/" + e.key }

func TestRejectedWritesChangeNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		var seen [][]byte
		v := ValidatorFunc(func(_ context.Context, z2 []byte) error {
			seen = append(seen, z2)
			if bytes.Contains(z2, []byte("forbidden")) {
				return &z5Error{key: "Z502"}
			}
			return nil
		})
		s := open(t, WithValidator(v), WithMaxObjectBytes(400))
		good := z2("Z801", `{"Z1K1":"Z8","Z8K2":"Z1"}`, "Z1002:Echo")
		if _, err := s.Put(ctx, "Z801", good, Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || !bytes.Equal(seen[0], canonical(t, good)) {
			t.Errorf("validator saw %q, want the canonical object", seen)
		}
		before := snapshot(t, s)
		canceled, cancel := context.WithCancel(ctx)
		cancel()

		tests := []struct {
			name string
			ctx  context.Context
			zid  string
			body []byte
			edit Edit
			is   error  // errors.Is target
			want string // in the message
		}{
			{name: "validator says no", zid: "Z801", body: z2("Z801", `"forbidden"`), edit: Edit{Author: "a"}, is: ErrInvalid, want: "Z5/Z502"},
			{name: "not JSON", zid: "Z801", body: []byte(`{"Z1K1":`), edit: Edit{Author: "a"}, is: ErrMalformed, want: "unexpected end"},
			{name: "bad envelope", zid: "Z801", body: []byte(`{"Z1K1":"Z2","Z2K1":"Z801"}`), edit: Edit{Author: "a"}, is: ErrInvalid, want: "needs a value"},
			{name: "wrong ZID", zid: "Z802", body: good, edit: Edit{Author: "a"}, is: ErrInvalid, want: "being stored as Z802"},
			{name: "too large", zid: "Z801", body: z2("Z801", `"`+strings.Repeat("x", 400)+`"`), edit: Edit{Author: "a"}, is: ErrTooLarge, want: "more than the limit of 400"},
			{name: "no author", zid: "Z801", body: z2("Z801", `"new"`), edit: Edit{Author: " "}, is: ErrBadEdit, want: "needs an author"},
			{name: "author with newline", zid: "Z801", body: z2("Z801", `"new"`), edit: Edit{Author: "a\nb"}, is: ErrBadEdit, want: "one line"},
			{name: "comment too long", zid: "Z801", body: z2("Z801", `"new"`), edit: Edit{Author: "a", Comment: strings.Repeat("c", maxCommentBytes+1)}, is: ErrBadEdit, want: "comment"},
			{name: "conflict", zid: "Z801", body: z2("Z801", `"new"`), edit: Edit{Author: "a", BaseRevision: 7}, is: ErrConflict, want: "at revision 1, not 7"},
			{name: "must not exist", zid: "Z801", body: z2("Z801", `"new"`), edit: Edit{Author: "a", BaseRevision: -1}, is: ErrConflict, want: "already exists"},
			{name: "canceled", ctx: canceled, zid: "Z801", body: z2("Z801", `"new"`), edit: Edit{Author: "a"}, is: context.Canceled},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				c := tc.ctx
				if c == nil {
					c = ctx
				}
				res, err := s.Put(c, tc.zid, tc.body, tc.edit)
				if err == nil {
					t.Fatalf("Put = %+v, want an error", res)
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("Put = %v, want errors.Is %v", err, tc.is)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Put = %q, want it to contain %q", err, tc.want)
				}
				if after := snapshot(t, s); after != before {
					t.Errorf("store changed by a rejected write:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}

		// The validator's own error is reachable.
		_, err := s.Put(ctx, "Z801", z2("Z801", `"forbidden"`), Edit{Author: "a"})
		var z5 *z5Error
		var ie *InvalidError
		if !errors.As(err, &z5) || z5.key != "Z502" || !errors.As(err, &ie) || ie.ZID != "Z801" {
			t.Errorf("Put = %v, want an *InvalidError for Z801 wrapping the validator's *z5Error", err)
		}
		// A base revision that matches lets the write through.
		if r, err := s.Put(ctx, "Z801", z2("Z801", `"new"`), Edit{Author: "a", BaseRevision: 1}); err != nil || r.Revision.Revision != 2 {
			t.Errorf("Put(base 1) = %+v, %v; want revision 2", r, err)
		}
		if r, err := s.Put(ctx, "Z802", z2("Z802", `"new"`), Edit{Author: "a", BaseRevision: -1}); err != nil || !r.Created {
			t.Errorf("Put(Z802, must not exist) = %+v, %v; want created", r, err)
		}
	})
}

// TestFailedWriteRollsBack makes the database itself fail half-way through a write (a
// trigger refuses one index row) and checks that the revision written before it is gone too.
func TestFailedWriteRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "zeval.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(ctx, "", z2("Z10001", `{"Z1K1":"Z14","Z14K1":"Z801"}`, "Z1002:old"), Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TRIGGER fail_refs BEFORE INSERT ON refs WHEN NEW.target = 'Z666'
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s)

	_, err = s.Put(ctx, "", z2("Z10001", `{"Z1K1":"Z14","Z14K1":"Z666"}`, "Z1002:new"), Edit{Author: "a"})
	if err == nil || !strings.Contains(err.Error(), "injected failure") || errors.Is(err, ErrInvalid) {
		t.Errorf("Put = %v, want the injected database failure", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("failed Put changed the store:\nbefore\n%s\nafter\n%s", before, after)
	}

	_, err = s.PutBatch(ctx, []Doc{
		{Name: "a", Data: z2("Z10002", `"fine"`)},
		{Name: "b", Data: z2("Z10003", `{"Z1K1":"Z20","Z20K1":"Z666"}`)},
	}, Edit{Author: "a"})
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Errorf("PutBatch = %v, want the injected database failure", err)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("failed PutBatch changed the store:\nbefore\n%s\nafter\n%s", before, after)
	}
	// The store still works afterwards.
	if _, err := s.Put(ctx, "", z2("Z10002", `"fine"`), Edit{Author: "a"}); err != nil {
		t.Errorf("Put after a failure = %v", err)
	}
}

func zids(entries []Entry) []string {
	out := []string{}
	for _, e := range entries {
		out = append(out, e.ZID)
	}
	return out
}

func TestList(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		s := open(t)
		docs := []Doc{
			{Data: z2("Z10001", `{"Z1K1":"Z8","Z8K2":"Z6","Z8K4":["Z14","Z10011"]}`, "Z1002:Add numbers", "Z1430:Zahlen addieren", "Z1002~Sum")},
			{Data: z2("Z10002", `{"Z1K1":"Z8","Z8K2":"Z6"}`, "Z1002:add strings")},
			{Data: z2("Z10003", `"x"`, "Z1430:Äpfel zählen")},
			{Data: z2("Z10004", `"x"`, "Z1004:Addition")},
			{Data: z2("Z10011", `{"Z1K1":"Z14","Z14K1":"Z10001"}`, "Z1002:add in Python")},
			{Data: z2("Z10012", `{"Z1K1":"Z14","Z14K1":"Z10001"}`)},
			{Data: z2("Z10013", `{"Z1K1":"Z14","Z14K1":"Z10002"}`)},
			{Data: z2("Z10021", `{"Z1K1":"Z20","Z20K1":"Z10001"}`)},
			{Data: z2("Z9", `"x"`, "Z1002:nine")},
			{Data: z2("Z90", `"x"`, "Z1002:ninety")},
			{Data: z2("Z91", `"x"`, "Z1430:Straße", "Z1002:Cafe\u0301 au lait")},
		}
		if _, err := s.PutBatch(ctx, docs, Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			q    Query
			want []string
		}{
			{"everything in ZID order", Query{}, []string{"Z9", "Z90", "Z91", "Z10001", "Z10002", "Z10003", "Z10004", "Z10011", "Z10012", "Z10013", "Z10021"}},
			{"functions", Query{Type: "Z8"}, []string{"Z10001", "Z10002"}},
			{"implementations of Z10001", Query{Type: "Z14", Ref: Ref{"Z14K1", "Z10001"}}, []string{"Z10011", "Z10012"}},
			{"testers of Z10001", Query{Ref: Ref{"Z20K1", "Z10001"}}, []string{"Z10021"}},
			{"functions listing Z10011", Query{Ref: Ref{"Z8K4", "Z10011"}}, []string{"Z10001"}},
			{"exact label", Query{Label: "Add numbers"}, []string{"Z10001"}},
			{"exact label is case-sensitive", Query{Label: "add numbers"}, []string{}},
			{"exact label in German", Query{Label: "Zahlen addieren", Language: "Z1430"}, []string{"Z10001"}},
			{"exact label in the wrong language", Query{Label: "Zahlen addieren", Language: "Z1002"}, []string{}},
			{"prefix ignores case", Query{Prefix: "ADD"}, []string{"Z10001", "Z10002", "Z10004", "Z10011"}},
			{"prefix in English", Query{Prefix: "add", Language: "Z1002"}, []string{"Z10001", "Z10002", "Z10011"}},
			{"prefix and type", Query{Prefix: "add", Type: "Z8"}, []string{"Z10001", "Z10002"}},
			{"prefix of a non-ASCII label", Query{Prefix: "äP"}, []string{"Z10003"}},
			{"prefix ending in a multi-byte letter", Query{Prefix: "Ä"}, []string{"Z10003"}},
			{"whole label as prefix", Query{Prefix: "ninety"}, []string{"Z90"}},
			{"prefix nine", Query{Prefix: "nin"}, []string{"Z9", "Z90"}},
			{"full case folding", Query{Prefix: "STRASS"}, []string{"Z91"}},
			{"precomposed finds decomposed", Query{Prefix: "caf\u00e9 "}, []string{"Z91"}},
			{"exact label keeps its spelling", Query{Label: "Strasse"}, []string{}},
			{"aliases are not labels", Query{Prefix: "sum"}, []string{}},
			{"aliases when asked", Query{Prefix: "sum", Aliases: true}, []string{"Z10001"}},
			{"exact alias", Query{Label: "Sum", Aliases: true}, []string{"Z10001"}},
			{"nothing matches", Query{Prefix: "zzz"}, []string{}},
			{"after", Query{After: "Z10011"}, []string{"Z10012", "Z10013", "Z10021"}},
			{"after a missing ZID", Query{After: "Z50"}, []string{"Z90", "Z91", "Z10001", "Z10002", "Z10003", "Z10004", "Z10011", "Z10012", "Z10013", "Z10021"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, next, err := s.List(ctx, tc.q)
				if err != nil {
					t.Fatalf("List(%+v) = %v", tc.q, err)
				}
				if !reflect.DeepEqual(zids(got), tc.want) || next != "" {
					t.Errorf("List(%+v) = %v next %q, want %v", tc.q, zids(got), next, tc.want)
				}
			})
		}

		// Paging walks the whole list.
		var all []string
		q := Query{Limit: 3}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			got, next, err := s.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, zids(got)...)
			if next == "" {
				break
			}
			q.After = next
		}
		if want := tests[0].want; !reflect.DeepEqual(all, want) {
			t.Errorf("paged List = %v, want %v", all, want)
		}

		// The label shown is the asked language's, else English.
		for _, tc := range []struct{ lang, want string }{{"", "Add numbers"}, {"Z1430", "Zahlen addieren"}, {"Z1004", "Add numbers"}} {
			got, _, err := s.List(ctx, Query{Label: "Add numbers", Language: "", Limit: 1})
			if tc.lang != "" {
				got, _, err = s.List(ctx, Query{Ref: Ref{"Z8K4", "Z10011"}, Language: tc.lang})
			}
			if err != nil || len(got) != 1 || got[0].Label != tc.want || got[0].Type != "Z8" || got[0].Revision != 1 {
				t.Errorf("List(language %q) = %+v, %v; want label %q", tc.lang, got, err, tc.want)
			}
		}

		// A new revision replaces the indexes of the old one.
		if _, err := s.Put(ctx, "", z2("Z10002", `"no longer a function"`, "Z1002:concatenate"), Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			q    Query
			want []string
		}{
			{Query{Prefix: "add", Language: "Z1002"}, []string{"Z10001", "Z10011"}},
			{Query{Prefix: "conc"}, []string{"Z10002"}},
			{Query{Type: "Z8"}, []string{"Z10001"}},
			{Query{Type: "Z6"}, []string{"Z9", "Z90", "Z91", "Z10002", "Z10003", "Z10004"}},
		} {
			if got, _, err := s.List(ctx, tc.q); err != nil || !reflect.DeepEqual(zids(got), tc.want) {
				t.Errorf("after update, List(%+v) = %v, %v; want %v", tc.q, zids(got), err, tc.want)
			}
		}

		for _, q := range []Query{{Limit: -1}, {Ref: Ref{Key: "Z14K1"}}, {Ref: Ref{Target: "Z1"}}, {After: "x"}, {After: "Z0"}} {
			if _, _, err := s.List(ctx, q); err == nil {
				t.Errorf("List(%+v) = nil error, want one", q)
			}
		}
	})
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub dir", "z?#%.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{`"one"`, `"two"`} {
		if _, err := s.Put(ctx, "", z2("Z10001", v, "Z1002:label "+v), Edit{Author: "a", Comment: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	wantHist, _ := s.History(ctx, "Z10001")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen = %v", err)
	}
	defer s.Close()
	hist, err := s.History(ctx, "Z10001")
	if err != nil || !reflect.DeepEqual(hist, wantHist) {
		t.Errorf("History after reopen = %+v, %v; want %+v", hist, err, wantHist)
	}
	if o, err := s.Get(ctx, "Z10001"); err != nil || !bytes.Equal(o.Data, canonical(t, z2("Z10001", `"two"`, `Z1002:label "two"`))) {
		t.Errorf("Get after reopen = %s, %v", o.Data, err)
	}
	if got, _, err := s.List(ctx, Query{Prefix: `label "t`}); err != nil || !reflect.DeepEqual(zids(got), []string{"Z10001"}) {
		t.Errorf("List after reopen = %v, %v", zids(got), err)
	}
	if r, err := s.Put(ctx, "", z2("Z10001", `"three"`), Edit{Author: "a"}); err != nil || r.Revision.Revision != 3 || r.ID <= wantHist[0].ID {
		t.Errorf("Put after reopen = %+v, %v; want revision 3", r, err)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	text := filepath.Join(dir, "text.db")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := filepath.Join(dir, "newer.db")
	db, err = sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	tests := []struct{ name, path, want string }{
		{"not SQLite", text, "not a database"},
		{"another schema", foreign, "something else"},
		{"newer layout", newer, "newer than"},
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "z.db"), "store: open"},
		{"empty path", "", "empty database path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) = nil error", tc.path)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%s) = %v, want it to contain %q", tc.path, err, tc.want)
			}
		})
	}
}

// TestConcurrent runs writers and readers at once (run it with -race): every write lands as
// exactly one revision, numbers have no gaps, and IDs grow with them.
func TestConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		s := open(t)
		const writers, writes, readers = 4, 20, 4
		if _, err := s.Put(ctx, "", z2("Z10000", `"start"`, "Z1002:shared"), Edit{Author: "init"}); err != nil {
			t.Fatal(err)
		}
		var wg errgroup.Group
		done := make(chan struct{})
		for w := range writers {
			wg.Go(func() error {
				own := fmt.Sprintf("Z%d", 20000+w)
				for i := range writes {
					value := fmt.Sprintf(`"writer %d write %d"`, w, i)
					if _, err := s.Put(ctx, "", z2("Z10000", value, "Z1002:shared"), Edit{Author: fmt.Sprint(w)}); err != nil {
						return err
					}
					if _, err := s.Put(ctx, "", z2(own, value, "Z1002:own"), Edit{Author: fmt.Sprint(w)}); err != nil {
						return err
					}
				}
				return nil
			})
		}
		var rg errgroup.Group
		for range readers {
			rg.Go(func() error {
				for {
					select {
					case <-done:
						return nil
					default:
					}
					if _, err := s.Fetch(ctx, "Z10000"); err != nil {
						return err
					}
					if _, _, err := s.List(ctx, Query{Prefix: "sha"}); err != nil {
						return err
					}
					if _, err := s.History(ctx, "Z10000"); err != nil {
						return err
					}
				}
			})
		}
		werr := wg.Wait()
		close(done)
		if err := errors.Join(werr, rg.Wait()); err != nil {
			t.Fatal(err)
		}
		hist, err := s.History(ctx, "Z10000")
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != writers*writes+1 {
			t.Fatalf("shared object has %d revisions, want %d", len(hist), writers*writes+1)
		}
		for i, r := range hist {
			if want := int64(len(hist) - i); r.Revision != want {
				t.Errorf("History[%d].Revision = %d, want %d", i, r.Revision, want)
			}
			if i > 0 && r.ID >= hist[i-1].ID {
				t.Errorf("History[%d].ID = %d, not below %d", i, r.ID, hist[i-1].ID)
			}
		}
		for w := range writers {
			if h, err := s.History(ctx, fmt.Sprintf("Z%d", 20000+w)); err != nil || len(h) != writes {
				t.Errorf("writer %d's object has %d revisions, %v; want %d", w, len(h), err, writes)
			}
		}
	})
}

// canonicalizer is a validator with the optional Canonicalizer interface.
type canonicalizer struct{ fail, panicCanon, panicValidate bool }

func (c canonicalizer) Validate(context.Context, []byte) error {
	if c.panicValidate {
		panic("validator bug")
	}
	return nil
}

func (c canonicalizer) Canonicalize(_ context.Context, z2 []byte) ([]byte, error) {
	if c.panicCanon {
		panic("canonicalizer bug")
	}
	if c.fail {
		return nil, &z5Error{key: "Z501"}
	}
	return bytes.ReplaceAll(z2, []byte(`{"Z1K1":"Z6","Z6K1":"hello"}`), []byte(`"hello"`)), nil
}

func TestCanonicalizer(t *testing.T) {
	ctx := context.Background()
	s := openMemory(t, WithValidator(canonicalizer{}))
	if _, err := s.Put(ctx, "", z2("Z10001", `{"Z1K1":"Z6","Z6K1":"hello"}`), Edit{Author: "a"}); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Get(ctx, "Z10001"); err != nil || !bytes.Equal(o.Data, canonical(t, z2("Z10001", `"hello"`))) || o.Type != "Z6" {
		t.Errorf("Get = %s %s, %v; want the canonicalized object", o.Data, o.Type, err)
	}
	s = openMemory(t, WithValidator(canonicalizer{fail: true}))
	_, err := s.Put(ctx, "", z2("Z10001", `"x"`), Edit{Author: "a"})
	var z5 *z5Error
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &z5) {
		t.Errorf("Put = %v, want ErrInvalid wrapping the canonicalizer's error", err)
	}
	// Text that is not JSON gets the store's syntax error, canonicalizer or not.
	for _, body := range []string{`{"Z1K1":`, "{\"Z1K1\":\"\xff\"}"} {
		if _, err := s.Put(ctx, "Z10001", []byte(body), Edit{Author: "a"}); !errors.Is(err, ErrMalformed) {
			t.Errorf("Put(%q) = %v, want ErrMalformed", body, err)
		}
	}
	// A panicking validator or canonicalizer refuses the write and nothing more.
	for _, c := range []canonicalizer{{panicCanon: true}, {panicValidate: true}} {
		s = openMemory(t, WithValidator(c))
		_, err := s.Put(ctx, "", z2("Z10001", `"x"`), Edit{Author: "a"})
		if !errors.Is(err, ErrValidatorPanic) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "bug") {
			t.Errorf("Put with %+v = %v, want ErrValidatorPanic", c, err)
		}
		if g, _ := s.Generation(ctx); g != 0 {
			t.Errorf("Put with %+v wrote something", c)
		}
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"zero max bytes", WithMaxObjectBytes(0)},
		{"no readers", WithReaders(0)},
		{"negative busy timeout", WithBusyTimeout(-time.Second)},
		{"nil clock", WithClock(nil)},
		{"nil logger", WithLogger(nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := Open(ctx, Memory, tc.opt); err == nil {
				s.Close()
				t.Errorf("Open(%s) = nil error", tc.name)
			}
		})
	}
}

// TestTwoStoresOneFile opens the same file twice, as two processes would, and writes through
// both at once: writers wait for each other (busy timeout, immediate transactions) instead of
// failing, and each sees the other's writes.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "zeval.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const writes = 25
	var g errgroup.Group
	for i, s := range []*Store{a, b} {
		g.Go(func() error {
			for n := range writes {
				body := z2("Z10000", fmt.Sprintf(`"store %d write %d"`, i, n))
				if _, err := s.Put(ctx, "", body, Edit{Author: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("concurrent writes through two stores: %v", err)
	}
	for name, s := range map[string]*Store{"a": a, "b": b} {
		if h, err := s.History(ctx, "Z10000"); err != nil || len(h) != 2*writes || h[0].Revision != 2*writes {
			t.Errorf("store %s: History = %d revisions, %v; want %d", name, len(h), err, 2*writes)
		}
	}
}

func TestUniqueLabels(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T, ...Option) *Store) {
		ctx := context.Background()
		s := open(t, WithUniqueLabels())
		if _, err := s.Put(ctx, "", z2("Z10001", `"a"`, "Z1002:Echo", "Z1430:Echo auf Deutsch"), Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, s)
		_, err := s.Put(ctx, "", z2("Z10002", `"b"`, "Z1002:Other", "Z1002:Echo"), Edit{Author: "a"})
		var lc *LabelClashError
		if !errors.As(err, &lc) || !errors.Is(err, ErrInvalid) || *lc != (LabelClashError{ZID: "Z10002", Other: "Z10001", Language: "Z1002", Label: "Echo"}) {
			t.Fatalf("Put(clashing label) = %v, want a *LabelClashError with Z10001", err)
		}
		if after := snapshot(t, s); after != before {
			t.Errorf("a clashing write changed the store")
		}
		ok := []struct {
			name string
			body []byte
		}{
			{"same text in another language", z2("Z10002", `"b"`, "Z1004:Echo")},
			{"same text as an alias", z2("Z10003", `"c"`, "Z1002:Third", "Z1002~Echo")},
			{"same text, other case", z2("Z10004", `"d"`, "Z1002:echo")},
			{"the owner keeps its label", z2("Z10001", `"a2"`, "Z1002:Echo")},
		}
		for _, tc := range ok {
			if _, err := s.Put(ctx, "", tc.body, Edit{Author: "a"}); err != nil {
				t.Errorf("%s: Put = %v", tc.name, err)
			}
		}
		// Once the owner lets the label go, another object may take it.
		if _, err := s.Put(ctx, "", z2("Z10001", `"a3"`, "Z1002:Echo (old)"), Edit{Author: "a"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ctx, "", z2("Z10005", `"e"`, "Z1002:Echo"), Edit{Author: "a"}); err != nil {
			t.Errorf("Put(freed label) = %v", err)
		}

		// A batch reports every clash, with the other documents' and the store's labels.
		before = snapshot(t, s)
		_, err = s.PutBatch(ctx, []Doc{
			{Name: "one", Data: z2("Z10010", `"x"`, "Z1002:Fresh")},
			{Name: "two", Data: z2("Z10011", `"x"`, "Z1002:Fresh")},
			{Name: "three", Data: z2("Z10012", `"x"`, "Z1002:Third")},
			{Name: "four", Data: z2("Z10013", `"x"`, "Z1002:Fine")},
		}, Edit{Author: "a"})
		var be *BatchError
		if !errors.As(err, &be) || len(be.Failed) != 2 || be.Failed[0].Name != "two" || be.Failed[1].Name != "three" {
			t.Fatalf("PutBatch = %v, want clashes of two and three", err)
		}
		if after := snapshot(t, s); after != before {
			t.Errorf("a batch with clashes changed the store")
		}

		// Without the option, labels may repeat.
		free := open(t)
		for _, zid := range []string{"Z1", "Z2"} {
			if _, err := free.Put(ctx, "", z2(zid, `"x"`, "Z1002:Same"), Edit{Author: "a"}); err != nil {
				t.Errorf("Put(%s) without unique labels = %v", zid, err)
			}
		}
	})
}
