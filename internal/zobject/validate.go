package zobject

import (
	"strconv"
	"unicode/utf8"
)

// Form is one of the JSON spellings of a ZObject.
type Form uint8

const (
	// Canonical is the compact form: bare strings for references and strings, arrays for lists.
	Canonical Form = iota + 1
	// Normal spells everything out: {"Z1K1":"Z6","Z6K1":...}, {"Z1K1":"Z9","Z9K1":...},
	// lists as nested K1/K2 records.
	Normal
	// Mixed is anything in between; it is what Parse and Normalize accept.
	Mixed
)

func (f Form) String() string {
	switch f {
	case Canonical:
		return "canonical"
	case Normal:
		return "normal"
	case Mixed:
		return "mixed"
	}
	return "invalid form"
}

// Schema names that are not ZIDs, accepted by Validate as the type to check against.
const (
	// SchemaList checks a typed list (Z881) of anything.
	SchemaList = "LIST"
	// SchemaGeneric checks an object whose type is a function call (a generic type instance).
	SchemaGeneric = "GENERIC"
)

// Validate checks that data is a well-formed ZObject in the given form and, for typ other
// than "Z1", an instance of that type (a ZID of a core type, SchemaList or SchemaGeneric).
// It returns nil when the object is valid and otherwise a Z5 error of type Z502 (not
// well-formed) whose Z502K1 names the specific problem and whose Z502K2 is the Z5 for it;
// problems inside a key are wrapped in Z526 (key value not well-formed) for each key on the
// way, problems inside an array in Z522 (array element not well-formed).
//
// The rules are function-schemata's (adb4e69): core types are checked field by field
// (required keys, key formats, patterns such as Z61's language code or Z80's byte), typed
// lists check their item type and items, and wherever a value of some type is expected a
// resolver (a reference, a Z7 call or a Z18 argument reference) is accepted too, except where
// upstream forbids it (Z3, Z17, Z18 and Z39 cannot be references; Z2K2 cannot be a reference
// or one of Z2, Z3, Z5, Z9, Z16, Z17, Z18 and Z39). The mixed form is only checked for
// well-formedness: strings, arrays and records with a Z1K1 and valid keys.
// Types other than the core types are checked as plain objects.
func Validate(data []byte, form Form, typ string) *Object {
	n, err := decodeJSON(data)
	if err != nil {
		return ErrorObject(err)
	}
	return validateNode(n, form, typ)
}

// ValidateDeep is Validate, but applies the rules of the core types to every record it
// meets, not only where a value of that type is expected: a Z8 stored as a Z2K2 must have
// all five keys, a Z40 anywhere must be Z41 or Z42. Upstream's schemas are shallower
// (Validate); use ValidateDeep where objects are accepted for storage.
func ValidateDeep(data []byte, form Form, typ string) *Object {
	n, err := decodeJSON(data)
	if err != nil {
		return ErrorObject(err)
	}
	return validateNodeWith(newValidator(form, true), n, typ)
}

// ValidateObject checks o, in its normal form, against typ as Validate does. Objects built
// by this package are always well-formed JSON, so this reports only type problems (such as a
// Z40 whose value is neither Z41 nor Z42).
func ValidateObject(o *Object, typ string) *Object {
	if e := checkNormalSize(o); e != nil {
		return e
	}
	n, err := decodeJSON(o.NormalJSON())
	if err != nil {
		return ErrorObject(err)
	}
	return validateNode(n, Normal, typ)
}

func validateNode(n *node, form Form, typ string) *Object {
	return validateNodeWith(newValidator(form, false), n, typ)
}

func validateNodeWith(v *validator, n *node, typ string) *Object {
	var e *Object
	switch {
	case v.form == Mixed:
		e = v.mixed(n)
	case typ == "" || typ == Z1:
		e = v.object(n)
	case typ == SchemaList:
		e = v.list(n, Z1)
	case typ == SchemaGeneric:
		e = v.generic(n)
	default:
		e = v.typed(n, typ)
	}
	if e == nil {
		return nil
	}
	return Error(CodeNotWellformed, NewRef(ErrorType(e)), e)
}

