package orchestrator

import (
	"strconv"

	z "github.com/zeval/zeval/internal/zobject"
)

// defaultMaxResultNodes bounds the size of a result, counted as a tree: a few calls can build
// a value that shares sub-objects so much that written out it has billions of nodes.
const defaultMaxResultNodes = 1 << 20

// WithMaxResultNodes bounds the size of results (and of values given to Reify), counted in
// objects as written out (default 1<<20).
func WithMaxResultNodes(n int) Option { return func(o *Orchestrator) { o.maxNodes = n } }

// treeSize counts the objects of o written out as a tree, stopping at limit+1. Shared
// sub-objects are counted once per occurrence but measured once, so the count costs time in
// the number of distinct objects.
func treeSize(o *z.Object, limit int, memo map[*z.Object]int) int {
	if o == nil {
		return 0
	}
	switch o.Kind() {
	case z.KindString, z.KindReference:
		return 1
	}
	if n, ok := memo[o]; ok {
		return n
	}
	n := 1
	add := func(c *z.Object) {
		if n <= limit {
			n += treeSize(c, limit, memo)
		}
	}
	if o.IsList() {
		add(o.ItemType())
		for _, it := range o.Items() {
			add(it)
		}
	} else {
		for _, k := range o.Keys() {
			add(o.Get(k))
		}
	}
	if n > limit {
		n = limit + 1
	}
	memo[o] = n
	return n
}

// tooLarge returns the Z5 for a value larger than the orchestrator's limit, or nil. what names
// the value in the message, followed by key (quoted) when key is not "": the message is
// only built when it is needed.
func (o *Orchestrator) tooLarge(v *z.Object, what, key string) *z.Object {
	switch v.Kind() {
	case z.KindString, z.KindReference: // one object, and no memo to allocate
		return nil
	}
	if treeSize(v, o.maxNodes, make(map[*z.Object]int)) <= o.maxNodes {
		return nil
	}
	if key != "" {
		what += " " + strconv.Quote(key)
	}
	return z.ErrorString(z.CodeInEvaluation, "The "+what+" is too large: more than "+strconv.Itoa(o.maxNodes)+" objects.")
}

// limitResult replaces a result whose value or metadata is too large by an error.
func (o *Orchestrator) limitResult(res result) result {
	if e := o.tooLarge(res.value, "result", ""); e != nil {
		return failure(e)
	}
	for _, m := range res.meta {
		if e := o.tooLarge(m.value, "metadata value", m.key); e != nil {
			return failure(e)
		}
	}
	return res
}
