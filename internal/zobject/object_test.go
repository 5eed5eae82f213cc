package zobject

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		kind      Kind
		canonical string
		normal    string
	}{
		{"bare string", `"hello"`, KindString, `"hello"`, `{"Z1K1":"Z6","Z6K1":"hello"}`},
		{"bare reference", `"Z801"`, KindReference, `"Z801"`, `{"Z1K1":"Z9","Z9K1":"Z801"}`},
		{"QID reads as reference", `"Q42"`, KindReference, `"Q42"`, `{"Z1K1":"Z9","Z9K1":"Q42"}`},
		{"local key is a string", `"K1"`, KindString, `"K1"`, `{"Z1K1":"Z6","Z6K1":"K1"}`},
		{"global key is a string", `"Z1K1"`, KindString, `"Z1K1"`, `{"Z1K1":"Z6","Z6K1":"Z1K1"}`},
		{"Z0 is a string", `"Z0"`, KindString, `"Z0"`, `{"Z1K1":"Z6","Z6K1":"Z0"}`},
		{"explicit string that looks like a ZID", `{"Z1K1":"Z6","Z6K1":"Z6"}`, KindString, `{"Z1K1":"Z6","Z6K1":"Z6"}`, `{"Z1K1":"Z6","Z6K1":"Z6"}`},
		{"explicit string", `{"Z6K1":"x","Z1K1":"Z6"}`, KindString, `"x"`, `{"Z1K1":"Z6","Z6K1":"x"}`},
		{"explicit reference", `{"Z1K1":"Z9","Z9K1":"Z41"}`, KindReference, `"Z41"`, `{"Z1K1":"Z9","Z9K1":"Z41"}`},
		{"explicit bad reference stays explicit", `{"Z1K1":"Z9","Z9K1":"tuber"}`, KindReference, `{"Z1K1":"Z9","Z9K1":"tuber"}`, `{"Z1K1":"Z9","Z9K1":"tuber"}`},
		{"record", `{"Z1K1":"Z60","Z60K1":"en"}`, KindRecord, `{"Z1K1":"Z60","Z60K1":"en"}`, `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z60"},"Z60K1":{"Z1K1":"Z6","Z6K1":"en"}}`},
		{"record keeps key order", `{"Z60K1":"en","Z1K1":"Z60"}`, KindRecord, `{"Z60K1":"en","Z1K1":"Z60"}`, `{"Z60K1":{"Z1K1":"Z6","Z6K1":"en"},"Z1K1":{"Z1K1":"Z9","Z9K1":"Z60"}}`},
		{"empty list", `["Z6"]`, KindList, `["Z6"]`, `{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":{"Z1K1":"Z9","Z9K1":"Z6"}}}`},
		{"array without type", `[]`, KindList, `["Z1"]`, `{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":{"Z1K1":"Z9","Z9K1":"Z1"}}}`},
		{"list", `["Z6","a"]`, KindList, `["Z6","a"]`, `{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":{"Z1K1":"Z9","Z9K1":"Z6"}},"K1":{"Z1K1":"Z6","Z6K1":"a"},"K2":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":{"Z1K1":"Z9","Z9K1":"Z6"}}}}`},
		{"mixed cons list", `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"a","K2":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":"Z881","Z881K1":"Z6"}}}`, KindList, `["Z6","a"]`, ""},
		{"cons without tail is a record", `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"a"}`, KindRecord, `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"a"}`, ""},
		{"cons with differing types is a record", `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"a","K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z1"}}}`, KindRecord, "", ""},
		{"escapes", `"a\"b\\c\n\u00e9\ud83d\ude00"`, KindString, `"a\"b\\c\né😀"`, ""},
		{"string of a record with wrong key", `{"Z1K1":"Z6","Z6K2":"Z"}`, KindRecord, `{"Z1K1":"Z6","Z6K2":"Z"}`, `{"Z1K1":"Z6","Z6K2":{"Z1K1":"Z6","Z6K1":"Z"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse(%s) = %v", tc.in, err)
			}
			if o.Kind() != tc.kind {
				t.Errorf("Parse(%s).Kind() = %v, want %v", tc.in, o.Kind(), tc.kind)
			}
			if tc.canonical != "" {
				if got := string(o.CanonicalJSON()); got != tc.canonical {
					t.Errorf("CanonicalJSON(%s) = %s, want %s", tc.in, got, tc.canonical)
				}
			}
			if tc.normal != "" {
				if got := string(o.NormalJSON()); got != tc.normal {
					t.Errorf("NormalJSON(%s) = %s, want %s", tc.in, got, tc.normal)
				}
			}
			if got, want := NormalSize(o, MaxNormalSize), len(o.NormalJSON()); got != want {
				t.Errorf("NormalSize(%s) = %d, want %d", tc.in, got, want)
			}
			back, err := Parse(o.NormalJSON())
			if err != nil || !Equal(back, o) {
				t.Errorf("Parse(NormalJSON(%s)) = %v, %v; want the same object", tc.in, back, err)
			}
		})
	}
}

func TestParseBadInput(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	tests := []struct {
		name string
		in   string
		want error
		code string // Z5 type ErrorObject gives
	}{
		{"empty", ``, ErrSyntax, CodeSyntax},
		{"space only", "  \n", ErrSyntax, CodeSyntax},
		{"truncated object", `{"Z1K1":"Z6"`, ErrSyntax, CodeSyntax},
		{"truncated string", `"abc`, ErrSyntax, CodeSyntax},
		{"backslash at end", `"abc\`, ErrSyntax, CodeSyntax},
		{"bad escape", `"\x41"`, ErrSyntax, CodeSyntax},
		{"control character", "\"a\tb\"", ErrSyntax, CodeSyntax},
		{"missing colon", `{"Z1K1" "Z6"}`, ErrSyntax, CodeSyntax},
		{"trailing comma", `["Z6",]`, ErrSyntax, CodeSyntax},
		{"trailing data", `"a" "b"`, ErrSyntax, CodeSyntax},
		{"non-string key", `{1:"a"}`, ErrSyntax, CodeSyntax},
		{"duplicate key", `{"Z1K1":"Z6","Z6K1":"a","Z6K1":"b"}`, ErrSyntax, CodeSyntax},
		{"bad literal", `tru`, ErrSyntax, CodeSyntax},
		{"bad number", `-`, ErrSyntax, CodeSyntax},
		{"leading zero", `01`, ErrSyntax, CodeSyntax},
		{"too deep", deep, ErrSyntax, CodeSyntax},
		{"number", `2`, ErrNotZObject, CodeNotWellformed},
		{"null", `null`, ErrNotZObject, CodeNotWellformed},
		{"boolean in a record", `{"Z1K1":"Z60","Z60K1":true}`, ErrNotZObject, CodeNotWellformed},
		{"number in a list", `["Z6","a",3.5]`, ErrNotZObject, CodeNotWellformed},
		{"number in a cons list", `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":1,"K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}}}`, ErrNotZObject, CodeNotWellformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse(%.40q) = %s, want an error", tc.in, o)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Parse(%.40q) = %v, want an error wrapping %v", tc.in, err, tc.want)
			}
			z5 := ErrorObject(err)
			if got := ErrorType(z5); got != tc.code {
				t.Errorf("ErrorObject(Parse(%.40q)) has type %s, want %s: %s", tc.in, got, tc.code, z5)
			}
			if e := ValidateObject(z5, Z5); e != nil {
				t.Errorf("ErrorObject(...) = %s is not a valid Z5: %s", z5, e)
			}
			if _, e := Decode([]byte(tc.in)); e == nil {
				t.Errorf("Decode(%.40q) accepted it", tc.in)
			}
		})
	}
}

func TestDecodeChecksWellFormedness(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		codes []string // must all occur in the Z5 (nil: valid)
	}{
		{"string", `"a"`, nil},
		{"record", `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"a"}`, nil},
		{"bad key", `{"Z1K1":"Z9","tuber":"Z7"}`, []string{CodeNotWellformed, CodeInvalidKey}},
		{"missing Z1K1", `{"Z2K1":"a"}`, []string{CodeNotWellformed, CodeMissingType}},
		{"nested missing Z1K1", `{"Z1K1":"Z2","Z2K2":{"Z6K1":"a"}}`, []string{CodeNotWellformed, CodeKeyValue, CodeMissingType}},
		{"array element", `["Z6",{"x":"y"}]`, []string{CodeNotWellformed, CodeArrayElement}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, e := Decode([]byte(tc.in))
			if tc.codes == nil {
				if e != nil || o == nil {
					t.Fatalf("Decode(%s) = %v, %s; want an object", tc.in, o, e)
				}
				return
			}
			if e == nil {
				t.Fatalf("Decode(%s) = %s, want an error", tc.in, o)
			}
			codes := ErrorCodes(e)
			for _, c := range tc.codes {
				if !slices.Contains(codes, c) {
					t.Errorf("Decode(%s) = %s, lacks %s", tc.in, e, c)
				}
			}
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		s                            string
		zid, ref, key, global, local bool
		keyZID, localKey             string
	}{
		{s: "Z1", zid: true, ref: true},
		{s: "Z881", zid: true, ref: true},
		{s: "Q42", ref: true},
		{s: "Z0"},
		{s: "Z01"},
		{s: "Z"},
		{s: "K1", key: true, local: true, localKey: "K1"},
		{s: "K0"},
		{s: "Z1K1", key: true, global: true, keyZID: "Z1", localKey: "K1"},
		{s: "Z10000K12", key: true, global: true, keyZID: "Z10000", localKey: "K12"},
		{s: "Z1K"},
		{s: "Z0K1"},
		{s: "ZK1"},
		{s: "z1"},
		{s: "Z1 "},
		{s: ""},
	}
	for _, tc := range tests {
		t.Run(tc.s, func(t *testing.T) {
			if got := IsZID(tc.s); got != tc.zid {
				t.Errorf("IsZID(%q) = %v, want %v", tc.s, got, tc.zid)
			}
			if got := IsReference(tc.s); got != tc.ref {
				t.Errorf("IsReference(%q) = %v, want %v", tc.s, got, tc.ref)
			}
			if got := IsKey(tc.s); got != tc.key {
				t.Errorf("IsKey(%q) = %v, want %v", tc.s, got, tc.key)
			}
			if got := IsGlobalKey(tc.s); got != tc.global {
				t.Errorf("IsGlobalKey(%q) = %v, want %v", tc.s, got, tc.global)
			}
			if got := IsLocalKey(tc.s); got != tc.local {
				t.Errorf("IsLocalKey(%q) = %v, want %v", tc.s, got, tc.local)
			}
			if got := KeyZID(tc.s); got != tc.keyZID {
				t.Errorf("KeyZID(%q) = %q, want %q", tc.s, got, tc.keyZID)
			}
			if got := LocalKey(tc.s); got != tc.localKey {
				t.Errorf("LocalKey(%q) = %q, want %q", tc.s, got, tc.localKey)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"same string", `"a"`, `{"Z1K1":"Z6","Z6K1":"a"}`, true},
		{"string vs reference", `{"Z1K1":"Z6","Z6K1":"Z1"}`, `"Z1"`, false},
		{"key order", `{"Z1K1":"Z60","Z60K1":"en"}`, `{"Z60K1":"en","Z1K1":"Z60"}`, true},
		{"different value", `{"Z1K1":"Z60","Z60K1":"en"}`, `{"Z1K1":"Z60","Z60K1":"de"}`, false},
		{"extra key", `{"Z1K1":"Z60","Z60K1":"en"}`, `{"Z1K1":"Z60","Z60K1":"en","Z60K2":["Z6"]}`, false},
		{"canonical and normal list", `["Z6","a","b"]`, `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"a","K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"b","K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}}}}`, true},
		{"item order", `["Z6","a","b"]`, `["Z6","b","a"]`, false},
		{"item type", `["Z6"]`, `["Z1"]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := MustParse(tc.a), MustParse(tc.b)
			if got := Equal(a, b); got != tc.want {
				t.Errorf("Equal(%s, %s) = %v, want %v", a, b, got, tc.want)
			}
			if got := Equal(b, a); got != tc.want {
				t.Errorf("Equal(%s, %s) = %v, want %v", b, a, got, tc.want)
			}
		})
	}
	// A list compared with a record in cons form (built by hand, since Parse makes lists).
	l := NewList(NewRef(Z6), NewString("a"))
	cons := NewRecord(ListType(NewRef(Z6)), KV("K1", NewString("a")), KV("K2", NewRecord(ListType(NewRef(Z6)))))
	if !Equal(l, cons) || !Equal(cons, l) {
		t.Errorf("Equal(%s, cons form) = false, want true", l)
	}
	if Equal(nil, NewString("")) || !Equal(nil, nil) {
		t.Errorf("Equal with nil is wrong")
	}
}

