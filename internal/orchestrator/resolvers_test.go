package orchestrator

import (
	"context"
	"errors"
	"strings"
	"testing"

	z "github.com/zeval/zeval/internal/zobject"
)

// brokenResolver fails as a store whose disk is gone.
type brokenResolver struct{}

func (brokenResolver) Resolve(context.Context, string) (*z.Object, error) {
	return nil, errors.New("disk I/O error")
}

func TestChain(t *testing.T) {
	a := MapResolver{"Z10001": z.MustParse(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z10001"},"Z2K2":"a","Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`)}
	b := MapResolver{
		"Z10001": z.MustParse(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z10001"},"Z2K2":"b","Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`),
		"Z10002": z.MustParse(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"Z10002"},"Z2K2":{"Z1K1":"Z60","Z60K1":"xx"},"Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`),
	}
	tests := []struct {
		name     string
		chain    Chain
		zid      string
		want     string // canonical Z2K2, "" for an error
		notFound bool
	}{
		{"first wins", Chain{a, b}, "Z10001", `"a"`, false},
		{"falls through", Chain{a, b}, "Z10002", `{"Z1K1":"Z60","Z60K1":"xx"}`, false},
		{"nowhere", Chain{a, b}, "Z10003", "", true},
		{"nil resolvers are skipped", Chain{nil, b}, "Z10001", `"b"`, false},
		{"a failing resolver stops the search", Chain{brokenResolver{}, b}, "Z10001", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.chain.Resolve(context.Background(), tc.zid)
			switch {
			case tc.want != "":
				if err != nil || o.Get("Z2K2").String() != tc.want {
					t.Errorf("Resolve(%s) = %v, %v; want %s", tc.zid, o, err, tc.want)
				}
			case err == nil:
				t.Errorf("Resolve(%s) = %v, want an error", tc.zid, o)
			case errors.Is(err, ErrNotFound) != tc.notFound:
				t.Errorf("Resolve(%s) error %v: errors.Is(ErrNotFound) = %v, want %v", tc.zid, err, !tc.notFound, tc.notFound)
			}
		})
	}
	if zid, err := (Chain{a, b}).LanguageByCode(context.Background(), "xx"); err != nil || zid != "Z10002" {
		t.Errorf("LanguageByCode(xx) = %q, %v; want Z10002", zid, err)
	}
	if _, err := (Chain{a, b}).LanguageByCode(context.Background(), "yy"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LanguageByCode(yy) error = %v, want ErrNotFound", err)
	}
}

// TestResolverFailure: a resolver that fails (not a missing ZID) gives a Z500 with its message.
func TestResolverFailure(t *testing.T) {
	o := New(brokenResolver{})
	_, gotErr := evalJSON(t, o, `{"Z1K1":"Z7","Z7K1":"Z10001"}`)
	if want := "disk I/O error"; !strings.Contains(gotErr, want) || !strings.Contains(gotErr, `"Z500"`) {
		t.Errorf("error = %s, want one mentioning %q", gotErr, want)
	}
}

// countingResolver counts the lookups of each ZID.
type countingResolver struct {
	MapResolver
	calls map[string]int
}

func (c *countingResolver) Resolve(ctx context.Context, zid string) (*z.Object, error) {
	c.calls[zid]++
	return c.MapResolver.Resolve(ctx, zid)
}

// TestFetchOnce checks that an evaluation looks each ZID up once and gets the same answer
// every time, with few objects (scanned) and with many (indexed).
func TestFetchOnce(t *testing.T) {
	for _, n := range []int{3, maxFetchedScan, 3 * maxFetchedScan} {
		m := MapResolver{}
		for i := 0; i < n; i++ {
			zid := "Z" + itoa(10001+i)
			m[zid] = z.MustParse(`{"Z1K1":"Z2","Z2K1":{"Z1K1":"Z6","Z6K1":"` + zid + `"},"Z2K2":"` + zid + `","Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`)
		}
		c := &countingResolver{MapResolver: m, calls: map[string]int{}}
		r := newRun(context.Background(), New(c), nil)
		for round := 0; round < 2; round++ {
			for i := 0; i <= n; i++ { // the last one does not exist
				zid := "Z" + itoa(10001+i)
				obj, err := r.fetch(zid)
				switch {
				case i == n && !errors.Is(err, ErrNotFound):
					t.Fatalf("n=%d: fetch(%s) = %v, want ErrNotFound", n, zid, err)
				case i < n && (err != nil || obj != m[zid]):
					t.Fatalf("n=%d: fetch(%s) = %v, %v, want the resolver's object", n, zid, obj, err)
				}
			}
		}
		for zid, k := range c.calls {
			if k != 1 {
				t.Errorf("n=%d: %s looked up %d times, want 1", n, zid, k)
			}
		}
	}
}
