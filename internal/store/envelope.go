package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	// ErrNotFound is returned (wrapped) when no object or revision has the asked ZID.
	ErrNotFound = errors.New("store: not found")
	// ErrMalformed is returned (wrapped in an *InvalidError) when a body is not JSON at all.
	ErrMalformed = errors.New("store: malformed JSON")
	// ErrInvalid is returned (wrapped in an *InvalidError) when a body is JSON but not a
	// storable Z2: a bad envelope, or the injected validator said no.
	ErrInvalid = errors.New("store: invalid object")
)

// InvalidError says why an object cannot be stored. It unwraps to ErrMalformed (not JSON) or
// ErrInvalid (anything else) and, when the injected validator rejected the object, also to the
// validator's own error, so errors.As finds the Z5 that zobject returned.
type InvalidError struct {
	ZID    string // the object's ZID when it could be read
	Path   string // where in the object, as "Z2K3.Z12K1[1].Z11K1"; empty for the whole object
	Reason string // what is wrong, for people
	Err    error  // the validator's error, or nil when the store itself refused the object
	syntax bool
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("store: ")
	if e.ZID != "" {
		b.WriteString(e.ZID)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Err != nil {
		if e.Reason != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel (ErrMalformed or ErrInvalid) and the validator's error.
func (e *InvalidError) Unwrap() []error {
	sentinel := ErrInvalid
	if e.syntax {
		sentinel = ErrMalformed
	}
	if e.Err != nil {
		return []error{sentinel, e.Err}
	}
	return []error{sentinel}
}

// Envelope is a Z2 as the store reads it: the canonical bytes it stores and what it indexes.
type Envelope struct {
	ZID       string  // from Z2K1
	Type      string  // the type of Z2K2, see ParseZ2
	Labels    []Label // from Z2K3 (labels) and Z2K4 (aliases)
	Refs      []Ref   // references held by top-level keys of Z2K2
	Canonical []byte  // compact canonical JSON of the whole Z2
	num       int64   // numeric part of ZID, for ordering
}

// Label is one label or alias of an object in one language.
type Label struct {
	Language string // ZID of a Z60 natural language, as "Z1002"
	Text     string
	Alias    bool // from Z2K4 rather than Z2K3
}

// Ref is a string that a top-level key of an object's value holds, most often a reference
// to another object: Z14K1 of an implementation names its function, Z8K4 of a function lists
// its implementations, Z60K1 of a natural language is its code ("en").
type Ref struct {
	Key    string // as "Z14K1"
	Target string // as "Z801"
}

// maxRefBytes bounds the strings indexed as references: ZIDs and codes, not text.
const maxRefBytes = 256

// placeholderZID is what Wikifunctions puts in Z2K1 of an object that has no ZID yet.
const placeholderZID = "Z0"

// ParseZ2 reads a persistent object (Z2) from JSON without storing it. The Z2K1 may be a
// string "Z123", the canonical Z6 {"Z1K1":"Z6","Z6K1":"Z123"}, or a Z9 record; it is stored in
// the Z6 form. When zid is not empty the object must carry that ZID, or carry none (a missing
// Z2K1, or the placeholder Z0), and then gets it.
//
// The store checks only the envelope: Z1K1 is Z2, Z2K1 a ZID, Z2K2 present, Z2K3 and Z2K5 Z12
// multilingual texts, Z2K4 a Z32 alias set. The value itself is the validator's business.
//
// Type is Z1K1 of Z2K2 when that is a reference; for a type built by a function call (a Z7
// such as Z881(Z6)) it is the function (Z881); a list value is Z881, a string Z6, a bare
// reference Z9.
func ParseZ2(raw []byte, zid string) (*Envelope, error) {
	v, err := parseJSON(raw)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &InvalidError{ZID: zid, Reason: se.Error(), syntax: true}
		}
		var sh *shapeError
		if errors.As(err, &sh) {
			return nil, &InvalidError{ZID: zid, Path: sh.path, Reason: sh.msg}
		}
		return nil, &InvalidError{ZID: zid, Reason: err.Error()}
	}
	return envelopeOf(v, zid)
}

func envelopeOf(v any, zid string) (*Envelope, error) {
	bad := func(path, format string, args ...any) error {
		return &InvalidError{ZID: zid, Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	top, ok := v.(*jsonObject)
	if !ok {
		return nil, bad("", "a persistent object must be a record with Z1K1 Z2, not %s", shapeName(v))
	}
	if t := top.get("Z1K1"); t != "Z2" {
		return nil, bad("Z1K1", "a persistent object has type Z2, not %s", describe(t))
	}
	if zid != "" && !IsZID(zid) {
		return nil, bad("", "%q is not a ZID (Z followed by a number, like Z801)", zid)
	}
	own, err := z2ID(top.get("Z2K1"))
	if err != nil {
		return nil, bad("Z2K1", "%v", err)
	}
	switch {
	case own == "" || own == placeholderZID:
		if zid == "" {
			return nil, bad("Z2K1", "the object has no ZID and none was given")
		}
	case zid == "":
		zid = own
	case own != zid:
		return nil, bad("Z2K1", "the object says it is %s, but it is being stored as %s", own, zid)
	}
	num, err := strconv.ParseInt(zid[1:], 10, 64)
	if err != nil {
		return nil, bad("Z2K1", "ZID %s is out of range", zid)
	}
	top.set("Z2K1", &jsonObject{members: []jsonMember{{"Z1K1", "Z6"}, {"Z6K1", zid}}})

	value := top.get("Z2K2")
	if value == nil {
		return nil, bad("Z2K2", "a persistent object needs a value (Z2K2)")
	}
	env := &Envelope{ZID: zid, num: num, Type: valueType(value)}
	if l := top.get("Z2K3"); l != nil {
		if env.Labels, err = multilingualText(l, "Z2K3", false); err != nil {
			return nil, &InvalidError{ZID: zid, Reason: err.Error()}
		}
	}
	if a := top.get("Z2K4"); a != nil {
		aliases, err := aliasSet(a, "Z2K4")
		if err != nil {
			return nil, &InvalidError{ZID: zid, Reason: err.Error()}
		}
		env.Labels = append(env.Labels, aliases...)
	}
	if d := top.get("Z2K5"); d != nil {
		if _, err := multilingualText(d, "Z2K5", false); err != nil {
			return nil, &InvalidError{ZID: zid, Reason: err.Error()}
		}
	}
	env.Refs = refsOf(value)
	env.Canonical = appendCompact(nil, top)
	return env, nil
}

// IsZID reports whether s is a ZID: Z followed by a positive decimal number of at most 18
// digits, without leading zeros.
func IsZID(s string) bool {
	return len(s) >= 2 && len(s) <= 19 && s[0] == 'Z' && isNumber(s[1:])
}

// z2ID reads Z2K1; "" when it is absent.
func z2ID(v any) (string, error) {
	var id string
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		id = t
	case *jsonObject:
		switch t.get("Z1K1") {
		case "Z6":
			id, _ = t.get("Z6K1").(string)
		case "Z9":
			id, _ = t.get("Z9K1").(string)
		}
		if id == "" {
			return "", errors.New(`the ZID must be a string, as {"Z1K1":"Z6","Z6K1":"Z123"} or "Z123"`)
		}
	default:
		return "", fmt.Errorf("the ZID must be a string, not %s", shapeName(v))
	}
	if id != placeholderZID && !IsZID(id) {
		return "", fmt.Errorf("%q is not a ZID (Z followed by a number, like Z801)", id)
	}
	return id, nil
}

func valueType(v any) string {
	switch t := v.(type) {
	case string:
		if IsZID(t) {
			return "Z9"
		}
		return "Z6"
	case []any:
		return "Z881"
	case *jsonObject:
		switch ty := t.get("Z1K1").(type) {
		case string:
			return ty
		case *jsonObject:
			if ty.get("Z1K1") == "Z7" {
				if f, ok := ty.get("Z7K1").(string); ok {
					return f
				}
			}
			if s, ok := ty.get("Z1K1").(string); ok {
				return s
			}
		}
	}
	return ""
}

// refsOf lists the strings (ZIDs and short codes, at most maxRefBytes) that top-level keys of
// a record value hold, directly or as items of a canonical list (whose first element, the item
// type, is skipped).
func refsOf(v any) []Ref {
	o, ok := v.(*jsonObject)
	if !ok {
		return nil
	}
	var refs []Ref
	seen := make(map[Ref]bool)
	add := func(key string, x any) {
		if s, ok := x.(string); ok && s != "" && len(s) <= maxRefBytes {
			r := Ref{Key: key, Target: s}
			if !seen[r] {
				seen[r] = true
				refs = append(refs, r)
			}
		}
	}
	for _, m := range o.members {
		if m.key == "Z1K1" {
			continue
		}
		switch t := m.value.(type) {
		case string:
			add(m.key, t)
		case []any:
			for i := 1; i < len(t); i++ {
				add(m.key, t[i])
			}
		}
	}
	return refs
}

// multilingualText reads a Z12: {"Z1K1":"Z12","Z12K1":["Z11", {"Z1K1":"Z11","Z11K1":lang,"Z11K2":text}...]}.
func multilingualText(v any, path string, alias bool) ([]Label, error) {
	o, ok := v.(*jsonObject)
	if !ok || o.get("Z1K1") != "Z12" {
		return nil, fmt.Errorf("%s: must be a Z12 multilingual text, not %s", path, describe(v))
	}
	items, err := listItems(o.get("Z12K1"), path+".Z12K1")
	if err != nil {
		return nil, err
	}
	labels := make([]Label, 0, len(items))
	for i, item := range items {
		ipath := fmt.Sprintf("%s.Z12K1[%d]", path, i+1)
		mono, ok := item.(*jsonObject)
		if !ok || mono.get("Z1K1") != "Z11" {
			return nil, fmt.Errorf("%s: must be a Z11 monolingual text, not %s", ipath, describe(item))
		}
		lang, err := languageOf(mono.get("Z11K1"), ipath+".Z11K1")
		if err != nil {
			return nil, err
		}
		text, ok := stringOf(mono.get("Z11K2"))
		if !ok {
			return nil, fmt.Errorf("%s.Z11K2: the text must be a string, not %s", ipath, describe(mono.get("Z11K2")))
		}
		labels = append(labels, Label{Language: lang, Text: text, Alias: alias})
	}
	return labels, nil
}

// aliasSet reads a Z32: {"Z1K1":"Z32","Z32K1":["Z31", {"Z1K1":"Z31","Z31K1":lang,"Z31K2":["Z6", texts...]}...]}.
func aliasSet(v any, path string) ([]Label, error) {
	o, ok := v.(*jsonObject)
	if !ok || o.get("Z1K1") != "Z32" {
		return nil, fmt.Errorf("%s: must be a Z32 multilingual stringset, not %s", path, describe(v))
	}
	items, err := listItems(o.get("Z32K1"), path+".Z32K1")
	if err != nil {
		return nil, err
	}
	var labels []Label
	for i, item := range items {
		ipath := fmt.Sprintf("%s.Z32K1[%d]", path, i+1)
		set, ok := item.(*jsonObject)
		if !ok || set.get("Z1K1") != "Z31" {
			return nil, fmt.Errorf("%s: must be a Z31 monolingual stringset, not %s", ipath, describe(item))
		}
		lang, err := languageOf(set.get("Z31K1"), ipath+".Z31K1")
		if err != nil {
			return nil, err
		}
		texts, err := listItems(set.get("Z31K2"), ipath+".Z31K2")
		if err != nil {
			return nil, err
		}
		for j, t := range texts {
			text, ok := stringOf(t)
			if !ok {
				return nil, fmt.Errorf("%s.Z31K2[%d]: an alias must be a string, not %s", ipath, j+1, describe(t))
			}
			labels = append(labels, Label{Language: lang, Text: text, Alias: true})
		}
	}
	return labels, nil
}

// listItems returns the items of a canonical typed list, without its leading item type.
func listItems(v any, path string) ([]any, error) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return nil, fmt.Errorf("%s: must be a typed list [type, items...], not %s", path, describe(v))
	}
	return l[1:], nil
}

func languageOf(v any, path string) (string, error) {
	if s, ok := v.(string); ok && IsZID(s) {
		return s, nil
	}
	if o, ok := v.(*jsonObject); ok && o.get("Z1K1") == "Z9" {
		if s, ok := o.get("Z9K1").(string); ok && IsZID(s) {
			return s, nil
		}
	}
	return "", fmt.Errorf("%s: the language must be a reference to a Z60 natural language, like Z1002, not %s", path, describe(v))
}

// stringOf reads a Z6 string in canonical ("text") or record ({"Z1K1":"Z6","Z6K1":"text"}) form.
func stringOf(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case *jsonObject:
		if t.get("Z1K1") == "Z6" {
			s, ok := t.get("Z6K1").(string)
			return s, ok
		}
	}
	return "", false
}

func shapeName(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case []any:
		return "a list"
	case *jsonObject:
		return "a record"
	}
	return fmt.Sprintf("%T", v)
}

// describe names a value for a message: the string itself, or its shape.
func describe(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return strconv.Quote(s)
	}
	return shapeName(v)
}