// Decode parses data (canonical, normal or mixed) after checking it is a well-formed ZObject
// in the mixed form, as upstream's orchestrator does with its input. On failure it returns
// the Z5 that says why (and a nil Object).
func Decode(data []byte) (*Object, *Object) {
	n, err := decodeJSON(data)
	if err != nil {
		return nil, ErrorObject(err)
	}
	if e := validateNode(n, Mixed, Z1); e != nil {
		return nil, e
	}
	o, err := buildTop(n)
	if err != nil {
		return nil, ErrorObject(err)
	}
	return o, nil
}

// memoKey names one check of one node. Every check is computed once per node, so objects
// that nest the same shapes (types of types of types) cost linear, not exponential, time.
type memoKey struct {
	n     *node
	check string
	want  string
}

type validator struct {
	form Form
	memo map[memoKey]*Object
	// deep applies the rules of core types to every record, not only where a value of that
	// type is expected.
	deep bool
}

func newValidator(form Form, deep bool) *validator {
	return &validator{form: form, deep: deep, memo: make(map[memoKey]*Object)}
}

// maxValidateDepth bounds recursion; anything decodeJSON accepted is within it.
const maxValidateDepth = MaxDepth

// Error helpers.

func atKey(key string, inner *Object) *Object {
	if inner == nil {
		return nil
	}
	return Error(CodeKeyValue, NewKeyRef(key), inner)
}

func atIndex(i int, inner *Object) *Object {
	if inner == nil {
		return nil
	}
	return Error(CodeArrayElement, NewString(strconv.Itoa(i)), inner)
}

// maxQuoted is the size of JSON up to which an error quotes the offending object itself;
// larger ones (and JSON that is not a ZObject) are quoted as shortened text, so an error
// never grows with the input.
const maxQuoted = 4096

// quote returns n as a Z99 for error arguments.
func quote(n *node) *Object {
	if n == nil {
		return NewQuote(NewString("undefined"))
	}
	if len(appendJSONLimit(nil, n, maxQuoted)) <= maxQuoted {
		if o, err := buildTop(n); err == nil {
			return NewQuote(o)
		}
	}
	return NewQuote(NewString(shorten(n)))
}

func mismatch(expected string, n *node) *Object {
	return Error(CodeSchemaTypeMismatch, nil, NewString(expected), NewString(describe(n)))
}

func describe(n *node) string {
	switch n.kind {
	case nString:
		return "string " + strconv.Quote(n.s)
	case nArray:
		return "array"
	case nObject:
		return "object " + shorten(n)
	}
	return n.s
}

func formatError(what string, n *node) *Object {
	return Error(CodeInvalidFormat, NewQuote(NewString(what+": "+shorten(n))))
}

// notZObject reports numbers, Booleans and null, or returns nil.
func notZObject(n *node) *Object {
	switch n.kind {
	case nNumber, nTrue, nFalse, nNull:
		return Error(CodeNumberBooleanNull, NewQuote(NewString(n.s)))
	}
	return nil
}

// mixed checks the mixed schema: strings, arrays of mixed objects, records with a Z1K1 and
// key-shaped keys whose values are mixed objects.
func (v *validator) mixed(n *node) *Object {
	var walkErr func(n *node, depth int) *Object
	walkErr = func(n *node, depth int) *Object {
		if e := notZObject(n); e != nil {
			return e
		}
		if depth > maxValidateDepth {
			return formatError("nested too deeply", n)
		}
		switch n.kind {
		case nArray:
			for i, c := range n.vals {
				if e := walkErr(c, depth+1); e != nil {
					return atIndex(i, e)
				}
			}
		case nObject:
			if !n.has(KeyType) {
				return Error(CodeMissingType, quote(n))
			}
			for i, k := range n.keys {
				if !IsKey(k) {
					return Error(CodeInvalidKey, NewString(k))
				}
				if e := walkErr(n.vals[i], depth+1); e != nil {
					return atKey(k, e)
				}
			}
		}
		return nil
	}
	return walkErr(n, 0)
}