func TestAccessors(t *testing.T) {
	l := MustParse(`["Z6","a","b"]`)
	if got := l.Get("K1").StringValue(); got != "a" {
		t.Errorf(`list.Get("K1") = %q, want "a"`, got)
	}
	if got := l.Get("K2").Get("K1").StringValue(); got != "b" {
		t.Errorf(`list.Get("K2").Get("K1") = %q, want "b"`, got)
	}
	if tail := l.Get("K2").Get("K2"); !tail.IsList() || tail.Len() != 0 || tail.Get("K1") != nil {
		t.Errorf(`list tail of tail = %s, want an empty list`, tail)
	}
	if got := TypeKey(l.Type()); got != "Z881(Z6)" {
		t.Errorf("TypeKey(list type) = %q, want Z881(Z6)", got)
	}
	if !slices.Equal(l.Keys(), []string{"Z1K1", "K1", "K2"}) {
		t.Errorf("list.Keys() = %v", l.Keys())
	}
	s := NewString("x")
	if !s.Type().Is(Z6) || !slices.Equal(s.Keys(), []string{"Z1K1", "Z6K1"}) || s.RefID() != "" {
		t.Errorf("string accessors wrong: %v %v", s.Type(), s.Keys())
	}
	r := NewRef("Z41")
	if !r.Type().Is(Z9) || r.RefID() != "Z41" || r.StringValue() != "" {
		t.Errorf("reference accessors wrong")
	}
	var none *Object
	if none.Get("Z1K1") != nil || none.Kind() != 0 || none.Len() != 0 || none.Type() != nil {
		t.Errorf("nil accessors must return zero values")
	}

	// A big record gets a lookup map; Get must agree with the linear scan.
	fields := make([]Field, 0, 30)
	for i := 1; i <= 30; i++ {
		fields = append(fields, KV("Z100K"+itoa(i), NewString(itoa(i))))
	}
	big := NewRecord(NewRef("Z100"), fields...)
	if got := big.Get("Z100K17").StringValue(); got != "17" {
		t.Errorf("big.Get(Z100K17) = %q, want 17", got)
	}
	if big.Get("Z100K31") != nil || !big.Has("Z1K1") {
		t.Errorf("big record lookup wrong")
	}
	with := big.With("Z100K17", NewString("x")).With("Z100K31", NewString("y"))
	if with.Get("Z100K17").StringValue() != "x" || with.Get("Z100K31").StringValue() != "y" || big.Get("Z100K17").StringValue() != "17" {
		t.Errorf("With must copy: %s", with)
	}
	if without := with.Without("Z100K31"); without.Has("Z100K31") || without.Len() != 31 {
		t.Errorf("Without: %s", without)
	}
	dup := NewRecord(NewRef(Z60), KV("Z60K1", NewString("a")), KV("Z60K1", NewString("b")), KV("Z60K2", nil))
	if dup.Len() != 2 || dup.Get("Z60K1").StringValue() != "b" {
		t.Errorf("NewRecord with a duplicate key = %s, want the later value once", dup)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		o    *Object
		want string // canonical JSON
	}{
		{"true", NewBool(true), `{"Z1K1":"Z40","Z40K1":"Z41"}`},
		{"false", NewBool(false), `{"Z1K1":"Z40","Z40K1":"Z42"}`},
		{"argument reference", NewArgRef("Z10000K1"), `{"Z1K1":"Z18","Z18K1":"Z10000K1"}`},
		{"key reference", NewKeyRef("Z4K2"), `{"Z1K1":"Z39","Z39K1":"Z4K2"}`},
		{"quote", NewQuote(NewRef("Z1")), `{"Z1K1":"Z99","Z99K1":"Z1"}`},
		{"call", NewCall(NewRef("Z801"), KV("Z801K1", NewString("a"))), `{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"a"}`},
		{"list type", ListType(NewRef(Z6)), `{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}`},
		{"list", NewList(NewRef(Z6), NewString("a")), `["Z6","a"]`},
		{"list of nothing typed", NewList(nil), `["Z1"]`},
		{"pair", NewPair(NewRef(Z6), NewRef(Z1), NewString("k"), NewRef("Z41")), `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z1"},"K1":"k","K2":"Z41"}`},
		{"empty map", NewMetadata(), `{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z6","Z883K2":"Z1"},"K1":[{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z1"}]}`},
		{"void", Void(), `"Z24"`},
		{"error", Error(CodeZIDNotFound, NewString("Z404")), `{"Z1K1":"Z5","Z5K1":"Z504","Z5K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z885","Z885K1":"Z504"},"Z504K1":{"Z1K1":"Z6","Z6K1":"Z404"}}}`},
		{"error skips nil argument", ErrorString(CodeArgumentCount, "1", "2"), `{"Z1K1":"Z5","Z5K1":"Z505","Z5K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z885","Z885K1":"Z505"},"Z505K1":"1","Z505K2":"2"}}`},
		{"envelope", NewEnvelope(NewString("a"), nil), `{"Z1K1":"Z22","Z22K1":"a","Z22K2":"Z24"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.String(); got != tc.want {
				t.Errorf("%s = %s, want %s", tc.name, got, tc.want)
			}
			if e := ValidateObject(tc.o, Z1); e != nil {
				t.Errorf("%s is not a valid Z1: %s", tc.o, e)
			}
		})
	}
	if e := Error(CodeKeyNotFound, nil, NewString("x")); e.Get("Z5K2").Has("Z511K1") || !e.Get("Z5K2").Has("Z511K2") {
		t.Errorf("Error with a nil first argument = %s", e)
	}
}

func TestMapsAndEnvelopes(t *testing.T) {
	m := NewMetadata()
	if MapGetString(m, "errors") != nil || len(MapEntries(m)) != 0 {
		t.Fatalf("empty map has entries: %s", m)
	}
	m2 := MapSet(m, NewString("duration"), NewString("3 ms"))
	m3 := MapSet(m2, NewString("duration"), NewString("4 ms"))
	m4 := MapSet(m3, NewKeyRef("Z1K1"), NewString("k"))
	if got := MapGetString(m3, "duration").StringValue(); got != "4 ms" {
		t.Errorf("MapGetString after overwrite = %q, want 4 ms", got)
	}
	if len(MapEntries(m3)) != 1 || len(MapEntries(m4)) != 2 || len(MapEntries(m)) != 0 {
		t.Errorf("MapSet must not change its input and must replace in place")
	}
	if got := MapGet(m4, NewKeyRef("Z1K1")).StringValue(); got != "k" {
		t.Errorf("MapGet by key reference = %q", got)
	}
	if MapSet(NewString("x"), NewString("a"), NewString("b")) != nil || IsMap(NewString("x")) {
		t.Errorf("map helpers must refuse non-maps")
	}
	// A map read back from its canonical JSON still works.
	back := MustParse(string(m4.CanonicalJSON()))
	if !IsMap(back) || MapGetString(back, "duration").StringValue() != "4 ms" {
		t.Errorf("map after a round trip = %s", back)
	}

	e := Error(CodeZIDNotFound, NewString("Z404"))
	env := ResultEnvelope(nil, e)
	if !IsVoid(env.Get("Z22K1")) || !Equal(EnvelopeError(env), e) {
		t.Errorf("ResultEnvelope(nil, err) = %s", env)
	}
	ok := ResultEnvelope(NewString("a"), nil)
	if !IsVoid(EnvelopeError(ok)) || ok.Get("Z22K1").StringValue() != "a" {
		t.Errorf("ResultEnvelope(a, nil) = %s", ok)
	}
	if !IsVoid(NewRecord(NewRef(Z21))) || IsVoid(NewString("Z24")) || IsVoid(nil) {
		t.Errorf("IsVoid is wrong")
	}
	if got := ErrorCodes(Error(CodeNotWellformed, NewRef(CodeInvalidKey), Error(CodeInvalidKey, NewString("x")))); !slices.Equal(got, []string{"Z502", "Z525"}) {
		t.Errorf("ErrorCodes = %v", got)
	}
	if got := ErrorArg(e, 1).StringValue(); got != "Z404" {
		t.Errorf("ErrorArg = %q", got)
	}
	if v, ok := BoolValue(MustParse(`{"Z1K1":"Z40","Z40K1":"Z41"}`)); !v || !ok {
		t.Errorf("BoolValue(true) = %v, %v", v, ok)
	}
	if _, ok := BoolValue(NewString("Z41")); ok {
		t.Errorf("BoolValue(string) must fail")
	}
}

func TestTypeKey(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`"Z6"`, "Z6"},
		{`{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}`, "Z881(Z6)"},
		{`{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z6","Z883K2":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z1"}}`, "Z883(Z6,Z881(Z1))"},
		{`{"Z1K1":"Z4","Z4K1":"Z10001","Z4K2":["Z3"],"Z4K3":"Z101"}`, "Z10001"},
		{`{"Z1K1":"Z7","Z7K1":{"Z1K1":"Z8","Z8K5":"Z881"},"Z881K1":"Z1"}`, "Z881(Z1)"},
		{`"just text"`, ""},
		{`["Z6"]`, ""},
		{`{"Z1K1":"Z60","Z60K1":"en"}`, ""},
	}
	for _, tc := range tests {
		if got := TypeKey(MustParse(tc.in)); got != tc.want {
			t.Errorf("TypeKey(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if !IsListType(MustParse(`{"Z1K1":"Z4","Z4K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"Z4K2":["Z3"],"Z4K3":"Z1"}`)) {
		t.Errorf("a literal Z4 whose identity is Z881(Z6) is a list type")
	}
}

func TestValidateBadInput(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		form  Form
		typ   string
		codes []string
	}{
		{"not JSON", `{"Z1K1":`, Canonical, Z1, []string{CodeSyntax}},
		{"number", `12`, Normal, Z1, []string{CodeNotWellformed, CodeNumberBooleanNull}},
		{"bare string in normal form", `"abc"`, Normal, Z1, []string{CodeNotWellformed}},
		{"array in normal form", `["Z6"]`, Normal, Z1, []string{CodeNotWellformed}},
		{"explicit reference in canonical Z9", `{"Z1K1":"Z9","Z9K1":"Z1"}`, Canonical, Z9, []string{CodeNotWellformed}},
		{"Z40 out of range", `{"Z1K1":"Z40","Z40K1":"Z43"}`, Canonical, Z40, []string{CodeNotWellformed, CodeKeyValue}},
		{"Z61 bad code", `{"Z1K1":"Z61","Z61K1":"py thon"}`, Canonical, Z61, []string{CodeNotWellformed, CodeKeyValue}},
		{"list item of wrong type", `{"Z1K1":"Z12","Z12K1":["Z11","text"]}`, Canonical, Z12, []string{CodeNotWellformed, CodeKeyValue, CodeArrayElement}},
		{"Z14 with two bodies", `{"Z1K1":"Z14","Z14K1":"Z8","Z14K3":{"Z1K1":"Z16","Z16K1":"Z600","Z16K2":"x"},"Z14K4":"b"}`, Canonical, Z14, []string{CodeNotWellformed, CodeCompetingKeys}},
		{"Z2 without value", `{"Z1K1":"Z2","Z2K1":"Z1","Z2K3":{"Z1K1":"Z12","Z12K1":["Z11"]}}`, Canonical, Z2, []string{CodeNotWellformed, CodeNoValue}},
		{"typed list with bad tail", `{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":{"Z1K1":"Z9","Z9K1":"Z6"}},"K1":{"Z1K1":"Z6","Z6K1":"a"},"K2":{"Z1K1":"Z6","Z6K1":"b"}}`, Normal, SchemaList, []string{CodeNotWellformed, CodeKeyValue}},
		{"generic that is not", `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z6"}}`, Normal, SchemaGeneric, []string{CodeNotWellformed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Validate([]byte(tc.in), tc.form, tc.typ)
			if e == nil {
				t.Fatalf("Validate(%s, %v, %s) = valid, want an error", tc.in, tc.form, tc.typ)
			}
			codes := ErrorCodes(e)
			for _, c := range tc.codes {
				if !slices.Contains(codes, c) {
					t.Errorf("Validate(%s, %v, %s) = %s, lacks %s", tc.in, tc.form, tc.typ, e, c)
				}
			}
		})
	}
}

