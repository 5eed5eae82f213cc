package zobject

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of JSON arrays and objects Parse accepts. A list in normal
// form nests one level per item, so this also bounds normal-form lists.
const MaxDepth = 100000

// ErrSyntax is wrapped by every error Parse returns for text that is not JSON.
var ErrSyntax = errors.New("zobject: invalid JSON")

// ErrNotZObject is wrapped by every error Parse returns for JSON that is not a ZObject
// (a number, a Boolean or null).
var ErrNotZObject = errors.New("zobject: not a ZObject")

// SyntaxError describes JSON that could not be decoded.
type SyntaxError struct {
	Offset int    // byte offset of the problem
	Msg    string // what was wrong
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("zobject: invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Unwrap lets errors.Is(err, ErrSyntax) match.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// nodeKind is the JSON type of a node.
type nodeKind uint8

const (
	nString nodeKind = iota + 1
	nObject
	nArray
	nNumber
	nTrue
	nFalse
	nNull
)

// node is decoded JSON with object keys kept in order. Validation reads nodes (the schemas
// are about the JSON shape); Parse turns them into Objects.
type node struct {
	kind nodeKind
	s    string // string value, or the literal text of a number
	keys []string
	vals []*node // object values in key order, or array elements
}

func (n *node) get(key string) *node {
	if n == nil || n.kind != nObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

func (n *node) has(key string) bool { return n.get(key) != nil }

func (n *node) isString() bool { return n != nil && n.kind == nString }

// decoder is a small recursive-descent JSON reader.
type decoder struct {
	data  []byte
	pos   int
	depth int
	// Nodes, and the keys and values of objects, are carved from slabs: a parse makes many
	// small ones that all live exactly as long as the tree.
	// Each slab is twice the size of the last, up to slabMax: a small document takes a few
	// allocations, a large one no more memory than it needs.
	nodes []node
	keys  []string
	vals  []*node
	// The keys and values of the objects and arrays being read, innermost last.
	stack []entry
}

type entry struct {
	key string
	val *node
}

const slabMax = 256

// newNode returns a node of kind k from the slab.
func (d *decoder) newNode(k nodeKind) *node {
	if len(d.nodes) == cap(d.nodes) {
		d.nodes = make([]node, 0, min(slabMax, max(4, 2*cap(d.nodes))))
	}
	d.nodes = d.nodes[:len(d.nodes)+1]
	n := &d.nodes[len(d.nodes)-1]
	n.kind = k
	return n
}

// fields gives n the keys (when withKeys) and values on the stack above base, and pops them.
func (d *decoder) fields(n *node, base int, withKeys bool) {
	es := d.stack[base:]
	if len(d.vals)+len(es) > cap(d.vals) {
		d.vals = make([]*node, 0, max(len(es), min(slabMax, max(4, 2*cap(d.vals)))))
	}
	at := len(d.vals)
	for _, e := range es {
		d.vals = append(d.vals, e.val)
	}
	n.vals = d.vals[at:len(d.vals):len(d.vals)]
	if withKeys {
		if len(d.keys)+len(es) > cap(d.keys) {
			d.keys = make([]string, 0, max(len(es), min(slabMax, max(4, 2*cap(d.keys)))))
		}
		at := len(d.keys)
		for _, e := range es {
			d.keys = append(d.keys, e.key)
		}
		n.keys = d.keys[at:len(d.keys):len(d.keys)]
	}
	clear(es)
	d.stack = d.stack[:base]
}

// decodeJSON reads one JSON value that makes up all of data (surrounding space allowed).
func decodeJSON(data []byte) (*node, error) {
	d := &decoder{data: data, stack: make([]entry, 0, 8)}
	d.space()
	n, err := d.value()
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, d.fail("unexpected data after the top-level value")
	}
	return n, nil
}

func (d *decoder) fail(msg string) error { return &SyntaxError{Offset: d.pos, Msg: msg} }

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value() (*node, error) {
	if d.pos >= len(d.data) {
		return nil, d.fail("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		n := d.newNode(nString)
		n.s = s
		return n, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return d.literal("true", nTrue)
	case c == 'f':
		return d.literal("false", nFalse)
	case c == 'n':
		return d.literal("null", nNull)
	default:
		return nil, d.fail(fmt.Sprintf("unexpected character %q", c))
	}
}

func (d *decoder) literal(word string, k nodeKind) (*node, error) {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return nil, d.fail("invalid literal")
	}
	d.pos += len(word)
	n := d.newNode(k)
	n.s = word
	return n, nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > MaxDepth {
		return d.fail("nesting deeper than " + strconv.Itoa(MaxDepth))
	}
	return nil
}

func (d *decoder) object() (*node, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	d.pos++ // '{'
	n := d.newNode(nObject)
	var seen map[string]struct{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return n, nil
	}
	base := len(d.stack)
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail("expected a string key")
		}
		keyAt := d.pos
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if seen != nil {
			if _, dup := seen[k]; dup {
				return nil, &SyntaxError{Offset: keyAt, Msg: fmt.Sprintf("duplicate key %q", k)}
			}
			seen[k] = struct{}{}
		} else {
			es := d.stack[base:]
			for _, e := range es {
				if e.key == k {
					return nil, &SyntaxError{Offset: keyAt, Msg: fmt.Sprintf("duplicate key %q", k)}
				}
			}
			if len(es) >= 16 {
				// Many keys: switch to a set so the check stays linear.
				seen = make(map[string]struct{}, 2*len(es))
				for _, e := range es {
					seen[e.key] = struct{}{}
				}
				seen[k] = struct{}{}
			}
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail("expected ':' after a key")
		}
		d.pos++
		d.space()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, entry{k, v})
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end of input in an object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.fields(n, base, true)
			return n, nil
		default:
			return nil, d.fail("expected ',' or '}' in an object")
		}
	}
}