// Views of terminal values in the validator's form.

// ref returns the ZID n refers to when n is a reference in this form.
func (v *validator) ref(n *node) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.kind == nString {
		switch v.form {
		case Canonical:
			return n.s, IsZID(n.s)
		case Mixed:
			return n.s, IsReference(n.s)
		}
		return "", false
	}
	if v.form == Canonical {
		return "", false
	}
	if n.kind == nObject && len(n.keys) == 2 {
		t, id := n.get(KeyType), n.get("Z9K1")
		if t.isString() && t.s == Z9 && id.isString() && IsReference(id.s) {
			return id.s, true
		}
	}
	return "", false
}

// str returns the text of n when n is a Z6 string in this form.
func (v *validator) str(n *node) (string, bool) {
	if n == nil {
		return "", false
	}
	if n.kind == nString {
		return n.s, v.form != Normal
	}
	if n.kind == nObject && len(n.keys) == 2 {
		t, s := n.get(KeyType), n.get("Z6K1")
		if t.isString() && t.s == Z6 && s.isString() {
			if v.form == Canonical && !IsZID(s.s) {
				return "", false
			}
			return s.s, true
		}
	}
	return "", false
}

// looseStr is str, but in canonical form also accepts any text spelled out as a Z6, as
// upstream's canonical schemas do for key strings (Z18K1, Z17K2, ...).
func (v *validator) looseStr(n *node) (string, bool) {
	if v.form == Canonical && n != nil && n.kind == nObject && len(n.keys) == 2 {
		t, s := n.get(KeyType), n.get("Z6K1")
		if t.isString() && t.s == Z6 && s.isString() {
			return s.s, true
		}
	}
	return v.str(n)
}

// typeOf returns the ZID of n's Z1K1 when it is a reference.
func (v *validator) typeOf(n *node) string {
	if n == nil || n.kind != nObject {
		return ""
	}
	t := n.get(KeyType)
	if t == nil {
		return ""
	}
	if t.isString() && (t.s == Z6 || t.s == Z9) {
		return t.s
	}
	id, _ := v.ref(t)
	return id
}

// object checks that n is a well-formed ZObject of any type.
func (v *validator) object(n *node) *Object { return v.objectAt(n, 0) }

func (v *validator) objectAt(n *node, depth int) *Object {
	k := memoKey{n: n, check: "objectAt", want: ""}
	if e, ok := v.memo[k]; ok {
		return e
	}
	e := v.objectAtUncached(n, depth)
	v.memo[k] = e
	return e
}

func (v *validator) objectAtUncached(n *node, depth int) *Object {
	if e := notZObject(n); e != nil {
		return e
	}
	if depth > maxValidateDepth {
		return formatError("nested too deeply", n)
	}
	switch n.kind {
	case nString:
		if v.form == Normal {
			return formatError("a string must be spelled out as a Z6 or Z9 in normal form", n)
		}
		return nil
	case nArray:
		if v.form == Normal {
			return formatError("a list must be spelled out as a Z881 in normal form", n)
		}
		return v.array(n, "", depth)
	}
	return v.record(n, depth, v.deep)
}

// array checks a canonical list [type, items...]; items are checked against want unless it
// is "" (then as any object).
func (v *validator) array(n *node, want string, depth int) *Object {
	if len(n.vals) == 0 {
		return Error(CodeUndefinedListType, quote(n))
	}
	if e := v.listItemType(n.vals[0], want, depth); e != nil {
		return atIndex(0, e)
	}
	for i, it := range n.vals[1:] {
		var e *Object
		if want == "" {
			e = v.objectAt(it, depth+1)
		} else {
			e = v.typedAt(it, want, depth+1)
		}
		if e != nil {
			return atIndex(i+1, e)
		}
	}
	return nil
}

