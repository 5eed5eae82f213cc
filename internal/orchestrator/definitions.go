package orchestrator

import (
	z "github.com/zeval/zeval/internal/zobject"
)

// The built-in definitions: the core types, the built-in functions and their built-in
// implementations, written here so that zeval can evaluate calls of them with no store at all.
// They follow function-schemata's data/definitions at adb4e69; definitions_test.go checks the
// shapes (keys, types, implementations) against a copy of those files.

// english is the ZID of the natural language English, which labels the definitions.
const english = "Z1002"

func ref(zid string) *z.Object { return z.NewRef(zid) }

// listOf is the type Z881(item).
func listOf(item string) *z.Object { return z.ListType(z.NewRef(item)) }

// labels returns the Z12 multilingual text holding one English label.
func labels(text string) *z.Object {
	if text == "" {
		return z.NewRecord(ref(z.Z12), z.KV("Z12K1", z.NewList(ref(z.Z11))))
	}
	mono := z.NewRecord(ref(z.Z11), z.KV("Z11K1", ref(english)), z.KV("Z11K2", z.NewString(text)))
	return z.NewRecord(ref(z.Z12), z.KV("Z12K1", z.NewList(ref(z.Z11), mono)))
}

// persistent wraps value in a Z2 persistent object with id zid and an English label.
func persistent(zid, label string, value *z.Object) *z.Object {
	return z.NewRecord(ref(z.Z2),
		z.KV("Z2K1", z.NewString(zid)),
		z.KV("Z2K2", value),
		z.KV("Z2K3", labels(label)))
}

// keyDef describes one key of a type or one argument of a function.
type keyDef struct {
	id    string
	typ   *z.Object
	label string
}

func key(id string, typ *z.Object, label string) keyDef { return keyDef{id, typ, label} }

// typeDef describes a core type.
type typeDef struct {
	zid, label, validator string
	keys                  []keyDef
}

// coreTypes returns the built-in types, with the English labels of their keys.
func coreTypes() []typeDef {
	return []typeDef{
		{"Z1", "Object", "Z101", []keyDef{key("Z1K1", ref("Z4"), "type")}},
		{"Z2", "Persistent object", "Z102", []keyDef{key("Z2K1", ref("Z6"), "id"), key("Z2K2", ref("Z1"), "value"), key("Z2K3", ref("Z12"), "labels"), key("Z2K4", ref("Z32"), "aliases")}},
		{"Z3", "Key", "Z103", []keyDef{key("Z3K1", ref("Z4"), "value type"), key("Z3K2", ref("Z6"), "key id"), key("Z3K3", ref("Z12"), "label")}},
		{"Z4", "Type", "Z104", []keyDef{key("Z4K1", ref("Z4"), "identity"), key("Z4K2", listOf("Z3"), "keys"), key("Z4K3", ref("Z8"), "validator")}},
		{"Z5", "Error", "Z105", []keyDef{key("Z5K1", ref("Z50"), "error type"), key("Z5K2", ref("Z1"), "error value")}},
		{"Z6", "String", "Z106", []keyDef{key("Z6K1", ref("Z6"), "value")}},
		{"Z7", "Function call", "Z107", []keyDef{key("Z7K1", ref("Z8"), "function")}},
		{"Z8", "Function", "Z108", []keyDef{key("Z8K1", listOf("Z17"), "arguments"), key("Z8K2", ref("Z4"), "return type"), key("Z8K3", listOf("Z20"), "testers"), key("Z8K4", listOf("Z14"), "implementations"), key("Z8K5", ref("Z8"), "identity")}},
		{"Z9", "Reference", "Z109", []keyDef{key("Z9K1", ref("Z6"), "reference id")}},
		{"Z11", "Monolingual text", "Z111", []keyDef{key("Z11K1", ref("Z60"), "language"), key("Z11K2", ref("Z6"), "text")}},
		{"Z12", "Multilingual text", "Z112", []keyDef{key("Z12K1", listOf("Z11"), "texts")}},
		{"Z14", "Implementation", "Z114", []keyDef{key("Z14K1", ref("Z8"), "function"), key("Z14K2", ref("Z1"), "composition"), key("Z14K3", ref("Z16"), "code"), key("Z14K4", ref("Z8"), "built-in")}},
		{"Z16", "Code", "Z116", []keyDef{key("Z16K1", ref("Z61"), "language"), key("Z16K2", ref("Z6"), "code")}},
		{"Z17", "Argument declaration", "Z117", []keyDef{key("Z17K1", ref("Z4"), "type"), key("Z17K2", ref("Z6"), "key"), key("Z17K3", ref("Z12"), "label")}},
		{"Z18", "Argument reference", "Z118", []keyDef{key("Z18K1", ref("Z6"), "key id")}},
		{"Z20", "Tester", "Z120", []keyDef{key("Z20K1", ref("Z8"), "function"), key("Z20K2", ref("Z7"), "call"), key("Z20K3", ref("Z7"), "result validation")}},
		{"Z21", "Unit", "Z121", nil},
		{"Z22", "Evaluation result", "Z122", []keyDef{key("Z22K1", ref("Z1"), "result"), key("Z22K2", ref("Z1"), "metadata")}},
		{"Z23", "Nothing", "Z123", nil},
		{"Z31", "Monolingual stringset", "Z131", []keyDef{key("Z31K1", ref("Z60"), "language"), key("Z31K2", listOf("Z6"), "stringset")}},
		{"Z32", "Multilingual stringset", "Z132", []keyDef{key("Z32K1", listOf("Z31"), "stringset")}},
		{"Z39", "Key reference", "Z139", []keyDef{key("Z39K1", ref("Z6"), "reference")}},
		{"Z40", "Boolean", "Z140", []keyDef{key("Z40K1", ref("Z40"), "identity")}},
		{"Z50", "Error type", "Z150", []keyDef{key("Z50K1", listOf("Z3"), "keys")}},
		{"Z60", "Natural language", "Z160", []keyDef{key("Z60K1", ref("Z6"), "code"), key("Z60K2", listOf("Z6"), "code aliases")}},
		{"Z61", "Programming language", "Z161", []keyDef{key("Z61K1", ref("Z6"), "code")}},
		{"Z80", "Byte", "Z180", []keyDef{key("Z80K1", ref("Z6"), "value")}},
		{"Z86", "Code point", "Z186", []keyDef{key("Z86K1", ref("Z6"), "value")}},
		{"Z99", "Quote", "Z199", []keyDef{key("Z99K1", ref("Z1"), "quotation")}},
	}
}

