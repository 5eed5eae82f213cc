package tester

import (
	"context"
	"errors"
	"fmt"

	"github.com/zeval/zeval/internal/orchestrator"
	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

// StoreLibrary reads a Library from the store: objects by ZID (parsed at each call) and the
// objects that refer to a function. Safe for concurrent use, as the store is.
type StoreLibrary struct {
	Store *store.Store
}

var (
	_ Library   = StoreLibrary{}
	_ Referrers = StoreLibrary{}
)

// Resolve fetches and parses the latest revision of zid; a missing object is an error
// wrapping orchestrator.ErrNotFound.
func (l StoreLibrary) Resolve(ctx context.Context, zid string) (*z.Object, error) {
	data, err := l.Store.Fetch(ctx, zid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", zid, orchestrator.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	o, err := z.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("stored object %s: %w", zid, err)
	}
	return o, nil
}

// Referrers lists, in ZID order, the objects whose value holds target under key.
func (l StoreLibrary) Referrers(ctx context.Context, key, target string) ([]string, error) {
	return l.list(ctx, store.Query{Ref: store.Ref{Key: key, Target: target}})
}

// Functions lists the ZIDs of every stored function (Z8), in ZID order.
func (l StoreLibrary) Functions(ctx context.Context) ([]string, error) {
	return l.list(ctx, store.Query{Type: z.Z8})
}

func (l StoreLibrary) list(ctx context.Context, q store.Query) ([]string, error) {
	var out []string
	q.Limit = store.MaxListLimit
	for {
		entries, next, err := l.Store.List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			out = append(out, e.ZID)
		}
		if next == "" {
			return out, nil
		}
		q.After = next
	}
}
