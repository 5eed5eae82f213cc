// Package cachetest is the conformance suite every cache.Cache backend passes.
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zeval/zeval/internal/cache"
)

// New makes an empty cache bounded to about maxBytes (a backend without a bound may ignore it).
type New func(t *testing.T, maxBytes int64) cache.Cache

// Run runs the conformance suite against caches made by newCache.
func Run(t *testing.T, newCache New) {
	ctx := context.Background()
	t.Run("miss then hit", func(t *testing.T) {
		c := newCache(t, 1<<20)
		if v, ok := c.Get(ctx, "k"); ok {
			t.Fatalf("Get(k) on an empty cache = %q, true; want a miss", v)
		}
		c.Put(ctx, "k", []byte("v"))
		if v, ok := c.Get(ctx, "k"); !ok || string(v) != "v" {
			t.Fatalf("Get(k) after Put(k, v) = %q, %v; want v, true", v, ok)
		}
		s := c.Stats()
		if s.Hits != 1 || s.Misses != 1 || s.Puts != 1 {
			t.Errorf("Stats() = %+v, want 1 hit, 1 miss, 1 put", s)
		}
		if r := s.HitRatio(); r != 0.5 {
			t.Errorf("HitRatio() = %v, want 0.5", r)
		}
	})
	t.Run("overwrite", func(t *testing.T) {
		c := newCache(t, 1<<20)
		c.Put(ctx, "k", []byte("one"))
		c.Put(ctx, "k", []byte("two"))
		if v, _ := c.Get(ctx, "k"); string(v) != "two" {
			t.Errorf("Get(k) after two Puts = %q, want two", v)
		}
		if s := c.Stats(); s.Entries >= 0 && s.Entries != 1 {
			t.Errorf("Stats().Entries = %d after overwriting one key, want 1", s.Entries)
		}
	})
	t.Run("keys are distinct", func(t *testing.T) {
		c := newCache(t, 1<<20)
		keys := []string{"a", "A", "a ", "", "\x00", "é", "Z1|x", "Z1|x|"}
		for i, k := range keys {
			c.Put(ctx, k, []byte(fmt.Sprint(i)))
		}
		for i, k := range keys {
			if v, ok := c.Get(ctx, k); !ok || string(v) != fmt.Sprint(i) {
				t.Errorf("Get(%q) = %q, %v; want %d", k, v, ok, i)
			}
		}
	})
	t.Run("binary values", func(t *testing.T) {
		c := newCache(t, 1<<20)
		val := []byte{0, 255, 10, 13, 0}
		c.Put(ctx, "bin", val)
		if v, ok := c.Get(ctx, "bin"); !ok || !bytes.Equal(v, val) {
			t.Errorf("Get(bin) = %v, %v; want %v", v, ok, val)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		const bound = 8 << 10
		c := newCache(t, bound)
		if c.Stats().MaxBytes == 0 {
			t.Skip("backend has no byte bound") // a shared backend may delegate eviction
		}
		for i := 0; i < 1000; i++ {
			c.Put(ctx, fmt.Sprintf("key-%d", i), bytes.Repeat([]byte("x"), 100))
		}
		s := c.Stats()
		if s.Bytes > s.MaxBytes {
			t.Errorf("after 1000 puts Bytes = %d, over MaxBytes %d", s.Bytes, s.MaxBytes)
		}
		if s.Evictions == 0 {
			t.Errorf("after 100 KB of puts into %d bytes Evictions = 0", bound)
		}
		if _, ok := c.Get(ctx, "key-999"); !ok {
			t.Errorf("the newest entry was evicted")
		}
		c.Put(ctx, "huge", make([]byte, 2*bound))
		if _, ok := c.Get(ctx, "huge"); ok {
			t.Errorf("a value larger than the bound was kept")
		}
		if s := c.Stats(); s.Bytes > s.MaxBytes {
			t.Errorf("after an oversized put Bytes = %d, over MaxBytes %d", s.Bytes, s.MaxBytes)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		c := newCache(t, 64<<10)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 500; i++ {
					k := fmt.Sprintf("k%d", (g*7+i)%50)
					want := "v-" + k
					c.Put(ctx, k, []byte(want))
					if v, ok := c.Get(ctx, k); ok && string(v) != want {
						errs <- fmt.Errorf("Get(%s) = %q, want %q", k, v, want)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if s := c.Stats(); s.Hits+s.Misses != 8*500 {
			t.Errorf("Hits+Misses = %d, want %d lookups", s.Hits+s.Misses, 8*500)
		}
	})
}