func TestLongNormalListIsIterative(t *testing.T) {
	const n = 20000 // deeper than a recursion budget would like, shallower than MaxDepth
	items := make([]*Object, n)
	for i := range items {
		items[i] = NewString(itoa(i))
	}
	l := NewList(NewRef(Z6), items...)
	normal := l.NormalJSON()
	back, err := Parse(normal)
	if err != nil {
		t.Fatalf("Parse(normal list of %d) = %v", n, err)
	}
	if !back.IsList() || back.Len() != n || back.Items()[n-1].StringValue() != itoa(n-1) {
		t.Fatalf("Parse(normal list) = %v items of kind %v", back.Len(), back.Kind())
	}
	if e := Validate(normal, Normal, SchemaList); e != nil {
		t.Errorf("Validate(normal list) = %s", e)
	}
	if r := Canonicalize(normal); !r.OK() || r.Object.Len() != n {
		t.Errorf("Canonicalize(normal list) failed: %v", r.Error)
	}
}

// TestValidateNestedTypes validates objects that nest types inside types 40 deep. A validator
// that re-checks a type each time it meets it takes 2^40 steps here and never finishes.
func TestValidateNestedTypes(t *testing.T) {
	const depth = 40
	// Z881(Z881(...(Z6)...)) as the type of an empty list, in normal form.
	typ := `{"Z1K1":"Z9","Z9K1":"Z6"}`
	for i := 0; i < depth; i++ {
		typ = `{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":` + typ + `}`
	}
	list := `{"Z1K1":` + typ + `}`
	// A record whose Z1K1 is a record whose Z1K1 is a record ...
	chain := `"Z60"`
	for i := 0; i < depth; i++ {
		chain = `{"Z1K1":{"Z1K1":"Z4","Z4K1":` + chain + `,"Z4K2":["Z3"],"Z4K3":"Z101"}}`
	}
	for _, tc := range []struct {
		name string
		data string
		form Form
		typ  string
	}{
		{"nested list types, normal", list, Normal, SchemaList},
		{"nested list types, normal Z1", list, Normal, Z1},
		{"nested literal types, canonical", chain, Canonical, Z1},
		{"nested literal types, deep", chain, Canonical, Z2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = Validate([]byte(tc.data), tc.form, tc.typ)
			_ = ValidateDeep([]byte(tc.data), tc.form, tc.typ)
			_ = Canonicalize([]byte(tc.data))
		})
	}
}

