package orchestrator

import (
	"strings"

	z "github.com/zeval/zeval/internal/zobject"
)

// builtinFunc is the Go implementation of a built-in. args are the argument bindings in
// declaration order; a built-in asks for the values it needs with r.argValue, so arguments
// it does not need (the untaken branch of If) are never evaluated.
type builtinFunc func(r *run, args []*binding) result

// builtinByID returns the built-in implementation with the given ZID (Z14K4), or nil.
func builtinByID(id string) builtinFunc {
	switch id {
	case "Z901":
		return biEcho
	case "Z902":
		return biIf
	case "Z903":
		return biValueByKey
	case "Z904":
		return biValuesByKeys
	case "Z905":
		return biReify
	case "Z908":
		return biAbstract
	case "Z910":
		return biCons
	case "Z911":
		return biHead
	case "Z912":
		return biTail
	case "Z913":
		return biEmpty
	case "Z920":
		return biTriggerMetadata
	case "Z921":
		return biFirst
	case "Z922":
		return biSecond
	case "Z923":
		return biEnvelope
	case "Z928":
		return biFetch
	case "Z931":
		return biSchemaValidator
	case "Z944":
		return biBooleanEquality
	case "Z960":
		return biLanguageCode
	case "Z966":
		return biStringEquality
	case "Z968":
		return biStringToChars
	case "Z981":
		return biListType
	case "Z982":
		return biPairType
	case "Z983":
		return biMapType
	case "Z986":
		return biCharsToString
	case "Z988":
		return biCodePointEquality
	case "Z989":
		return biListEquality
	case "Z999":
		return biUnquote
	}
	if isValidatorImpl(id) {
		return biEmptyValidator
	}
	return nil
}

// isValidatorImpl reports whether id is one of the built-in validators Z201–Z299, which accept
// every object they are given (upstream's BUILTIN_EMPTY_VALIDATOR_ for most of them).
func isValidatorImpl(id string) bool {
	return len(id) == 4 && id[0] == 'Z' && id[1] == '2' && id[2] >= '0' && id[2] <= '9' && id[3] >= '0' && id[3] <= '9'
}

// runBuiltin runs the built-in id; its arguments (but the lazy ones) are evaluated already.
func (r *run) runBuiltin(id string, callee *frame) result {
	f := builtinByID(id)
	if f == nil {
		return failure(z.Error(z.CodeBuiltinMissing, z.NewString(id)))
	}
	return f(r, callee.args)
}

// isLazy reports whether the built-in id takes the argument name unevaluated: the branches
// of If, which evaluates only the one it selects.
func isLazy(id, name string) bool {
	return id == "Z902" && (name == "Z802K2" || name == "Z802K3")
}

// values returns the evaluated values of args (all evaluated by runBuiltin already).
func values(args []*binding) []*z.Object {
	out := make([]*z.Object, len(args))
	for i, b := range args {
		out[i] = b.value
	}
	return out
}

func wantArgs(args []*binding, n int) ([]*z.Object, *z.Object) {
	if len(args) != n {
		return nil, z.Error(z.CodeArgumentCount, z.NewString(itoa(n)), z.NewString(itoa(len(args))))
	}
	return values(args), nil
}

func biEcho(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	return success(v[0])
}

// biIf evaluates the condition, then only the branch it selects, in the caller's scope.
func biIf(r *run, args []*binding) result {
	if len(args) != 3 {
		return failure(z.Error(z.CodeArgumentCount, z.NewString("3"), z.NewString(itoa(len(args)))))
	}
	cond, res := r.argValue(args[0])
	if res.failed() {
		return res
	}
	truth, ok := z.BoolValue(cond)
	if !ok {
		return failure(z.ErrorString(z.CodeArgumentType, "The condition of If is not a Boolean."))
	}
	branch := args[2]
	if truth {
		branch = args[1]
	}
	v, res := r.resolveWith(branch.raw, branch.scope, false)
	if res.failed() {
		return res
	}
	return success(v)
}

// field reads key from o the way upstream reads a normal-form object.
func field(o *z.Object, key string) *z.Object {
	switch {
	case o.IsString():
		switch key {
		case z.KeyType:
			return ref(z.Z6)
		case "Z6K1":
			return z.NewString(o.StringValue())
		}
		return nil
	case o.IsRef():
		switch key {
		case z.KeyType:
			return ref(z.Z9)
		case "Z9K1":
			return z.NewString(o.RefID())
		}
		return nil
	}
	return o.Get(key)
}

