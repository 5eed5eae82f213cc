package js

import (
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// inspect renders a value the way Node's util.inspect does for the common cases, because
// upstream's "Could not serialize input JS object: ..." embeds that text: 5, 'text',
// [ 1, 2 ], { a: 1 }, A {}, ZObject { Z1K1: null }, Map(1) { 'a' => 1 }, [Function: f],
// [class A]. Node breaks long output over several lines; this keeps one line, and objects
// nested deeper than two levels print as [Object] / [Array] as Node's default depth does.
func (v *VM) inspect(val goja.Value) string {
	var b strings.Builder
	in := inspector{b: &b, seen: map[*goja.Object]bool{}, tag: v.tag}
	in.value(val, 0, true)
	return b.String()
}

type inspector struct {
	b    *strings.Builder
	seen map[*goja.Object]bool
	tag  func(*goja.Object) string
}

const inspectDepth = 2

var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

func (in *inspector) value(val goja.Value, depth int, top bool) {
	b := in.b
	switch {
	case val == nil || goja.IsUndefined(val):
		b.WriteString("undefined")
		return
	case goja.IsNull(val):
		b.WriteString("null")
		return
	}
	o, ok := val.(*goja.Object)
	if !ok {
		in.primitive(val, top)
		return
	}
	if in.seen[o] {
		b.WriteString("[Circular *1]")
		return
	}
	class := o.ClassName()
	switch t := in.tag(o); t {
	case "Map", "Set", "String", "Number", "Boolean":
		class = t
	}
	switch class {
	case "Function":
		src := o.String()
		name := ""
		if n := o.Get("name"); n != nil {
			name = n.String()
		}
		switch {
		case strings.HasPrefix(src, "class"):
			if name == "" {
				name = "(anonymous)"
			}
			b.WriteString("[class " + name + "]")
		case name == "":
			b.WriteString("[Function (anonymous)]")
		default:
			b.WriteString("[Function: " + name + "]")
		}
		return
	case "Array":
		if depth > inspectDepth {
			b.WriteString("[Array]")
			return
		}
		in.seen[o] = true
		defer delete(in.seen, o)
		n := o.Get("length").ToInteger()
		if n == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[ ")
		shown := min(n, 100)
		for i := range shown {
			if i > 0 {
				b.WriteString(", ")
			}
			in.value(o.Get(strconv.FormatInt(i, 10)), depth+1, false)
		}
		if n > shown {
			b.WriteString(", ... " + strconv.FormatInt(n-shown, 10) + " more items")
		}
		b.WriteString(" ]")
		return
	case "Map", "Set":
		in.collection(o, class, depth)
		return
	case "String":
		b.WriteString("[String: " + quote(o.String()) + "]")
		return
	case "Number", "Boolean":
		b.WriteString("[" + class + ": " + o.String() + "]")
		return
	case "Error":
		if s := o.Get("stack"); s != nil && !goja.IsUndefined(s) {
			b.WriteString(s.String())
		} else {
			b.WriteString(o.String())
		}
		return
	}
	prefix := constructorName(o)
	keys := o.Keys()
	if depth > inspectDepth {
		if prefix == "" {
			prefix = "Object"
		}
		b.WriteString("[" + prefix + "]")
		return
	}
	if prefix != "" {
		b.WriteString(prefix + " ")
	}
	if len(keys) == 0 {
		b.WriteString("{}")
		return
	}
	in.seen[o] = true
	defer delete(in.seen, o)
	b.WriteString("{ ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		if plainKey.MatchString(k) {
			b.WriteString(k)
		} else {
			b.WriteString(quote(k))
		}
		b.WriteString(": ")
		in.value(o.Get(k), depth+1, false)
	}
	b.WriteString(" }")
}

// constructorName is the class name Node prints before an object: "" for a plain object,
// "[Object: null prototype]" without a prototype.
func constructorName(o *goja.Object) string {
	p := o.Prototype()
	if p == nil {
		return "[Object: null prototype]"
	}
	c, ok := p.Get("constructor").(*goja.Object)
	if !ok {
		return ""
	}
	name := ""
	if n := c.Get("name"); n != nil {
		name = n.String()
	}
	if name == "Object" {
		return ""
	}
	return name
}

func (in *inspector) collection(o *goja.Object, class string, depth int) {
	b := in.b
	size := int64(0)
	if s := o.Get("size"); s != nil {
		size = s.ToInteger()
	}
	b.WriteString(class + "(" + strconv.FormatInt(size, 10) + ") ")
	if depth > inspectDepth {
		b.WriteString("[" + class + "]")
		return
	}
	if size == 0 {
		b.WriteString("{}")
		return
	}
	entries, ok := goja.AssertFunction(o.Get("entries"))
	if !ok {
		b.WriteString("{}")
		return
	}
	it, err := entries(o)
	if err != nil {
		b.WriteString("{}")
		return
	}
	next, ok := goja.AssertFunction(it.(*goja.Object).Get("next"))
	if !ok {
		b.WriteString("{}")
		return
	}
	in.seen[o] = true
	defer delete(in.seen, o)
	b.WriteString("{ ")
	for i := 0; i < 100; i++ {
		r, err := next(it)
		if err != nil {
			break
		}
		ro := r.(*goja.Object)
		if ro.Get("done").ToBoolean() {
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		pair := ro.Get("value").(*goja.Object)
		in.value(pair.Get("0"), depth+1, false)
		if class == "Map" {
			b.WriteString(" => ")
			in.value(pair.Get("1"), depth+1, false)
		}
	}
	b.WriteString(" }")
}

func (in *inspector) primitive(val goja.Value, _ bool) {
	b := in.b
	if sym, ok := val.(*goja.Symbol); ok {
		b.WriteString("Symbol(" + sym.String() + ")")
		return
	}
	t := val.ExportType()
	if t == nil {
		b.WriteString(val.String())
		return
	}
	switch t.Kind() {
	case reflect.String:
		b.WriteString(quote(val.String()))
	case reflect.Float64:
		f := val.ToFloat()
		if f == 0 && math.Signbit(f) {
			b.WriteString("-0")
			return
		}
		b.WriteString(val.String())
	default:
		s := val.String()
		if t.String() == "*big.Int" {
			s += "n"
		}
		b.WriteString(s)
	}
}

// quote is Node's single-quoted string form.
func quote(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`, q, `\`+q)
	return q + r.Replace(s) + q
}
