package zobject

// ZIDs of the core types and values this package builds or recognises.
const (
	Z1   = "Z1"   // Object
	Z2   = "Z2"   // Persistent object
	Z3   = "Z3"   // Key
	Z4   = "Z4"   // Type
	Z5   = "Z5"   // Error
	Z6   = "Z6"   // String
	Z7   = "Z7"   // Function call
	Z8   = "Z8"   // Function
	Z9   = "Z9"   // Reference
	Z11  = "Z11"  // Monolingual text
	Z12  = "Z12"  // Multilingual text
	Z14  = "Z14"  // Implementation
	Z16  = "Z16"  // Code
	Z17  = "Z17"  // Argument declaration
	Z18  = "Z18"  // Argument reference
	Z20  = "Z20"  // Tester
	Z21  = "Z21"  // Unit
	Z22  = "Z22"  // Evaluation result
	Z23  = "Z23"  // Nothing
	Z24  = "Z24"  // Void, the only value of Z21
	Z31  = "Z31"  // Monolingual stringset
	Z32  = "Z32"  // Multilingual stringset
	Z39  = "Z39"  // Key reference
	Z40  = "Z40"  // Boolean
	Z41  = "Z41"  // true
	Z42  = "Z42"  // false
	Z50  = "Z50"  // Error type
	Z60  = "Z60"  // Natural language
	Z61  = "Z61"  // Programming language
	Z80  = "Z80"  // Byte
	Z86  = "Z86"  // Code point
	Z99  = "Z99"  // Quote
	Z881 = "Z881" // Typed list (generic)
	Z882 = "Z882" // Typed pair (generic)
	Z883 = "Z883" // Typed map (generic)
	Z885 = "Z885" // Error type to type (generic)
)

// KeyType is the key every ZObject's type is stored under.
const KeyType = "Z1K1"

// IsZID reports whether s is a ZID: Z followed by a number without leading zero (Z1, Z881).
func IsZID(s string) bool { return len(s) > 1 && s[0] == 'Z' && isNumber(s[1:]) }

// IsReference reports whether s is read as a Z9 reference when it appears as a bare string in
// canonical form: one capital letter other than K followed by a number without leading zero
// (Z1, Q42). Everything else, such as "K1", "Z0" or "Z1K1", is a Z6 string. This is
// function-schemata's isReference.
func IsReference(s string) bool {
	return len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && s[0] != 'K' && isNumber(s[1:])
}

// IsGlobalKey reports whether s is a global key: a ZID, K, a number (Z1K1, Z881K2).
func IsGlobalKey(s string) bool {
	z, _, ok := splitKey(s)
	return ok && z != ""
}

// IsLocalKey reports whether s is a local key: K followed by a number (K1, K12).
func IsLocalKey(s string) bool { return len(s) > 1 && s[0] == 'K' && isNumber(s[1:]) }

// IsKey reports whether s is a global or a local key.
func IsKey(s string) bool {
	_, _, ok := splitKey(s)
	return ok
}

// KeyZID returns the ZID part of a global key ("Z11" for "Z11K2"), or "" for anything else.
func KeyZID(s string) string {
	z, _, ok := splitKey(s)
	if !ok {
		return ""
	}
	return z
}

// LocalKey returns the local part of a key ("K2" for "Z11K2" and for "K2"), or "" when s is
// not a key.
func LocalKey(s string) string {
	_, k, ok := splitKey(s)
	if !ok {
		return ""
	}
	return k
}

// splitKey splits "Z11K2" into "Z11", "K2" and "K2" into "", "K2".
func splitKey(s string) (zid, local string, ok bool) {
	i := 0
	if len(s) > 0 && s[0] == 'Z' {
		i = 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if !isNumber(s[1:i]) {
			return "", "", false
		}
	}
	if i >= len(s) || s[i] != 'K' || !isNumber(s[i+1:]) {
		return "", "", false
	}
	return s[:i], s[i:], true
}

// isNumber reports whether s is a decimal number without leading zero.
func isNumber(s string) bool {
	if s == "" || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
