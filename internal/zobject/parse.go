package zobject

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// NotZObjectError describes JSON that decodes but is not a ZObject in any form.
type NotZObjectError struct {
	Path  string // where the value is, such as "Z2K2" or "Z12K1[1]" ("" for the top)
	Value string // the offending JSON text, shortened
	Msg   string
	code  string   // the Z5xx error type that describes it
	segs  []string // Path while it is being built, innermost first
}

// within records that err happened inside seg (a key or "[i]") of the object being built.
// Paths are assembled only on failure, so deep input costs nothing extra when it is fine.
func within(err error, seg string) error {
	if ne, ok := err.(*NotZObjectError); ok {
		ne.segs = append(ne.segs, seg)
	}
	return err
}

// finishPath turns the collected segments into Path.
func finishPath(err error) error {
	ne, ok := err.(*NotZObjectError)
	if !ok {
		return err
	}
	var b strings.Builder
	for i := len(ne.segs) - 1; i >= 0; i-- {
		s := ne.segs[i]
		if b.Len() > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	ne.Path, ne.segs = b.String(), nil
	return ne
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

func (e *NotZObjectError) Error() string {
	where := ""
	if e.Path != "" {
		where = " at " + e.Path
	}
	return fmt.Sprintf("zobject: not a ZObject%s: %s: %s", where, e.Msg, e.Value)
}

// Unwrap lets errors.Is(err, ErrNotZObject) match.
func (e *NotZObjectError) Unwrap() error { return ErrNotZObject }

// Parse decodes a ZObject written in canonical, normal or mixed form. Parse checks only what
// the in-memory form needs (JSON syntax; no numbers, Booleans or null); use
// Decode or Validate to check that the object is well-formed. Errors wrap ErrSyntax or
// ErrNotZObject; ErrorObject turns one into a Z5.
//
// A bare string is a reference when IsReference says so and a string otherwise; the objects
// {"Z1K1":"Z6","Z6K1":s} and {"Z1K1":"Z9","Z9K1":s} become strings and references; arrays
// [type, items...] (an empty array is an empty list of Z1, as upstream reads it) and
// normal-form lists (nested K1/K2 records whose types are all the same call of Z881) become
// lists. Everything else becomes a record with its keys in order.
func Parse(data []byte) (*Object, error) {
	if o, ok := parseDirect(data); ok {
		return o, nil
	}
	n, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	return buildTop(n)
}

// buildTop builds n and finishes the path of a failure.
func buildTop(n *node) (*Object, error) {
	o, err := build(n)
	if err != nil {
		return nil, finishPath(err)
	}
	return o, nil
}

// MustParse is Parse for constants in code and tests: it panics on error.
func MustParse(s string) *Object {
	o, err := Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return o
}

// UnmarshalJSON lets *Object be a field decoded by encoding/json. It must only be used on a
// fresh Object (Objects are immutable once shared).
func (o *Object) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*o = *p
	return nil
}

// shorten returns the JSON of n cut to 80 bytes; it never writes much more than that.
func shorten(n *node) string {
	b := appendJSONLimit(nil, n, 80)
	if len(b) > 80 {
		return strings.ToValidUTF8(string(b[:77]), "") + "..."
	}
	return string(b)
}

// build turns decoded JSON into an Object.
func build(n *node) (*Object, error) {
	switch n.kind {
	case nString:
		if IsReference(n.s) {
			return NewRef(n.s), nil
		}
		return NewString(n.s), nil
	case nNumber, nTrue, nFalse, nNull:
		return nil, &NotZObjectError{Value: n.s, Msg: "ZObjects must not be a number, Boolean or null", code: CodeNumberBooleanNull}
	case nArray:
		if len(n.vals) == 0 {
			// Upstream reads an array without its item type as an empty list of Z1.
			return newListOwned(NewRef(Z1), nil), nil
		}
		itemType, err := build(n.vals[0])
		if err != nil {
			return nil, within(err, index(0))
		}
		items := make([]*Object, len(n.vals)-1)
		for i, v := range n.vals[1:] {
			if items[i], err = build(v); err != nil {
				return nil, within(err, index(i+1))
			}
		}
		return newListOwned(itemType, items), nil
	}
	// An object.
	if len(n.keys) == 2 && n.has(KeyType) {
		t := n.get(KeyType)
		if t.isString() && (t.s == Z6 || t.s == Z9) {
			valueKey := t.s + "K1"
			if v := n.get(valueKey); v.isString() {
				if t.s == Z6 {
					return NewString(v.s), nil
				}
				return NewRef(v.s), nil
			}
		}
	}
	if l, ok, err := buildConsList(n); ok || err != nil {
		return l, err
	}
	o := newRecord(len(n.keys))
	o.keys = append(o.keys, n.keys...)
	for i, v := range n.vals {
		b, err := build(v)
		if err != nil {
			return nil, within(err, n.keys[i])
		}
		o.vals = append(o.vals, b)
	}
	o.buildIndex()
	return o, nil
}

// buildConsList recognises a typed list in normal (cons) form: a chain of records
// {"Z1K1": T, "K1": item, "K2": next} ending in {"Z1K1": T}, where T is the same call of Z881
// in every cell. The chain is walked iteratively so long lists cost no recursion. ok is false
// when n is not such a chain; the caller then builds it as a record.
func buildConsList(n *node) (list *Object, ok bool, err error) {
	first := n.get(KeyType)
	if first == nil || first.kind != nObject || !isListTypeNode(first) {
		return nil, false, nil
	}
	// Check the shape of the whole chain before building anything.
	var cells []*node
	for c := n; ; {
		if c.kind != nObject {
			return nil, false, nil
		}
		switch len(c.keys) {
		case 1:
			if !c.has(KeyType) {
				return nil, false, nil
			}
			cells = append(cells, c)
		case 3:
			if !c.has(KeyType) || !c.has("K1") || !c.has("K2") {
				return nil, false, nil
			}
			cells = append(cells, c)
			c = c.get("K2")
			continue
		default:
			return nil, false, nil
		}
		break
	}
	typ, err := build(first)
	if err != nil {
		return nil, false, within(err, KeyType)
	}
	items := make([]*Object, 0, len(cells)-1)
	for i, c := range cells {
		if i > 0 {
			t, err := build(c.get(KeyType))
			if err != nil {
				return nil, false, within(within(err, KeyType), index(i))
			}
			if !Equal(t, typ) {
				return nil, false, nil
			}
		}
		if i == len(cells)-1 {
			break
		}
		item, err := build(c.get("K1"))
		if err != nil {
			return nil, false, within(err, index(i))
		}
		items = append(items, item)
	}
	return newListOwned(ListItemType(typ), items), true, nil
}

// isListTypeNode reports whether n is a call of Z881 in canonical or normal form with exactly
// the keys Z1K1, Z7K1 and Z881K1.
func isListTypeNode(n *node) bool {
	if len(n.keys) != 3 || !n.has("Z881K1") {
		return false
	}
	return isRefNode(n.get(KeyType), Z7) && isRefNode(n.get("Z7K1"), Z881)
}

// isRefNode reports whether n is a reference to zid, canonical or normal.
func isRefNode(n *node, zid string) bool {
	if n == nil {
		return false
	}
	if n.kind == nString {
		return n.s == zid
	}
	return n.kind == nObject && len(n.keys) == 2 && n.get(KeyType).isString() &&
		n.get(KeyType).s == Z9 && n.get("Z9K1").isString() && n.get("Z9K1").s == zid
}

// ErrorObject returns the Z5 that describes an error from Parse or Decode: a Z501 syntax
// error for text that is not JSON, a Z502 (not well-formed) around the specific error type for
// JSON that is not a ZObject, and a Z500 for any other error.
func ErrorObject(err error) *Object {
	var se *SyntaxError
	var ne *NotZObjectError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return Error(CodeSyntax, NewString(se.Error()))
	case errors.As(err, &ne):
		inner := Error(ne.code, NewQuote(NewString(ne.Value)))
		return Error(CodeNotWellformed, NewRef(ne.code), inner)
	}
	return Error(CodeUnknown, NewString(err.Error()))
}