func (d *decoder) array() (*node, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	d.pos++ // '['
	n := d.newNode(nArray)
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return n, nil
	}
	base := len(d.stack)
	for {
		d.space()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, entry{val: v})
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.fail("unexpected end of input in an array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.fields(n, base, false)
			return n, nil
		default:
			return nil, d.fail("expected ',' or ']' in an array")
		}
	}
}

// str reads a JSON string starting at the opening quote.
func (d *decoder) str() (string, error) {
	start := d.pos
	d.pos++
	simple := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			raw := d.data[start+1 : d.pos]
			d.pos++
			if simple && utf8.Valid(raw) {
				if s, ok := common(raw); ok {
					return s, nil
				}
				return string(raw), nil
			}
			// Escapes and invalid UTF-8 are rare: let encoding/json apply the exact JSON rules
			// (surrogate pairs, U+FFFD for bad bytes).
			var s string
			if err := json.Unmarshal(d.data[start:d.pos], &s); err != nil {
				return "", &SyntaxError{Offset: start, Msg: "invalid string: " + err.Error()}
			}
			return s, nil
		case c == '\\':
			simple = false
			d.pos += 2
		case c < 0x20:
			return "", d.fail("control character in a string")
		default:
			d.pos++
		}
	}
	return "", &SyntaxError{Offset: start, Msg: "unterminated string"}
}

// commonStrings are keys and references that most ZObjects are made of; decoding them
// allocates nothing.
var commonStrings = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{KeyType, "K1", "K2", "Z2K1", "Z2K2", "Z2K3", "Z2K4", "Z2K5",
		"Z4K1", "Z4K2", "Z4K3", "Z5K1", "Z5K2", "Z6K1", "Z7K1", "Z8K1", "Z8K2", "Z8K3", "Z8K4", "Z8K5",
		"Z9K1", "Z11K1", "Z11K2", "Z12K1", "Z14K1", "Z14K2", "Z14K3", "Z14K4", "Z16K1", "Z16K2",
		"Z17K1", "Z17K2", "Z17K3", "Z18K1", "Z22K1", "Z22K2", "Z39K1", "Z40K1", "Z61K1", "Z99K1",
		"Z881K1", "Z882K1", "Z882K2", "Z883K1", "Z883K2", "Z885K1"} {
		m[s] = s
	}
	for i := 1; i < len(builtinRefs); i++ {
		m[builtinRefs[i].text] = builtinRefs[i].text
	}
	return m
}()

// common returns the string of b from commonStrings, without allocating.
func common(b []byte) (string, bool) {
	if len(b) == 0 || len(b) > 6 {
		return "", false
	}
	s, ok := commonStrings[string(b)]
	return s, ok
}

func (d *decoder) number() (*node, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.fail("invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.fail("invalid number")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.fail("invalid number")
		}
	}
	n := d.newNode(nNumber)
	n.s = string(d.data[start:d.pos])
	return n, nil
}

// appendJSON writes n back as compact JSON.
func appendJSON(b []byte, n *node) []byte { return appendJSONLimit(b, n, -1) }

// appendJSONLimit is appendJSON that stops soon after b grows past limit bytes (no limit when
// negative); the result is then truncated JSON, for messages.
func appendJSONLimit(b []byte, n *node, limit int) []byte {
	if limit >= 0 && len(b) > limit {
		return b
	}
	switch n.kind {
	case nString:
		return appendQuoted(b, n.s)
	case nNumber, nTrue, nFalse, nNull:
		return append(b, n.s...)
	case nArray:
		b = append(b, '[')
		for i, v := range n.vals {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONLimit(b, v, limit)
		}
		return append(b, ']')
	case nObject:
		b = append(b, '{')
		for i, k := range n.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, k)
			b = append(b, ':')
			b = appendJSONLimit(b, n.vals[i], limit)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendQuoted writes s as a JSON string. It escapes what JSON requires (and U+2028/U+2029,
// for JavaScript readers), leaves <, > and & alone as JSON.stringify does, and replaces
// invalid UTF-8 with U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
