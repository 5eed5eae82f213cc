package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// run is the state of one evaluation: caches and limits. It is used by one goroutine.
type run struct {
	ctx      context.Context
	o        *Orchestrator
	selector Selector
	depth    int
	// noValidate counts the type validators being run: inside one, arguments and results are
	// not validated (upstream's doValidate=false), which keeps a validator from validating
	// its own argument forever.
	noValidate int
	fetched    []fetchResult        // the persistent objects of this evaluation: a few, usually
	fetchedAt  map[string]int       // index of fetched by ZID, once there are many
	types      map[string]*z.Object // type key of a generic type call -> its Z4
	// closures maps the functions (Z8) that compositions return to the frame they were
	// returned from: their argument references belong there (upstream keeps a scope with
	// every object). Each returned function is a fresh copy, so the key is unique.
	closures map[*z.Object]*frame
}

type fetchResult struct {
	zid string
	obj *z.Object
	err error
}

func newRun(ctx context.Context, o *Orchestrator, sel Selector) *run {
	if sel == nil {
		sel = o.selector
	}
	return &run{ctx: ctx, o: o, selector: sel}
}

// argState says how far an argument has been evaluated.
type argState uint8

const (
	unevaluated argState = iota
	evaluated
	failed
)

// binding is one argument of a function call, evaluated lazily as upstream does: the
// expression stays as written until an implementation asks for its value.
type binding struct {
	name     string
	raw      *z.Object // the expression, as written in the call
	scope    *frame    // the scope the expression is evaluated in (the caller's)
	declared *z.Object // the declared type (Z17K1)
	state    argState
	value    *z.Object
	err      result
}

// frame is the scope of one function call: its arguments, then the enclosing scopes.
type frame struct {
	parent *frame
	args   []*binding
}

func (f *frame) lookup(name string) *binding {
	for ; f != nil; f = f.parent {
		for _, b := range f.args {
			if b.name == name {
				return b
			}
		}
	}
	return nil
}

// isCall reports whether o is a function call (Z1K1 Z7).
func isCall(o *z.Object) bool { return o.IsRecord() && o.Type().Is(z.Z7) && o.Has("Z7K1") }

// isArgRef reports whether o is an argument reference (Z18).
func isArgRef(o *z.Object) bool { return o.IsRecord() && o.Type().Is(z.Z18) }

// text returns the string in a Z6 (or the ZID of a Z9, for keys written as references).
func text(o *z.Object) string {
	if o.IsString() {
		return o.StringValue()
	}
	if o.IsRef() {
		return o.RefID()
	}
	if o.IsRecord() && o.Type().Is(z.Z6) {
		return text(o.Get("Z6K1"))
	}
	return ""
}

// userDefined reports whether zid is outside the range reserved for built-in objects.
func userDefined(zid string) bool {
	if len(zid) < 2 || zid[0] != 'Z' {
		return false
	}
	n, err := strconv.Atoi(zid[1:])
	return err == nil && n >= 10000
}

// enter accounts for one more nested call, failing on the depth limit or the deadline.
func (r *run) enter() *z.Object {
	r.depth++
	if r.depth > r.o.maxDepth {
		return z.ErrorString(z.CodeInEvaluation, fmt.Sprintf("Call nesting exceeds the limit of %d.", r.o.maxDepth))
	}
	if err := r.ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return z.ErrorString(z.CodeInEvaluation, "Evaluation exceeded its time budget.")
		}
		return z.ErrorString(z.CodeInEvaluation, "Evaluation was cancelled.")
	}
	return nil
}

func (r *run) leave() { r.depth-- }

