package zobject

import "strconv"

// ZIDs of the standard error types (Z50 instances) upstream uses, with the arguments each takes.
const (
	CodeUnknown               = "Z500" // error information
	CodeSyntax                = "Z501" // message from parser, input string
	CodeNotWellformed         = "Z502" // sub error type, propagated error
	CodeNotImplemented        = "Z503" // feature name
	CodeZIDNotFound           = "Z504" // ZID
	CodeArgumentCount         = "Z505" // expected number, actual number, arguments
	CodeArgumentType          = "Z506" // expected type, actual type, argument, propagated error
	CodeInEvaluation          = "Z507" // function call, propagated error
	CodeCompetingKeys         = "Z508" // key, object
	CodeList                  = "Z509" // list of errors
	CodeNil                   = "Z510" // -
	CodeKeyNotFound           = "Z511" // key reference, object
	CodeTestFailed            = "Z512" // expected result, actual result
	CodeNoValue               = "Z513" // resolved object without Z2K2
	CodeBuiltinMissing        = "Z514" // implementation
	CodeBuiltinID             = "Z515" // implementation
	CodeArgumentValue         = "Z516" // argument, bad value
	CodeReturnType            = "Z517" // expected type, actual type, returned value, propagated error
	CodeObjectType            = "Z518" // expected type, object, propagated error
	CodeUndefinedListType     = "Z519" // offending value
	CodeWrongListType         = "Z520" // offending value
	CodeNumberBooleanNull     = "Z521" // offending value (sub of Z502)
	CodeArrayElement          = "Z522" // index of offending element, propagated error (sub of Z502)
	CodeMissingType           = "Z523" // object without Z1K1 (sub of Z502)
	CodeTypeIsStringOrArray   = "Z524" // value of Z1K1 (sub of Z502)
	CodeInvalidKey            = "Z525" // key (sub of Z502)
	CodeKeyValue              = "Z526" // key, propagated error (sub of Z502)
	CodeStringKeys            = "Z531" // Z6 must have 2 keys: object
	CodeStringWithoutValue    = "Z532" // Z6 without Z6K1: object
	CodeStringValueNotString  = "Z533" // Z6K1 must be a string: value of Z6K1
	CodeReferenceKeys         = "Z534" // Z9 must have 2 keys: object
	CodeReferenceWithoutValue = "Z535" // Z9 without Z9K1: object
	CodeReferenceNotString    = "Z536" // Z9K1 must be a string: value of Z9K1
	CodeReferenceNotReference = "Z537" // Z9K1 must look like a reference: value of Z9K1
	CodeWrongNamespace        = "Z538" // page title
	CodeWrongContentType      = "Z539" // page title
	CodeInvalidLanguageCode   = "Z540" // language code
	CodeLanguageNotFound      = "Z541" // language code
	CodeUnexpectedType        = "Z542" // expected type, actual type
	CodeTypeNotFound          = "Z543" // type name
	CodeConflictingTypeNames  = "Z544" // type ZID, type name, existing type name
	CodeConflictingTypeZIDs   = "Z545" // type ZID, type name, existing type ZID
	CodeBuiltinTypeNotFound   = "Z546" // type ZID, type name
	CodeInvalidFormat         = "Z547" // input
	CodeInvalidJSON           = "Z548" // error message, input
	CodeInvalidReference      = "Z549" // reference value
	CodeUnknownReference      = "Z550" // reference value
	CodeSchemaTypeMismatch    = "Z551" // key, expected type, actual type
	CodeArrayElementType      = "Z552" // index, expected type, actual content
	CodeDisallowedRoot        = "Z553" // root object
	CodeLabelClash            = "Z554" // clashing ZID, language
	CodeTitleMismatch         = "Z555" // ZID, page title
	CodeInvalidTitle          = "Z556" // title
	CodeNoPermission          = "Z557" // message
	CodeProgrammingLanguage   = "Z558" // programming language
)

// Error returns a Z5 error of the given error type (a ZID such as CodeNotWellformed) with its
// arguments, the way upstream's makeErrorInNormalForm builds one:
//
//	{"Z1K1":"Z5","Z5K1":errorType,
//	 "Z5K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z885","Z885K1":errorType},
//	         "<errorType>K1":args[0], "<errorType>K2":args[1], ...}}
//
// A nil argument leaves its key out (the numbering of later arguments is kept).
func Error(errorType string, args ...*Object) *Object {
	fs := make([]Field, 0, len(args))
	for i, a := range args {
		if a == nil {
			continue
		}
		fs = append(fs, Field{Key: errorType + "K" + strconv.Itoa(i+1), Value: a})
	}
	return NewRecord(NewRef(Z5),
		KV("Z5K1", NewRef(errorType)),
		KV("Z5K2", NewRecord(ErrorTypeOf(errorType), fs...)),
	)
}

// ErrorString is Error with every argument a Z6 string.
func ErrorString(errorType string, args ...string) *Object {
	os := make([]*Object, len(args))
	for i, a := range args {
		os[i] = NewString(a)
	}
	return Error(errorType, os...)
}

// IsError reports whether o is a Z5 error.
func IsError(o *Object) bool { return o.IsRecord() && o.Type().Is(Z5) }

// ErrorType returns the error type ZID of a Z5 (its Z5K1 as a reference, or the identity of a
// literal Z50), or "" when o is not an error.
func ErrorType(o *Object) string {
	if !IsError(o) {
		return ""
	}
	t := o.Get("Z5K1")
	if t.IsRef() {
		return t.text
	}
	if id := t.Get("Z50K1"); id.IsRef() {
		return id.text
	}
	return ""
}

// ErrorArg returns the n-th (1-based) argument of a Z5 error built by Error, or nil.
func ErrorArg(o *Object, n int) *Object {
	t := ErrorType(o)
	if t == "" {
		return nil
	}
	return o.Get("Z5K2").Get(t + "K" + strconv.Itoa(n))
}

// ErrorCodes returns the error type ZIDs of e and of every Z5 nested inside it, outermost
// first. It is what tests use to ask "does this error mention Z525?".
func ErrorCodes(e *Object) []string {
	var out []string
	walk(e, func(o *Object) {
		if t := ErrorType(o); t != "" {
			out = append(out, t)
		}
	})
	return out
}

// walk calls f on o and every object inside it, depth first, parents before children.
func walk(o *Object, f func(*Object)) {
	stack := []*Object{o}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil {
			continue
		}
		f(n)
		switch n.kind {
		case KindRecord:
			for i := len(n.vals) - 1; i >= 0; i-- {
				stack = append(stack, n.vals[i])
			}
		case KindList:
			for i := len(n.vals) - 1; i >= 0; i-- {
				stack = append(stack, n.vals[i])
			}
			stack = append(stack, n.itemType)
		}
	}
}