// listItemType checks the declared item type t of a list that should hold want ("" or Z1
// for anything): t must be a type, and when it is a plain reference it must be want or Z1.
func (v *validator) listItemType(t *node, want string, depth int) *Object {
	if e := v.typeExpr(t, depth+1); e != nil {
		return e
	}
	if want == "" || want == Z1 {
		return nil
	}
	if id, ok := v.ref(t); ok {
		if id != want && id != Z1 {
			return Error(CodeWrongListType, quote(t))
		}
		return nil
	}
	// A literal type whose identity is a plain reference must name want (or Z1).
	if v.typeOf(t) == Z4 {
		if id, ok := v.ref(t.get("Z4K1")); ok && id != want && id != Z1 {
			return Error(CodeWrongListType, quote(t))
		}
	}
	return nil
}

// record checks an object: its Z1K1, its keys, and, when typed is true, the rules of its
// type. Without typed (a value where any object may stand), only the shape is checked, as
// upstream's Z1 schema does.
func (v *validator) record(n *node, depth int, typed bool) *Object {
	t := n.get(KeyType)
	if t == nil {
		return Error(CodeMissingType, quote(n))
	}
	for _, k := range n.keys {
		if !IsKey(k) {
			return Error(CodeInvalidKey, NewString(k))
		}
	}
	if t.kind == nString && (t.s == Z6 || t.s == Z9) && v.form != Canonical {
		// In canonical form an explicit terminal is only checked where a string or a
		// reference is expected (typedAt does that); elsewhere it is an ordinary record.
		if t.s == Z6 {
			return v.explicitString(n)
		}
		return v.explicitRef(n)
	}
	if t.kind != nObject && t.kind != nString {
		if e := notZObject(t); e != nil {
			return atKey(KeyType, e)
		}
		return atKey(KeyType, Error(CodeTypeIsStringOrArray, quote(t)))
	}
	if v.form == Normal && t.kind == nString {
		return atKey(KeyType, Error(CodeTypeIsStringOrArray, quote(t)))
	}
	if e := v.typeExpr(t, depth+1); e != nil {
		return atKey(KeyType, e)
	}
	if id, ok := v.ref(t); ok {
		switch id {
		case Z1, Z23:
			return atKey(KeyType, Error(CodeUnexpectedType, NewRef(Z4), NewRef(id)))
		}
		// A quote may hold anything wherever it is.
		if typed || id == Z99 {
			if e, ok := v.literal(id, n, depth); ok {
				return e
			}
		}
	} else if _, ok := v.listTypeItem(t, depth); ok {
		return v.cons(n, "", depth)
	}
	return v.fields(n, depth)
}

// fields checks every value of a record except Z1K1 as any object.
func (v *validator) fields(n *node, depth int) *Object {
	for i, k := range n.keys {
		if k == KeyType {
			continue
		}
		if e := v.objectAt(n.vals[i], depth+1); e != nil {
			return atKey(k, e)
		}
	}
	return nil
}

// explicitString checks {"Z1K1":"Z6","Z6K1":text}. In canonical form only texts that would
// otherwise read as references may be spelled out.
func (v *validator) explicitString(n *node) *Object {
	s := n.get("Z6K1")
	switch {
	case s == nil:
		return Error(CodeStringWithoutValue, quote(n))
	case s.kind != nString:
		return atKey("Z6K1", Error(CodeStringValueNotString, quote(s)))
	case len(n.keys) != 2:
		return Error(CodeStringKeys, quote(n))
	case v.form == Canonical && !IsZID(s.s):
		return formatError("a string that is not a ZID must be a bare string in canonical form", n)
	}
	return nil
}

// explicitStringAnyText is explicitString without the canonical rule on the text.
func (v *validator) explicitStringAnyText(n *node) *Object {
	saved := v.form
	v.form = Normal
	defer func() { v.form = saved }()
	return v.explicitString(n)
}

