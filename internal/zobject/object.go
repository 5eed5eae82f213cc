package zobject

import "strconv"

// Kind says which of the four in-memory shapes an Object has.
type Kind uint8

// The shapes of an Object. Every ZObject is one of these; the ZObject type (Z1K1) is separate.
const (
	// KindString is a Z6 string: canonical "text", normal {"Z1K1":"Z6","Z6K1":"text"}.
	KindString Kind = iota + 1
	// KindReference is a Z9 reference: canonical "Z123", normal {"Z1K1":"Z9","Z9K1":"Z123"}.
	KindReference
	// KindRecord is any other object: ordered keys to values, usually with a Z1K1.
	KindRecord
	// KindList is a Z881 typed list: canonical [type, items...], normal nested K1/K2 records.
	KindList
)

// String names the kind, for messages.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindReference:
		return "reference"
	case KindRecord:
		return "record"
	case KindList:
		return "list"
	}
	return "invalid"
}

// Field is one key and its value, used to build records.
type Field struct {
	Key   string
	Value *Object
}

// KV is shorthand for Field{Key: key, Value: value}.
func KV(key string, value *Object) Field { return Field{Key: key, Value: value} }

// indexThreshold is the number of keys from which a record gets a lookup map.
// Below it a linear scan over the keys is faster than hashing.
const indexThreshold = 12

// Object is an immutable ZObject. Objects are shared by pointer: never modify one after it
// is built. Constructors and Parse return fresh Objects, except that a reference to a built-in
// ZID (Z1–Z999) is one shared Object per ZID.
// All methods are safe for concurrent use. The zero Object and a nil *Object are invalid;
// accessors on nil return zero values so a missing key can be chained safely.
type Object struct {
	kind Kind
	// text is the Z6K1 of a string or the Z9K1 of a reference.
	text string
	// keys and vals are the fields of a record in their order; vals are the items of a list.
	keys  []string
	vals  []*Object
	index map[string]int
	// itemType is the item type of a list.
	itemType *Object
}

// NewString returns the Z6 string s.
func NewString(s string) *Object { return &Object{kind: KindString, text: s} }

// NewRef returns a Z9 reference to zid. The zid is not checked: IsReference says whether it
// looks like one, and validation reports a bad one. References to Z1–Z999 are shared.
func NewRef(zid string) *Object {
	if i := builtinIndex(zid); i > 0 {
		return &builtinRefs[i]
	}
	return &Object{kind: KindReference, text: zid}
}

// builtinRefs holds the references to Z1–Z999 (index 0 unused): types, built-in functions and
// the like are referred to by every call, and were a large part of a call's allocations.
var builtinRefs = func() []Object {
	refs := make([]Object, 1000)
	for i := 1; i < len(refs); i++ {
		refs[i] = Object{kind: KindReference, text: "Z" + strconv.Itoa(i)}
	}
	return refs
}()

