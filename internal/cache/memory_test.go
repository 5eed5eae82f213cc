package cache_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/zeval/zeval/internal/cache"
	"github.com/zeval/zeval/internal/cache/cachetest"
)

func TestMemoryConformance(t *testing.T) {
	cachetest.Run(t, func(t *testing.T, maxBytes int64) cache.Cache { return cache.NewMemory(maxBytes) })
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	val := make([]byte, 100)
	// Room for three entries of this size, not four.
	one := int64(len("k0") + len(val) + 96)
	c := cache.NewMemory(3*one + one/2)
	for i := 0; i < 3; i++ {
		c.Put(ctx, fmt.Sprintf("k%d", i), val)
	}
	c.Get(ctx, "k0") // k1 is now the least recently used
	c.Put(ctx, "k3", val)
	tests := []struct {
		key  string
		kept bool
	}{{"k0", true}, {"k1", false}, {"k2", true}, {"k3", true}}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if _, ok := c.Get(ctx, tt.key); ok != tt.kept {
				t.Errorf("Get(%s) found = %v, want %v", tt.key, ok, tt.kept)
			}
		})
	}
	if s := c.Stats(); s.Evictions != 1 || s.Entries != 3 {
		t.Errorf("Stats() = %+v, want 1 eviction and 3 entries", s)
	}
}

func TestMemoryDefaultBound(t *testing.T) {
	if got := cache.NewMemory(0).Stats().MaxBytes; got != cache.DefaultMaxBytes {
		t.Errorf("NewMemory(0) bound = %d, want %d", got, cache.DefaultMaxBytes)
	}
}

func BenchmarkMemoryGet(b *testing.B) {
	ctx := context.Background()
	c := cache.NewMemory(0)
	for i := 0; i < 1000; i++ {
		c.Put(ctx, fmt.Sprintf("key-%d", i), []byte("value"))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Get(ctx, "key-500")
	}
}
