package zobject

// Equal reports whether a and b are the same ZObject: same strings and references, records
// with the same keys (in any order) and equal values, lists with equal item types and items.
// A list and a record in cons form ({"Z1K1": Z881(T), "K1": ..., "K2": ...}) that spell the
// same list are equal. Two nils are equal; nil never equals an object.
func Equal(a, b *Object) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	if a.kind != b.kind {
		if a.kind == KindList && b.kind == KindRecord || a.kind == KindRecord && b.kind == KindList {
			return equalByKeys(a, b)
		}
		return false
	}
	switch a.kind {
	case KindString, KindReference:
		return a.text == b.text
	case KindList:
		if len(a.vals) != len(b.vals) || !Equal(a.itemType, b.itemType) {
			return false
		}
		for i := range a.vals {
			if !Equal(a.vals[i], b.vals[i]) {
				return false
			}
		}
		return true
	case KindRecord:
		if len(a.keys) != len(b.keys) {
			return false
		}
		for i, k := range a.keys {
			// Fast path: same position, same key.
			if b.keys[i] == k {
				if !Equal(a.vals[i], b.vals[i]) {
					return false
				}
				continue
			}
			bv := b.Get(k)
			if bv == nil || !Equal(a.vals[i], bv) {
				return false
			}
		}
		return true
	}
	return false
}

// equalByKeys compares a list with a record through the normal-form view (Keys and Get).
func equalByKeys(a, b *Object) bool {
	ak, bk := a.Keys(), b.Keys()
	if len(ak) != len(bk) {
		return false
	}
	for _, k := range ak {
		if !Equal(a.Get(k), b.Get(k)) {
			return false
		}
	}
	return true
}
