package orchestrator

import (
	"strconv"

	z "github.com/zeval/zeval/internal/zobject"
)

func itoa(n int) string { return strconv.Itoa(n) }

// listItems returns the items of a typed list held as a list or in cons form (nil otherwise).
func listItems(o *z.Object) []*z.Object {
	items, _ := consItems(o)
	return items
}
