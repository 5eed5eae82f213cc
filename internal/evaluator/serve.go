package evaluator

import (
	"context"
	"fmt"

	z "github.com/zeval/zeval/internal/zobject"
)

// Serve answers a function call the way the Wikifunctions evaluator service does: call is a Z7
// whose Z7K1 is a literal Z8 carrying its code implementation; the language comes from the first
// implementation's Z14K3.Z16K1.Z61K1. Errors about the request itself are Z558 errors with the
// upstream messages. It always returns a Z22; a platform failure becomes a Z507 in it.
func (e *Evaluator) Serve(ctx context.Context, call *z.Object) *z.Object {
	if problem := checkFunctionCall(call); problem != "" {
		return failed(z.NewRecord(z.NewRef(z.Z5), z.KV("Z5K1", z.NewRef(z.CodeInEvaluation)),
			z.KV("Z5K2", z.NewString("Unable to validate function call. Parser errors: "+problem))))
	}
	language, problem := callLanguage(call)
	if problem != "" {
		return failed(serviceError("Unable to find programming language in function call. " + problem))
	}
	if e.runtimeFor(language) == nil {
		return failed(serviceError("No executor found for programming language " + language + "."))
	}
	out, err := e.Evaluate(ctx, language, call)
	if err != nil {
		return failed(z.ErrorString(z.CodeInEvaluation, err.Error()))
	}
	return out
}

// languageOf finds the programming language of a call's first implementation, or says what is
// missing (in the words of the JavaScript TypeError upstream reports).
func callLanguage(call *z.Object) (string, string) {
	fn := call.Get("Z7K1")
	if fn == nil {
		return "", "TypeError: Cannot read properties of undefined (reading 'Z8K4')"
	}
	impls := fn.Get("Z8K4")
	if impls == nil {
		return "", "TypeError: Cannot read properties of undefined (reading 'Z8K4')"
	}
	items := z.ListItems(impls)
	if len(items) == 0 {
		return "", "TypeError: Cannot read properties of undefined (reading 'Z14K3')"
	}
	lang := items[0].Get("Z14K3").Get("Z16K1")
	switch {
	case lang.IsString():
		return lang.StringValue(), ""
	case lang.Get("Z61K1").IsString():
		return lang.Get("Z61K1").StringValue(), ""
	}
	return "", "TypeError: Cannot read properties of undefined (reading 'Z61K1')"
}

// serviceError is the evaluator service's error form: a Z558 with the message as Z5K2.
func serviceError(message string) *z.Object {
	return z.NewRecord(z.NewRef(z.Z5), z.KV("Z5K1", z.NewRef("Z558")), z.KV("Z5K2", z.NewString(message)))
}

// checkFunctionCall is the evaluator service's validation of a call with a literal function:
// the function's argument declarations (Z8K1) must be Z17s and its implementations (Z8K4) Z14s.
func checkFunctionCall(call *z.Object) string {
	fn := call.Get("Z7K1")
	if !fn.IsRecord() {
		return ""
	}
	for _, c := range []struct{ key, typ string }{{"Z8K1", "Z17"}, {"Z8K4", "Z14"}} {
		// Walk the list as cons cells (K1 item, K2 rest): that also reaches the items of a
		// malformed list whose cells disagree about the item type.
		node := fn.Get(c.key)
		if !node.IsList() && !node.Has("K1") {
			continue // a missing or odd list is reported when the language is looked up
		}
		for i := 1; node != nil && node.Get("K1") != nil; i++ {
			if item := node.Get("K1"); !item.IsRecord() || !item.Type().Is(c.typ) {
				return fmt.Sprintf("%s item %d is not a %s: %s", c.key, i, c.typ, item.String())
			}
			node = node.Get("K2")
		}
	}
	return ""
}
