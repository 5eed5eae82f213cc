// Package zobject is the ZObject model of Wikifunctions: the in-memory form, the canonical,
// normal and mixed JSON forms, keys and ZIDs, the core types, Z5 errors, and validation of
// objects against the function-schemata rules (commit adb4e69).
//
// It owns: parsing JSON into Objects, writing Objects back as canonical or normal JSON,
// Canonicalize/Normalize with upstream's Z22 envelopes, well-formedness and per-type
// validation, and constructors for the objects the rest of zeval builds (strings,
// references, records, typed lists, pairs, maps, Booleans, argument references, quotes, key
// references, function calls, Z5 errors, Z22 envelopes).
//
// It must not know: where objects are stored (store), how calls are evaluated
// (orchestrator), kernels, HTTP, or anything else with I/O. It is pure: no goroutines, no
// globals that change, no files. The conformance tests read test data from ../shared, but the
// package itself never does.
//
// # The in-memory form
//
// An *Object is immutable and shared by pointer; all methods are safe for concurrent use.
// It has one of four shapes (Kind):
//
//   - KindString: a Z6 string. NewString, StringValue.
//   - KindReference: a Z9 reference. NewRef, RefID, Is("Z41").
//   - KindRecord: ordered keys to values. NewRecord(typ, KV(k, v)...), Get, Has, Keys,
//     Fields, With, Without. Records with 12 or more keys get a lookup map.
//   - KindList: a Z881 typed list held as a slice. NewList(itemType, items...), Items,
//     ItemType. Get("K1")/Get("K2")/Get("Z1K1") read it as its normal cons form.
//
// Type() is Z1K1 (Z6 for strings, Z9 for references, Z881(T) for lists). TypeKey/TypeOf turn
// a type into a string key such as "Z881(Z6)". Equal is deep equality (key order ignored).
//
// # JSON
//
// Parse accepts canonical, normal and mixed JSON; it fails (errors wrapping ErrSyntax or
// ErrNotZObject) only when the text is not JSON or holds numbers, Booleans or null.
// ErrorObject turns those errors into Z5s. o.CanonicalJSON() and o.NormalJSON() write
// the two forms; MarshalJSON is canonical. For well-formed objects, Parse → NormalJSON is
// upstream's normalize and Parse → CanonicalJSON its canonicalize. The normal form repeats a
// list's type in every cell, so it can be exponentially longer than the canonical one when
// lists are used as item types; NormalSize measures it first and Normalize refuses results
// over MaxNormalSize.
//
// Limits: nesting up to MaxDepth; every operation takes time linear in the input (long
// normal-form lists are walked iteratively; validation checks each node once).
//
// # Helpers for evaluation
//
// NewCall, ListType, PairType, MapType, NewPair, NewMap, MapGet, MapSet, MapEntries, IsMap,
// ListItems, NewBool, BoolValue, NewArgRef, NewKeyRef, NewQuote, Void, IsVoid.
// Keys and ZIDs: IsZID, IsReference, IsKey, IsGlobalKey, IsLocalKey, KeyZID, LocalKey.
//
// # Forms, validation, canonicalize and normalize
//
// Decode(data) is Parse after checking the mixed form is well-formed (what the orchestrator
// does with its input); it answers a Z5 instead of a Go error. Validate(data, form, typ)
// checks JSON in the Canonical, Normal or Mixed form against a core type ("Z1" for any
// object, "Z2", "Z8", ..., SchemaList, SchemaGeneric) with function-schemata's rules, and
// ValidateDeep applies the core-type rules to every nested record too (for storage).
// ValidateObject checks an Object. Failures are Z502 errors that wrap Z526 per key and Z522
// per array element down to the specific problem (Z523 missing Z1K1, Z525 invalid key,
// Z532/Z533 bad Z6, Z536/Z537 bad Z9, Z521 numbers, ...).
//
// Normalize and Canonicalize are upstream's: they return a Result (Object, JSON in the
// requested form, or the Z5) whose Envelope() is the Z22 upstream returns. NewEnvelope,
// ResultEnvelope, NewMetadata and EnvelopeError build and read Z22s with metadata maps.
//
// # Errors
//
// Error(errorType, args...) builds a Z5 the way upstream's makeErrorInNormalForm does;
// the Code* constants name the standard error types (CodeNotWellformed = "Z502", ...).
// ErrorType, ErrorArg and ErrorCodes read them back.
package zobject
