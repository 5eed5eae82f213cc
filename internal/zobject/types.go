package zobject

import "strings"

// NewCall returns a Z7 function call of fn with the given arguments.
func NewCall(fn *Object, args ...Field) *Object {
	o := newRecord(len(args) + 2)
	o.keys = append(o.keys, KeyType)
	o.vals = append(o.vals, NewRef(Z7))
	o.set("Z7K1", fn)
	for _, f := range args {
		o.set(f.Key, f.Value)
	}
	o.buildIndex()
	return o
}

// ListType returns the generic type Z881(itemType): {"Z1K1":"Z7","Z7K1":"Z881","Z881K1":itemType}.
func ListType(itemType *Object) *Object {
	if itemType == nil {
		itemType = NewRef(Z1)
	}
	return NewCall(NewRef(Z881), KV("Z881K1", itemType))
}

// PairType returns the generic type Z882(first, second).
func PairType(first, second *Object) *Object {
	return NewCall(NewRef(Z882), KV("Z882K1", first), KV("Z882K2", second))
}

// MapType returns the generic type Z883(key, value).
func MapType(key, value *Object) *Object {
	return NewCall(NewRef(Z883), KV("Z883K1", key), KV("Z883K2", value))
}

// ErrorTypeOf returns the generic type Z885(errorType) that types the Z5K2 of an error.
func ErrorTypeOf(errorType string) *Object {
	return NewCall(NewRef(Z885), KV("Z885K1", NewRef(errorType)))
}

// NewPair returns a Z882 pair of first and second typed Z882(firstType, secondType).
func NewPair(firstType, secondType, first, second *Object) *Object {
	return NewRecord(PairType(firstType, secondType), KV("K1", first), KV("K2", second))
}

// MapEntry is one key and value of a Z883 map.
type MapEntry struct {
	Key   *Object
	Value *Object
}

// NewMap returns a Z883 map typed Z883(keyType, valueType). Its K1 is the list of
// Z882(keyType, valueType) pairs, present even when empty (as upstream requires).
func NewMap(keyType, valueType *Object, entries ...MapEntry) *Object {
	pt := PairType(keyType, valueType)
	items := make([]*Object, len(entries))
	for i, e := range entries {
		items[i] = NewRecord(pt, KV("K1", e.Key), KV("K2", e.Value))
	}
	return NewRecord(MapType(keyType, valueType), KV("K1", newListOwned(pt, items)))
}

// IsMap reports whether o is a Z883 map: a record whose type is a call of Z883.
func IsMap(o *Object) bool {
	t := o.Type()
	return t.IsRecord() && t.Get(KeyType).Is(Z7) && t.Get("Z7K1").Is(Z883)
}

// MapEntries returns the entries of a Z883 map, or nil when o is not one.
func MapEntries(o *Object) []MapEntry {
	if !IsMap(o) {
		return nil
	}
	items := listItems(o.Get("K1"))
	es := make([]MapEntry, 0, len(items))
	for _, p := range items {
		es = append(es, MapEntry{Key: p.Get("K1"), Value: p.Get("K2")})
	}
	return es
}

// MapGet returns the value of map m under key, a Z6 string key or a Z39 key reference
// (compared by their text, as upstream's getZMapValue does); nil when absent.
func MapGet(m *Object, key *Object) *Object {
	for _, e := range MapEntries(m) {
		if mapKeyEqual(e.Key, key) {
			return e.Value
		}
	}
	return nil
}

// MapGetString is MapGet with a Z6 key.
func MapGetString(m *Object, key string) *Object { return MapGet(m, NewString(key)) }

// MapSet returns a copy of map m with key set to value: replaced in place when the key is
// there, appended otherwise. It returns nil when m is not a map.
func MapSet(m *Object, key, value *Object) *Object {
	if !IsMap(m) {
		return nil
	}
	t := m.Type()
	kt, vt := t.Get("Z883K1"), t.Get("Z883K2")
	pt := PairType(kt, vt)
	old := listItems(m.Get("K1"))
	items := make([]*Object, 0, len(old)+1)
	found := false
	for _, p := range old {
		if !found && mapKeyEqual(p.Get("K1"), key) {
			p = p.With("K2", value)
			found = true
		}
		items = append(items, p)
	}
	if !found {
		items = append(items, NewRecord(pt, KV("K1", key), KV("K2", value)))
	}
	return m.With("K1", newListOwned(pt, items))
}

func mapKeyEqual(a, b *Object) bool {
	switch {
	case a.IsString() && b.IsString():
		return a.text == b.text
	case a.Type().Is(Z39) && b.Type().Is(Z39):
		return keyRefText(a) == keyRefText(b)
	}
	return false
}

func keyRefText(o *Object) string {
	v := o.Get("Z39K1")
	if v.IsString() {
		return v.text
	}
	return v.RefID()
}