// explicitRef checks {"Z1K1":"Z9","Z9K1":zid}, which canonical form does not allow.
func (v *validator) explicitRef(n *node) *Object {
	r := n.get("Z9K1")
	switch {
	case r == nil:
		return Error(CodeReferenceWithoutValue, quote(n))
	case r.kind != nString:
		return atKey("Z9K1", Error(CodeReferenceNotString, quote(r)))
	case len(n.keys) != 2:
		return Error(CodeReferenceKeys, quote(n))
	case !IsReference(r.s):
		return atKey("Z9K1", Error(CodeReferenceNotReference, NewString(r.s)))
	case v.form == Canonical:
		return formatError("a reference must be a bare string in canonical form", n)
	}
	return nil
}

// looksLikeType reports, without checking its content, whether n has the shape of a type:
// a reference, the bare "Z6" or "Z9" of a terminal, or an object typed Z4, Z7 or Z18.
func (v *validator) looksLikeType(n *node) bool {
	if _, ok := v.ref(n); ok {
		return true
	}
	if n.isString() && (n.s == Z6 || n.s == Z9) {
		return true
	}
	switch v.typeOf(n) {
	case Z4, Z7, Z18:
		return true
	}
	return false
}

// typeExpr checks that n can stand for a type (Z4): a reference, a Z7 call, a Z18 argument
// reference or a literal Z4.
func (v *validator) typeExpr(n *node, depth int) *Object {
	k := memoKey{n: n, check: "typeExpr", want: ""}
	if e, ok := v.memo[k]; ok {
		return e
	}
	e := v.typeExprUncached(n, depth)
	v.memo[k] = e
	return e
}

func (v *validator) typeExprUncached(n *node, depth int) *Object {
	if e := notZObject(n); e != nil {
		return e
	}
	if _, ok := v.ref(n); ok {
		return nil
	}
	if n.kind == nObject {
		switch v.typeOf(n) {
		case Z7, Z18, Z4:
			return v.record(n, depth+1, true)
		}
	}
	return mismatch(Z4, n)
}

// listTypeItem reports whether t is the type of a typed list, a call of Z881 (through a
// literal function whose identity is Z881, or a literal Z4 whose identity is such a call), and
// returns the declared item type.
func (v *validator) listTypeItem(t *node, depth int) (*node, bool) {
	for i := 0; i < maxTypeKeyDepth && t != nil && t.kind == nObject; i++ {
		switch v.typeOf(t) {
		case Z4:
			t = t.get("Z4K1")
			continue
		case Z7:
			if v.isZ881(t.get("Z7K1")) && t.has("Z881K1") {
				return t.get("Z881K1"), true
			}
		}
		return nil, false
	}
	return nil, false
}

// isZ881 reports whether a function (reference or literal Z8 with identity Z8K5) is Z881.
func (v *validator) isZ881(f *node) bool {
	for i := 0; i < maxTypeKeyDepth && f != nil; i++ {
		if id, ok := v.ref(f); ok {
			return id == Z881
		}
		if v.typeOf(f) != Z8 {
			return false
		}
		f = f.get("Z8K5")
	}
	return false
}

// cons checks a typed list in cons form: {"Z1K1": Z881(T), "K1": item, "K2": rest} ending in
// {"Z1K1": Z881(T)}. Items are checked against want ("" for any object). The chain is walked
// iteratively.
func (v *validator) cons(n *node, want string, depth int) *Object {
	var wrapKeys []string
	wrap := func(e *Object) *Object {
		for i := len(wrapKeys) - 1; i >= 0; i-- {
			e = atKey(wrapKeys[i], e)
		}
		return e
	}
	for c := n; ; {
		if e := notZObject(c); e != nil {
			return wrap(e)
		}
		if c.kind != nObject {
			if _, ok := v.ref(c); ok {
				return nil // a resolver in the tail
			}
			return wrap(mismatch(SchemaList, c))
		}
		switch v.typeOf(c) {
		case Z18, Z7:
			return wrap(v.objectAt(c, depth+1))
		}
		t := c.get(KeyType)
		if t == nil {
			return wrap(Error(CodeMissingType, quote(c)))
		}
		item, ok := v.listTypeItem(t, depth)
		if !ok {
			return wrap(mismatch(SchemaList, c))
		}
		if e := v.typeExpr(t, depth+1); e != nil {
			return wrap(atKey(KeyType, e))
		}
		if e := v.listItemType(item, want, depth); e != nil {
			return wrap(atKey(KeyType, e))
		}
		for _, k := range c.keys {
			if k != KeyType && k != "K1" && k != "K2" {
				return wrap(Error(CodeInvalidKey, NewString(k)))
			}
		}
		head, tail := c.get("K1"), c.get("K2")
		switch {
		case head == nil && tail == nil:
			return nil
		case head == nil:
			return wrap(Error(CodeKeyNotFound, NewKeyRef("K1"), quote(c)))
		case tail == nil:
			return wrap(Error(CodeKeyNotFound, NewKeyRef("K2"), quote(c)))
		}
		var e *Object
		if want == "" {
			e = v.objectAt(head, depth+1)
		} else {
			e = v.typedAt(head, want, depth+1)
		}
		if e != nil {
			return wrap(atKey("K1", e))
		}
		wrapKeys = append(wrapKeys, "K2")
		c = tail
	}
}

