package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds the nesting of a stored ZObject. Real definitions nest a few dozen levels;
// the bound keeps a hostile body from costing more than a bounded amount of stack.
const maxDepth = 1000

// A JSON value of a ZObject in canonical form is one of:
//
//	string     a Z6 string or a Z9 reference
//	[]any      a typed list: [item type, items...]
//	*jsonObject a record
//
// Numbers, booleans and null never occur in ZObject JSON, and the parser rejects them.
type jsonObject struct {
	members []jsonMember // sorted by keyLess after parsing
}

type jsonMember struct {
	key   string
	value any
}

// get returns the value of key, or nil when the record has no such key.
func (o *jsonObject) get(key string) any {
	for _, m := range o.members {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

// set replaces the value of key, or adds it in key order.
func (o *jsonObject) set(key string, v any) {
	for i, m := range o.members {
		if m.key == key {
			o.members[i].value = v
			return
		}
	}
	o.members = append(o.members, jsonMember{key: key, value: v})
	sort.SliceStable(o.members, func(i, j int) bool { return keyLess(o.members[i].key, o.members[j].key) })
}

// syntaxError is a JSON document that cannot be read at all (not a ZObject problem).
type syntaxError struct {
	offset int64
	msg    string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("JSON syntax error at byte %d: %s", e.offset, e.msg)
}

// parseJSON reads one ZObject JSON document: objects, arrays and strings only, no duplicate
// keys, nothing after the value. Record members come back sorted in canonical key order.
func parseJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, &syntaxError{offset: int64(invalidUTF8Offset(data)), msg: "invalid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &jsonParser{dec: dec}
	v, err := p.value("", 0)
	if err != nil {
		return nil, err
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, p.wrap(err)
		}
		return nil, &syntaxError{offset: dec.InputOffset(), msg: fmt.Sprintf("unexpected %v after the top-level value", tok)}
	}
	return v, nil
}

func invalidUTF8Offset(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

type jsonParser struct {
	dec *json.Decoder
}

func (p *jsonParser) wrap(err error) error {
	if err == io.EOF {
		return &syntaxError{offset: p.dec.InputOffset(), msg: "unexpected end of input"}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxError{offset: se.Offset, msg: se.Error()}
	}
	return &syntaxError{offset: p.dec.InputOffset(), msg: err.Error()}
}

// value reads the next value; path names it for messages ("Z2K2.Z8K1[1]").
func (p *jsonParser) value(path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &shapeError{path: path, msg: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.wrap(err)
	}
	switch t := tok.(type) {
	case string:
		return t, nil
	case json.Delim:
		switch t {
		case '{':
			return p.object(path, depth)
		case '[':
			return p.array(path, depth)
		}
		return nil, &syntaxError{offset: p.dec.InputOffset(), msg: fmt.Sprintf("unexpected %q", rune(t))}
	case json.Number:
		return nil, &shapeError{path: path, msg: fmt.Sprintf("number %s: ZObject JSON holds only strings, lists and records (write numbers as strings)", t)}
	case bool:
		return nil, &shapeError{path: path, msg: fmt.Sprintf("boolean %t: ZObject JSON holds only strings, lists and records (booleans are Z40)", t)}
	case nil:
		return nil, &shapeError{path: path, msg: "null: ZObject JSON holds only strings, lists and records"}
	}
	return nil, &syntaxError{offset: p.dec.InputOffset(), msg: fmt.Sprintf("unexpected token %v", tok)}
}

func (p *jsonParser) object(path string, depth int) (any, error) {
	o := &jsonObject{}
	var seen map[string]bool
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.wrap(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, &syntaxError{offset: p.dec.InputOffset(), msg: "object key is not a string"}
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		if seen[key] {
			return nil, &shapeError{path: joinPath(path, key), msg: "duplicate key"}
		}
		seen[key] = true
		v, err := p.value(joinPath(path, key), depth+1)
		if err != nil {
			return nil, err
		}
		o.members = append(o.members, jsonMember{key: key, value: v})
	}
	if _, err := p.dec.Token(); err != nil { // the closing '}'
		return nil, p.wrap(err)
	}
	sort.SliceStable(o.members, func(i, j int) bool { return keyLess(o.members[i].key, o.members[j].key) })
	return o, nil
}

func (p *jsonParser) array(path string, depth int) (any, error) {
	items := []any{}
	for p.dec.More() {
		v, err := p.value(path+"["+strconv.Itoa(len(items))+"]", depth+1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	if _, err := p.dec.Token(); err != nil { // the closing ']'
		return nil, p.wrap(err)
	}
	return items, nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// shapeError is well-formed JSON that is not a storable ZObject.
type shapeError struct {
	path string // where, as "Z2K2.Z8K1[1]"; empty for the whole document
	msg  string
}

func (e *shapeError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// keyLess orders record keys canonically: Z1K1 first, then global keys (Z4K2) by type number
// and key number, then local keys (K1) by number, then anything else bytewise. The order
// makes equal objects encode to equal bytes whatever order their keys came in.
func keyLess(a, b string) bool {
	ca, ta, na := keyRank(a)
	cb, tb, nb := keyRank(b)
	if ca != cb {
		return ca < cb
	}
	if c := cmpDigits(ta, tb); c != 0 {
		return c < 0
	}
	if c := cmpDigits(na, nb); c != 0 {
		return c < 0
	}
	return a < b
}

// keyRank splits a key into its class (0 Z1K1, 1 global, 2 local, 3 other) and the digit
// strings of its type and key numbers.
func keyRank(k string) (class int, typ, num string) {
	if k == "Z1K1" {
		return 0, "", ""
	}
	if rest, ok := strings.CutPrefix(k, "Z"); ok {
		if i := strings.IndexByte(rest, 'K'); i > 0 && isNumber(rest[:i]) && isNumber(rest[i+1:]) {
			return 1, rest[:i], rest[i+1:]
		}
		return 3, "", ""
	}
	if rest, ok := strings.CutPrefix(k, "K"); ok && isNumber(rest) {
		return 2, "", rest
	}
	return 3, "", ""
}

// isNumber reports whether s is a positive decimal without leading zeros.
func isNumber(s string) bool {
	if s == "" || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmpDigits compares two decimal digit strings without leading zeros by value.
func cmpDigits(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// appendCompact appends the canonical compact encoding of v: no spaces, keys in canonical
// order, strings escaped as JavaScript's JSON.stringify does.
func appendCompact(b []byte, v any) []byte {
	switch t := v.(type) {
	case string:
		return appendString(b, t)
	case []any:
		b = append(b, '[')
		for i, item := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCompact(b, item)
		}
		return append(b, ']')
	case *jsonObject:
		b = append(b, '{')
		for i, m := range t.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.key)
			b = append(b, ':')
			b = appendCompact(b, m.value)
		}
		return append(b, '}')
	}
	// Unreachable: parseJSON builds only the three shapes above. A null would fail the next parse.
	return append(b, "null"...)
}

// appendPretty appends v indented with tabs, the layout of the Wikifunctions definition files.
func appendPretty(b []byte, v any, depth int) []byte {
	switch t := v.(type) {
	case []any:
		if len(t) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, item := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIndent(b, depth+1)
			b = appendPretty(b, item, depth+1)
		}
		b = appendIndent(b, depth)
		return append(b, ']')
	case *jsonObject:
		if len(t.members) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		for i, m := range t.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendIndent(b, depth+1)
			b = appendString(b, m.key)
			b = append(b, ": "...)
			b = appendPretty(b, m.value, depth+1)
		}
		b = appendIndent(b, depth)
		return append(b, '}')
	}
	return appendCompact(b, v)
}

func appendIndent(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, '\t')
	}
	return b
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Pretty re-indents canonical JSON bytes (as the store returns them) with tabs, the layout of
// the Wikifunctions definition files, ending in a newline.
func Pretty(canonical []byte) ([]byte, error) {
	v, err := parseJSON(canonical)
	if err != nil {
		return nil, err
	}
	b := appendPretty(make([]byte, 0, len(canonical)*2), v, 0)
	return append(b, '\n'), nil
}
