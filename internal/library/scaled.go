package library

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// caller gives the arguments (markup text) of the i-th call of one function; different i give
// different arguments (for i below 3,999 at least), all of them valid for the function.
type caller struct {
	zid  string
	args func(i int) []string
}

func itoa(i int) string { return strconv.Itoa(i) }

// day is the i-th day from 1 January 1800, as an ISO date.
func day(i int) string {
	return time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%73000).Format("2006-01-02")
}

func one(f func(i int) string) func(int) []string {
	return func(i int) []string { return []string{f(i)} }
}

// callers covers every library function whose arguments can vary without limit (not Boolean
// negation, Name of month or the two HTML helpers).
var callers = []caller{
	{"Z10001", func(i int) []string { return []string{"word" + itoa(i), "s"} }},
	{"Z10002", one(func(i int) string { return "city number " + itoa(i) })},
	{"Z10003", one(func(i int) string { return "the history of " + itoa(i) + " towns" })},
	{"Z10004", one(func(i int) string { return "paris " + itoa(i) })},
	{"Z10005", one(func(i int) string { return "PARIS " + itoa(i) })},
	{"Z10006", one(func(i int) string { return "a   " + itoa(i) + "   b" })},
	{"Z10008", one(func(i int) string { return "text " + itoa(i) })},
	{"Z10009", func(i int) []string { return []string{"ab" + itoa(i), "3"} }},
	{"Z10010", one(func(i int) string { return "stressed " + itoa(i) })},
	{"Z10011", one(func(i int) string { return "one two " + itoa(i) })},
	{"Z10012", func(i int) []string {
		return []string{"A long sentence about the town number " + itoa(i) + " and its river", "30"}
	}},
	{"Z10013", one(func(i int) string { return "born " + itoa(i) })},
	{"Z10014", one(func(i int) string { return "motto " + itoa(i) })},
	{"Z10015", one(func(i int) string { return itoa(1000000 + i*7919) })},
	{"Z10016", func(i int) []string { return []string{itoa(i) + ".4567", "2"} }},
	{"Z10017", func(i int) []string { return []string{itoa(i), "1.5"} }},
	{"Z10018", func(i int) []string { return []string{fmt.Sprintf("0.%06d", i), "1"} }},
	{"Z10019", func(i int) []string { return []string{itoa(i), "0.5"} }},
	{"Z10020", one(itoa)},
	{"Z10021", func(i int) []string { return []string{itoa(i), "500"} }},
	{"Z10022", one(func(i int) string { return itoa(1000000*(i+1) + 123456) })},
	{"Z10023", one(itoa)},
	{"Z10024", one(func(i int) string { return itoa(i%3999 + 1) })},
	{"Z10025", one(itoa)},
	{"Z10026", one(itoa)},
	{"Z10027", one(func(i int) string { return "word" + itoa(i) })},
	{"Z10028", func(i int) []string { return []string{itoa(i), "apple"} }},
	{"Z10029", one(func(i int) string { return "apple " + itoa(i) })},
	{"Z10030", func(i int) []string { return []string{"a" + itoa(i) + ";b;c", "or"} }},
	{"Z10031", one(func(i int) string { return "a" + itoa(i) + ";b;c" })},
	{"Z10032", one(func(i int) string { return "a" + itoa(i) + ";b" })},
	{"Z10033", one(func(i int) string { return "pear" + itoa(i) + ";apple;fig" })},
	{"Z10034", func(i int) []string { return []string{"a" + itoa(i) + ", b, c", ","} }},
	{"Z10035", func(i int) []string { return []string{"x" + itoa(i) + ";y", "none"} }},
	{"Z10036", one(func(i int) string { return "a" + itoa(i) + ";b" })},
	{"Z10039", one(day)},
	{"Z10040", one(day)},
	{"Z10041", func(i int) []string { return []string{day(i), "2026-11-23"} }},
	{"Z10043", one(func(i int) string { return itoa(1600 + i) })},
	{"Z10044", func(i int) []string { return []string{day(i), day(i + 3)} }},
	{"Z10045", one(func(i int) string { return itoa(i + 1) })},
	{"Z10046", one(func(i int) string { return itoa(i + 1) })},
	{"Z10047", one(func(i int) string { return itoa(i) + ".5" })},
	{"Z10048", one(func(i int) string { return itoa(i) + ".5" })},
	{"Z10049", one(func(i int) string { return itoa(i) + ".5" })},
	{"Z10050", one(func(i int) string { return itoa(i) + ".5" })},
	{"Z10051", one(func(i int) string { return itoa(i) + ".25" })},
	{"Z10052", one(func(i int) string { return itoa(i) + ".25" })},
	{"Z10053", one(func(i int) string { return itoa(i) + ".5" })},
	{"Z10054", one(func(i int) string { return itoa(i) + ".5" })},
	{"Z10055", func(i int) []string { return []string{"Town " + itoa(i), "France", itoa(1000 + i)} }},
	{"Z10056", func(i int) []string { return []string{"A;B", "x" + itoa(i) + "::y;z::w"} }},
	{"Z10057", func(i int) []string { return []string{"Person " + itoa(i), day(i), "London"} }},
	{"Z10058", func(i int) []string { return []string{day(i), "2026-11-23"} }},
}

// ScaledPage returns a wikitext page of n calls, one per line, spread evenly over the 54
// library functions whose arguments can vary, with different arguments for every call (up to
// 3,999 calls per function), so that no two calls of the page are the same: the page of the
// rendering benchmark, where a result cache must not answer.
func ScaledPage(n int) string {
	var b strings.Builder
	b.WriteString("== Scaled demo page ==\n")
	for i := range n {
		c := callers[i%len(callers)]
		fmt.Fprintf(&b, "* {{#function:%s|%s}}\n", c.zid, strings.Join(c.args(i/len(callers)), "|"))
	}
	return b.String()
}

// ScaledFunctions is the number of distinct functions ScaledPage calls (when n reaches it).
func ScaledFunctions() int { return len(callers) }
