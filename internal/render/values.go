package render

import (
	"html"
	"strings"

	z "github.com/zeval/zeval/internal/zobject"
)

// HTMLType is zeval's HTML fragment type, a ZID in zeval's private range (Z990000–Z999999,
// which Wikifunctions does not use). A value of it is a record {"Z1K1": "Z990089",
// "Z990089K1": "<b>markup</b>"}. When a function declares it as its return type (Z8K2), the
// page shows the markup as it is; every other result is escaped. Only functions in the
// store can declare it, so the markup is as trusted as the store's editors.
const HTMLType = "Z990089"

// HTMLKey is the key of HTMLType that holds the markup (a Z6).
const HTMLKey = HTMLType + "K1"

// NaturalNumberType is Wikifunctions' natural number (Z13518, its digits in Z13518K1).
const NaturalNumberType = "Z13518"

// NonDeterministicAlias marks a function whose results must not be cached: an alias (Z2K4, in
// any language) of the function's persistent object with exactly this text. Such a function is
// still evaluated once per distinct call within a page (one session), never cached across.
const NonDeterministicAlias = "zeval:nondeterministic"

// ListSeparator separates the items of a list argument written as text ("a; b; c"). Items
// are trimmed; \; is a literal semicolon inside an item. In markup that is written \; too (the
// markup parser keeps a backslash before anything but |, {, } and \).
const ListSeparator = ';'

// FromText converts an argument written as text to the declared type typ by the rules of page
// markup (above); msg says why the text is not a value of that type. Other tools that take
// arguments as text (zeval call) use it, so that text means the same everywhere.
func FromText(s string, typ *z.Object) (v *z.Object, msg string) { return fromText(s, typ, false) }

// CanWrite reports whether markup can write values of type typ at all: Z6, Z1, Z40, Z13518 and
// typed lists of those.
func CanWrite(typ *z.Object) bool {
	if typ.IsRef() {
		switch typ.RefID() {
		case z.Z6, z.Z1, z.Z40, NaturalNumberType:
			return true
		}
		return false
	}
	item := z.ListItemType(typ)
	return item != nil && z.ListItemType(item) == nil && CanWrite(item)
}

// fromText converts an argument written as text to the declared type of the argument. It
// returns the value, or a message saying why the text cannot be that type.
func fromText(s string, typ *z.Object, inList bool) (*z.Object, string) {
	if typ.IsRef() {
		switch typ.RefID() {
		case z.Z6, z.Z1:
			return z.NewString(s), ""
		case z.Z40:
			switch s {
			case "true":
				return z.NewBool(true), ""
			case "false":
				return z.NewBool(false), ""
			}
			return nil, "a Boolean (Z40) is written true or false, not " + quote(s)
		case NaturalNumberType:
			if s == "" || strings.Trim(s, "0123456789") != "" || (len(s) > 1 && s[0] == '0') {
				return nil, "a natural number (Z13518) is written in digits without leading zeros, not " + quote(s)
			}
			return z.NewRecord(z.NewRef(NaturalNumberType), z.KV(NaturalNumberType+"K1", z.NewString(s))), ""
		}
	}
	if item := z.ListItemType(typ); item != nil && !inList {
		var items []*z.Object
		for _, part := range splitList(s) {
			v, msg := fromText(part, item, true)
			if msg != "" {
				return nil, "list item " + quote(part) + ": " + msg
			}
			items = append(items, v)
		}
		return z.NewList(item, items...), ""
	}
	return nil, "page markup cannot write a value of type " + z.TypeKey(typ) +
		" (it can write Z6 strings, Z40 Booleans, Z13518 natural numbers and Z881 lists of them)"
}

// splitList splits a list argument at unescaped ListSeparators and trims each item. The empty
// text is the empty list.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ListSeparator:
			b.WriteByte(ListSeparator)
			i++
		case s[i] == ListSeparator:
			out = append(out, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	return append(out, strings.TrimSpace(b.String()))
}

func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return `"` + s + `"`
}

// fits reports whether v can be passed as it is for an argument declared typ.
func fits(v, typ *z.Object) bool {
	if typ.Is(z.Z1) {
		return true
	}
	return z.TypeKey(v.Type()) == z.TypeKey(typ)
}

// textOf is how a value reads as text: on the page and inside a text argument.
func textOf(v *z.Object) string {
	var b strings.Builder
	writeText(&b, v, 0)
	return b.String()
}

func writeText(b *strings.Builder, v *z.Object, depth int) {
	switch {
	case v == nil:
	case v.IsString():
		b.WriteString(v.StringValue())
	case v.IsRef():
		b.WriteString(v.RefID())
	case v.IsList():
		if depth > 8 {
			b.Write(v.CanonicalJSON())
			return
		}
		for i, it := range v.Items() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeText(b, it, depth+1)
		}
	default:
		if t, ok := z.BoolValue(v); ok {
			if t {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
			return
		}
		// A record that wraps one string (a natural number, an HTML fragment, a Wikidata
		// reference) reads as that string; anything else as its canonical JSON.
		var only *z.Object
		n := 0
		for _, f := range v.Fields() {
			if f.Key == z.KeyType {
				continue
			}
			n++
			only = f.Value
		}
		if n == 1 && only.IsString() {
			b.WriteString(only.StringValue())
			return
		}
		b.Write(v.CanonicalJSON())
	}
}

// trustedHTML returns the markup of an HTML fragment value.
func trustedHTML(v *z.Object) (string, bool) {
	if v.IsRecord() && v.Type().Is(HTMLType) && v.Get(HTMLKey).IsString() {
		return v.Get(HTMLKey).StringValue(), true
	}
	return "", false
}

// escaper returns how text from results is made inert in a page of the format. In HTML it is
// HTML-escaped. In wikitext and Markdown the characters that either language would
// interpret are written as numeric character references, which both languages show as the
// characters themselves; a newline becomes &#10; so a result cannot start a heading or a list.
func escaper(f Format) func(string) string {
	switch f {
	case FormatWikitext:
		return wikitextEscaper.Replace
	case FormatMarkdown:
		return markdownEscaper.Replace
	}
	return html.EscapeString
}

func entityReplacer(chars string) *strings.Replacer {
	var pairs []string
	for _, c := range chars {
		pairs = append(pairs, string(c), "&#"+itoa(int(c))+";")
	}
	return strings.NewReplacer(pairs...)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// The replacers are immutable once built and safe for concurrent use.
var (
	wikitextEscaper = entityReplacer("&<>\"'[]{}|*#:;=~_!\n-")
	markdownEscaper = entityReplacer("&<>\"'\\`*_{}[]()#+-.!|~\n")
)
