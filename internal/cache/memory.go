package cache

import (
	"container/list"
	"context"
	"sync"
)

// DefaultMaxBytes bounds a Memory cache made with MaxBytes ≤ 0: 64 MiB.
const DefaultMaxBytes = 64 << 20

// entryOverhead approximates what one entry costs beyond its key and value (list element,
// map slot, headers), so that many tiny entries cannot exceed the bound by much.
const entryOverhead = 96

// Memory is an in-process cache that forgets the least recently used entries when what it
// holds exceeds its byte bound. A value larger than the bound is not stored. Safe for
// concurrent use; the zero value is not usable: call NewMemory.
type Memory struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	order    *list.List // front: most recently used; values are *entry
	entries  map[string]*list.Element
	stats    Stats
}

type entry struct {
	key   string
	value []byte
}

var _ Cache = (*Memory)(nil)

// NewMemory returns an empty Memory cache bounded to maxBytes (DefaultMaxBytes when ≤ 0).
func NewMemory(maxBytes int64) *Memory {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Memory{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

func size(key string, value []byte) int64 {
	return int64(len(key)) + int64(len(value)) + entryOverhead
}

// Get returns the value under key and marks it recently used.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		m.stats.Misses++
		return nil, false
	}
	m.stats.Hits++
	m.order.MoveToFront(el)
	return el.Value.(*entry).value, true
}

// Put stores value under key and evicts least recently used entries until the cache fits
// its bound again.
func (m *Memory) Put(_ context.Context, key string, value []byte) {
	n := size(key, value)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.Puts++
	if el, ok := m.entries[key]; ok {
		m.remove(el)
	}
	if n > m.maxBytes {
		return
	}
	m.entries[key] = m.order.PushFront(&entry{key: key, value: value})
	m.bytes += n
	for m.bytes > m.maxBytes {
		m.remove(m.order.Back())
		m.stats.Evictions++
	}
}

func (m *Memory) remove(el *list.Element) {
	e := m.order.Remove(el).(*entry)
	delete(m.entries, e.key)
	m.bytes -= size(e.key, e.value)
}

// Stats returns the counters and the current size.
func (m *Memory) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Entries = int64(len(m.entries))
	s.Bytes = m.bytes
	s.MaxBytes = m.maxBytes
	return s
}
