// Package cache keeps results of deterministic function calls so that a page rendered again
// does not evaluate them again.
//
// It owns: the Cache interface (byte keys and values, so a shared backend such as Redis or
// memcached can implement it), the hit/miss/eviction counters, and Memory, the default
// backend: an in-process LRU bounded in bytes.
//
// It must not know: what a key means or what a value holds. The caller (the page renderer)
// builds keys from function and implementation revisions and canonical arguments, decides which
// functions may be cached at all (not the non-deterministic ones), and encodes values. Nothing
// here knows ZObjects, the store, the orchestrator or HTTP.
//
// Every backend must pass the conformance suite in cachetest.
package cache