// fetch returns the persistent object with the given ZID: a built-in, or the resolver's.
func (r *run) fetch(zid string) (*z.Object, error) {
	if d := r.o.defs.Get(zid); d != nil {
		return d, nil
	}
	if r.fetchedAt != nil {
		if i, ok := r.fetchedAt[zid]; ok {
			return r.fetched[i].obj, r.fetched[i].err
		}
	} else {
		for _, f := range r.fetched {
			if f.zid == zid {
				return f.obj, f.err
			}
		}
	}
	var obj *z.Object
	var err error
	if r.o.resolver != nil {
		obj, err = r.o.resolver.Resolve(r.ctx, zid)
		if err == nil && (obj == nil || !obj.Has("Z2K2")) {
			err = fmt.Errorf("%s has no value (Z2K2): %w", zid, ErrNotFound)
		}
	} else {
		err = fmt.Errorf("%s: %w", zid, ErrNotFound)
	}
	r.fetched = append(r.fetched, fetchResult{zid, obj, err})
	switch n := len(r.fetched); {
	case n == maxFetchedScan:
		r.fetchedAt = make(map[string]int, 2*n)
		for i, f := range r.fetched {
			r.fetchedAt[f.zid] = i
		}
	case n > maxFetchedScan:
		r.fetchedAt[zid] = n - 1
	}
	return obj, err
}

// maxFetchedScan is the number of fetched objects up to which fetch scans them for a ZID.
const maxFetchedScan = 16

// fetchError is the Z5 for a failed dereference.
func fetchError(zid string, err error) *z.Object {
	if errors.Is(err, ErrNotFound) {
		return z.Error(z.CodeZIDNotFound, z.NewString(zid))
	}
	return z.ErrorString(z.CodeUnknown, "Error thrown by dereference(): "+err.Error())
}

// maxResolveSteps bounds the rewrites of one resolve, against references that loop.
const maxResolveSteps = 1000

// resolve evaluates expr until no evaluation rule applies to its top level: argument
// references are looked up, references dereferenced, function calls executed, and the
// generic type of an instance (a Z1K1 that is a function call) computed. Sub-objects are left
// alone. It returns the value, or a failed result.
func (r *run) resolve(expr *z.Object, scope *frame) (*z.Object, result) {
	return r.resolveWith(expr, scope, true)
}

// resolveWith is resolve; without evenBuiltins a reference to a built-in object is a value
// and stays a reference, as it does where upstream resolves results (composition bodies, the
// branch If returns) rather than arguments.
func (r *run) resolveWith(expr *z.Object, scope *frame, evenBuiltins bool) (*z.Object, result) {
	for step := 0; step < maxResolveSteps; step++ {
		switch {
		case expr == nil:
			return nil, failure(z.ErrorString(z.CodeInEvaluation, "Missing value."))
		case isArgRef(expr):
			name := text(expr.Get("Z18K1"))
			b := scope.lookup(name)
			if b == nil {
				return nil, failure(z.ErrorString(z.CodeInvalidKey, "No argument called "+name+" in scope."))
			}
			v, res := r.argValue(b)
			if res.failed() {
				return nil, res
			}
			expr = v
		case expr.IsRef():
			zid := expr.RefID()
			if !evenBuiltins && !userDefined(zid) {
				return expr, result{}
			}
			obj, err := r.fetch(zid)
			if err != nil {
				return nil, failure(fetchError(zid, err))
			}
			expr = obj.Get("Z2K2")
		case isCall(expr):
			res := r.execute(expr, scope)
			if res.failed() {
				return nil, result{meta: metadata{{"errors", res.err()}}}
			}
			expr = res.value
		case expr.Kind() == z.KindList || (expr.IsRecord() && isCall(expr.Type())):
			t := expr.Type()
			if !isCall(t) {
				return expr, result{}
			}
			typ, res := r.genericType(t, scope)
			if res.failed() {
				return nil, res
			}
			return withType(expr, typ), result{}
		default:
			return expr, result{}
		}
	}
	return nil, failure(z.ErrorString(z.CodeInEvaluation, "Too many steps resolving a value (a reference cycle?)."))
}

