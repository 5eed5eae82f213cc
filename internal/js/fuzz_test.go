package js

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	z "github.com/zeval/zeval/internal/zobject"
)

// FuzzExecute feeds arbitrary requests (code included) to Execute: it must answer a Z22 or a
// platform error, never panic or hang (each run has a short deadline).
func FuzzExecute(f *testing.F) {
	seeds := []string{
		`{"codeString":"function Z1000(a, b) { return a + b; }","functionName":"Z1000","functionArguments":{"Z1000K1":"5","Z1000K2":"8"}}`,
		`{"codeString":"function Z1(a) { return [a, [a], new Map([[a, true]]), new ZPair(a, null)]; }","functionName":"Z1","functionArguments":{"Z1K1":"x"}}`,
		`{"codeString":"function Z1(a) { return a; }","functionName":"Z1","functionArguments":{"Z1K1":{"Z1K1":"Z10000","Z10000K1":["Z6","v"]}}}`,
		`{"codeString":"function Z1() { while (true) {} }","functionName":"Z1"}`,
		`{"codeString":"function Z1() { throw 5; }","functionName":"Z1"}`,
		`{"codeString":"}","functionName":"Z1"}`,
		`{}`, `[]`, `null`, `{"functionName":"Z1"}`,
	}
	if data, err := os.ReadFile(filepath.Join(corpusDir, "evaluator", "public_cases.json")); err == nil {
		var file struct {
			Cases []struct {
				Suite   string          `json:"suite"`
				Request json.RawMessage `json:"request"`
			} `json:"cases"`
		}
		if json.Unmarshal(data, &file) == nil {
			for _, c := range file.Cases {
				if c.Suite == "javascript-executor" && len(c.Request) > 0 {
					seeds = append(seeds, string(c.Request))
				}
			}
		}
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, request []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		z22, err := Execute(ctx, request, nil, WithMemoryLimit(64<<20))
		if err != nil {
			return
		}
		if !z22.Type().Is(z.Z22) {
			t.Fatalf("Execute(%q) = %s, not a Z22", request, z22)
		}
	})
}

// FuzzRoundTrip passes arbitrary ZObjects through the identity function: conversion both
// ways must not panic, and must answer a value or a Z5.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		`"x"`, `"Z41"`, `["Z6","a"]`, `{"Z1K1":"Z21"}`, `{"Z1K1":"Z40","Z40K1":"Z41"}`,
		`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z882","Z882K1":"Z6","Z882K2":"Z6"},"K1":"a","K2":"b"}`,
		`{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z883","Z883K1":"Z6","Z883K2":"Z6"},"K1":["Z1"]}`,
		`{"Z1K1":"Z10000","Z10000K1":{"Z1K1":"Z6","Z6K1":"v"}}`, `{"K1":"x"}`,
	} {
		f.Add([]byte(s))
	}
	vm, err := NewVM("function Z1000(Z1000K1) { return Z1000K1; }", "Z1000")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := z.Parse(data)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		z22, err := vm.Call(ctx, []z.Field{z.KV("Z1000K1", o)}, nil)
		if err != nil {
			t.Fatalf("Call(%s) = %v", data, err)
		}
		if z22.Get("Z22K1").Is(z.Z24) && z.IsVoid(z.EnvelopeError(z22)) {
			t.Fatalf("Call(%s) = %s: neither a value nor an error", data, z22)
		}
	})
}