func biValueByKey(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	key := text(v[0].Get("Z39K1"))
	got := field(v[1], key)
	if got == nil {
		return failure(z.ErrorString(z.CodeInEvaluation, `Object did not contain key "`+key+`"`))
	}
	return success(got)
}

func keyRefPairType() *z.Object { return z.PairType(ref(z.Z39), ref(z.Z1)) }

func biValuesByKeys(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	pt := keyRefPairType()
	var pairs []*z.Object
	var missing []string
	for _, kr := range listItems(v[0]) {
		key := text(kr.Get("Z39K1"))
		val := field(v[1], key)
		if val == nil {
			missing = append(missing, key)
			continue
		}
		pairs = append(pairs, z.NewRecord(pt, z.KV("K1", kr), z.KV("K2", val)))
	}
	if len(missing) > 0 {
		return failure(z.ErrorString(z.CodeInEvaluation, "Object did not contain key(s): "+strings.Join(missing, ",")))
	}
	return success(z.NewRecord(z.MapType(ref(z.Z39), ref(z.Z1)), z.KV("K1", z.NewList(pt, pairs...))))
}

// normalKeys returns the keys and values of o as its normal form has them.
func normalKeys(o *z.Object) ([]string, []*z.Object) {
	switch {
	case o.IsString():
		return []string{z.KeyType, "Z6K1"}, []*z.Object{z.NewString(z.Z6), z.NewString(o.StringValue())}
	case o.IsRef():
		return []string{z.KeyType, "Z9K1"}, []*z.Object{z.NewString(z.Z9), z.NewString(o.RefID())}
	}
	keys := o.Keys()
	vals := make([]*z.Object, len(keys))
	for i, k := range keys {
		vals[i] = o.Get(k)
	}
	return keys, vals
}

func biReify(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	if e := r.o.tooLarge(v[0], "object to reify", ""); e != nil {
		return failure(e)
	}
	return success(reifyTop(v[0]))
}

// reifyTop reifies an object: records and lists become lists of pairs; a string or a
// reference becomes the pairs of its normal form, whose leaves are strings.
func reifyTop(o *z.Object) *z.Object {
	pt := keyRefPairType()
	keys, vals := normalKeys(o)
	pairs := make([]*z.Object, len(keys))
	for i, k := range keys {
		var val *z.Object
		if (o.IsString() || o.IsRef()) && vals[i].IsString() {
			val = vals[i]
		} else {
			val = reifyTop(vals[i])
		}
		pairs[i] = z.NewRecord(pt, z.KV("K1", z.NewKeyRef(k)), z.KV("K2", val))
	}
	return z.NewList(pt, pairs...)
}

func abstract(o *z.Object, depth int) *z.Object {
	if o.IsString() || depth > z.MaxDepth {
		return o
	}
	var fields []z.Field
	for _, p := range listItems(o) {
		fields = append(fields, z.KV(text(p.Get("K1").Get("Z39K1")), abstract(p.Get("K2"), depth+1)))
	}
	// A reified string or reference comes back as its normal form; read it as such.
	rec := z.NewRecordOf(fields...)
	t := rec.Get(z.KeyType)
	switch {
	case t.IsString() && t.StringValue() == z.Z6 && rec.Get("Z6K1").IsString():
		return rec.Get("Z6K1")
	case t.IsString() && t.StringValue() == z.Z9 && rec.Get("Z9K1").IsString():
		return ref(rec.Get("Z9K1").StringValue())
	}
	out := make([]z.Field, 0, len(fields))
	for _, f := range fields {
		if f.Key == z.KeyType && f.Value.IsString() && z.IsReference(f.Value.StringValue()) {
			f.Value = ref(f.Value.StringValue())
		}
		out = append(out, f)
	}
	return z.NewRecordOf(out...)
}

func biAbstract(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	return success(abstract(v[0], 0))
}