// genericType computes the Z4 of a generic type call such as Z881(Z6), once per evaluation.
func (r *run) genericType(t *z.Object, scope *frame) (*z.Object, result) {
	key := z.TypeKey(t)
	cacheable := key != "" && !hasArgRef(t)
	shared := cacheable && r.o.builtinOnly(t)
	if cacheable {
		if typ, ok := r.types[key]; ok {
			return typ, result{}
		}
		if shared {
			if typ, ok := r.o.types.Load(key); ok {
				return typ.(*z.Object), result{}
			}
		}
	}
	typ, res := r.resolve(t, scope)
	if res.failed() {
		return nil, res
	}
	if !typ.IsRecord() || !typ.Type().Is(z.Z4) {
		return nil, failure(z.ErrorString(z.CodeArgumentType, "Generic type function did not return a Z4: "+typ.String()))
	}
	if cacheable {
		if r.types == nil {
			r.types = make(map[string]*z.Object)
		}
		r.types[key] = typ
	}
	if shared && r.o.typeCount.Add(1) <= maxSharedTypes {
		r.o.types.Store(key, typ)
	}
	return typ, result{}
}

func hasArgRef(o *z.Object) bool {
	switch {
	case isArgRef(o):
		return true
	case o.IsRecord():
		for _, f := range o.Fields() {
			if hasArgRef(f.Value) {
				return true
			}
		}
	case o.IsList():
		for _, it := range o.Items() {
			if hasArgRef(it) {
				return true
			}
		}
	}
	return false
}

// withType returns o with its Z1K1 replaced by typ. A list becomes a record in cons form,
// whose tail keeps its own (unresolved) type, as upstream's objects do.
func withType(o, typ *z.Object) *z.Object {
	if o.IsList() {
		items := o.Items()
		if len(items) == 0 {
			return z.NewRecord(typ)
		}
		return z.NewRecord(typ, z.KV("K1", items[0]), z.KV("K2", z.NewList(o.ItemType(), items[1:]...)))
	}
	return o.With(z.KeyType, typ)
}

// argValue evaluates an argument (once; later calls reuse the value): the expression is
// resolved in the caller's scope, argument references and user-defined references inside it
// are resolved, and its type is checked against the declared type.
func (r *run) argValue(b *binding) (*z.Object, result) {
	switch b.state {
	case evaluated:
		return b.value, result{}
	case failed:
		return nil, b.err
	}
	v, res := r.resolve(b.raw, b.scope)
	if res.failed() {
		b.state, b.err = failed, res
		return nil, res
	}
	// A value computed by a call, or taken from another argument, has been through this
	// already; only expressions written out in the call (or objects they name) can hold
	// calls and references to resolve.
	if !isCall(b.raw) && !isArgRef(b.raw) {
		v, res = r.eager(v, b.scope, 0)
		if res.failed() {
			b.state, b.err = failed, res
			return nil, res
		}
	}
	if r.noValidate == 0 {
		if e := r.runTypeValidator(v); e != nil {
			res := failure(z.Error(z.CodeObjectType, typeForError(v), v, e))
			b.state, b.err = failed, res
			return nil, res
		}
		if e := checkType(v, b.declared); e != nil {
			res := failure(z.Error(z.CodeArgumentType, b.declared, typeForError(v), v, e))
			b.state, b.err = failed, res
			return nil, res
		}
	}
	b.state, b.value = evaluated, v
	return v, result{}
}

// lightValue is the value that replaces a dangling argument reference inside a result: the
// evaluated value when there is one, the expression as written when it needs no evaluation.
func (r *run) lightValue(b *binding) (*z.Object, result) {
	if b.state == evaluated {
		return b.value, result{}
	}
	if b.state == unevaluated && !isCall(b.raw) && !isArgRef(b.raw) {
		return r.nested(b.raw, b.scope)
	}
	return r.argValue(b)
}

// nested binds the argument references inside o (a result, or an argument written out) to
// the values of the arguments in scope, without evaluating anything else: what upstream's
// closures (objects that keep their scope) amount to once the value leaves the frame. Quotes
// are left alone. It fails when an argument it needs fails, and when o is too large to walk:
// a result may share sub-objects so much that, walked as a tree, it never ends.
func (r *run) nested(o *z.Object, scope *frame) (*z.Object, result) {
	return r.bindAll(o, scope, false)
}

