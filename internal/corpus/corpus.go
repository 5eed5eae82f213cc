// Package corpus holds what the conformance tests of several packages share to compare results
// with the Wikifunctions corpus (../shared/conformance/wikifunctions): its comparison helpers,
// written once. It is used by tests only and knows nothing of zeval's packages.
package corpus

// WithoutZ1K1 returns v (decoded JSON) with every Z1K1 key removed, recursively: upstream's
// withoutZ1K1s / without_z1k1s, which the executor cases compare under.
func WithoutZ1K1(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != "Z1K1" {
				out[k] = WithoutZ1K1(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = WithoutZ1K1(e)
		}
		return out
	}
	return v
}

// Dig follows keys into decoded JSON objects; nil when one is missing.
func Dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
