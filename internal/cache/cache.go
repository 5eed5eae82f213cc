package cache

import "context"

// Cache maps keys to values. Implementations must be safe for concurrent use. A cache may
// forget any entry at any time (eviction, expiry, a restart); callers treat a miss as "compute
// it". Get and Put never fail from the caller's point of view: a broken shared backend answers
// misses and drops writes (and says so in its own logs and Stats).
type Cache interface {
	// Get returns the value stored under key. The returned slice must not be modified.
	Get(ctx context.Context, key string) ([]byte, bool)
	// Put stores value under key, replacing any earlier value. The cache keeps its own copy
	// or keeps value itself: the caller must not modify value afterwards.
	Put(ctx context.Context, key string, value []byte)
	// Stats returns the counters since the cache was created.
	Stats() Stats
}

// Stats are a cache's counters.
type Stats struct {
	Hits      int64 `json:"hits"`
	Misses    int64 `json:"misses"`
	Puts      int64 `json:"puts"`
	Evictions int64 `json:"evictions"`
	// Errors counts lookups and writes a shared backend did not carry out: it failed or was
	// unreachable (each such lookup is also a miss). Always 0 for Memory.
	Errors int64 `json:"errors"`
	// Entries and Bytes describe what the cache holds now (-1 when a backend cannot tell).
	Entries int64 `json:"entries"`
	Bytes   int64 `json:"bytes"`
	// MaxBytes is the bound on Bytes (0: none).
	MaxBytes int64 `json:"maxBytes"`
}

// HitRatio is Hits / (Hits + Misses), 0 before the first lookup.
func (s Stats) HitRatio() float64 {
	if n := s.Hits + s.Misses; n > 0 {
		return float64(s.Hits) / float64(n)
	}
	return 0
}
