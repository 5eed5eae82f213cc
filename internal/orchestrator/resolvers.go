package orchestrator

import (
	"context"
	"errors"
	"fmt"

	z "github.com/zeval/zeval/internal/zobject"
)

// MapResolver resolves ZIDs from a map of persistent objects (Z2). It is read-only once
// built, so it is safe for concurrent use.
type MapResolver map[string]*z.Object

// Resolve returns m[zid], or an error wrapping ErrNotFound.
func (m MapResolver) Resolve(_ context.Context, zid string) (*z.Object, error) {
	if o, ok := m[zid]; ok {
		return o, nil
	}
	return nil, fmt.Errorf("%s: %w", zid, ErrNotFound)
}

// Chain resolves a ZID with the first resolver that knows it; a resolver that fails for
// another reason than ErrNotFound stops the search.
type Chain []Resolver

// Resolve asks each resolver in turn.
func (c Chain) Resolve(ctx context.Context, zid string) (*z.Object, error) {
	for _, r := range c {
		if r == nil {
			continue
		}
		o, err := r.Resolve(ctx, zid)
		if err == nil {
			return o, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%s: %w", zid, ErrNotFound)
}

// LanguageByCode finds the natural language with the given code among the resolvers that
// can look languages up.
func (c Chain) LanguageByCode(ctx context.Context, code string) (string, error) {
	for _, r := range c {
		if lr, ok := r.(LanguageResolver); ok {
			if zid, err := lr.LanguageByCode(ctx, code); err == nil && zid != "" {
				return zid, nil
			}
		}
	}
	return "", fmt.Errorf("language %q: %w", code, ErrNotFound)
}

// LanguageByCode finds, among the objects of m, the Z60 natural language with the code.
func (m MapResolver) LanguageByCode(_ context.Context, code string) (string, error) {
	for zid, o := range m {
		v := o.Get("Z2K2")
		if v.IsRecord() && v.Type().Is(z.Z60) && text(v.Get("Z60K1")) == code {
			return zid, nil
		}
	}
	return "", fmt.Errorf("language %q: %w", code, ErrNotFound)
}

var (
	_ Resolver         = MapResolver(nil)
	_ Resolver         = Chain(nil)
	_ LanguageResolver = Chain(nil)
	_ LanguageResolver = MapResolver(nil)
)