// capture prepares the result of a composition that is not the top-level call: functions in
// it become closures over the composition's frame (see run.closures), and other argument
// references are bound as nested binds them.
func (r *run) capture(o *z.Object, scope *frame) (*z.Object, result) {
	return r.bindAll(o, scope, true)
}

func (r *run) bindAll(o *z.Object, scope *frame, capture bool) (*z.Object, result) {
	if scope == nil {
		return o, result{}
	}
	w := binder{r: r, budget: r.o.maxNodes, capture: capture}
	v := w.bind(o, scope, nil)
	if w.failed.failed() {
		return nil, w.failed
	}
	if w.budget < 0 {
		return nil, failure(z.ErrorString(z.CodeInEvaluation,
			"The result is too large: more than "+strconv.Itoa(r.o.maxNodes)+" objects."))
	}
	return v, result{}
}

// binder is one walk of nested or capture.
type binder struct {
	r       *run
	budget  int    // objects the walk may still visit
	failed  result // the first failure of an argument
	capture bool   // make functions closures instead of binding inside them
}

// bind binds the argument references in o to scope, except those to the arguments of the
// function literals o is inside of (shadow): a reference to one of those belongs to the
// literal, not to the enclosing scope. Inside a closure, its own frame is the scope.
func (w *binder) bind(o *z.Object, scope *frame, shadow []string) *z.Object {
	if w.budget--; w.budget < 0 || w.failed.failed() {
		return o
	}
	switch o.Kind() {
	case z.KindList:
		items := o.Items()
		var out []*z.Object
		for i, it := range items {
			v := w.bind(it, scope, shadow)
			if v != it && out == nil {
				out = make([]*z.Object, len(items))
				copy(out, items)
			}
			if out != nil {
				out[i] = v
			}
		}
		it := w.bind(o.ItemType(), scope, shadow)
		if out == nil && it == o.ItemType() {
			return o
		}
		if out == nil {
			out = items
		}
		return z.NewList(it, out...)
	case z.KindRecord:
		t := o.Type()
		if t.Is(z.Z99) {
			return o
		}
		if t.Is(z.Z18) {
			name := text(o.Get("Z18K1"))
			if contains(shadow, name) {
				return o
			}
			b := scope.lookup(name)
			if b == nil {
				return o
			}
			v, res := w.r.lightValue(b)
			if res.failed() {
				w.failed = res
				return o
			}
			return v
		}
		if t.Is(z.Z8) {
			if f, ok := w.r.closures[o]; ok {
				if w.capture {
					return o // a closure already, over a deeper frame
				}
				scope, shadow = f, nil
			} else if w.capture {
				c := z.NewRecordOf(o.Fields()...)
				if w.r.closures == nil {
					w.r.closures = make(map[*z.Object]*frame)
				}
				w.r.closures[c] = scope
				return c
			}
			for _, d := range listItems(o.Get("Z8K1")) {
				name := text(d.Get("Z17K2"))
				shadow = append(shadow[:len(shadow):len(shadow)], name, z.LocalKey(name))
			}
		}
		// Allocate a copy of the fields only when something inside changes.
		var fields []z.Field
		for i, k := range o.Keys() {
			v := o.Get(k)
			nv := w.bind(v, scope, shadow)
			if nv != v && fields == nil {
				fields = o.Fields()
			}
			if fields != nil {
				fields[i].Value = nv
			}
		}
		if fields == nil {
			return o
		}
		return z.NewRecordOf(fields...)
	}
	return o
}

// eagerSkip are the keys upstream's eagerlyEvaluate leaves alone: types, the parts of type
// and function definitions, Boolean identities and quotes.
func eagerSkip(key string) bool {
	switch key {
	case z.KeyType, "Z4K1", "Z4K2", "Z4K3", "Z8K1", "Z8K2", "Z8K3", "Z8K4", "Z8K5", "Z40K1", "Z99K1":
		return true
	}
	return false
}