func TestNotZObjectPath(t *testing.T) {
	tests := []struct{ in, path string }{
		{`3`, ""},
		{`{"Z1K1":"Z2","Z2K2":["Z6","a",3]}`, "Z2K2[2]"},
		{`{"Z1K1":"Z2","Z2K2":{"Z1K1":"Z60","Z60K1":null}}`, "Z2K2.Z60K1"},
		{`[{"Z1K1":"Z4","Z4K1":false}]`, "[0].Z4K1"},
		{`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":"a","K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"},"K1":true,"K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z6"}}}}`, "[1]"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in))
		var ne *NotZObjectError
		if !errors.As(err, &ne) {
			t.Errorf("Parse(%s) = %v, want a NotZObjectError", tc.in, err)
			continue
		}
		if ne.Path != tc.path {
			t.Errorf("Parse(%s) error path = %q, want %q", tc.in, ne.Path, tc.path)
		}
	}
}

// TestNormalFormBlowUp: lists used as the item type of lists (with items) make the normal form
// exponentially long. Normalize must refuse them quickly instead of writing gigabytes.
func TestNormalFormBlowUp(t *testing.T) {
	data := `"Z6"`
	for i := 0; i < 60; i++ {
		data = `[` + data + `,"a","b"]`
	}
	o := MustParse(data)
	if n := NormalSize(o, MaxNormalSize); n <= MaxNormalSize {
		t.Fatalf("NormalSize = %d, want more than %d", n, MaxNormalSize)
	}
	for _, r := range []Result{Normalize([]byte(data)), Canonicalize([]byte(data))} {
		if r.OK() || !slices.Contains(ErrorCodes(r.Error), CodeInvalidFormat) {
			t.Errorf("Normalize/Canonicalize of a blow-up = %v, want a Z547 error", r.Error)
		}
	}
	if e := ValidateObject(o, Z1); e == nil {
		t.Errorf("ValidateObject of a blow-up accepted it")
	}
	// Deep nesting without items stays linear.
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	if r := Normalize([]byte(deep)); !r.OK() {
		t.Errorf("Normalize(deeply nested empty lists) = %s", r.Error)
	}
}

// TestConcurrentReads shares one parsed object between goroutines that read and write it
// out at the same time; run with -race it shows Objects need no locking.
func TestConcurrentReads(t *testing.T) {
	o := MustParse(`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":["Z6","a","b"],"Z801K2":{"Z1K1":"Z40","Z40K1":"Z41"}}`)
	want := string(o.CanonicalJSON())
	errs := make(chan string, 8)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if got := string(o.CanonicalJSON()); got != want {
					errs <- "CanonicalJSON = " + got
					return
				}
				if o.Get("Z801K1").Get("K2").Get("K1").StringValue() != "b" || !Equal(o, o.With("Z7K1", NewRef("Z801"))) {
					errs <- "reads disagree"
					return
				}
				_ = o.NormalJSON()
				_ = ValidateObject(o, Z7)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
