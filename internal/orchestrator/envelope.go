package orchestrator

import (
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// metaEntry is one key of a Z22K2 metadata map.
type metaEntry struct {
	key   string
	value *z.Object
}

// metadata is the ordered metadata of an envelope. It is small, so a slice beats a map.
type metadata []metaEntry

// set returns m with key set to value: replaced in place, or appended.
// It never modifies m, which results may share.
func (m metadata) set(key string, value *z.Object) metadata {
	for i := range m {
		if m[i].key == key {
			out := make(metadata, len(m))
			copy(out, m)
			out[i].value = value
			return out
		}
	}
	out := make(metadata, len(m), len(m)+1)
	copy(out, m)
	return append(out, metaEntry{key, value})
}

// with returns m with every entry of es set as set would, copying m once.
func (m metadata) with(es ...metaEntry) metadata {
	out := make(metadata, len(m), len(m)+len(es))
	copy(out, m)
	return out.setOwned(es...)
}

// setOwned sets the entries in m itself, which the caller owns, appending those it lacks.
func (m metadata) setOwned(es ...metaEntry) metadata {
next:
	for _, e := range es {
		for i := range m {
			if m[i].key == e.key {
				m[i].value = e.value
				continue next
			}
		}
		m = append(m, e)
	}
	return m
}

func (m metadata) get(key string) *z.Object {
	for _, e := range m {
		if e.key == key {
			return e.value
		}
	}
	return nil
}

// result is the outcome of evaluating something: a value, or an error in meta["errors"].
type result struct {
	value *z.Object
	meta  metadata
}

func (r result) err() *z.Object { return r.meta.get("errors") }

func (r result) failed() bool { return r.meta.get("errors") != nil }

func failure(e *z.Object) result { return result{meta: metadata{{"errors", e}}} }

func success(v *z.Object) result { return result{value: v} }

// metaStrings are the strings of the metadata keys and values every call has, made once
// (objects are immutable, so results may share them).
var metaStrings = func() map[string]*z.Object {
	m := map[string]*z.Object{}
	for _, s := range []string{"implementationId", "implementationType", "evaluationRuntime", "evaluationDuration",
		kindBuiltIn, kindComposition, kindEvaluated} {
		m[s] = z.NewString(s)
	}
	return m
}()

// metaString returns the Z6 of s, shared when it is one of metaStrings.
func metaString(s string) *z.Object {
	if o := metaStrings[s]; o != nil {
		return o
	}
	return z.NewString(s)
}

// envelope builds the Z22 for a value and metadata, in the form upstream writes it.
func envelope(value *z.Object, meta metadata) *z.Object {
	if value == nil {
		value = z.Void()
	}
	entries := make([]z.MapEntry, len(meta))
	for i, e := range meta {
		entries[i] = z.MapEntry{Key: z.NewString(e.key), Value: foldLists(e.value)}
	}
	return z.NewRecord(ref(z.Z22),
		z.KV("Z22K1", foldLists(value)),
		z.KV("Z22K2", z.NewMap(ref(z.Z6), ref(z.Z1), entries...)))
}

// metadataMap turns the Z22K2 of an envelope (a Z883 map, or void) into metadata.
func metadataMap(m *z.Object) metadata {
	if !z.IsMap(m) {
		return nil
	}
	return metadataOf(z.MapEntries(m))
}

// metadataOf reads a metadata map's entries: those with a string key, the last value of a key
// at its first place.
func metadataOf(entries []z.MapEntry) metadata {
	out := make(metadata, 0, len(entries)+2) // room for the implementation's id and type
	for _, e := range entries {
		if k := e.Key.StringValue(); k != "" {
			out = out.setOwned(metaEntry{k, e.Value})
		}
	}
	return out
}

// metadataWith is metadataMap of the map m with the entries of set set in it as zobject.MapSet
// sets them (replacing the first entry with an equal string key, appending otherwise); a
// Z22K2 that is not a map is replaced by one of those entries.
func metadataWith(m *z.Object, set []z.MapEntry) metadata {
	var entries []z.MapEntry
	if z.IsMap(m) {
		entries = z.MapEntries(m)
	}
next:
	for _, s := range set {
		for i, e := range entries {
			if e.Key.IsString() && s.Key.IsString() && e.Key.StringValue() == s.Key.StringValue() {
				entries[i].Value = s.Value
				continue next
			}
		}
		entries = append(entries, s)
	}
	return metadataOf(entries)
}

// foldLists rewrites typed lists held as records in cons form (K1/K2 with a Z881 type, or a
// literal Z4 whose identity is a Z881 call, which is what resolving a list's type leaves) as
// lists, so that they are written in the canonical [type, items...] form upstream produces.
func foldLists(o *z.Object) *z.Object {
	switch o.Kind() {
	case z.KindList:
		items := o.Items()
		var out []*z.Object
		for i, it := range items {
			f := foldLists(it)
			if f != it && out == nil {
				out = make([]*z.Object, len(items))
				copy(out, items[:i])
			}
			if out != nil {
				out[i] = f
			}
		}
		if out == nil {
			return o
		}
		return z.NewList(o.ItemType(), out...)
	case z.KindRecord:
		if t := consItemType(o); t != nil {
			if items, ok := consItems(o); ok {
				for i := range items {
					items[i] = foldLists(items[i])
				}
				return z.NewList(t, items...)
			}
		}
		if o.Type().Is(z.Z99) {
			return o
		}
		// Copy the fields only when something inside changes.
		var fields []z.Field
		for i, k := range o.Keys() {
			v := o.Get(k)
			if f := foldLists(v); f != v && fields == nil {
				fields = o.Fields()
				fields[i].Value = f
			} else if fields != nil {
				fields[i].Value = f
			}
		}
		if fields == nil {
			return o
		}
		return z.NewRecordOf(fields...)
	}
	return o
}

// consItemType returns T when o is a record in list cons form typed Z881(T) (directly or
// through a literal Z4), or nil.
func consItemType(o *z.Object) *z.Object {
	if !o.IsRecord() {
		return nil
	}
	for _, k := range o.Keys() {
		if k != z.KeyType && k != "K1" && k != "K2" {
			return nil
		}
	}
	if o.Has("K1") != o.Has("K2") {
		return nil
	}
	return z.ListItemType(o.Type())
}

// consItems returns the items of a list held as a list or as cons records.
func consItems(o *z.Object) ([]*z.Object, bool) {
	var items []*z.Object
	for i := 0; ; i++ {
		switch {
		case o.IsList():
			return append(items, o.Items()...), true
		case o.IsRecord() && z.ListItemType(o.Type()) != nil:
			if !o.Has("K1") {
				return items, len(o.Keys()) == 1
			}
			items = append(items, o.Get("K1"))
			o = o.Get("K2")
		default:
			return nil, false
		}
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memoryUsage formats the memory the Go runtime holds, as upstream formats the RSS.
func memoryUsage() string {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	var b uint64
	if s[0].Value.Kind() == metrics.KindUint64 {
		b = s[0].Value.Uint64()
	}
	mib := float64(b) / 1024 / 1024
	return strconv.FormatFloat(float64(int64(mib*100+0.5))/100, 'f', -1, 64) + " MiB"
}

func formatMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', -1, 64) + " ms"
}

func formatWholeMillis(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// EnvelopeJSON writes an envelope from Evaluate the way upstream's orchestrate returns it:
// in canonical form, unless canonicalization would fail, in which case upstream falls back to
// the normal form. That happens when the envelope quotes something that is not a ZObject,
// which it does only when reporting malformed input: a record without Z1K1 (Z523) or a
// number, Boolean or null (Z521, quoted here as the text of the JSON value).
func EnvelopeJSON(env *z.Object) []byte {
	if !canonicalizable(env, 0) {
		return env.NormalJSON()
	}
	return env.CanonicalJSON()
}

func canonicalizable(o *z.Object, depth int) bool {
	if depth > z.MaxDepth {
		return false
	}
	switch o.Kind() {
	case z.KindList:
		for _, it := range o.Items() {
			if !canonicalizable(it, depth+1) {
				return false
			}
		}
	case z.KindRecord:
		if !o.Has(z.KeyType) {
			return false
		}
		if z.IsError(o) && z.ErrorType(o) == z.CodeNumberBooleanNull {
			return false
		}
		for _, f := range o.Fields() {
			if !canonicalizable(f.Value, depth+1) {
				return false
			}
		}
	}
	return true
}