// listParts returns the items and item type of a list, held as a list or in cons form.
func listParts(o *z.Object) (items []*z.Object, itemType *z.Object, ok bool) {
	items, ok = consItems(o)
	if !ok {
		return nil, nil, false
	}
	if o.IsList() {
		return items, o.ItemType(), true
	}
	return items, z.ListItemType(o.Type()), true
}

func notAList(o *z.Object) result {
	return failure(z.ErrorString(z.CodeArgumentType, "Expected a typed list, got "+o.String()+"."))
}

func biCons(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	list := v[1]
	if list.IsList() {
		items := append([]*z.Object{v[0]}, list.Items()...)
		return success(z.NewList(list.ItemType(), items...))
	}
	itemType := z.ListItemType(list.Type())
	if itemType == nil {
		return notAList(list)
	}
	return success(z.NewRecord(z.ListType(itemType), z.KV("K1", v[0]), z.KV("K2", list)))
}

func biHead(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	items, _, ok := listParts(v[0])
	if !ok {
		return notAList(v[0])
	}
	if len(items) == 0 {
		return failure(z.ErrorString(z.CodeArgumentType, "An empty list has no head."))
	}
	return success(items[0])
}

func biTail(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	items, _, ok := listParts(v[0])
	if !ok {
		return notAList(v[0])
	}
	if len(items) == 0 {
		return failure(z.ErrorString(z.CodeArgumentType, "An empty list has no tail."))
	}
	return success(v[0].Get("K2"))
}

func biEmpty(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	items, _, ok := listParts(v[0])
	if !ok {
		return notAList(v[0])
	}
	return success(z.NewBool(len(items) == 0))
}

func biTriggerMetadata(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	return result{meta: metadata{{text(v[0]), v[1]}}}
}

func biFirst(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	return success(v[0].Get("K1"))
}

func biSecond(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	return success(v[0].Get("K2"))
}

// biEnvelope evaluates the quoted function call and returns its envelope as a pair
// (result, metadata map).
func biEnvelope(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	call := v[0].Get("Z99K1")
	var res result
	if isCall(call) {
		res = r.execute(call, nil)
	} else {
		var val *z.Object
		val, res = r.resolve(call, nil)
		res.value = val
	}
	env := envelope(res.value, res.meta)
	return success(z.NewRecord(z.PairType(ref(z.Z1), ref(z.Z1)),
		z.KV("K1", env.Get("Z22K1")), z.KV("K2", env.Get("Z22K2"))))
}

func biFetch(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	zid := v[0].Get("Z99K1").RefID()
	if zid == "" {
		zid = text(v[0].Get("Z99K1"))
	}
	obj, err := r.fetch(zid)
	if err != nil {
		return failure(z.ErrorString(z.CodeUnknown, "Error thrown by dereference(): "+err.Error()))
	}
	return success(obj)
}

// biSchemaValidator checks the quoted object against the quoted type (by identity).
func biSchemaValidator(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	obj := v[0].Get("Z99K1")
	if e := checkType(obj, v[1].Get("Z99K1")); e != nil {
		return failure(e)
	}
	return success(obj)
}

func biEmptyValidator(r *run, args []*binding) result {
	if len(args) == 0 {
		return failure(z.Error(z.CodeArgumentCount, z.NewString("1"), z.NewString("0")))
	}
	return success(args[0].value)
}

func biBooleanEquality(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	a, ok1 := z.BoolValue(v[0])
	b, ok2 := z.BoolValue(v[1])
	if !ok1 || !ok2 {
		return failure(z.ErrorString(z.CodeArgumentType, "Boolean equality needs two Booleans."))
	}
	return success(z.NewBool(a == b))
}

func biLanguageCode(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	code := text(v[0])
	lr, ok := r.o.resolver.(LanguageResolver)
	if !ok {
		return failure(z.ErrorString(z.CodeLanguageNotFound, code))
	}
	zid, err := lr.LanguageByCode(r.ctx, code)
	if err != nil || zid == "" {
		return failure(z.ErrorString(z.CodeInvalidKey, "Invalid language code: "+code))
	}
	return success(ref(zid))
}

func biStringEquality(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	return success(z.NewBool(text(v[0]) == text(v[1])))
}

func codePoint(s string) *z.Object {
	return z.NewRecord(ref(z.Z86), z.KV("Z86K1", z.NewString(s)))
}