// functionDef describes a built-in function and its built-in implementation.
type functionDef struct {
	zid, label string
	args       []keyDef
	returns    *z.Object
	impl       string // ZID of the implementation (Z9xx)
	implLabel  string
}

// builtinFunctions returns the functions whose implementations live in builtins.go.
func builtinFunctions() []functionDef {
	return []functionDef{
		{"Z801", "Echo", []keyDef{key("Z801K1", ref("Z1"), "input")}, ref("Z1"), "Z901", "Built-in implementation of Echo"},
		{"Z802", "If", []keyDef{key("Z802K1", ref("Z40"), "condition"), key("Z802K2", ref("Z1"), "then"), key("Z802K3", ref("Z1"), "else")}, ref("Z1"), "Z902", "Built-in implementation of If"},
		{"Z803", "Value by key", []keyDef{key("Z803K1", ref("Z39"), "key"), key("Z803K2", ref("Z1"), "object")}, ref("Z1"), "Z903", "Built-in implementation of Value by key"},
		{"Z804", "Values by keys", []keyDef{key("Z804K1", listOf("Z39"), "keys"), key("Z804K2", ref("Z1"), "object")}, z.MapType(ref("Z39"), ref("Z1")), "Z904", "Built-in implementation of Values by keys"},
		{"Z805", "Reify", []keyDef{key("Z805K1", ref("Z1"), "object")}, listOf("Z1"), "Z905", "Built-in implementation of Reify"},
		{"Z808", "Abstract", []keyDef{key("Z808K1", listOf("Z1"), "reification")}, ref("Z1"), "Z908", "Built-in implementation of Abstract"},
		{"Z810", "Prepend element to list", []keyDef{key("Z810K1", ref("Z1"), "element"), key("Z810K2", listOf("Z1"), "list")}, listOf("Z1"), "Z910", "Built-in implementation of Prepend element to list"},
		{"Z811", "First element", []keyDef{key("Z811K1", listOf("Z1"), "list")}, ref("Z1"), "Z911", "Built-in implementation of First element"},
		{"Z812", "List without first element", []keyDef{key("Z812K1", listOf("Z1"), "list")}, listOf("Z1"), "Z912", "Built-in implementation of List without first element"},
		{"Z813", "Is empty", []keyDef{key("Z813K1", listOf("Z1"), "list")}, ref("Z40"), "Z913", "Built-in implementation of Is empty"},
		{"Z820", "Trigger metadata", []keyDef{key("Z820K1", ref("Z6"), "key"), key("Z820K2", ref("Z1"), "value")}, ref("Z1"), "Z920", "Built-in implementation of Trigger metadata"},
		{"Z821", "Get first item of a Typed pair", []keyDef{key("Z821K1", z.PairType(ref("Z1"), ref("Z1")), "Typed pair")}, ref("Z1"), "Z921", "Built-in implementation of Get first item of a Typed pair"},
		{"Z822", "Get second element of a Typed pair", []keyDef{key("Z822K1", z.PairType(ref("Z1"), ref("Z1")), "Typed pair")}, ref("Z1"), "Z922", "Built-in implementation of Get second element of a Typed pair"},
		{"Z823", "Get envelope from function call", []keyDef{key("Z823K1", ref("Z99"), "Function call")}, z.PairType(ref("Z1"), ref("Z1")), "Z923", "Built-in implementation of Get envelope from function call"},
		{"Z828", "Fetch persistent ZObject", []keyDef{key("Z828K1", ref("Z99"), "object")}, ref("Z2"), "Z928", "Built-in implementation of Fetch persistent ZObject"},
		{"Z831", "Validate against schema", []keyDef{key("Z831K1", ref("Z99"), "input to validate"), key("Z831K2", ref("Z99"), "schema for validation")}, ref("Z4"), "Z931", "Built-in implementation of Validate against schema"},
		{"Z844", "Boolean equality", []keyDef{key("Z844K1", ref("Z40"), "first Boolean"), key("Z844K2", ref("Z40"), "second Boolean")}, ref("Z40"), "Z944", "Built-in implementation of Equals for Booleans"},
		{"Z860", "Language code to language", []keyDef{key("Z860K1", ref("Z6"), "language code")}, ref("Z60"), "Z960", "Built-in implementation of Language code to language"},
		{"Z866", "String equality", []keyDef{key("Z866K1", ref("Z6"), "first string"), key("Z866K2", ref("Z6"), "second string")}, ref("Z40"), "Z966", "Built-in implementation of Equals for Strings"},
		{"Z868", "String to list", []keyDef{key("Z868K1", ref("Z6"), "string")}, listOf("Z86"), "Z968", "Built-in implementation of Convert to list"},
		{"Z881", "Typed list", []keyDef{key("Z881K1", ref("Z4"), "item type")}, ref("Z4"), "Z981", "Built-in implementation of Typed list"},
		{"Z882", "Typed pair", []keyDef{key("Z882K1", ref("Z4"), "first type"), key("Z882K2", ref("Z4"), "second type")}, ref("Z4"), "Z982", "Built-in implementation of Typed pair"},
		{"Z883", "Typed Map", []keyDef{key("Z883K1", ref("Z4"), "key type"), key("Z883K2", ref("Z4"), "value type")}, ref("Z4"), "Z983", "Built-in implementation of Typed map"},
		{"Z885", "Errortype to type", []keyDef{key("Z885K1", ref("Z50"), "errortype")}, ref("Z4"), "Z985", "Composition of Errortype to type"},
		{"Z886", "List to string", []keyDef{key("Z886K1", listOf("Z86"), "list")}, ref("Z6"), "Z986", "Built-in implementation of Convert to string"},
		{"Z888", "Code point equality", []keyDef{key("Z888K1", ref("Z86"), "first"), key("Z888K2", ref("Z86"), "second")}, ref("Z40"), "Z988", "Built-in implementation of Code point equality"},
		{"Z889", "List equality", []keyDef{key("Z889K1", listOf("Z1"), "first list"), key("Z889K2", listOf("Z1"), "second list"), key("Z889K3", ref("Z8"), "element equality function")}, ref("Z40"), "Z989", "Built-in implementation for List equality"},
		{"Z899", "Unquote", []keyDef{key("Z899K1", ref("Z99"), "quote")}, ref("Z1"), "Z999", "Built-in implementation of Unquote"},
	}
}