// listItems returns the items of a list, also when it is a record still in cons form
// (K1/K2 chain). A cycle cannot occur because objects are immutable trees.
func listItems(l *Object) []*Object {
	if l.IsList() {
		return l.vals
	}
	var out []*Object
	for l.IsRecord() && l.Has("K1") {
		out = append(out, l.Get("K1"))
		l = l.Get("K2")
	}
	return out
}

// ListItems returns the items of a typed list, whether it is held as a list or as a record in
// cons form ({"Z1K1": Z881(T), "K1": head, "K2": tail}). It returns nil for anything else.
func ListItems(l *Object) []*Object { return listItems(l) }

// NewBool returns the Z40 Boolean {"Z1K1":"Z40","Z40K1":"Z41"} (true) or "Z42" (false).
func NewBool(b bool) *Object {
	v := Z42
	if b {
		v = Z41
	}
	return NewRecord(NewRef(Z40), KV("Z40K1", NewRef(v)))
}

// BoolValue reports the value of a Z40 Boolean (a record, or a bare reference to Z41/Z42).
// ok is false when o is neither.
func BoolValue(o *Object) (value, ok bool) {
	if o.IsRecord() && o.Type().Is(Z40) {
		o = o.Get("Z40K1")
	}
	switch {
	case o.Is(Z41):
		return true, true
	case o.Is(Z42):
		return false, true
	}
	return false, false
}

// NewArgRef returns the Z18 argument reference {"Z1K1":"Z18","Z18K1":key}.
func NewArgRef(key string) *Object { return NewRecord(NewRef(Z18), KV("Z18K1", NewString(key))) }

// NewKeyRef returns the Z39 key reference {"Z1K1":"Z39","Z39K1":key}.
func NewKeyRef(key string) *Object { return NewRecord(NewRef(Z39), KV("Z39K1", NewString(key))) }

// NewQuote returns the Z99 quote {"Z1K1":"Z99","Z99K1":v}.
func NewQuote(v *Object) *Object { return NewRecord(NewRef(Z99), KV("Z99K1", v)) }

// Void returns the reference Z24, the only value of the unit type Z21.
func Void() *Object { return NewRef(Z24) }

// IsVoid reports whether o is void: the reference Z24, or an object whose Z1K1 is Z21
// (the check upstream's tests apply to results).
func IsVoid(o *Object) bool {
	if o == nil {
		return false
	}
	return o.Is(Z24) || (o.kind == KindRecord && o.Type().Is(Z21))
}

// TypeKey returns a string that identifies a type object the way upstream's ZObjectKeyFactory
// does: "Z6" for a reference, "Z881(Z6)" for a call of a generic type constructor (arguments
// in key order), the identity (Z4K1) of a literal Z4, and the identity (Z8K5) of a literal
// function. It returns "" for anything that does not describe a type.
func TypeKey(t *Object) string {
	var b strings.Builder
	if !writeTypeKey(&b, t, 0) {
		return ""
	}
	return b.String()
}

// maxTypeKeyDepth bounds the nesting TypeKey follows, so hostile input cannot exhaust the stack.
const maxTypeKeyDepth = 64

func writeTypeKey(b *strings.Builder, t *Object, depth int) bool {
	if t == nil || depth > maxTypeKeyDepth {
		return false
	}
	switch t.kind {
	case KindReference:
		b.WriteString(t.text)
		return true
	case KindRecord:
		typ := t.Type()
		switch {
		case typ.Is(Z7):
			if !writeTypeKey(b, t.Get("Z7K1"), depth+1) {
				return false
			}
			b.WriteByte('(')
			first := true
			for i, k := range t.keys {
				if k == KeyType || k == "Z7K1" {
					continue
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				if !writeTypeKey(b, t.vals[i], depth+1) {
					return false
				}
			}
			b.WriteByte(')')
			return true
		case typ.Is(Z4):
			return writeTypeKey(b, t.Get("Z4K1"), depth+1)
		case typ.Is(Z8):
			return writeTypeKey(b, t.Get("Z8K5"), depth+1)
		}
	case KindList:
		return false
	}
	return false
}

// TypeOf returns TypeKey(o.Type()): "Z6" for a string, "Z881(Z6)" for a list of strings,
// "Z60" for a record of type Z60, "" when the type is missing or not understood.
func TypeOf(o *Object) string { return TypeKey(o.Type()) }

// IsListType reports whether t is the type of a typed list: a call of Z881, or a literal Z4
// whose identity is one.
func IsListType(t *Object) bool { return ListItemType(t) != nil }

// ListItemType returns T for a list type Z881(T) (also through a literal Z4, or with a
// literal function whose identity is Z881), or nil.
func ListItemType(t *Object) *Object {
	for i := 0; i < maxTypeKeyDepth && t.IsRecord(); i++ {
		switch {
		case t.Type().Is(Z7) && TypeKey(t.Get("Z7K1")) == Z881:
			// Z7K1 is the reference Z881 or a literal function whose identity is Z881.
			return t.Get("Z881K1")
		case t.Type().Is(Z4):
			t = t.Get("Z4K1")
		default:
			return nil
		}
	}
	return nil
}