// isResolver reports whether n is a Z18 argument reference or a Z7 function call.
func (v *validator) isResolver(n *node) bool {
	switch v.typeOf(n) {
	case Z18, Z7:
		return true
	}
	return false
}

// noReference reports the types whose values may not be given as a reference.
func noReference(zid string) bool {
	switch zid {
	case Z3, Z17, Z18, Z39:
		return true
	}
	return false
}

// typed checks that n is a value of type want (or a resolver that may produce one).
func (v *validator) typed(n *node, want string) *Object { return v.typedAt(n, want, 0) }

func (v *validator) typedAt(n *node, want string, depth int) *Object {
	k := memoKey{n: n, check: "typedAt", want: want}
	if e, ok := v.memo[k]; ok {
		return e
	}
	e := v.typedAtUncached(n, want, depth)
	v.memo[k] = e
	return e
}

func (v *validator) typedAtUncached(n *node, want string, depth int) *Object {
	if e := notZObject(n); e != nil {
		return e
	}
	if depth > maxValidateDepth {
		return formatError("nested too deeply", n)
	}
	switch want {
	case Z1:
		return v.objectAt(n, depth)
	case Z4:
		return v.typeExpr(n, depth)
	case Z6:
		// Upstream's canonical Z6 schema only lets a ZID be spelled out as a Z6, but inside
		// other objects it accepts any spelled-out string (the definitions use that for keys).
		str := v.str
		if depth > 0 {
			str = v.looseStr
		}
		if _, ok := str(n); ok {
			return nil
		}
		if v.typeOf(n) == Z6 {
			if depth > 0 && v.form == Canonical {
				return v.explicitStringAnyText(n)
			}
			return v.explicitString(n)
		}
	case Z9:
		if _, ok := v.ref(n); ok {
			return nil
		}
		if v.typeOf(n) == Z9 {
			return v.explicitRef(n)
		}
	case SchemaList:
		return v.list(n, Z1)
	}
	if _, ok := v.ref(n); ok {
		if noReference(want) {
			return mismatch(want, n)
		}
		return nil
	}
	if v.isResolver(n) {
		return v.record(n, depth, true)
	}
	if n.kind == nObject {
		t := n.get(KeyType)
		if v.typeOf(n) == want || t == nil || !v.looksLikeType(t) {
			// Its own type, or a broken Z1K1 that record reports at its key.
			return v.record(n, depth, true)
		}
	}
	return mismatch(want, n)
}

// list checks a typed list whose items are of type want (Z1 for anything).
func (v *validator) list(n *node, want string) *Object { return v.listAt(n, want, 0) }

func (v *validator) listAt(n *node, want string, depth int) *Object {
	k := memoKey{n: n, check: "listAt", want: want}
	if e, ok := v.memo[k]; ok {
		return e
	}
	e := v.listAtUncached(n, want, depth)
	v.memo[k] = e
	return e
}

