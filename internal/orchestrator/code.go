package orchestrator

import (
	z "github.com/zeval/zeval/internal/zobject"
)

// noEvaluatorError is the platform error of a code implementation whose language no
// evaluator runs; its text is upstream's.
type noEvaluatorError struct{ language string }

func (e noEvaluatorError) Error() string { return "No evaluator is available for " + e.language }

// runCode runs a code implementation (Z14K3) through the evaluator. The returned error is a
// platform failure (no evaluator for the language, the evaluator failed): the caller may try
// the next implementation. A failure of the user's code is a failed result instead.
func (r *run) runCode(fn, impl *z.Object, callee *frame) (result, error) {
	code := impl.Get("Z14K3")
	lang, res := r.resolve(code.Get("Z16K1"), callee)
	if res.failed() {
		return res, nil
	}
	language := text(lang.Get("Z61K1"))
	if language == "" {
		language = text(lang)
	}
	if r.o.evaluator == nil || !contains(r.o.evaluator.Languages(), language) {
		return result{}, noEvaluatorError{language}
	}
	// The arguments' values; a nil one is left out, as a record leaves it out.
	args := make([]z.Field, 0, len(callee.args))
	for _, b := range callee.args {
		v, res := r.argValue(b)
		if res.failed() {
			return res, nil
		}
		if v = foldLists(v); v != nil {
			args = append(args, z.KV(b.name, v))
		}
	}
	if pe, ok := r.o.evaluator.(PartsEvaluator); ok && plainArgs(callee) {
		z22, meta, err := pe.EvaluateParts(r.ctx, language, fn, impl, args)
		if err != nil {
			return result{}, err
		}
		if len(meta) > 0 && !z22.IsRecord() {
			z22 = nil // as Evaluate's Z22 would be: a non-record cannot take metadata
		}
		return codeResult(z22, meta), nil
	}
	fields := append([]z.Field{z.KV("Z7K1", fn.With("Z8K4", z.NewList(ref(z.Z14), impl)))}, args...)
	reply, err := r.o.evaluator.Evaluate(r.ctx, language, z.NewRecord(ref(z.Z7), fields...))
	if err != nil {
		return result{}, err
	}
	return codeResult(reply, nil), nil
}

// plainArgs reports whether the arguments of callee can be passed as they are: their names
// are distinct and none is a key of the Z7 itself, so that they make the same fields as they
// would in a record.
func plainArgs(callee *frame) bool {
	for i, b := range callee.args {
		if b.name == z.KeyType || b.name == "Z7K1" {
			return false
		}
		for _, c := range callee.args[:i] {
			if c.name == b.name {
				return false
			}
		}
	}
	return true
}

// codeResult reads the Z22 an evaluator answered, with the metadata entries meta set in its
// Z22K2 map first (as zobject.MapSet would).
func codeResult(reply *z.Object, meta []z.MapEntry) result {
	if !reply.IsRecord() {
		return failure(z.ErrorString(z.CodeInEvaluation, "The evaluator did not return a Z22: "+reply.String()))
	}
	var out result
	if len(meta) == 0 {
		out.meta = metadataMap(reply.Get("Z22K2"))
	} else {
		out.meta = metadataWith(reply.Get("Z22K2"), meta)
	}
	if v := reply.Get("Z22K1"); v != nil && !v.Is(z.Z23) && !z.IsVoid(v) {
		out.value = v
	}
	if out.failed() && out.value != nil {
		return failure(z.ErrorString(z.CodeNotWellformed, "Function evaluation returned both a value and an error."))
	}
	return out
}