// eager resolves what is inside an argument's value before a built-in or code sees it, as
// upstream's eagerlyEvaluate does: function calls are executed, argument references bound
// in scope are replaced by the arguments' values, references to user-defined objects are
// replaced by the objects. What a call, an argument or a reference produced is not searched
// again, so a reference cycle resolves one level, as upstream's does.
func (r *run) eager(o *z.Object, scope *frame, depth int) (*z.Object, result) {
	if depth > z.MaxDepth {
		return nil, failure(z.ErrorString(z.CodeInEvaluation, "Argument is nested too deeply."))
	}
	switch o.Kind() {
	case z.KindList:
		items := o.Items()
		var out []*z.Object
		for i, it := range items {
			v, res := r.eagerChild(it, scope, depth)
			if res.failed() {
				return nil, res
			}
			if v != it && out == nil {
				out = make([]*z.Object, len(items))
				copy(out, items)
			}
			if out != nil {
				out[i] = v
			}
		}
		if out == nil {
			return o, result{}
		}
		return z.NewList(o.ItemType(), out...), result{}
	case z.KindRecord:
		var fields []z.Field
		for i, k := range o.Keys() {
			if eagerSkip(k) {
				continue
			}
			v := o.Get(k)
			nv, res := r.eagerChild(v, scope, depth)
			if res.failed() {
				return nil, res
			}
			if nv != v && fields == nil {
				fields = o.Fields()
			}
			if fields != nil {
				fields[i].Value = nv
			}
		}
		if fields == nil {
			return o, result{}
		}
		return z.NewRecordOf(fields...), result{}
	}
	return o, result{}
}

// eagerChild resolves one value inside an argument (see eager).
func (r *run) eagerChild(v *z.Object, scope *frame, depth int) (*z.Object, result) {
	switch {
	case isArgRef(v):
		if scope.lookup(text(v.Get("Z18K1"))) == nil {
			return v, result{} // unbound here: it belongs to a function literal
		}
		return r.resolve(v, scope)
	case v.IsRef():
		if !userDefined(v.RefID()) {
			return v, result{}
		}
		if obj, err := r.fetch(v.RefID()); err == nil {
			return obj.Get("Z2K2"), result{}
		}
		return v, result{}
	case isCall(v):
		return r.resolve(v, scope)
	}
	return r.eager(v, scope, depth+1)
}

// implementation kinds, as upstream names them in the implementationType metadata.
const (
	kindBuiltIn     = "BuiltIn"
	kindComposition = "Composition"
	kindEvaluated   = "Evaluated"
)

// execute evaluates a function call in scope (the caller's frame; nil at the top).
func (r *run) execute(call *z.Object, scope *frame) result {
	if e := r.enter(); e != nil {
		r.leave()
		return failure(e)
	}
	defer r.leave()
	if r.o.observer != nil {
		began, depth, fn, outer := time.Now(), r.depth, calledFunction(call), r.ctx
		ctx, done := r.o.observer(outer, fn, depth)
		r.ctx = ctx // the run has one goroutine: the call's context holds while it is evaluated
		out := r.executeIn(call, scope)
		r.ctx = outer
		done(CallEvent{Function: fn, Implementation: text(out.meta.get("implementationId")),
			Kind: text(out.meta.get("implementationType")), Depth: depth, Start: began, Duration: time.Since(began), Error: out.err()})
		return out
	}
	return r.executeIn(call, scope)
}

// calledFunction names the function of a call for the observer: its ZID or identity (Z8K5).
func calledFunction(call *z.Object) string {
	f := call.Get("Z7K1")
	if f.IsRecord() {
		return text(f.Get("Z8K5"))
	}
	return text(f)
}

