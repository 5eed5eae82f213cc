package js

import (
	"errors"
	"reflect"
	"sort"
	"strconv"
	"sync"

	"github.com/dop251/goja"

	z "github.com/zeval/zeval/internal/zobject"
)

// prelude defines what upstream's executor has in scope for user code (ZObject, ZPair) and
// what zeval adds (W.Call, a silent console). The classes behave as upstream's ztypes.js.
const prelude = `'use strict';
class ZObject {
	constructor(kwargs, originalZ1K1 = null) {
		this.Z1K1 = originalZ1K1;
		if (kwargs !== undefined && kwargs !== null) {
			for (const [key, value] of kwargs.entries()) {
				this[key] = value;
			}
		}
	}
}
class ZPair {
	constructor(K1, K2, originalZ1K1 = null) {
		if (originalZ1K1 === null) {
			originalZ1K1 = __zeval_pairType(K1, K2);
		}
		this.Z1K1 = originalZ1K1;
		this.K1 = K1;
		this.K2 = K2;
	}
}
const W = Object.freeze({ Call: __zeval_call });
const Wikifunctions = W;
const console = Object.freeze({ log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} });
// V8 refuses strings longer than 2**29 - 24 code units; goja has no such limit, so the
// builtins that make a long string in one step check it (concatenation is caught by the
// memory watch instead). Builtins that fill a huge array in one native loop cannot be
// interrupted, so they refuse more than 2**26 elements: the loop would exhaust the process's
// memory before the memory watch could act.
{
	const maxElements = 2 ** 26;
	const tooLong = (n) => { if (n > maxElements) { throw new RangeError('Invalid array length'); } };
	const { fill } = Array.prototype;
	const { from } = Array;
	const bigLength = (args) => args.length === 1 && typeof args[0] === 'number' && args[0] > maxElements;
	const toLength = (x) => { const n = Math.floor(Number(x)); return n > 0 ? n : 0; };
	Object.defineProperty(Array.prototype, 'fill', { writable: true, configurable: true, value: function (value, start, end) {
		const len = toLength(Object(this).length);
		const rel = (x, d) => { if (x === undefined) { return d; } const n = Math.trunc(Number(x)) || 0; return n < 0 ? Math.max(len + n, 0) : Math.min(n, len); };
		tooLong(rel(end, len) - rel(start, 0));
		return fill.call(this, value, start, end);
	} });
	// new Array(n) / Array(n) with a huge n makes a holey array that native loops (spread,
	// join, map) then walk or fill without interruption.
	const NativeArray = Array;
	const SafeArray = function Array(...args) {
		if (bigLength(args)) { tooLong(args[0]); }
		return Reflect.construct(NativeArray, args, new.target || SafeArray);
	};
	for (const key of Reflect.ownKeys(NativeArray)) {
		if (key !== 'length' && key !== 'name' && key !== 'prototype') {
			Object.defineProperty(SafeArray, key, Object.getOwnPropertyDescriptor(NativeArray, key));
		}
	}
	Object.defineProperty(SafeArray, 'prototype', { value: NativeArray.prototype, writable: false, enumerable: false, configurable: false });
	Object.defineProperty(NativeArray.prototype, 'constructor', { value: SafeArray, writable: true, enumerable: false, configurable: true });
	globalThis.Array = SafeArray;
	Object.defineProperty(Array, 'from', { writable: true, configurable: true, value: function (items, ...rest) {
		if (items !== null && items !== undefined && typeof items[Symbol.iterator] !== 'function') {
			tooLong(toLength(Object(items).length));
		}
		return from.call(this, items, ...rest);
	} });
}
{
	const maxLength = 2 ** 29 - 24;
	const check = (n) => { if (n > maxLength) { throw new RangeError('Invalid string length'); } };
	const { repeat, padStart, padEnd } = String.prototype;
	const define = (name, fn) => Object.defineProperty(String.prototype, name, { value: fn, writable: true, configurable: true });
	define('repeat', function (count) { check(String(this).length * Math.max(0, Math.floor(count) || 0)); return repeat.call(this, count); });
	define('padStart', function (n, fill) { check(n); return padStart.call(this, n, fill); });
	define('padEnd', function (n, fill) { check(n); return padEnd.call(this, n, fill); });
}
function __zeval_entries(m) {
	const out = [];
	for (const [k, v] of Map.prototype.entries.call(m)) {
		out.push(k, v);
	}
	return out;
}
`

