package zobject

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// benchObject is a large canonical persistent object from the definitions (a function with
// its labels in many languages), read once per benchmark.
func benchObject(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(schemataDir, "definitions", "Z881.json"))
	if err != nil {
		b.Fatalf("conformance data missing: %v", err)
	}
	return data
}

// BenchmarkParse compares Parse with decoding the same JSON into interface{} with
// encoding/json, the baseline measured in the same run.
func BenchmarkParse(b *testing.B) {
	canonical := benchObject(b)
	normal := MustParse(string(canonical)).NormalJSON()
	for _, in := range []struct {
		name string
		data []byte
	}{{"canonical", canonical}, {"normal", normal}} {
		b.Run(in.name+"/baseline-encoding-json-any", func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(in.data, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/Parse", func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(in.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMarshal writes a parsed object back, against encoding/json.Marshal of the
// interface{} form as the baseline.
func BenchmarkMarshal(b *testing.B) {
	data := benchObject(b)
	o := MustParse(string(data))
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-encoding-json-any", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CanonicalJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = o.CanonicalJSON()
		}
	})
	b.Run("NormalJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = o.NormalJSON()
		}
	})
}

// BenchmarkCanonicalize runs the upstream-compatible entry points (parse, validate, write)
// on the canonical and normal forms of the same object.
func BenchmarkCanonicalize(b *testing.B) {
	canonical := benchObject(b)
	normal := MustParse(string(canonical)).NormalJSON()
	b.Run("Canonicalize(normal)", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := Canonicalize(normal); !r.OK() {
				b.Fatal(r.Error)
			}
		}
	})
	b.Run("Normalize(canonical)", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := Normalize(canonical); !r.OK() {
				b.Fatal(r.Error)
			}
		}
	})
	b.Run("ValidateDeep(canonical,Z2)", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if e := ValidateDeep(canonical, Canonical, Z2); e != nil {
				b.Fatal(e)
			}
		}
	})
}

// BenchmarkAccess measures what evaluation does most: key lookups and building small results.
func BenchmarkAccess(b *testing.B) {
	call := MustParse(`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":"hello"}`)
	b.Run("Get", func(b *testing.B) {
		for b.Loop() {
			if call.Get("Z801K1") == nil {
				b.Fatal("missing")
			}
		}
	})
	b.Run("ResultEnvelope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = ResultEnvelope(call.Get("Z801K1"), nil)
		}
	})
}

// BenchmarkDecodeCall is the orchestrator's first step on a request: Decode (parse after the
// mixed well-formedness check) of a small function call, against encoding/json into
// interface{} as the baseline.
func BenchmarkDecodeCall(b *testing.B) {
	call := []byte(`{"Z1K1":"Z7","Z7K1":"Z802","Z802K1":{"Z1K1":"Z7","Z7K1":"Z844","Z844K1":{"Z1K1":"Z40","Z40K1":"Z41"},"Z844K2":{"Z1K1":"Z40","Z40K1":"Z42"}},"Z802K2":["Z6","yes","indeed"],"Z802K3":"no"}`)
	b.Run("baseline-encoding-json-any", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(call, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, e := Decode(call); e != nil {
				b.Fatal(e)
			}
		}
	})
	b.Run("Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(call); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParseResult parses what a kernel answers for one call of a function returning a
// string: a small Z22 in normal form, the object every evaluated call parses.
func BenchmarkParseResult(b *testing.B) {
	data := []byte(`{"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": "Z6", "Z6K1": "W1234"}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