// executeIn is execute within the depth bound.
func (r *run) executeIn(call *z.Object, scope *frame) result {
	fn, res := r.resolve(call.Get("Z7K1"), scope)
	if res.failed() {
		return res
	}
	if !fn.IsRecord() || !fn.Type().Is(z.Z8) {
		return failure(z.ErrorString(z.CodeInEvaluation, "Z7K1 is not a function: "+fn.String()))
	}

	// Bind the arguments, unevaluated, in a new frame. A function returned by a composition
	// sees the frame it came from; any other sees its caller's.
	parent := scope
	if f, ok := r.closures[fn]; ok {
		parent = f
	}
	callee := &frame{parent: parent}
	decls := listItems(fn.Get("Z8K1"))
	used := make([]string, 0, len(decls))
	var problems []string
	for _, d := range decls {
		name := text(d.Get("Z17K2"))
		k := name
		if !call.Has(k) {
			k = z.LocalKey(name)
		}
		v := call.Get(k)
		if k == "" || v == nil {
			problems = append(problems, "Could not find argument "+name+".")
			continue
		}
		used = append(used, k)
		callee.args = append(callee.args, &binding{name: name, raw: v, scope: scope, declared: d.Get("Z17K1")})
	}
	for _, k := range call.Keys() {
		if k == z.KeyType || k == "Z7K1" || contains(used, k) {
			continue
		}
		problems = append(problems, "Invalid key for function call: "+k+".")
	}
	if len(problems) > 0 {
		return failure(z.ErrorString(z.CodeInEvaluation, problems[0]))
	}

	// Find the implementations.
	var impls []*z.Object
	var ids []string
	for _, it := range listItems(fn.Get("Z8K4")) {
		id := ""
		if it.IsRef() {
			id = it.RefID()
		}
		impl, res := r.resolve(it, callee)
		if res.failed() {
			return res
		}
		impls = append(impls, impl)
		ids = append(ids, id)
	}
	if len(impls) == 0 {
		return failure(z.ErrorString(z.CodeInEvaluation, "Could not find any implementations for "+text(fn.Get("Z8K5"))+"."))
	}

	var out result
	var kind, id string
	order := r.order(impls)
	for n, i := range order {
		if i < 0 || i >= len(impls) {
			continue
		}
		impl := impls[i]
		switch {
		case impl.Has("Z14K4"):
			kind, id = kindBuiltIn, text(impl.Get("Z14K4"))
		case impl.Has("Z14K2"):
			kind, id = kindComposition, ids[i]
		case impl.Has("Z14K3"):
			kind, id = kindEvaluated, ids[i]
		default:
			return failure(z.ErrorString(z.CodeInEvaluation, "Implementation did not specify Z14K[234]"))
		}
		// Built-ins and code get their arguments evaluated first (compositions evaluate
		// theirs when they use them). As upstream, a failure here is reported before the
		// implementation is named in the metadata.
		if kind != kindComposition {
			for _, b := range callee.args {
				if kind == kindBuiltIn && isLazy(id, b.name) {
					continue
				}
				if _, res := r.argValue(b); res.failed() {
					return result{meta: metadata{{"errors", res.err()}}}
				}
			}
		}
		var platformErr error
		switch kind {
		case kindBuiltIn:
			out = r.runBuiltin(id, callee)
		case kindComposition:
			out = r.runComposition(impl.Get("Z14K2"), callee)
		case kindEvaluated:
			out, platformErr = r.runCode(fn, impl, callee)
		}
		if platformErr == nil {
			break
		}
		out = failure(z.ErrorString(z.CodeInEvaluation, platformErr.Error()))
		if n == len(order)-1 {
			break
		}
		r.o.logger.DebugContext(r.ctx, "implementation failed, trying the next", "implementation", id, "err", platformErr)
	}
	if r.depth == 1 && !out.failed() {
		// As upstream, only the result of the top-level call is checked against its type;
		// inner results are checked as arguments when they are used. A mismatch replaces
		// the whole envelope, metadata included.
		var mismatch bool
		if out, mismatch = r.checkReturn(out, fn); mismatch {
			return out
		}
	}
	switch {
	case id != "" && kind != "":
		out.meta = out.meta.with(metaEntry{"implementationId", z.NewString(id)}, metaEntry{"implementationType", metaString(kind)})
	case id != "":
		out.meta = out.meta.set("implementationId", z.NewString(id))
	case kind != "":
		out.meta = out.meta.set("implementationType", metaString(kind))
	}
	return out
}