// preludeProgram is the prelude compiled once for the process. It is immutable once made
// (goja programs may be run by any number of runtimes), so it is not mutable state.
var preludeProgram = sync.OnceValues(func() (*goja.Program, error) {
	return goja.Compile("prelude.js", prelude, true)
})

// convertError is a value that cannot cross between ZObjects and JavaScript; its text is
// upstream's message.
type convertError struct{ msg string }

func (e *convertError) Error() string { return e.msg }

var errTooDeep = &convertError{msg: "Maximum call stack size exceeded"}

// typeZID is upstream's getZID: the ZID a type object stands for — a reference's ZID, the
// function of a generic type call (Z881 for Z881(Z6)), the identity of a literal Z4 or Z8 —
// or "" when there is none.
func typeZID(t *z.Object) string {
	for range maxValueDepth {
		switch {
		case t == nil:
			return ""
		case t.IsRef():
			return t.RefID()
		case t.IsString():
			return t.StringValue()
		case !t.IsRecord():
			return ""
		}
		switch tt := t.Type(); {
		case tt.Is(z.Z8):
			t = t.Get("Z8K5")
		case tt.Is(z.Z7):
			t = t.Get("Z7K1")
		case tt.Is(z.Z4):
			t = t.Get("Z4K1")
		default:
			return ""
		}
	}
	return ""
}

// consItems returns the items of a typed list held as a list, as a chain of K1/K2 records,
// or a mix of both (a chain whose tail is a list), as upstream walks it.
func consItems(l *z.Object) []*z.Object {
	var out []*z.Object
	for l != nil {
		if l.IsList() {
			return append(out, l.Items()...)
		}
		if !l.IsRecord() || !l.Has("K1") {
			return out
		}
		out = append(out, l.Get("K1"))
		l = l.Get("K2")
	}
	return out
}

// toJS is upstream's deserialize: Z6 → string, Z21 → null, Z40 → boolean, Z881 → Array,
// Z882 → ZPair, Z883 → Map, anything else → ZObject with its Z1K1 kept in normal form.
func (v *VM) toJS(o *z.Object, depth int) (goja.Value, error) {
	if depth > maxValueDepth {
		return nil, errTooDeep
	}
	rt := v.rt
	switch o.Kind() {
	case z.KindString:
		return rt.ToValue(o.StringValue()), nil
	case z.KindReference:
		// Upstream cannot deserialize a bare reference (it recurses into the string); zeval
		// gives the ZObject {Z1K1: "Z9", Z9K1: "Z41"}, which converts back to the reference.
		obj := rt.NewObject()
		_ = obj.SetPrototype(v.zobjectProto)
		_ = obj.Set("Z1K1", "Z9")
		_ = obj.Set("Z9K1", o.RefID())
		return obj, nil
	case z.KindList:
		return v.arrayToJS(o.Items(), depth)
	case z.KindRecord:
	default:
		return nil, &convertError{msg: "Could not deserialize an empty ZObject"}
	}
	switch typeZID(o.Type()) {
	case z.Z6:
		if s := o.Get("Z6K1"); s != nil {
			if s.IsString() {
				return rt.ToValue(s.StringValue()), nil
			}
			return v.toJS(s, depth+1)
		}
		return goja.Undefined(), nil
	case z.Z21:
		return goja.Null(), nil
	case z.Z40:
		return rt.ToValue(o.Get("Z40K1").Is(z.Z41)), nil
	case z.Z881:
		return v.arrayToJS(consItems(o), depth)
	case z.Z882:
		k1, err := v.optionalToJS(o.Get("K1"), depth)
		if err != nil {
			return nil, err
		}
		k2, err := v.optionalToJS(o.Get("K2"), depth)
		if err != nil {
			return nil, err
		}
		obj := rt.NewObject()
		_ = obj.SetPrototype(v.zpairProto)
		_ = obj.Set("Z1K1", v.rawJS(o.Type()))
		_ = obj.Set("K1", k1)
		_ = obj.Set("K2", k2)
		return obj, nil
	case z.Z883:
		m, set := v.newMap()
		for _, p := range consItems(o.Get("K1")) {
			k, err := v.optionalToJS(p.Get("K1"), depth+1)
			if err != nil {
				return nil, err
			}
			val, err := v.optionalToJS(p.Get("K2"), depth+1)
			if err != nil {
				return nil, err
			}
			set(k, val)
		}
		return m, nil
	}
	obj := rt.NewObject()
	_ = obj.SetPrototype(v.zobjectProto)
	var typ goja.Value = goja.Null()
	if t := o.Type(); t != nil {
		typ = v.rawJS(t)
	}
	_ = obj.Set("Z1K1", typ)
	for _, f := range o.Fields() {
		if f.Key == z.KeyType {
			continue
		}
		jv, err := v.toJS(f.Value, depth+1)
		if err != nil {
			return nil, err
		}
		_ = obj.Set(f.Key, jv)
	}
	return obj, nil
}