func (v *validator) listAtUncached(n *node, want string, depth int) *Object {
	if e := notZObject(n); e != nil {
		return e
	}
	if _, ok := v.ref(n); ok {
		return nil
	}
	if v.isResolver(n) {
		return v.objectAt(n, depth)
	}
	w := want
	if w == Z1 {
		w = ""
	}
	switch n.kind {
	case nArray:
		if v.form == Normal {
			return formatError("a list must be spelled out as a Z881 in normal form", n)
		}
		return v.array(n, w, depth)
	case nObject:
		return v.cons(n, w, depth)
	}
	return mismatch(SchemaList, n)
}

// generic checks an instance of a generic type: a record whose Z1K1 is a Z7 call.
func (v *validator) generic(n *node) *Object {
	if e := notZObject(n); e != nil {
		return e
	}
	if n.kind != nObject || v.typeOf(n.get(KeyType)) != Z7 {
		return mismatch(SchemaGeneric, n)
	}
	return v.record(n, 0, v.deep)
}

// A field rule: how one key of a core type is checked.
type field struct {
	key      string
	required bool
	check    func(v *validator, n *node, depth int) *Object
}

func typedField(key string, want string, required bool) field {
	return field{key: key, required: required, check: func(v *validator, n *node, d int) *Object { return v.typedAt(n, want, d) }}
}

func listField(key string, want string, required bool) field {
	return field{key: key, required: required, check: func(v *validator, n *node, d int) *Object { return v.listAt(n, want, d) }}
}

func anyField(key string, required bool) field {
	return field{key: key, required: required, check: func(v *validator, n *node, d int) *Object { return v.objectAt(n, d) }}
}

// patternField is a Z6 whose text must satisfy ok (references are accepted as resolvers).
func patternField(key, what string, required bool, ok func(string) bool) field {
	return field{key: key, required: required, check: func(v *validator, n *node, d int) *Object {
		if s, isStr := v.looseStr(n); isStr {
			if ok(s) {
				return nil
			}
			if _, isRef := v.ref(n); isRef {
				return nil
			}
			return formatError("not "+what, n)
		}
		return v.typedAt(n, Z6, d)
	}}
}

// rootField is Z2K2: any object except a reference or an instance of the types that cannot
// be stored as a persistent object's value.
func rootField() field {
	return field{key: "Z2K2", required: true, check: func(v *validator, n *node, d int) *Object {
		if e := v.objectAt(n, d); e != nil {
			return e
		}
		if _, ok := v.ref(n); ok {
			return Error(CodeDisallowedRoot, quote(n))
		}
		switch v.typeOf(n) {
		case Z2, Z3, Z5, Z9, Z16, Z17, Z18, Z39:
			return Error(CodeDisallowedRoot, quote(n))
		}
		return nil
	}}
}