// order is the selector's order of impls. FirstSelector's is the same for every call of a
// function with as many implementations, so it is not made again each time.
func (r *run) order(impls []*z.Object) []int {
	if _, first := r.selector.(FirstSelector); first && len(impls) <= len(firstOrder) {
		return firstOrder[:len(impls):len(impls)]
	}
	return r.selector.Order(append([]*z.Object(nil), impls...))
}

// firstOrder is FirstSelector's order of up to 16 implementations (read only).
var firstOrder = FirstSelector{}.Order(make([]*z.Object, 16))

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runComposition evaluates a composition (Z14K2) in the callee's frame. Argument references
// left in the result (in a returned function, say) are bound to the arguments' values.
func (r *run) runComposition(body *z.Object, callee *frame) result {
	v, res := r.resolveWith(body, callee, false)
	if res.failed() {
		return res
	}
	// At the top, argument references left in the result are bound to the arguments as
	// written (upstream's resolveDanglingReferences); deeper, functions in the result become
	// closures.
	if r.depth == 1 {
		v, res = r.nested(v, callee)
	} else {
		v, res = r.capture(v, callee)
	}
	if res.failed() {
		return res
	}
	return success(v)
}

// checkReturn applies upstream's validateReturnType to the result of the top-level call. It
// reports whether the value does not fit the declared return type, in which case the result
// is a new envelope holding only the error.
func (r *run) checkReturn(res result, fn *z.Object) (result, bool) {
	if res.value == nil || z.IsVoid(res.value) {
		res.value = nil
		res.meta = res.meta.set("errors", z.ErrorString(z.CodeNotWellformed, "Function evaluation returned an empty object."))
		return res, false
	}
	if r.noValidate > 0 {
		return res, false
	}
	e := checkType(res.value, fn.Get("Z8K2"))
	if e == nil {
		e = r.runTypeValidator(res.value)
	}
	if e != nil {
		return failure(z.Error(z.CodeReturnType, fn.Get("Z8K2"), typeForError(res.value), res.value, e)), true
	}
	return res, false
}

// runTypeValidator runs the validator (Z4K3) of the type of v when it is a user-written
// function, as upstream's runTypeValidatorDynamic does; the built-in validators accept every
// well-formed object. It returns the validator's error, or nil.
func (r *run) runTypeValidator(v *z.Object) *z.Object {
	if !v.IsRecord() {
		return nil
	}
	t := v.Type()
	if t.IsRef() {
		if !userDefined(t.RefID()) {
			return nil
		}
		obj, err := r.fetch(t.RefID())
		if err != nil {
			return nil // an unknown type is not this check's business
		}
		t = obj.Get("Z2K2")
	}
	if !t.IsRecord() || !t.Type().Is(z.Z4) {
		return nil
	}
	validator := t.Get("Z4K3")
	if validator.IsRef() && !userDefined(validator.RefID()) {
		return nil
	}
	r.noValidate++
	defer func() { r.noValidate-- }()
	fn, res := r.resolve(validator, nil)
	if res.failed() {
		return res.err()
	}
	decls := listItems(fn.Get("Z8K1"))
	if !fn.Type().Is(z.Z8) || len(decls) == 0 {
		return z.ErrorString(z.CodeInEvaluation, "The validator of a type is not a function of one argument.")
	}
	out := r.execute(z.NewCall(fn, z.KV(text(decls[0].Get("Z17K2")), v)), nil)
	if out.failed() {
		return out.err()
	}
	return nil
}

// maxSharedTypes bounds the generic types an orchestrator keeps, against input that names
// ever new ones (Z881(Z881(...))).
const maxSharedTypes = 1024

// builtinOnly reports whether every reference in the type call t names a built-in object, so
// that its value cannot change with the store and may be shared between evaluations.
func (o *Orchestrator) builtinOnly(t *z.Object) bool {
	switch t.Kind() {
	case z.KindReference:
		return o.defs.Get(t.RefID()) != nil
	case z.KindRecord:
		for _, k := range t.Keys() {
			if !o.builtinOnly(t.Get(k)) {
				return false
			}
		}
		return true
	}
	return false
}