func (v *VM) optionalToJS(o *z.Object, depth int) (goja.Value, error) {
	if o == nil {
		return goja.Undefined(), nil
	}
	return v.toJS(o, depth+1)
}

func (v *VM) arrayToJS(items []*z.Object, depth int) (goja.Value, error) {
	vals := make([]any, len(items))
	for i, it := range items {
		jv, err := v.toJS(it, depth+1)
		if err != nil {
			return nil, err
		}
		vals[i] = jv
	}
	return v.rt.NewArray(vals...), nil
}

// rawJS is a ZObject as upstream's code holds a Z1K1 it keeps: plain JSON in normal form.
func (v *VM) rawJS(o *z.Object) goja.Value {
	switch {
	case o.IsRef():
		// A type reference is the usual case; build it without a JSON round trip.
		obj := v.rt.NewObject()
		_ = obj.Set("Z1K1", "Z9")
		_ = obj.Set("Z9K1", o.RefID())
		return obj
	}
	out, err := v.parseJSON(goja.Undefined(), v.rt.ToValue(string(o.NormalJSON())))
	if err != nil {
		return goja.Null()
	}
	return out
}

// fromJS is upstream's serialize: string → Z6, null → Z21, boolean → Z40, Array → Z881 (item
// type inferred: the items' common type, else Z1), Map → Z883, ZPair and ZObject → their Z1K1
// with their other keys converted, any other value with a Z1K1 the same way. Anything else
// fails with "Could not serialize input JS object: <util.inspect of it>".
//
// undefined also becomes Z21 (upstream fails reading its Z1K1).
func (v *VM) fromJS(val goja.Value, depth int) (*z.Object, error) {
	if depth > maxValueDepth {
		return nil, errTooDeep
	}
	if val == nil || goja.IsUndefined(val) || goja.IsNull(val) {
		return z.NewRecord(z.NewRef(z.Z21)), nil
	}
	o, isObj := val.(*goja.Object)
	if !isObj {
		if _, ok := val.(*goja.Symbol); ok {
			return nil, v.cannotSerialize(val)
		}
		switch val.ExportType().Kind() {
		case reflect.String:
			return z.NewString(val.String()), nil
		case reflect.Bool:
			return z.NewBool(val.ToBoolean()), nil
		}
		return nil, v.cannotSerialize(val)
	}
	if p := o.Prototype(); p != nil && (p.SameAs(v.zpairProto) || p.SameAs(v.zobjectProto)) {
		return v.recordFromJS(o, depth)
	}
	switch v.tag(o) {
	case "String":
		return z.NewString(o.String()), nil
	case "Boolean":
		// upstream tests the object's truthiness, which is always true
		return z.NewBool(true), nil
	case "Array":
		n := o.Get("length").ToInteger()
		items := make([]*z.Object, 0, n)
		for i := range n {
			item, err := v.fromJS(o.Get(strconv.FormatInt(i, 10)), depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, item)
		}
		return z.NewList(commonType(items), items...), nil
	case "Map":
		return v.mapFromJS(o, depth)
	}
	return v.recordFromJS(o, depth)
}

func (v *VM) recordFromJS(o *goja.Object, depth int) (*z.Object, error) {
	raw := o.Get("Z1K1")
	if raw == nil || goja.IsUndefined(raw) || goja.IsNull(raw) {
		return nil, v.cannotSerialize(o)
	}
	typ, err := v.rawToZ(raw)
	if err != nil {
		return nil, v.cannotSerialize(o)
	}
	keys := o.Keys()
	// {Z1K1: "Z6", Z6K1: "x"} and {Z1K1: "Z9", Z9K1: "Z41"} are a string and a reference.
	if len(keys) == 2 && typ.IsRef() && (typ.Is(z.Z6) || typ.Is(z.Z9)) {
		if s := o.Get(typ.RefID() + "K1"); s != nil && s.ExportType() != nil && s.ExportType().Kind() == reflect.String {
			if typ.Is(z.Z6) {
				return z.NewString(s.String()), nil
			}
			return z.NewRef(s.String()), nil
		}
	}
	fields := make([]z.Field, 0, len(keys))
	for _, k := range keys {
		if k == z.KeyType {
			continue
		}
		fv, err := v.fromJS(o.Get(k), depth+1)
		if err != nil {
			return nil, err
		}
		fields = append(fields, z.KV(k, fv))
	}
	return z.NewRecord(typ, fields...), nil
}

