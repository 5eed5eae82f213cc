package zobject

import "unicode/utf8"

// CanonicalJSON returns o in canonical form, the way function-schemata's canonicalize writes
// it: references and strings that do not look like references are bare JSON strings (a string
// that looks like a reference stays {"Z1K1":"Z6","Z6K1":"Z1"}), lists are arrays
// [itemType, items...], and records keep their key order. A record whose type is a list type
// (a Z881 call, or a literal Z4 whose identity is one) is written as an array too.
// It returns "null" for a nil Object.
func (o *Object) CanonicalJSON() []byte { return AppendCanonical(nil, o) }

// NormalJSON returns o in normal form: every string, reference and type spelled out as an
// object, lists as nested K1/K2 records typed Z881(T). A record whose Z1K1 is the reference
// Z6 or Z9 keeps it bare ("Z1K1":"Z6"), as upstream's normalize does.
// It returns "null" for a nil Object.
func (o *Object) NormalJSON() []byte { return AppendNormal(nil, o) }

// MarshalJSON writes the canonical form, so *Object works with encoding/json.
func (o *Object) MarshalJSON() ([]byte, error) { return o.CanonicalJSON(), nil }

// String returns the canonical JSON, for logs and test messages.
func (o *Object) String() string { return string(o.CanonicalJSON()) }

// AppendCanonical appends the canonical JSON of o to b.
func AppendCanonical(b []byte, o *Object) []byte {
	if o == nil {
		return append(b, "null"...)
	}
	switch o.kind {
	case KindString:
		if IsReference(o.text) {
			b = append(b, `{"Z1K1":"Z6","Z6K1":`...)
			b = appendQuoted(b, o.text)
			return append(b, '}')
		}
		return appendQuoted(b, o.text)
	case KindReference:
		if IsReference(o.text) {
			return appendQuoted(b, o.text)
		}
		b = append(b, `{"Z1K1":"Z9","Z9K1":`...)
		b = appendQuoted(b, o.text)
		return append(b, '}')
	case KindList:
		return appendCanonicalArray(b, o.itemType, o.vals)
	case KindRecord:
		if t := o.Type(); t != nil && IsListType(t) {
			if items, ok := consItems(o); ok {
				return appendCanonicalArray(b, ListItemType(t), items)
			}
		}
		b = append(b, '{')
		for i, k := range o.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, k)
			b = append(b, ':')
			b = AppendCanonical(b, o.vals[i])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

func appendCanonicalArray(b []byte, itemType *Object, items []*Object) []byte {
	b = append(b, '[')
	b = AppendCanonical(b, itemType)
	for _, it := range items {
		b = append(b, ',')
		b = AppendCanonical(b, it)
	}
	return append(b, ']')
}

// consItems walks a record in cons form (K1 head, K2 tail, ending in a cell without K1) and
// returns its items; ok is false when the chain does not have that shape.
func consItems(o *Object) (items []*Object, ok bool) {
	for c := o; ; {
		switch {
		case c.IsList():
			return append(items, c.vals...), true
		case !c.IsRecord():
			return nil, false
		case !c.Has("K1"):
			return items, true
		}
		items = append(items, c.Get("K1"))
		c = c.Get("K2")
	}
}

// AppendNormal appends the normal JSON of o to b.
func AppendNormal(b []byte, o *Object) []byte {
	if o == nil {
		return append(b, "null"...)
	}
	switch o.kind {
	case KindString:
		b = append(b, `{"Z1K1":"Z6","Z6K1":`...)
		b = appendQuoted(b, o.text)
		return append(b, '}')
	case KindReference:
		b = append(b, `{"Z1K1":"Z9","Z9K1":`...)
		b = appendQuoted(b, o.text)
		return append(b, '}')
	case KindList:
		if len(o.vals) == 0 {
			// Written in place: copying a separately built type would make lists nested
			// in item types cost quadratic time.
			b = append(b, `{"Z1K1":`...)
			b = AppendNormal(b, ListType(o.itemType))
			return append(b, '}')
		}
		typ := AppendNormal(nil, ListType(o.itemType))
		for _, it := range o.vals {
			b = append(b, `{"Z1K1":`...)
			b = append(b, typ...)
			b = append(b, `,"K1":`...)
			b = AppendNormal(b, it)
			b = append(b, `,"K2":`...)
		}
		b = append(b, `{"Z1K1":`...)
		b = append(b, typ...)
		b = append(b, '}')
		for range o.vals {
			b = append(b, '}')
		}
		return b
	case KindRecord:
		b = append(b, '{')
		for i, k := range o.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, k)
			b = append(b, ':')
			v := o.vals[i]
			if k == KeyType && (v.Is(Z6) || v.Is(Z9)) {
				b = appendQuoted(b, v.text)
				continue
			}
			b = AppendNormal(b, v)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// MaxNormalSize is the largest normal form Normalize, Canonicalize and ValidateObject write.
// The normal form repeats a list's type in every cell, so an object whose list types are
// themselves lists with items grows exponentially when spelled out; such objects are
// refused with a Z5 instead.
const MaxNormalSize = 64 << 20

// NormalSize returns len(o.NormalJSON()) without writing it, or limit+1 when the normal form
// is longer than limit. It takes time linear in the size of o.
func NormalSize(o *Object, limit int) int {
	ns := &normalSizer{limit: limit, memo: map[*Object]int{}}
	return ns.size(o)
}

type normalSizer struct {
	limit int
	memo  map[*Object]int
}

// add sums sizes, saturating at limit+1.
func (ns *normalSizer) add(xs ...int) int {
	total := 0
	for _, x := range xs {
		total += x
		if total > ns.limit {
			return ns.limit + 1
		}
	}
	return total
}

// mul multiplies, saturating at limit+1.
func (ns *normalSizer) mul(a, b int) int {
	if a != 0 && b > (ns.limit+1)/a {
		return ns.limit + 1
	}
	return ns.add(a * b)
}

const (
	normalStringPrefix = len(`{"Z1K1":"Z6","Z6K1":`) // same length for Z9
	normalListTypeHead = len(`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":`)
	normalCellHead     = len(`{"Z1K1":`)
	normalCellK1       = len(`,"K1":`)
	normalCellK2       = len(`,"K2":`)
)

func (ns *normalSizer) size(o *Object) int {
	if o == nil {
		return 4 // null
	}
	if n, ok := ns.memo[o]; ok {
		return n
	}
	var n int
	switch o.kind {
	case KindString, KindReference:
		n = ns.add(normalStringPrefix, quotedLen(o.text), 1)
	case KindRecord:
		n = ns.add(2, len(o.keys)-1)
		if len(o.keys) == 0 {
			n = 2
		}
		for i, k := range o.keys {
			v := o.vals[i]
			vs := 0
			if k == KeyType && (v.Is(Z6) || v.Is(Z9)) {
				vs = quotedLen(v.text)
			} else {
				vs = ns.size(v)
			}
			n = ns.add(n, quotedLen(k), 1, vs)
		}
	case KindList:
		typ := ns.add(normalListTypeHead, ns.size(o.itemType), 1)
		cell := ns.add(normalCellHead, typ, normalCellK1, normalCellK2, 1) // the 1 is the closing brace
		n = ns.add(normalCellHead, typ, 1, ns.mul(len(o.vals), cell))
		for _, it := range o.vals {
			n = ns.add(n, ns.size(it))
		}
	default:
		n = 4
	}
	ns.memo[o] = n
	return n
}

// quotedLen is len(appendQuoted(nil, s)).
func quotedLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}
