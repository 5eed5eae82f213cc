package orchestrator

import (
	"strconv"

	z "github.com/zeval/zeval/internal/zobject"
)

func itoa(n int) string { return strconv.Itoa(n) }

// listItems returns the items of a typed list held as a list or in cons form (nil otherwise).
// The slice may be the list's own: do not modify it.
func listItems(o *z.Object) []*z.Object {
	if o.IsList() {
		return o.Items()
	}
	items, _ := consItems(o)
	return items
}