// rawToZ reads a Z1K1 held as plain JSON (a ZID string, or an object in normal, canonical or
// mixed form).
func (v *VM) rawToZ(raw goja.Value) (*z.Object, error) {
	if _, isObj := raw.(*goja.Object); !isObj {
		if raw.ExportType() == nil || raw.ExportType().Kind() != reflect.String {
			return nil, errors.New("not a type")
		}
		if s := raw.String(); z.IsReference(s) {
			return z.NewRef(s), nil
		}
	}
	js, err := v.stringify(goja.Undefined(), raw)
	if err != nil || goja.IsUndefined(js) {
		return nil, errors.New("not JSON")
	}
	return z.Parse([]byte(js.String()))
}

func (v *VM) mapFromJS(o *goja.Object, depth int) (*z.Object, error) {
	flat, err := v.entries(goja.Undefined(), o)
	if err != nil {
		return nil, v.cannotSerialize(o)
	}
	fo := flat.(*goja.Object)
	n := fo.Get("length").ToInteger() / 2
	keys := make([]*z.Object, n)
	vals := make([]*z.Object, n)
	for i := range n {
		if keys[i], err = v.fromJS(fo.Get(strconv.FormatInt(2*i, 10)), depth+1); err != nil {
			return nil, err
		}
		if vals[i], err = v.fromJS(fo.Get(strconv.FormatInt(2*i+1, 10)), depth+1); err != nil {
			return nil, err
		}
	}
	pairs := make([]*z.Object, n)
	for i := range pairs {
		pairs[i] = z.NewPair(typeOf(keys[i]), typeOf(vals[i]), keys[i], vals[i])
	}
	m := z.NewRecord(z.MapType(commonType(keys), commonType(vals)),
		z.KV("K1", z.NewList(commonType(pairs), pairs...)))
	return m, nil
}

// tag is what Object.prototype.toString says of o, without "[object ...]": "Array", "Map",
// "String", "Promise", ... — what upstream's getZIDForJSType reads.
func (v *VM) tag(o *goja.Object) string {
	t, err := v.toStringTag(o)
	if err != nil {
		return ""
	}
	s := t.String()
	if len(s) > 9 && s[:8] == "[object " {
		return s[8 : len(s)-1]
	}
	return s
}

// typeOf is the Z1K1 of a converted value (Z1 when it has none).
func typeOf(o *z.Object) *z.Object {
	if t := o.Type(); t != nil {
		return t
	}
	return z.NewRef(z.Z1)
}

// commonType is upstream's getListType: the type all items share, else Z1 (also for none).
func commonType(items []*z.Object) *z.Object {
	if len(items) == 0 {
		return z.NewRef(z.Z1)
	}
	t := items[0].Type()
	if t == nil {
		return z.NewRef(z.Z1)
	}
	for _, it := range items[1:] {
		if !z.Equal(t, it.Type()) {
			return z.NewRef(z.Z1)
		}
	}
	return t
}

func (v *VM) cannotSerialize(val goja.Value) error {
	return &convertError{msg: "Could not serialize input JS object: " + v.inspect(val)}
}

// pairType serves ZPair's constructor: Z882(type of K1, type of K2) in normal form.
func (v *VM) pairType(call goja.FunctionCall) goja.Value {
	a, err := v.fromJS(call.Argument(0), 0)
	if err != nil {
		panic(v.jsError(err.Error()))
	}
	b, err := v.fromJS(call.Argument(1), 0)
	if err != nil {
		panic(v.jsError(err.Error()))
	}
	return v.rawJS(z.PairType(typeOf(a), typeOf(b)))
}

// jsError makes a JavaScript Error to throw from Go.
func (v *VM) jsError(message string) *goja.Object {
	e, err := v.rt.New(v.errorCtor, v.rt.ToValue(message))
	if err != nil {
		return v.rt.NewTypeError(message)
	}
	return e
}