// z885Composition is the one built-in function implemented as a composition: the type of the
// Z5K2 of an error of a given error type is a Z4 whose keys are the error type's keys.
const z885Composition = `{"Z1K1":"Z4","Z4K1":{"Z1K1":"Z7","Z7K1":"Z885","Z885K1":{"Z1K1":"Z18","Z18K1":"Z885K1"}},` +
	`"Z4K2":{"Z1K1":"Z7","Z7K1":"Z803","Z803K1":{"Z1K1":"Z39","Z39K1":"Z50K1"},"Z803K2":{"Z1K1":"Z18","Z18K1":"Z885K1"}},"Z4K3":"Z101"}`

// Definitions holds the built-in persistent objects by ZID. It is built once by
// NewDefinitions and read-only afterwards, so it is safe for concurrent use.
type Definitions struct {
	objects map[string]*z.Object // ZID -> Z2
}

// NewDefinitions builds the built-in definitions.
func NewDefinitions() *Definitions {
	d := &Definitions{objects: make(map[string]*z.Object, 128)}
	for _, t := range coreTypes() {
		keys := make([]*z.Object, len(t.keys))
		for i, k := range t.keys {
			keys[i] = z.NewRecord(ref(z.Z3),
				z.KV("Z3K1", k.typ), z.KV("Z3K2", z.NewString(k.id)), z.KV("Z3K3", labels(k.label)))
		}
		value := z.NewRecord(ref(z.Z4),
			z.KV("Z4K1", ref(t.zid)), z.KV("Z4K2", z.NewList(ref(z.Z3), keys...)), z.KV("Z4K3", ref(t.validator)))
		d.objects[t.zid] = persistent(t.zid, t.label, value)
	}
	for _, f := range append(builtinFunctions(), validatorFunctions()...) {
		args := make([]*z.Object, len(f.args))
		for i, a := range f.args {
			args[i] = z.NewRecord(ref(z.Z17),
				z.KV("Z17K1", a.typ), z.KV("Z17K2", z.NewString(a.id)), z.KV("Z17K3", labels(a.label)))
		}
		fn := z.NewRecord(ref(z.Z8),
			z.KV("Z8K1", z.NewList(ref(z.Z17), args...)),
			z.KV("Z8K2", f.returns),
			z.KV("Z8K3", z.NewList(ref(z.Z20))),
			z.KV("Z8K4", z.NewList(ref(z.Z14), ref(f.impl))),
			z.KV("Z8K5", ref(f.zid)))
		d.objects[f.zid] = persistent(f.zid, f.label, fn)
		var impl *z.Object
		if f.impl == "Z985" {
			impl = z.NewRecord(ref(z.Z14), z.KV("Z14K1", ref(f.zid)), z.KV("Z14K2", z.MustParse(z885Composition)))
		} else {
			impl = z.NewRecord(ref(z.Z14), z.KV("Z14K1", ref(f.zid)), z.KV("Z14K4", z.NewString(f.impl)))
		}
		if d.objects[f.impl] == nil { // Z123 (Validate nothing) shares Z220 with Z120
			d.objects[f.impl] = persistent(f.impl, f.implLabel, impl)
		}
	}
	d.objects["Z223"] = persistent("Z223", "Validate nothing built-in",
		z.NewRecord(ref(z.Z14), z.KV("Z14K1", ref("Z123")), z.KV("Z14K4", z.NewString("Z223"))))
	// The values of the core types that function calls and results name directly.
	d.objects[z.Z24] = persistent(z.Z24, "void", z.NewRecord(ref(z.Z21)))
	d.objects[z.Z41] = persistent(z.Z41, "true", z.NewBool(true))
	d.objects[z.Z42] = persistent(z.Z42, "false", z.NewBool(false))
	return d
}

