package orchestrator

import (
	"fmt"
	"strconv"
	"strings"

	z "github.com/zeval/zeval/internal/zobject"
)

// identity returns the ZID that identifies a type: the ZID of a reference, the function of a
// generic type call (Z881 for Z881(Z6)), the identity of a literal Z4. "" when unknown.
func identity(t *z.Object) string {
	for i := 0; i < 64; i++ {
		switch {
		case t.IsRef():
			return t.RefID()
		case isCall(t):
			t = t.Get("Z7K1")
		case t.IsRecord() && t.Type().Is(z.Z4):
			t = t.Get("Z4K1")
		default:
			return ""
		}
	}
	return ""
}

// valueIdentity returns the identity of the type of a value.
func valueIdentity(v *z.Object) string {
	switch v.Kind() {
	case z.KindString:
		return z.Z6
	case z.KindReference:
		return z.Z9
	case z.KindList:
		return z.Z881
	}
	return identity(v.Type())
}

// checkType checks a value against a declared type by identity, as far as upstream's schema
// validation does at this commit: Z1 accepts everything; references, argument references and
// function calls are checked when they are evaluated. It returns the Z5 on a mismatch.
func checkType(v, declared *z.Object) *z.Object {
	want := identity(declared)
	if want == "" || want == z.Z1 {
		return nil
	}
	got := valueIdentity(v)
	switch got {
	case "", z.Z9, z.Z18, z.Z7:
		return nil
	}
	if got == want {
		return nil
	}
	return z.Error(z.CodeObjectType, typeForError(v))
}

// typeForError is the Z1K1 of v as upstream's normal form spells it, for error messages: the
// bare strings "Z6" and "Z9" for strings and references (which come out as Z6 strings).
func typeForError(v *z.Object) *z.Object {
	switch v.Kind() {
	case z.KindString:
		return z.NewString(z.Z6)
	case z.KindReference:
		return z.NewString(z.Z9)
	}
	return v.Type()
}

// wellformed checks what function-schemata's normalize rejects and Parse lets through: every
// record outside a quote needs a Z1K1. It returns the Z502 error, or nil.
func wellformed(o *z.Object) *z.Object {
	return wellformedAt(o, 0)
}

func wellformedAt(o *z.Object, depth int) *z.Object {
	if depth > z.MaxDepth {
		return z.ErrorString(z.CodeNotWellformed, "too deep")
	}
	switch o.Kind() {
	case z.KindList:
		for _, it := range o.Items() {
			if e := wellformedAt(it, depth+1); e != nil {
				return e
			}
		}
	case z.KindRecord:
		if !o.Has(z.KeyType) {
			inner := z.Error(z.CodeMissingType, z.NewQuote(o))
			return z.Error(z.CodeNotWellformed, ref(z.CodeMissingType), inner)
		}
		if o.Type().Is(z.Z99) {
			return nil
		}
		for _, f := range o.Fields() {
			if e := wellformedAt(f.Value, depth+1); e != nil {
				if f.Key == z.KeyType {
					return e
				}
				sub := z.ErrorType(e)
				if sub == z.CodeNotWellformed {
					inner := z.ErrorArg(e, 2)
					code := z.ErrorType(inner)
					return z.Error(z.CodeNotWellformed, ref(z.CodeKeyValue),
						z.Error(z.CodeKeyValue, z.NewKeyRef(f.Key), inner.With("Z5K1", ref(code))))
				}
				return e
			}
		}
	}
	return nil
}

// staticValidate runs the checks upstream's doValidate runs before evaluation: the keys of
// function (Z8) and type (Z4) definitions, and the languages of multilingual texts (Z12) and
// stringsets (Z32), in every object of the call outside quotes and the inputs of calls.
func (r *run) staticValidate(o *z.Object) []*z.Object {
	var errs []*z.Object
	r.validateWalk(o, 0, &errs)
	return errs
}

func (r *run) validateWalk(o *z.Object, depth int, errs *[]*z.Object) {
	if depth > z.MaxDepth {
		return
	}
	switch o.Kind() {
	case z.KindList:
		for _, it := range o.Items() {
			r.validateWalk(it, depth+1, errs)
		}
	case z.KindRecord:
		t := o.Type()
		if t.IsRef() && t.RefID() != z.Z99 && r.o.defs.isType(t.RefID()) {
			if e := z.ValidateObject(o, t.RefID()); e != nil {
				*errs = append(*errs, e)
				return
			}
		}
		switch {
		case t.Is(z.Z99):
			return
		case t.Is(z.Z8):
			*errs = append(*errs, keyErrors(listItems(o.Get("Z8K1")), "Z17K2", o.Get("Z8K5").RefID())...)
		case t.Is(z.Z4):
			if id := o.Get("Z4K1").RefID(); id != "" {
				*errs = append(*errs, keyErrors(listItems(o.Get("Z4K2")), "Z3K2", id)...)
			}
		case t.Is(z.Z12):
			*errs = append(*errs, r.languageErrors(listItems(o.Get("Z12K1")), "Z11K1",
				"Duplicate Z11K1/language element in Z12/Multilingual text: '%s'")...)
		case t.Is(z.Z32):
			*errs = append(*errs, r.languageErrors(listItems(o.Get("Z32K1")), "Z31K1",
				"Duplicate Z31K1/language element in Z32/Multilingual stringset: '%s'")...)
		}
		if isCall(o) {
			// The inputs of a function call are validated when they are evaluated.
			r.validateWalk(o.Get(z.KeyType), depth+1, errs)
			r.validateWalk(o.Get("Z7K1"), depth+1, errs)
			return
		}
		for _, f := range o.Fields() {
			r.validateWalk(f.Value, depth+1, errs)
		}
	}
}

// keyErrors checks that the keys of a function's arguments or a type's keys are K1, K2, ...
// (or identityK1, identityK2, ...), without duplicates.
func keyErrors(items []*z.Object, keyField, identity string) []*z.Object {
	var errs []*z.Object
	add := func(msg string) { errs = append(errs, z.ErrorString(z.CodeArrayElement, msg)) }
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		original := text(it.Get(keyField))
		k := original
		if z.IsGlobalKey(k) {
			if !strings.HasPrefix(original, identity) {
				add(fmt.Sprintf("Invalid key at index %d: string should start with %s", i, identity))
			}
			k = z.LocalKey(k)
		}
		n, err := strconv.Atoi(strings.Replace(k, "K", "", 1))
		if seen[original] {
			add(fmt.Sprintf("Duplicated key at index %d: %s", i, original))
		} else {
			seen[original] = true
		}
		if err != nil || n != i+1 {
			if i == 0 {
				add(fmt.Sprintf("Invalid key at index %d: %s (should be K1 or %sK1)", i, original, identity))
			} else {
				add(fmt.Sprintf("Non-sequential key at index %d: %s", i, original))
			}
		}
	}
	return errs
}

// languageErrors reports languages that occur twice in a multilingual text or stringset.
func (r *run) languageErrors(items []*z.Object, langKey, format string) []*z.Object {
	var errs []*z.Object
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		lang := it.Get(langKey)
		if lang.IsRef() {
			obj, err := r.fetch(lang.RefID())
			if err != nil {
				continue
			}
			lang = obj.Get("Z2K2")
		}
		code := text(lang.Get("Z60K1"))
		if code == "" {
			continue
		}
		if seen[code] {
			errs = append(errs, z.ErrorString(z.CodeArrayElement, fmt.Sprintf(format, code)))
		}
		seen[code] = true
	}
	return errs
}