// builtinIndex returns n for the ZID Zn with 1 ≤ n ≤ 999 (no leading zero), or 0.
func builtinIndex(zid string) int {
	if len(zid) < 2 || len(zid) > 4 || zid[0] != 'Z' || zid[1] == '0' {
		return 0
	}
	n := 0
	for i := 1; i < len(zid); i++ {
		c := zid[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// NewRecord returns a record of type typ (its Z1K1, first) with the given fields after it.
// A nil typ gives a record without Z1K1. A later field with the same key replaces the earlier
// one in place; a field with a nil value is left out.
func NewRecord(typ *Object, fields ...Field) *Object {
	n := len(fields)
	if typ != nil {
		n++
	}
	o := newRecord(n)
	if typ != nil {
		o.keys = append(o.keys, KeyType)
		o.vals = append(o.vals, typ)
	}
	for _, f := range fields {
		o.set(f.Key, f.Value)
	}
	o.buildIndex()
	return o
}

// newRecord returns an empty record with room for n fields. Small records come in one
// allocation with their keys and values (most records have two to six fields).
func newRecord(n int) *Object {
	switch {
	case n <= 2:
		r := &struct {
			o Object
			k [2]string
			v [2]*Object
		}{}
		r.o = Object{kind: KindRecord, keys: r.k[:0], vals: r.v[:0]}
		return &r.o
	case n <= 4:
		r := &struct {
			o Object
			k [4]string
			v [4]*Object
		}{}
		r.o = Object{kind: KindRecord, keys: r.k[:0], vals: r.v[:0]}
		return &r.o
	case n <= 8:
		r := &struct {
			o Object
			k [8]string
			v [8]*Object
		}{}
		r.o = Object{kind: KindRecord, keys: r.k[:0], vals: r.v[:0]}
		return &r.o
	}
	return &Object{kind: KindRecord, keys: make([]string, 0, n), vals: make([]*Object, 0, n)}
}

// NewRecordOf returns a record whose fields are exactly fields, in order (Z1K1 included when
// the caller gives one). Duplicate keys: the later value wins, at the earlier position.
func NewRecordOf(fields ...Field) *Object { return NewRecord(nil, fields...) }

// set adds or replaces a field during construction.
func (o *Object) set(key string, v *Object) {
	if v == nil {
		return
	}
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
}

func (o *Object) buildIndex() {
	if len(o.keys) < indexThreshold {
		return
	}
	o.index = make(map[string]int, len(o.keys))
	for i, k := range o.keys {
		o.index[k] = i
	}
}

// NewList returns a typed list (Z881) of items whose item type is itemType (Z1 when nil).
// The items slice is copied.
func NewList(itemType *Object, items ...*Object) *Object {
	if itemType == nil {
		itemType = NewRef(Z1)
	}
	cp := make([]*Object, len(items))
	copy(cp, items)
	return &Object{kind: KindList, itemType: itemType, vals: cp}
}

// newListOwned is NewList without the copy, for slices nobody else holds.
func newListOwned(itemType *Object, items []*Object) *Object {
	return &Object{kind: KindList, itemType: itemType, vals: items}
}

// Kind returns the shape of o (0 for nil).
func (o *Object) Kind() Kind {
	if o == nil {
		return 0
	}
	return o.kind
}

// IsString reports whether o is a Z6 string.
func (o *Object) IsString() bool { return o != nil && o.kind == KindString }

// IsRef reports whether o is a Z9 reference.
func (o *Object) IsRef() bool { return o != nil && o.kind == KindReference }

// IsRecord reports whether o is a record.
func (o *Object) IsRecord() bool { return o != nil && o.kind == KindRecord }

// IsList reports whether o is a typed list.
func (o *Object) IsList() bool { return o != nil && o.kind == KindList }

// StringValue returns the text of a Z6 string (its Z6K1), or "" for any other object.
func (o *Object) StringValue() string {
	if o == nil || o.kind != KindString {
		return ""
	}
	return o.text
}

// RefID returns the ZID of a Z9 reference (its Z9K1), or "" for any other object.
func (o *Object) RefID() string {
	if o == nil || o.kind != KindReference {
		return ""
	}
	return o.text
}

// Is reports whether o is a reference to zid.
func (o *Object) Is(zid string) bool { return o != nil && o.kind == KindReference && o.text == zid }

// Get returns the value under key, or nil when there is none. It works on every shape the
// way the normal form reads: a string has Z1K1 (a reference to Z6) and no object under Z6K1
// (use StringValue); a reference has Z1K1 (Z9); a list has Z1K1 (its Z881 type), K1 (the
// first item) and K2 (the rest of the list), or only Z1K1 when empty.
func (o *Object) Get(key string) *Object {
	if o == nil {
		return nil
	}
	switch o.kind {
	case KindRecord:
		if o.index != nil {
			if i, ok := o.index[key]; ok {
				return o.vals[i]
			}
			return nil
		}
		for i, k := range o.keys {
			if k == key {
				return o.vals[i]
			}
		}
		return nil
	case KindString:
		if key == KeyType {
			return &builtinRefs[6]
		}
	case KindReference:
		if key == KeyType {
			return &builtinRefs[9]
		}
	case KindList:
		switch key {
		case KeyType:
			return ListType(o.itemType)
		case "K1":
			if len(o.vals) > 0 {
				return o.vals[0]
			}
		case "K2":
			if len(o.vals) > 0 {
				return newListOwned(o.itemType, o.vals[1:len(o.vals):len(o.vals)])
			}
		}
	}
	return nil
}

// Has reports whether Get(key) would return a value.
func (o *Object) Has(key string) bool {
	if o != nil && o.kind == KindRecord {
		if o.index != nil {
			_, ok := o.index[key]
			return ok
		}
		for _, k := range o.keys {
			if k == key {
				return true
			}
		}
		return false
	}
	return o.Get(key) != nil
}

// Keys returns the keys of o in order, in the normal-form reading described at Get
// (a string has Z1K1 and Z6K1). The returned slice must not be modified.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	switch o.kind {
	case KindRecord:
		return o.keys
	case KindString:
		return stringKeys
	case KindReference:
		return referenceKeys
	case KindList:
		if len(o.vals) == 0 {
			return emptyListKeys
		}
		return listKeys
	}
	return nil
}

// The keys of the shapes that are not records, shared (Keys' result must not be modified).
var (
	stringKeys    = []string{KeyType, "Z6K1"}
	referenceKeys = []string{KeyType, "Z9K1"}
	emptyListKeys = []string{KeyType}
	listKeys      = []string{KeyType, "K1", "K2"}
)

// Fields returns the fields of a record in order (nil for other shapes). The Values are shared.
func (o *Object) Fields() []Field {
	if o == nil || o.kind != KindRecord {
		return nil
	}
	fs := make([]Field, len(o.keys))
	for i, k := range o.keys {
		fs[i] = Field{Key: k, Value: o.vals[i]}
	}
	return fs
}

// Len returns the number of fields of a record, or of items of a list; 0 otherwise.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	switch o.kind {
	case KindRecord:
		return len(o.keys)
	case KindList:
		return len(o.vals)
	}
	return 0
}

// Items returns the items of a typed list (nil for other shapes). The slice must not be modified.
func (o *Object) Items() []*Object {
	if o == nil || o.kind != KindList {
		return nil
	}
	return o.vals
}

// ItemType returns the item type of a typed list (its Z881K1), or nil for other shapes.
func (o *Object) ItemType() *Object {
	if o == nil || o.kind != KindList {
		return nil
	}
	return o.itemType
}

// Type returns the Z1K1 of o: Z6 for strings, Z9 for references, the Z881 generic type for
// lists, and the record's Z1K1 (nil when it has none) for records.
func (o *Object) Type() *Object { return o.Get(KeyType) }

// With returns a copy of record o with key set to v (replaced in place or appended).
// It returns nil when o is not a record.
func (o *Object) With(key string, v *Object) *Object {
	if o == nil || o.kind != KindRecord {
		return nil
	}
	n := newRecord(len(o.keys) + 1)
	n.keys = append(n.keys, o.keys...)
	n.vals = append(n.vals, o.vals...)
	n.set(key, v)
	n.buildIndex()
	return n
}

// Without returns a copy of record o without key. It returns nil when o is not a record.
func (o *Object) Without(key string) *Object {
	if o == nil || o.kind != KindRecord {
		return nil
	}
	n := newRecord(len(o.keys))
	for i, k := range o.keys {
		if k != key {
			n.keys = append(n.keys, k)
			n.vals = append(n.vals, o.vals[i])
		}
	}
	n.buildIndex()
	return n
}
