package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/zeval/zeval/internal/cache"
)

// cacheUsage documents --cache, for zeval serve and zeval render.
const cacheUsage = "result cache of page renders: memory (in process, bounded by --cache-mb), none, or a Redis shared by every zeval pointed at it: " +
	"redis://[:password@]host:6379/0 or unix:///path/to/redis.sock, with optional ?prefix=zeval:&ttl=24h&max_value=1048576&pool_size=16&dial_timeout=1s&timeout=1s"

// openCache makes the result cache that spec names (see cacheUsage); memoryBytes bounds the
// memory cache (≤ 0: no cache). It returns nil for no cache, and a function that releases
// the cache. A Redis that does not answer now is logged, not an error: the cache answers
// misses until it does.
func openCache(ctx context.Context, spec string, memoryBytes int64, logger *slog.Logger) (cache.Cache, func(), error) {
	switch s := strings.TrimSpace(spec); {
	case s == "none" || s == "off" || s == "":
		return nil, func() {}, nil
	case s == "memory":
		if memoryBytes <= 0 {
			return nil, func() {}, nil
		}
		return cache.NewMemory(memoryBytes), func() {}, nil
	case strings.Contains(s, "://"):
		r, err := cache.NewRedis(s, cache.WithRedisLogger(logger))
		if err != nil {
			return nil, nil, fmt.Errorf("--cache: %w", err)
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := r.Ping(pctx); err != nil {
			logger.Warn("redis cache does not answer yet: page renders miss until it does", "redis", r.String(), "error", err.Error())
		} else {
			logger.Info("redis cache", "redis", r.String())
		}
		return r, func() { _ = r.Close() }, nil
	default:
		return nil, nil, fmt.Errorf("--cache %q: want memory, none, redis://host:6379/0 or unix:///path/to/redis.sock", spec)
	}
}
