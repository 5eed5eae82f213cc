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
	fields := []z.Field{z.KV("Z7K1", fn.With("Z8K4", z.NewList(ref(z.Z14), impl)))}
	for _, b := range callee.args {
		v, res := r.argValue(b)
		if res.failed() {
			return res, nil
		}
		fields = append(fields, z.KV(b.name, foldLists(v)))
	}
	reply, err := r.o.evaluator.Evaluate(r.ctx, language, z.NewRecord(ref(z.Z7), fields...))
	if err != nil {
		return result{}, err
	}
	if !reply.IsRecord() {
		return failure(z.ErrorString(z.CodeInEvaluation, "The evaluator did not return a Z22: "+reply.String())), nil
	}
	out := result{meta: metadataMap(reply.Get("Z22K2"))}
	if v := reply.Get("Z22K1"); v != nil && !v.Is(z.Z23) && !z.IsVoid(v) {
		out.value = v
	}
	if out.failed() && out.value != nil {
		return failure(z.ErrorString(z.CodeNotWellformed, "Function evaluation returned both a value and an error.")), nil
	}
	return out, nil
}