func biStringToChars(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	s := text(v[0])
	items := make([]*z.Object, 0, len(s))
	for _, c := range s {
		items = append(items, codePoint(string(c)))
	}
	return success(z.NewList(ref(z.Z86), items...))
}

func biCharsToString(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	items, _, ok := listParts(v[0])
	if !ok {
		return notAList(v[0])
	}
	var b strings.Builder
	for _, it := range items {
		if it.IsString() {
			b.WriteString(it.StringValue())
		} else {
			b.WriteString(text(it.Get("Z86K1")))
		}
	}
	return success(z.NewString(b.String()))
}

func biCodePointEquality(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	return success(z.NewBool(text(v[0].Get("Z86K1")) == text(v[1].Get("Z86K1"))))
}

// biListEquality compares two lists element by element with the given equality function.
func biListEquality(r *run, args []*binding) result {
	v, e := wantArgs(args, 3)
	if e != nil {
		return failure(e)
	}
	a, _, ok1 := listParts(v[0])
	b, _, ok2 := listParts(v[1])
	if !ok1 || !ok2 {
		return failure(z.ErrorString(z.CodeArgumentType, "List equality needs two typed lists."))
	}
	if len(a) != len(b) {
		return success(z.NewBool(false))
	}
	fn := v[2]
	decls := listItems(fn.Get("Z8K1"))
	if len(decls) != 2 {
		return failure(z.ErrorString(z.CodeArgumentCount, "2", itoa(len(decls))))
	}
	k1, k2 := text(decls[0].Get("Z17K2")), text(decls[1].Get("Z17K2"))
	for i := range a {
		call := z.NewCall(fn, z.KV(k1, a[i]), z.KV(k2, b[i]))
		res := r.execute(call, nil)
		if res.failed() {
			return res
		}
		same, ok := z.BoolValue(res.value)
		if !ok {
			return failure(z.ErrorString(z.CodeReturnType, "The element equality function did not return a Boolean."))
		}
		if !same {
			return success(z.NewBool(false))
		}
	}
	return success(z.NewBool(true))
}

func biUnquote(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	return success(v[0].Get("Z99K1"))
}

// typeKeyOf builds the Z3 key of a generic type built by the type constructors.
func typeKeyOf(typ *z.Object, id, label string) *z.Object {
	return z.NewRecord(ref(z.Z3), z.KV("Z3K1", typ), z.KV("Z3K2", z.NewString(id)), z.KV("Z3K3", labels(label)))
}

func genericZ4(identity *z.Object, keys ...*z.Object) *z.Object {
	return z.NewRecord(ref(z.Z4),
		z.KV("Z4K1", identity),
		z.KV("Z4K2", z.NewList(ref(z.Z3), keys...)),
		z.KV("Z4K3", ref("Z831")))
}

func listTypeZ4(item *z.Object) *z.Object {
	me := z.ListType(item)
	return genericZ4(me, typeKeyOf(item, "K1", "head"), typeKeyOf(me, "K2", "tail"))
}

func pairTypeZ4(first, second *z.Object) *z.Object {
	me := z.PairType(first, second)
	return genericZ4(me, typeKeyOf(first, "K1", "first"), typeKeyOf(second, "K2", "second"))
}

func biListType(r *run, args []*binding) result {
	v, e := wantArgs(args, 1)
	if e != nil {
		return failure(e)
	}
	return success(listTypeZ4(v[0]))
}

func biPairType(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	return success(pairTypeZ4(v[0], v[1]))
}

// biMapType builds Z883(K, V); keys may only be strings or key references.
func biMapType(r *run, args []*binding) result {
	v, e := wantArgs(args, 2)
	if e != nil {
		return failure(e)
	}
	identity := v[0]
	for i := 0; i < 64 && identity.IsRecord() && identity.Has("Z4K1"); i++ {
		identity = identity.Get("Z4K1")
	}
	if id := identity.RefID(); id != z.Z6 && id != z.Z39 {
		return failure(z.Error(z.CodeArgumentValue, z.NewString("Z883K1"), v[0]))
	}
	me := z.MapType(v[0], v[1])
	list := listTypeZ4(pairTypeZ4(v[0], v[1]))
	return success(genericZ4(me, typeKeyOf(list, "K1", "elements")))
}
