// Package cache keeps results of deterministic function calls so that a page rendered again
// does not evaluate them again.
//
// It owns: the Cache interface (byte keys and values, so a shared backend such as Redis or
// memcached can implement it), the hit/miss/eviction/error counters, Memory, the default
// backend: an in-process LRU bounded in bytes, and Redis, a cache shared by every zeval
// process pointed at one Redis server, with its own small RESP2 client (resp.go is the pure
// codec; redis.go the pool, timeouts and the back-off that keeps a dead Redis from costing
// more than misses). redistest runs a real redis-server for tests and benchmarks.
//
// It must not know: what a key means or what a value holds. The caller (the page renderer)
// builds keys from function and implementation revisions and canonical arguments, decides which
// functions may be cached at all (not the non-deterministic ones), and encodes values. Nothing
// here knows ZObjects, the store, the orchestrator or HTTP.
//
// Every backend must pass the conformance suite in cachetest.
package cache
