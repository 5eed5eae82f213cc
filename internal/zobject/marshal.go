package zobject

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
		return appendCanonicalArray(b, o.itemType, o.items)
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
			return append(items, c.items...), true
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
		typ := AppendNormal(nil, ListType(o.itemType))
		for _, it := range o.items {
			b = append(b, `{"Z1K1":`...)
			b = append(b, typ...)
			b = append(b, `,"K1":`...)
			b = AppendNormal(b, it)
			b = append(b, `,"K2":`...)
		}
		b = append(b, `{"Z1K1":`...)
		b = append(b, typ...)
		b = append(b, '}')
		for range o.items {
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