// Get returns the built-in persistent object (Z2) with the given ZID, or nil.
func (d *Definitions) Get(zid string) *z.Object { return d.objects[zid] }

// ZIDs returns the ZIDs of every built-in definition, in no particular order.
func (d *Definitions) ZIDs() []string {
	out := make([]string, 0, len(d.objects))
	for k := range d.objects {
		out = append(out, k)
	}
	return out
}

// isType reports whether zid is a built-in type.
func (d *Definitions) isType(zid string) bool {
	o := d.objects[zid]
	return o != nil && o.Get("Z2K2").Type().Is(z.Z4)
}

// validatorFunctions returns the validators of the core types (each type's Z4K3) and their
// built-in implementations, which accept every well-formed object of the type.
func validatorFunctions() []functionDef {
	return []functionDef{
		{"Z101", "Validate object", []keyDef{key("Z101K1", ref("Z1"), "object")}, ref("Z1"), "Z201", "Validate object built-in"},
		{"Z102", "Validate persistent object", []keyDef{key("Z102K1", ref("Z2"), "persistent object")}, ref("Z2"), "Z202", "Validate persistent object built-in"},
		{"Z103", "Validate key", []keyDef{key("Z103K1", ref("Z3"), "key")}, ref("Z3"), "Z203", "Validate key built-in"},
		{"Z104", "Validate type", []keyDef{key("Z104K1", ref("Z4"), "type")}, ref("Z4"), "Z204", "Validate type built-in"},
		{"Z105", "Validate error", []keyDef{key("Z105K1", ref("Z5"), "error")}, ref("Z5"), "Z205", "Validate error built-in"},
		{"Z106", "Validate string", []keyDef{key("Z106K1", ref("Z4"), "string")}, ref("Z6"), "Z206", "Validate string built-in"},
		{"Z107", "Validate function call", []keyDef{key("Z107K1", ref("Z7"), "function call")}, ref("Z7"), "Z207", "Validate function call built-in"},
		{"Z108", "Validate function", []keyDef{key("Z108K1", ref("Z8"), "function")}, ref("Z8"), "Z208", "Validate function built-in"},
		{"Z109", "Validate reference", []keyDef{key("Z109K1", ref("Z9"), "reference")}, ref("Z9"), "Z209", "Validate reference built-in"},
		{"Z110", "Validate list", []keyDef{key("Z110K1", listOf("Z1"), "list")}, listOf("Z1"), "Z210", "Validate list built-in"},
		{"Z111", "Validate monolingual text", []keyDef{key("Z111K1", ref("Z11"), "monolingual text")}, ref("Z11"), "Z211", "Validate monolingual text built-in"},
		{"Z112", "Validate multilingual text", []keyDef{key("Z112K1", ref("Z12"), "multilingual text")}, ref("Z12"), "Z212", "Validate multilingual text built-in"},
		{"Z114", "Validate implementation", []keyDef{key("Z114K1", ref("Z14"), "implementation")}, ref("Z14"), "Z214", "Validate implementation built-in"},
		{"Z116", "Validate code", []keyDef{key("Z116K1", ref("Z16"), "code")}, ref("Z16"), "Z216", "Validate code built-in"},
		{"Z117", "Validate argument declaration", []keyDef{key("Z117K1", ref("Z17"), "argument declaration")}, ref("Z17"), "Z217", "Validate argument declaration built-in"},
		{"Z118", "Validate argument reference", []keyDef{key("Z118K1", ref("Z18"), "argument reference")}, ref("Z18"), "Z218", "Validate argument reference built-in"},
		{"Z120", "Validate tester", []keyDef{key("Z120K1", ref("Z20"), "tester")}, ref("Z20"), "Z220", "Validate tester built-in"},
		{"Z121", "Validate Unit", []keyDef{key("Z121K1", ref("Z21"), "unit")}, ref("Z21"), "Z221", "Validate unit built-in"},
		{"Z122", "Validate Evaluation result", []keyDef{key("Z122K1", ref("Z22"), "Evaluation result")}, ref("Z22"), "Z222", "Built-in implementation of Validate Evaluation result"},
		{"Z123", "Validate nothing", []keyDef{key("Z123K1", ref("Z23"), "nothing")}, ref("Z23"), "Z220", "Validate tester built-in"},
		{"Z131", "Validate monolingual stringset", []keyDef{key("Z131K1", ref("Z31"), "monolingual stringset")}, ref("Z31"), "Z231", "Validate monolingual stringset built-in"},
		{"Z132", "Validate multilingual stringset", []keyDef{key("Z132K1", ref("Z12"), "multilingual stringset")}, ref("Z32"), "Z232", "Validate multilingual stringset built-in"},
		{"Z139", "Validate key reference", []keyDef{key("Z139K1", ref("Z39"), "key reference")}, ref("Z39"), "Z239", "Validate key reference built-in"},
		{"Z140", "Validate boolean", []keyDef{key("Z140K1", ref("Z40"), "boolean")}, ref("Z40"), "Z240", "Validate Boolean built-in"},
		{"Z150", "Validate error type", []keyDef{key("Z150K1", ref("Z50"), "error type")}, ref("Z50"), "Z250", "Validate error type built-in"},
		{"Z160", "Validate natural language", []keyDef{key("Z160K1", ref("Z60"), "natural language")}, ref("Z60"), "Z260", "Validate natural language built-in"},
		{"Z161", "Validate programming language", []keyDef{key("Z161K1", ref("Z61"), "programming language")}, ref("Z61"), "Z261", "Validate programming language built-in"},
		{"Z180", "Validate byte", []keyDef{key("Z180K1", ref("Z80"), "byte")}, ref("Z80"), "Z280", "Validate byte built-in"},
		{"Z186", "Validate code point", []keyDef{key("Z186K1", ref("Z86"), "code point")}, ref("Z86"), "Z286", "Validate code point built-in"},
		{"Z199", "Validate quote", []keyDef{key("Z199K1", ref("Z99"), "quote")}, ref("Z99"), "Z299", "Validate quote built-in"},
	}
}
