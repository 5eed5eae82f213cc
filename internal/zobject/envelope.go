package zobject

import "fmt"

// MetadataErrors is the key of the Z22K2 metadata map entry that holds the Z5 of a failure.
const MetadataErrors = "errors"

// NewEnvelope returns the Z22 evaluation result {"Z1K1":"Z22","Z22K1":value,"Z22K2":metadata};
// a nil value or metadata becomes Void (Z24).
func NewEnvelope(value, metadata *Object) *Object {
	if value == nil {
		value = Void()
	}
	if metadata == nil {
		metadata = Void()
	}
	return NewRecord(NewRef(Z22), KV("Z22K1", value), KV("Z22K2", metadata))
}

// NewMetadata returns an empty Z883 map from Z6 to Z1, the type of a Z22K2.
func NewMetadata(entries ...MapEntry) *Object {
	items := make([]*Object, len(entries))
	for i, e := range entries {
		items[i] = NewRecord(metadataPairType, KV("K1", e.Key), KV("K2", e.Value))
	}
	return NewRecord(metadataMapType, KV("K1", newListOwned(metadataPairType, items)))
}

// The types of a metadata map and its entries, shared by every metadata map: Z883(Z6, Z1) and
// Z882(Z6, Z1).
var (
	metadataMapType  = MapType(NewRef(Z6), NewRef(Z1))
	metadataPairType = PairType(NewRef(Z6), NewRef(Z1))
)

// ResultEnvelope returns a Z22 the way upstream's makeMappedResultEnvelope does: when err is
// not nil, Z22K1 is Void and Z22K2 is a metadata map whose "errors" entry is err; otherwise
// Z22K1 is value and Z22K2 is Void.
func ResultEnvelope(value, err *Object) *Object {
	if err != nil {
		return NewEnvelope(nil, NewMetadata(MapEntry{Key: NewString(MetadataErrors), Value: err}))
	}
	return NewEnvelope(value, nil)
}

// EnvelopeError returns what upstream's getError returns for a Z22: the value under "errors"
// in its Z22K2 map, or Void when there is none (or Z22K2 is not a map).
func EnvelopeError(z22 *Object) *Object {
	if e := MapGetString(z22.Get("Z22K2"), MetadataErrors); e != nil {
		return e
	}
	return Void()
}

// Result is the outcome of Normalize and Canonicalize: on success Object is the parsed object
// and JSON its text in the requested form; on failure Error is the Z5 saying why.
type Result struct {
	Object *Object
	JSON   []byte
	Error  *Object
}

// OK reports whether the call succeeded.
func (r Result) OK() bool { return r.Error == nil }

// Envelope returns the result as upstream's normalize and canonicalize return it: a Z22 in
// normal form whose Z22K1 is the JSON (or {"Z1K1":"Z9","Z9K1":"Z24"} on failure) and whose
// Z22K2 is {"Z1K1":"Z9","Z9K1":"Z24"} (or, on failure, a Z883 map whose "errors" entry is
// the Z5 in normal form).
func (r Result) Envelope() []byte {
	b := []byte(`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z22"},"Z22K1":`)
	if r.Error != nil {
		b = AppendNormal(b, Void())
		b = append(b, `,"Z22K2":`...)
		b = AppendNormal(b, NewMetadata(MapEntry{Key: NewString(MetadataErrors), Value: r.Error}))
		return append(b, '}')
	}
	b = append(b, r.JSON...)
	b = append(b, `,"Z22K2":`...)
	b = AppendNormal(b, Void())
	return append(b, '}')
}

// Normalize is function-schemata's normalize: it checks data is a well-formed ZObject in the
// mixed form and returns it in normal form, or the Z5 (Z502 ...) that says why not.
func Normalize(data []byte) Result {
	n, err := decodeJSON(data)
	if err != nil {
		return Result{Error: ErrorObject(err)}
	}
	if e := validateNode(n, Mixed, Z1); e != nil {
		return Result{Error: e}
	}
	o, err := buildTop(n)
	if err != nil {
		return Result{Error: ErrorObject(err)}
	}
	if e := checkNormalSize(o); e != nil {
		return Result{Error: e}
	}
	return Result{Object: o, JSON: o.NormalJSON()}
}

// Canonicalize is function-schemata's canonicalize: it normalizes data, checks the normal
// form is a valid ZObject, and returns it in canonical form, or the Z5 that says why not.
func Canonicalize(data []byte) Result {
	r := Normalize(data)
	if r.Error != nil {
		return r
	}
	n, err := decodeJSON(r.JSON)
	if err != nil {
		return Result{Error: ErrorObject(err)}
	}
	if e := validateNode(n, Normal, Z1); e != nil {
		return Result{Error: e}
	}
	return Result{Object: r.Object, JSON: r.Object.CanonicalJSON()}
}

// checkNormalSize returns a Z5 when the normal form of o would exceed MaxNormalSize.
func checkNormalSize(o *Object) *Object {
	if NormalSize(o, MaxNormalSize) <= MaxNormalSize {
		return nil
	}
	inner := ErrorString(CodeInvalidFormat, fmt.Sprintf("the normal form would be longer than %d bytes", MaxNormalSize))
	return Error(CodeNotWellformed, NewRef(CodeInvalidFormat), inner)
}
