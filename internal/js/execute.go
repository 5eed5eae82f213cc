package js

import (
	"context"
	"encoding/json"

	z "github.com/zeval/zeval/internal/zobject"
)

// Execute is upstream's executor contract: request is the JSON object
// {"codeString": ..., "functionName": ..., "functionArguments": {key: normal ZObject}} and the
// answer is the Z22 upstream's execute() returns, from a fresh VM. Missing fields give
// upstream's messages ("Function call did not provide functionName." / "... codeString.");
// a request that is not such an object gives a Z5 saying so. opts configure the VM.
//
// An error means the platform failed (see VM.Call).
func Execute(ctx context.Context, request []byte, caller Caller, opts ...Option) (*z.Object, error) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(request, &req); err != nil || req == nil {
		return failed("Function call is not a JSON object."), nil
	}
	var name string
	raw, ok := req["functionName"]
	if !ok {
		return failed("Function call did not provide functionName."), nil
	}
	if err := json.Unmarshal(raw, &name); err != nil {
		return failed("Function call's functionName is not a string."), nil
	}
	var rawArgs map[string]json.RawMessage
	if a, ok := req["functionArguments"]; ok && string(a) != "null" {
		if err := json.Unmarshal(a, &rawArgs); err != nil {
			return failed("Function call's functionArguments is not an object."), nil
		}
	}
	args := make([]z.Field, 0, len(rawArgs))
	for k, a := range rawArgs {
		o, err := z.Parse(a)
		if err != nil {
			return failed("Function argument " + k + " is not a ZObject: " + err.Error()), nil
		}
		args = append(args, z.KV(k, o))
	}
	var code string
	raw, ok = req["codeString"]
	if !ok {
		return failed("Function call did not provide codeString."), nil
	}
	if err := json.Unmarshal(raw, &code); err != nil {
		return failed("Function call's codeString is not a string."), nil
	}
	vm, err := NewVM(code, name, opts...)
	if err != nil {
		if ce, ok := err.(*CodeError); ok {
			return ce.Envelope(), nil
		}
		return nil, err
	}
	return vm.Call(ctx, args, caller)
}

func failed(message string) *z.Object { return z.ResultEnvelope(nil, messageError(message)) }
