package corpus

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestWithoutZ1K1AndDig(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"Z1K1":"Z22","Z22K1":{"Z1K1":"Z6","Z6K1":"x"},"L":[{"Z1K1":"Z6","K1":"a"}]}`), &v); err != nil {
		t.Fatal(err)
	}
	got := WithoutZ1K1(v)
	var want any
	_ = json.Unmarshal([]byte(`{"Z22K1":{"Z6K1":"x"},"L":[{"K1":"a"}]}`), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WithoutZ1K1 = %v, want %v", got, want)
	}
	if d := Dig(v, "Z22K1", "Z6K1"); d != "x" {
		t.Errorf("Dig(Z22K1, Z6K1) = %v, want x", d)
	}
	if d := Dig(v, "Z22K1", "nope", "deeper"); d != nil {
		t.Errorf("Dig of a missing path = %v, want nil", d)
	}
}