// isProgrammingLanguage reports whether s looks like a Z61 code: letters, digits and inner
// dashes, at least three characters, not starting or ending with a dash.
func isProgrammingLanguage(s string) bool {
	if len(s) < 3 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isHexByte reports whether s is two hexadecimal digits.
func isHexByte(s string) bool {
	isHex := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
	return len(s) == 2 && isHex(s[0]) && isHex(s[1])
}

func isOneCodePoint(s string) bool { return utf8.RuneCountInString(s) == 1 }

// literal checks a record of a core type (the ZID id) field by field. ok is false for types
// without rules, which are checked as plain records.
func (v *validator) literal(id string, n *node, depth int) (e *Object, ok bool) {
	var fs []field
	switch id {
	case Z2:
		fs = []field{typedField("Z2K1", Z6, true), rootField(), typedField("Z2K3", Z12, true),
			typedField("Z2K4", Z32, false), typedField("Z2K5", Z12, false)}
	case Z3:
		fs = []field{typedField("Z3K1", Z4, true), patternField("Z3K2", "a key", true, IsKey),
			typedField("Z3K3", Z12, true)}
	case Z4:
		fs = []field{typedField("Z4K1", Z4, true), listField("Z4K2", Z3, true), typedField("Z4K3", Z8, true)}
	case Z5:
		fs = []field{typedField("Z5K1", Z50, true), anyField("Z5K2", false)}
	case Z7:
		fs = []field{typedField("Z7K1", Z8, true)}
	case Z8:
		fs = []field{listField("Z8K1", Z17, true), typedField("Z8K2", Z4, true), listField("Z8K3", Z20, true),
			listField("Z8K4", Z14, true), typedField("Z8K5", Z8, true)}
	case Z11:
		fs = []field{typedField("Z11K1", Z60, true), typedField("Z11K2", Z6, true)}
	case Z12:
		fs = []field{listField("Z12K1", Z11, true)}
	case Z14:
		count := 0
		for _, k := range []string{"Z14K2", "Z14K3", "Z14K4"} {
			if n.has(k) {
				count++
			}
		}
		if count != 1 {
			return Error(CodeCompetingKeys, NewKeyRef("Z14K2"), quote(n)), true
		}
		fs = []field{typedField("Z14K1", Z8, true), anyField("Z14K2", false), typedField("Z14K3", Z16, false),
			typedField("Z14K4", Z6, false)}
	case Z16:
		fs = []field{typedField("Z16K1", Z61, true), typedField("Z16K2", Z6, true)}
	case Z17:
		fs = []field{typedField("Z17K1", Z4, true), patternField("Z17K2", "a key", true, IsKey),
			typedField("Z17K3", Z12, true)}
	case Z18:
		fs = []field{patternField("Z18K1", "a key", true, IsKey)}
	case Z20:
		fs = []field{typedField("Z20K1", Z8, true), typedField("Z20K2", Z7, true), typedField("Z20K3", Z7, true)}
	case Z22:
		fs = []field{anyField("Z22K1", true), anyField("Z22K2", true)}
	case Z31:
		fs = []field{typedField("Z31K1", Z60, true), listField("Z31K2", Z6, true)}
	case Z32:
		fs = []field{listField("Z32K1", Z31, true)}
	case Z39:
		fs = []field{typedField("Z39K1", Z6, true)}
	case Z40:
		fs = []field{{key: "Z40K1", required: true, check: func(v *validator, n *node, d int) *Object {
			if id, ok := v.ref(n); ok && (id == Z41 || id == Z42) {
				return nil
			}
			if v.isResolver(n) {
				return v.objectAt(n, d)
			}
			return mismatch("Z41 or Z42", n)
		}}}
	case Z50:
		fs = []field{listField("Z50K1", Z3, true)}
	case Z60:
		fs = []field{typedField("Z60K1", Z6, true), listField("Z60K2", Z6, false)}
	case Z61:
		fs = []field{patternField("Z61K1", "a programming language code", true, isProgrammingLanguage)}
	case Z80:
		fs = []field{patternField("Z80K1", "a byte in hexadecimal", true, isHexByte)}
	case Z86:
		fs = []field{patternField("Z86K1", "a single code point", true, isOneCodePoint)}
	case Z99:
		if !n.has("Z99K1") {
			return Error(CodeKeyNotFound, NewKeyRef("Z99K1"), quote(n)), true
		}
		return nil, true // a quote may hold anything, even JSON that is not a ZObject
	default:
		return nil, false
	}
	return v.checkFields(n, depth, fs), true
}

// checkFields checks the listed fields (required ones must be there) and every other field
// as any object.
func (v *validator) checkFields(n *node, depth int, fs []field) *Object {
	for _, f := range fs {
		if f.required && !n.has(f.key) {
			if f.key == "Z2K2" {
				return Error(CodeNoValue, quote(n))
			}
			return Error(CodeKeyNotFound, NewKeyRef(f.key), quote(n))
		}
	}
	for i, k := range n.keys {
		if k == KeyType {
			continue
		}
		var e *Object
		if f, ok := findField(fs, k); ok {
			e = f.check(v, n.vals[i], depth+1)
		} else {
			e = v.objectAt(n.vals[i], depth+1)
		}
		if e != nil {
			return atKey(k, e)
		}
	}
	return nil
}

func findField(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}