// wCall is W.Call(zid, {key: value, ...}) — also W.Call(zid, value1, value2, ...), whose
// arguments get the keys zidK1, zidK2, .... It converts the arguments, asks the Caller of
// the innermost call for the Z22 of the Z7, and returns its value or throws its error.
func (v *VM) wCall(call goja.FunctionCall) goja.Value {
	v.mu.Lock()
	var f *frame
	if n := len(v.frames); n > 0 {
		f = v.frames[n-1]
	}
	v.mu.Unlock()
	zidVal := call.Argument(0)
	if zidVal.ExportType() == nil || zidVal.ExportType().Kind() != reflect.String || !z.IsReference(zidVal.String()) {
		panic(v.rt.NewTypeError("W.Call: the first argument must be a ZID such as \"Z802\""))
	}
	zid := zidVal.String()
	var fields []z.Field
	if kw, ok := v.keywordArgs(call.Arguments); ok {
		for _, k := range kw.Keys() {
			a, err := v.fromJS(kw.Get(k), 0)
			if err != nil {
				panic(v.jsError(err.Error()))
			}
			fields = append(fields, z.KV(k, a))
		}
	} else {
		for i, arg := range call.Arguments[1:] {
			a, err := v.fromJS(arg, 0)
			if err != nil {
				panic(v.jsError(err.Error()))
			}
			fields = append(fields, z.KV(zid+"K"+strconv.Itoa(i+1), a))
		}
	}
	if f == nil || f.caller == nil {
		panic(v.jsError("W.Call: nested function calls are not available here"))
	}
	z22, err := f.caller.Call(f.ctx, z.NewCall(z.NewRef(zid), fields...))
	if err != nil {
		v.interrupt(f, &interruption{reason: stopPlatform, err: err})
		return goja.Undefined()
	}
	if e := z.EnvelopeError(z22); e != nil && !z.IsVoid(e) {
		panic(v.jsError(nestedMessage(zid, e)))
	}
	out := z22.Get("Z22K1")
	if out == nil {
		return goja.Undefined()
	}
	jv, err := v.toJS(out, 0)
	if err != nil {
		panic(v.jsError(err.Error()))
	}
	return jv
}

// keywordArgs reports whether a W.Call is in the keyword form: one plain object (not a
// ZObject, a ZPair or anything else with a Z1K1) after the ZID.
func (v *VM) keywordArgs(args []goja.Value) (*goja.Object, bool) {
	if len(args) != 2 {
		return nil, false
	}
	o, ok := args[1].(*goja.Object)
	if !ok || o.ClassName() != "Object" {
		return nil, false
	}
	if p := o.Prototype(); p != nil && (p.SameAs(v.zobjectProto) || p.SameAs(v.zpairProto)) {
		return nil, false
	}
	if t := o.Get("Z1K1"); t != nil && !goja.IsUndefined(t) {
		return nil, false
	}
	return o, true
}

// nestedMessage is the message of the error W.Call throws for a failed nested call: the Z5's
// message string when it has one, else the Z5 in canonical JSON.
func nestedMessage(zid string, e *z.Object) string {
	if m := e.Get("Z5K2"); m.IsString() {
		return m.StringValue()
	}
	if t := z.ErrorType(e); t != "" {
		if a := z.ErrorArg(e, 1); a.IsString() {
			return a.StringValue()
		}
	}
	return "W.Call(" + zid + ") failed: " + e.String()
}

// sortedFields returns args in key order: by ZID number, then key number (Z1000K2 before
// Z1000K10), then as strings.
func sortedFields(args []z.Field) []z.Field {
	out := make([]z.Field, len(args))
	copy(out, args)
	sort.SliceStable(out, func(i, j int) bool { return keyLess(out[i].Key, out[j].Key) })
	return out
}

func keyLess(a, b string) bool {
	az, ak, aok := splitKey(a)
	bz, bk, bok := splitKey(b)
	if aok && bok {
		if az != bz {
			return az < bz
		}
		if ak != bk {
			return ak < bk
		}
	}
	return a < b
}

// splitKey reads "Z12K3" as (12, 3) and "K3" as (0, 3).
func splitKey(s string) (zid, key int, ok bool) {
	i := 0
	if i < len(s) && s[i] == 'Z' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(s[i+1 : j])
		if err != nil {
			return 0, 0, false
		}
		zid, i = n, j
	}
	if i >= len(s) || s[i] != 'K' {
		return 0, 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return 0, 0, false
	}
	return zid, n, true
}
