package zobject_test

import (
	"fmt"

	"github.com/zeval/zeval/internal/zobject"
)

func ExampleParse() {
	o, err := zobject.Parse([]byte(`{"Z1K1":"Z7","Z7K1":"Z801","Z801K1":["Z6","a","b"]}`))
	if err != nil {
		panic(err)
	}
	arg := o.Get("Z801K1")
	fmt.Println(o.Get("Z7K1").RefID(), arg.Kind(), len(arg.Items()), zobject.TypeOf(arg))
	fmt.Println(string(arg.Get("K2").NormalJSON()))
	// Output:
	// Z801 list 2 Z881(Z6)
	// {"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":{"Z1K1":"Z9","Z9K1":"Z6"}},"K1":{"Z1K1":"Z6","Z6K1":"b"},"K2":{"Z1K1":{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z7"},"Z7K1":{"Z1K1":"Z9","Z9K1":"Z881"},"Z881K1":{"Z1K1":"Z9","Z9K1":"Z6"}}}}
}

func ExampleError() {
	e := zobject.Error(zobject.CodeZIDNotFound, zobject.NewString("Z12345"))
	fmt.Println(e)
	fmt.Println(zobject.ResultEnvelope(nil, e).Get("Z22K1"))
	// Output:
	// {"Z1K1":"Z5","Z5K1":"Z504","Z5K2":{"Z1K1":{"Z1K1":"Z7","Z7K1":"Z885","Z885K1":"Z504"},"Z504K1":{"Z1K1":"Z6","Z6K1":"Z12345"}}}
	// "Z24"
}

func ExampleCanonicalize() {
	r := zobject.Canonicalize([]byte(`{"Z1K1":{"Z1K1":"Z9","Z9K1":"Z11"},"Z11K1":{"Z1K1":"Z9","Z9K1":"Z1002"},"Z11K2":{"Z1K1":"Z6","Z6K1":"hello"}}`))
	fmt.Println(string(r.JSON))
	bad := zobject.Canonicalize([]byte(`{"Z1K1":"Z9","tuber":"Z7"}`))
	fmt.Println(zobject.ErrorCodes(bad.Error))
	// Output:
	// {"Z1K1":"Z11","Z11K1":"Z1002","Z11K2":"hello"}
	// [Z502 Z525]
}
