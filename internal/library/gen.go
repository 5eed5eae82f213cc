//go:build ignore

// gen writes the demo library: one Z*.json file per function, implementation and tester,
// into demo/, in the tab-indented canonical layout of the Wikifunctions definitions. The
// functions are declared below; ZIDs are given in order (functions from Z10001,
// implementations from Z11001, testers from Z12001), so appending a function keeps the
// others' ZIDs. Run it with `go generate ./internal/library`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/zeval/zeval/internal/store"
	z "github.com/zeval/zeval/internal/zobject"
)

// The programming languages, as upstream's ZIDs.
const (
	python     = "Z610"
	javascript = "Z600"
)

// typ is the declared type of an argument or result.
type typ string

const (
	str     typ = "Z6"
	boolean typ = "Z40"
	strs    typ = "list"
	// html is zeval's HTML fragment type (see package render): a record whose one key holds
	// markup that a page inserts as it is.
	html typ = "Z990089"
)

// fragment is a value of the HTML fragment type, in a tester.
type fragment string

type arg struct {
	label string
	t     typ
}

// impl is one implementation: code (py or js, with @self for the function's ZID and @name
// for another function's) or a composition.
type impl struct {
	lang string
	code string
	comp expr
}

// test is one tester: the arguments and the expected result (string, bool or []string).
type test struct {
	args   []any
	expect any
}

type function struct {
	name   string // for references between functions here
	label  string
	desc   string
	args   []arg
	ret    typ
	impls  []impl
	tests  []test
	zid    string
	implID []string
	testID []string
}

// expr is a composition expression: a call of a built-in or library function, an argument
// reference, or a literal.
type expr interface{}

type callExpr struct {
	fn   string // "Z802" or a function's name
	args []expr
}

type argRef int

// keyRef is a Z39 key reference.
type keyRef string

func call(fn string, args ...expr) callExpr { return callExpr{fn, args} }

func py(code string) impl            { return impl{lang: python, code: code} }
func js(code string) impl            { return impl{lang: javascript, code: code} }
func comp(e expr) impl               { return impl{comp: e} }
func t(expect any, args ...any) test { return test{args, expect} }
func a(label string) arg             { return arg{label, str} }

// Built-ins used in compositions.
const (
	zIf        = "Z802"
	zFirst     = "Z811"
	zRest      = "Z812"
	zIsEmpty   = "Z813"
	zStringEq  = "Z866"
	zBoolEq    = "Z844"
	zListEqual = "Z889"
)

func concat(parts ...expr) expr {
	if len(parts) == 1 {
		return parts[0]
	}
	return call("concat", parts[0], concat(parts[1:]...))
}

const pyFormat = `

def _fmt(x, places):
    s = f"{x:.{places}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s
`

const jsFormat = `

function fmt(x, places) {
	let s = x.toFixed(places);
	if (s.includes('.')) {
		s = s.replace(/0+$/, '').replace(/\.$/, '');
	}
	return s === '-0' ? '0' : s;
}
`

const pyMonths = `
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
`

const jsMonths = `const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
	'September', 'October', 'November', 'December'];
`

const pyEscape = `
def _esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))
`

const jsEscape = `function esc(s) {
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
`

const pyPlural = `_IRREGULAR = {
    "child": "children", "person": "people", "man": "men", "woman": "women",
    "mouse": "mice", "goose": "geese", "foot": "feet", "tooth": "teeth", "ox": "oxen",
    "sheep": "sheep", "fish": "fish", "deer": "deer", "series": "series",
    "leaf": "leaves", "knife": "knives", "wife": "wives", "life": "lives", "wolf": "wolves",
    "half": "halves", "cactus": "cacti", "analysis": "analyses", "crisis": "crises",
    "potato": "potatoes", "tomato": "tomatoes", "hero": "heroes",
}

def @self(@selfK1):
    word = @selfK1
    lower = word.lower()
    if lower in _IRREGULAR:
        out = _IRREGULAR[lower]
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        out = lower + "es"
    elif lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        out = lower[:-1] + "ies"
    else:
        out = lower + "s"
    if word[:1].isupper():
        out = out[:1].upper() + out[1:]
    return out
`

const jsPlural = `const IRREGULAR = {
	child: 'children', person: 'people', man: 'men', woman: 'women',
	mouse: 'mice', goose: 'geese', foot: 'feet', tooth: 'teeth', ox: 'oxen',
	sheep: 'sheep', fish: 'fish', deer: 'deer', series: 'series',
	leaf: 'leaves', knife: 'knives', wife: 'wives', life: 'lives', wolf: 'wolves',
	half: 'halves', cactus: 'cacti', analysis: 'analyses', crisis: 'crises',
	potato: 'potatoes', tomato: 'tomatoes', hero: 'heroes',
};

function @self(@selfK1) {
	const lower = @selfK1.toLowerCase();
	let out;
	if (Object.prototype.hasOwnProperty.call(IRREGULAR, lower)) {
		out = IRREGULAR[lower];
	} else if (/(s|x|z|ch|sh)$/.test(lower)) {
		out = lower + 'es';
	} else if (/[^aeiou]y$/.test(lower)) {
		out = lower.slice(0, -1) + 'ies';
	} else {
		out = lower + 's';
	}
	const first = @selfK1.charAt(0);
	if (first !== first.toLowerCase()) {
		out = out.charAt(0).toUpperCase() + out.slice(1);
	}
	return out;
}
`

func library() []*function {
	A1, A2, A3 := argRef(1), argRef(2), argRef(3)
	return []*function{
		// Text.
		{name: "concat", label: "Join two strings", desc: "The first string followed by the second.",
			args: []arg{a("first string"), a("second string")}, ret: str,
			impls: []impl{
				js("function @self(@selfK1, @selfK2) {\n\treturn @selfK1 + @selfK2;\n}\n"),
				py("def @self(@selfK1, @selfK2):\n    return @selfK1 + @selfK2\n"),
			},
			tests: []test{t("Hello, world", "Hello, ", "world"), t("abc", "", "abc"), t("Zürich 2026", "Zürich ", "2026")}},
		{name: "capitalise", label: "Capitalise first letter", desc: "The text with its first letter in upper case.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{
				py("def @self(@selfK1):\n    return @selfK1[:1].upper() + @selfK1[1:]\n"),
				js("function @self(@selfK1) {\n\treturn @selfK1.charAt(0).toUpperCase() + @selfK1.slice(1);\n}\n"),
			},
			tests: []test{t("Hello world", "hello world"), t("Élan vital", "élan vital"), t("Already", "Already")}},
		{name: "titlecase", label: "Title case", desc: "Capitalises every word of a title except short function words inside it.",
			args: []arg{a("title")}, ret: str,
			impls: []impl{py(`_SMALL = {"a", "an", "the", "and", "but", "or", "for", "nor", "of", "on", "in", "at", "to", "by", "with"}

def @self(@selfK1):
    words = @selfK1.lower().split()
    out = []
    for i, w in enumerate(words):
        if 0 < i < len(words) - 1 and w in _SMALL:
            out.append(w)
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)
`)},
			tests: []test{t("The Lord of the Rings", "the lord of the rings"), t("A Tale of Two Cities", "A TALE OF TWO CITIES"), t("What It Is For", "what it is for")}},
		{name: "upper", label: "Upper case", desc: "The text in capital letters.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{js("function @self(@selfK1) {\n\treturn @selfK1.toUpperCase();\n}\n")},
			tests: []test{t("PARIS", "Paris"), t("STRASSE", "straße")}},
		{name: "lower", label: "Lower case", desc: "The text in small letters.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{py("def @self(@selfK1):\n    return @selfK1.lower()\n")},
			tests: []test{t("paris", "PARIS"), t("école", "ÉCOLE")}},
		{name: "squash", label: "Trim and collapse spaces", desc: "Removes spaces at both ends and turns every run of white space into one space.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{
				py("def @self(@selfK1):\n    return \" \".join(@selfK1.split())\n"),
				js("function @self(@selfK1) {\n\treturn @selfK1.trim().split(/\\s+/).filter((w) => w !== '').join(' ');\n}\n"),
			},
			tests: []test{t("hello world", "  hello   world  "), t("a b", "a\tb"), t("one", "one")}},
		{name: "not", label: "Boolean negation", desc: "True for false and false for true.",
			args: []arg{{"value", boolean}}, ret: boolean,
			impls: []impl{comp(call(zIf, A1, false, true))},
			tests: []test{t(false, true), t(true, false)}},
		{name: "isblank", label: "Is empty string", desc: "Whether the text is the empty string.",
			args: []arg{a("text")}, ret: boolean,
			impls: []impl{comp(call(zStringEq, A1, ""))},
			tests: []test{t(true, ""), t(false, " "), t(false, "word")}},
		{name: "repeat", label: "Repeat text", desc: "The text repeated a number of times.",
			args: []arg{a("text"), a("times")}, ret: str,
			impls: []impl{py("def @self(@selfK1, @selfK2):\n    return @selfK1 * int(@selfK2)\n")},
			tests: []test{t("ababab", "ab", "3"), t("=====", "=", "5")}},
		{name: "reverse", label: "Reverse text", desc: "The characters of the text in reverse order.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{js("function @self(@selfK1) {\n\treturn Array.from(@selfK1).reverse().join('');\n}\n")},
			tests: []test{t("desserts", "stressed"), t("lëoN", "Noël")}},
		{name: "wordcount", label: "Count words", desc: "The number of words in the text.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{
				js("function @self(@selfK1) {\n\treturn String(@selfK1.split(/\\s+/).filter((w) => w !== '').length);\n}\n"),
				py("def @self(@selfK1):\n    return str(len(@selfK1.split()))\n"),
			},
			tests: []test{t("4", "The quick brown fox"), t("1", "  one  ")}},
		{name: "shorten", label: "Shorten text with an ellipsis", desc: "The text cut to at most the given number of characters, ending in an ellipsis when cut.",
			args: []arg{a("text"), a("maximum length")}, ret: str,
			impls: []impl{py("def @self(@selfK1, @selfK2):\n    n = int(@selfK2)\n    if len(@selfK1) <= n:\n        return @selfK1\n    return @selfK1[:n - 1].rstrip() + \"…\"\n")},
			tests: []test{t("Wikifunctions is a…", "Wikifunctions is a catalogue of functions", "20"), t("Short", "Short", "20")}},
		{name: "parens", label: "Wrap in parentheses", desc: "The text in round brackets.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{comp(concat("(", A1, ")"))},
			tests: []test{t("(born 1815)", "born 1815"), t("()", "")}},
		{name: "quote", label: "Quote text", desc: "The text between typographic double quotes.",
			args: []arg{a("text")}, ret: str,
			impls: []impl{comp(concat("“", A1, "”"))},
			tests: []test{t("“Hello”", "Hello"), t("“To be, or not to be”", "To be, or not to be")}},

		// Numbers.
		{name: "thousands", label: "Format number with thousands separators", desc: "Groups the digits of a decimal number by three with commas.",
			args: []arg{a("number")}, ret: str,
			impls: []impl{
				py(`def @self(@selfK1):
    s = @selfK1.strip()
    sign = ""
    if s and s[0] in "+-":
        sign = "-" if s[0] == "-" else ""
        s = s[1:]
    whole, dot, frac = s.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ",".join(groups) + dot + frac
`),
				js(`function @self(@selfK1) {
	let s = @selfK1.trim();
	let sign = '';
	if (s[0] === '-' || s[0] === '+') {
		sign = s[0] === '-' ? '-' : '';
		s = s.slice(1);
	}
	const dot = s.indexOf('.');
	const whole = dot < 0 ? s : s.slice(0, dot);
	const frac = dot < 0 ? '' : s.slice(dot);
	return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + frac;
}
`),
			},
			tests: []test{t("1,234,567", "1234567"), t("-1,234.5", "-1234.5"), t("999", "999")}},
		{name: "round", label: "Round number", desc: "Rounds a decimal number to a number of decimal places, halves away from zero.",
			args: []arg{a("number"), a("decimal places")}, ret: str,
			impls: []impl{
				py(`from decimal import Decimal, ROUND_HALF_UP

def @self(@selfK1, @selfK2):
    r = Decimal(@selfK1.strip()).quantize(Decimal(1).scaleb(-int(@selfK2)), rounding=ROUND_HALF_UP)
    if r == 0:
        r = abs(r)
    return format(r, "f")
`),
				// Decimal arithmetic on the digits: binary floating point would round 1.005 down.
				js(`function @self(@selfK1, @selfK2) {
	const places = parseInt(@selfK2, 10);
	let s = @selfK1.trim();
	let neg = false;
	if (s[0] === '-') {
		neg = true;
		s = s.slice(1);
	} else if (s[0] === '+') {
		s = s.slice(1);
	}
	const parts = s.split('.');
	const whole = parts[0].replace(/^0+(?=\d)/, '');
	const frac = (parts[1] || '').padEnd(places + 1, '0');
	const digits = (whole + frac.slice(0, places)).split('').map(Number);
	if (Number(frac[places]) >= 5) {
		let i = digits.length - 1;
		for (; i >= 0; i--) {
			if (digits[i] === 9) {
				digits[i] = 0;
			} else {
				digits[i]++;
				break;
			}
		}
		if (i < 0) {
			digits.unshift(1);
		}
	}
	const all = digits.join('');
	const w = all.slice(0, all.length - places) || '0';
	const out = places > 0 ? w + '.' + all.slice(all.length - places) : w;
	return (neg && /[1-9]/.test(out) ? '-' : '') + out;
}
`),
			},
			tests: []test{t("3.14", "3.14159", "2"), t("3", "2.5", "0"), t("-1.01", "-1.005", "2"), t("1.00", "0.999", "2")}},
		{name: "multiply", label: "Multiply decimal numbers", desc: "The exact product of two decimal numbers.",
			args: []arg{a("first factor"), a("second factor")}, ret: str,
			impls: []impl{py(`from decimal import Decimal

def @self(@selfK1, @selfK2):
    s = format(Decimal(@selfK1) * Decimal(@selfK2), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s
`)},
			tests: []test{t("144", "12", "12"), t("25.6", "0.256", "100"), t("6", "1.5", "4")}},
		{name: "percent", label: "Format fraction as percentage", desc: "A fraction (0.256) as a percentage (25.6%) with a number of decimal places.",
			args: []arg{a("fraction"), a("decimal places")}, ret: str,
			impls: []impl{
				comp(concat(call("round", call("multiply", A1, "100"), A2), "%")),
				py(`from decimal import Decimal, ROUND_HALF_UP

def @self(@selfK1, @selfK2):
    p = (Decimal(@selfK1) * 100).quantize(Decimal(1).scaleb(-int(@selfK2)), rounding=ROUND_HALF_UP)
    return format(p, "f") + "%"
`),
			},
			tests: []test{t("25.6%", "0.256", "1"), t("50%", "0.5", "0"), t("12.35%", "0.12345", "2")}},
		{name: "add", label: "Add decimal numbers", desc: "The sum of two decimal numbers, exact to their decimal places.",
			args: []arg{a("first number"), a("second number")}, ret: str,
			impls: []impl{
				py("from decimal import Decimal\n\ndef @self(@selfK1, @selfK2):\n    return format(Decimal(@selfK1) + Decimal(@selfK2), \"f\")\n"),
				js(`function places(s) {
	const i = s.indexOf('.');
	return i < 0 ? 0 : s.length - i - 1;
}

function @self(@selfK1, @selfK2) {
	const d = Math.max(places(@selfK1), places(@selfK2));
	const f = Math.pow(10, d);
	return ((Math.round(Number(@selfK1) * f) + Math.round(Number(@selfK2) * f)) / f).toFixed(d);
}
`),
			},
			tests: []test{t("5", "2", "3"), t("0.3", "0.1", "0.2"), t("3", "-7", "10")}},
		{name: "iseven", label: "Is even", desc: "Whether a whole number is even.",
			args: []arg{a("number")}, ret: boolean,
			impls: []impl{
				js("function @self(@selfK1) {\n\treturn Number(@selfK1) % 2 === 0;\n}\n"),
				py("def @self(@selfK1):\n    return int(@selfK1) % 2 == 0\n"),
			},
			tests: []test{t(true, "42"), t(false, "7"), t(true, "0")}},
		{name: "greater", label: "Is greater than", desc: "Whether the first decimal number is greater than the second.",
			args: []arg{a("number"), a("compared with")}, ret: boolean,
			impls: []impl{py("from decimal import Decimal\n\ndef @self(@selfK1, @selfK2):\n    return Decimal(@selfK1) > Decimal(@selfK2)\n")},
			tests: []test{t(true, "10", "9.5"), t(false, "3", "3"), t(false, "-2", "1")}},
		{name: "bignumber", label: "Large number in words", desc: "A large number shortened with million, billion or trillion (1.5 million).",
			args: []arg{a("number")}, ret: str,
			impls: []impl{py(`from decimal import Decimal, ROUND_HALF_UP

def @self(@selfK1):
    n = Decimal(@selfK1)
    for value, name in ((10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million")):
        if abs(n) >= value:
            s = format((n / value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), "f")
            if s.endswith(".0"):
                s = s[:-2]
            return s + " " + name
    return @selfK1
`)},
			tests: []test{t("1.5 million", "1500000"), t("2.3 billion", "2340000000"), t("950", "950"), t("7 million", "7000000")}},
		{name: "words", label: "Number in English words", desc: "A whole number written out in British English (one hundred and five).",
			args: []arg{a("number")}, ret: str,
			impls: []impl{py(`_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

def _words(n):
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("-" + _ONES[o] if o else "")
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + (" and " + _words(r) if r else "")
    for value, name in ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")):
        if n >= value:
            q, r = divmod(n, value)
            rest = ""
            if r:
                rest = (" and " if r < 100 else " ") + _words(r)
            return _words(q) + " " + name + rest

def @self(@selfK1):
    n = int(@selfK1)
    return "minus " + _words(-n) if n < 0 else _words(n)
`)},
			tests: []test{t("forty-two", "42"), t("one hundred and five", "105"), t("one thousand two hundred and thirty-four", "1234"), t("two million and five", "2000005")}},
		{name: "roman", label: "Roman numerals", desc: "A whole number from 1 to 3999 in Roman numerals.",
			args: []arg{a("number")}, ret: str,
			impls: []impl{
				js(`const NUMERALS = [[1000, 'M'], [900, 'CM'], [500, 'D'], [400, 'CD'], [100, 'C'], [90, 'XC'],
	[50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']];

function @self(@selfK1) {
	let n = parseInt(@selfK1, 10);
	let out = '';
	for (const [value, numeral] of NUMERALS) {
		while (n >= value) {
			out += numeral;
			n -= value;
		}
	}
	return out;
}
`),
				py(`_NUMERALS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]

def @self(@selfK1):
    n = int(@selfK1)
    out = []
    for value, numeral in _NUMERALS:
        q, n = divmod(n, value)
        out.append(numeral * q)
    return "".join(out)
`),
			},
			tests: []test{t("MMXXVI", "2026"), t("MCMXCIV", "1994"), t("IV", "4")}},

		// Ordinals, plurals, articles.
		{name: "ordsuffix", label: "English ordinal suffix", desc: "The suffix of the English ordinal of a whole number: st, nd, rd or th.",
			args: []arg{a("number")}, ret: str,
			impls: []impl{
				js(`function @self(@selfK1) {
	const n = Math.abs(parseInt(@selfK1, 10));
	if ([11, 12, 13].includes(n % 100)) {
		return 'th';
	}
	return { 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th';
}
`),
				py(`def @self(@selfK1):
    n = abs(int(@selfK1))
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
`),
			},
			tests: []test{t("st", "1"), t("nd", "22"), t("th", "113"), t("rd", "3"), t("th", "11")}},
		{name: "ordinal", label: "English ordinal", desc: "A whole number as an English ordinal in figures: 1st, 22nd, 113th.",
			args: []arg{a("number")}, ret: str,
			impls: []impl{
				comp(concat(A1, call("ordsuffix", A1))),
				py(`def @self(@selfK1):
    n = int(@selfK1)
    suffix = "th" if abs(n) % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(abs(n) % 10, "th")
    return str(n) + suffix
`),
			},
			tests: []test{t("1st", "1"), t("22nd", "22"), t("113th", "113"), t("12th", "12")}},
		{name: "plural", label: "English plural", desc: "The plural of an English noun, irregular ones included.",
			args: []arg{a("noun")}, ret: str,
			impls: []impl{py(pyPlural), js(jsPlural)},
			tests: []test{t("apples", "apple"), t("children", "child"), t("cities", "city"), t("boxes", "box"), t("sheep", "sheep"), t("days", "day"), t("Mice", "Mouse")}},
		{name: "countnoun", label: "Number with noun", desc: "A count followed by the noun, in the plural unless the count is one: 1 apple, 2 apples, 1,000 mice.",
			args: []arg{a("count"), a("noun")}, ret: str,
			impls: []impl{
				comp(call(zIf, call(zStringEq, A1, "1"),
					concat(A1, " ", A2),
					concat(call("thousands", A1), " ", call("plural", A2)))),
				js(`function @self(@selfK1, @selfK2) {
	if (@selfK1 === '1') {
		return '1 ' + @selfK2;
	}
	return W.Call('@thousands', { @thousandsK1: @selfK1 }) + ' ' + W.Call('@plural', { @pluralK1: @selfK2 });
}
`),
			},
			tests: []test{t("1 apple", "1", "apple"), t("2 apples", "2", "apple"), t("1,000 mice", "1000", "mouse"), t("0 children", "0", "child")}},
		{name: "article", label: "English indefinite article", desc: "The noun phrase with a or an in front, by sound: an apple, a university, an hour.",
			args: []arg{a("noun phrase")}, ret: str,
			impls: []impl{py(`_AN = ("hour", "honest", "honour", "heir")
_A = ("uni", "use", "usu", "euro", "one", "once", "ufo")

def @self(@selfK1):
    w = @selfK1.lower()
    if w.startswith(_AN):
        article = "an"
    elif w.startswith(_A):
        article = "a"
    else:
        article = "an" if w[:1] in "aeiou" else "a"
    return article + " " + @selfK1
`)},
			tests: []test{t("an apple", "apple"), t("a university", "university"), t("an hour", "hour"), t("a banana", "banana"), t("a European city", "European city")}},

		// Lists.
		{name: "joinwith", label: "Join list with a conjunction", desc: "The items separated by commas, the last two by the conjunction: tea, coffee or juice.",
			args: []arg{{"items", strs}, a("conjunction")}, ret: str,
			impls: []impl{
				js(`function @self(@selfK1, @selfK2) {
	if (@selfK1.length < 2) {
		return @selfK1.join('');
	}
	return @selfK1.slice(0, -1).join(', ') + ' ' + @selfK2 + ' ' + @selfK1[@selfK1.length - 1];
}
`),
				py(`def @self(@selfK1, @selfK2):
    if len(@selfK1) < 2:
        return "".join(@selfK1)
    return ", ".join(@selfK1[:-1]) + " " + @selfK2 + " " + @selfK1[-1]
`),
			},
			tests: []test{t("tea, coffee or juice", []string{"tea", "coffee", "juice"}, "or"), t("salt and pepper", []string{"salt", "pepper"}, "and"), t("alone", []string{"alone"}, "and")}},
		{name: "joinlist", label: "Join list in natural language", desc: "The items as English prose: a, b and c.",
			args: []arg{{"items", strs}}, ret: str,
			impls: []impl{
				py(`def @self(@selfK1):
    if len(@selfK1) < 2:
        return "".join(@selfK1)
    return ", ".join(@selfK1[:-1]) + " and " + @selfK1[-1]
`),
				js(`function @self(@selfK1) {
	if (@selfK1.length < 2) {
		return @selfK1.join('');
	}
	return @selfK1.slice(0, -1).join(', ') + ' and ' + @selfK1[@selfK1.length - 1];
}
`),
				comp(call("joinwith", A1, "and")),
			},
			tests: []test{t("a, b and c", []string{"a", "b", "c"}), t("Paris and London", []string{"Paris", "London"}), t("Rome", []string{"Rome"})}},
		{name: "count", label: "Count list items", desc: "The number of items in a list.",
			args: []arg{{"items", strs}}, ret: str,
			impls: []impl{
				comp(call(zIf, call(zIsEmpty, A1), "0", call("add", "1", call("@self", call(zRest, A1))))),
				js("function @self(@selfK1) {\n\treturn String(@selfK1.length);\n}\n"),
			},
			tests: []test{t("3", []string{"a", "b", "c"}), t("0", []string{}), t("1", []string{"only"})}},
		{name: "sort", label: "Sort alphabetically", desc: "The items in alphabetical order, ignoring case.",
			args: []arg{{"items", strs}}, ret: strs,
			impls: []impl{
				py("def @self(@selfK1):\n    return sorted(@selfK1, key=lambda s: (s.casefold(), s))\n"),
				js(`function @self(@selfK1) {
	return @selfK1.slice().sort((x, y) => {
		const a = x.toLowerCase();
		const b = y.toLowerCase();
		if (a !== b) {
			return a < b ? -1 : 1;
		}
		return x < y ? -1 : x > y ? 1 : 0;
	});
}
`),
			},
			tests: []test{t([]string{"Apple", "fig", "pear"}, []string{"pear", "Apple", "fig"}), t([]string{"a", "b"}, []string{"b", "a"})}},
		{name: "split", label: "Split text", desc: "The parts of the text between separators, trimmed, empty parts left out.",
			args: []arg{a("text"), a("separator")}, ret: strs,
			impls: []impl{
				js("function @self(@selfK1, @selfK2) {\n\treturn @selfK1.split(@selfK2).map((s) => s.trim()).filter((s) => s !== '');\n}\n"),
				py("def @self(@selfK1, @selfK2):\n    return [s.strip() for s in @selfK1.split(@selfK2) if s.strip()]\n"),
			},
			tests: []test{t([]string{"red", "green", "blue"}, "red; green; blue", ";"), t([]string{"a", "b"}, "a,,b", ",")}},
		{name: "firstor", label: "First item or default", desc: "The first item of the list, or the default when the list is empty.",
			args: []arg{{"items", strs}, a("default")}, ret: str,
			impls: []impl{comp(call(zIf, call(zIsEmpty, A1), A2, call(zFirst, A1)))},
			tests: []test{t("x", []string{"x", "y"}, "none"), t("none", []string{}, "none")}},
		{name: "htmllist", label: "Bulleted list in HTML", desc: "An HTML unordered list of the items, escaped.",
			args: []arg{{"items", strs}}, ret: html,
			impls: []impl{
				py(pyEscape + "\ndef @self(@selfK1):\n    markup = \"<ul>\" + \"\".join(\"<li>\" + _esc(s) + \"</li>\" for s in @selfK1) + \"</ul>\"\n" +
					"    return ZObject({\"Z1K1\": \"Z9\", \"Z9K1\": \"Z990089\"}, Z990089K1=markup)\n"),
				js(jsEscape + "\nfunction @self(@selfK1) {\n\treturn { Z1K1: 'Z990089', Z990089K1: '<ul>' + @selfK1.map((s) => '<li>' + esc(s) + '</li>').join('') + '</ul>' };\n}\n"),
			},
			tests: []test{t(fragment("<ul><li>a</li><li>b</li></ul>"), []string{"a", "b"}), t(fragment("<ul><li>&lt;b&gt; &amp; &quot;c&quot;</li></ul>"), []string{`<b> & "c"`})}},
		{name: "htmltext", label: "Markup of an HTML fragment", desc: "The markup an HTML fragment holds, as a string.",
			args: []arg{{"fragment", html}}, ret: str,
			impls: []impl{comp(call("Z803", keyRef("Z990089K1"), A1))},
			tests: []test{t("<b>bold</b>", fragment("<b>bold</b>")), t("plain text", fragment("plain text"))}},
		{name: "htmlis", label: "HTML fragment equals markup", desc: "Whether an HTML fragment holds exactly the given markup; the validator of the testers of functions that return HTML.",
			args: []arg{{"fragment", html}, a("markup")}, ret: boolean,
			impls: []impl{comp(call(zStringEq, call("htmltext", A1), A2))},
			tests: []test{t(true, fragment("<i>x</i>"), "<i>x</i>"), t(false, fragment("<i>x</i>"), "<b>x</b>")}},

		// Dates.
		{name: "fmtdate", label: "Format date", desc: "An ISO date (2026-11-23) in words: 23 November 2026.",
			args: []arg{a("ISO date")}, ret: str,
			impls: []impl{
				py(pyMonths + `
def @self(@selfK1):
    y, m, d = (int(p) for p in @selfK1.strip().split("-"))
    return "%d %s %d" % (d, _MONTHS[m - 1], y)
`),
				js(jsMonths + `
function @self(@selfK1) {
	const [y, m, d] = @selfK1.trim().split('-').map((p) => parseInt(p, 10));
	return d + ' ' + MONTHS[m - 1] + ' ' + y;
}
`),
			},
			tests: []test{t("23 November 2026", "2026-11-23"), t("10 December 1815", "1815-12-10"), t("1 January 2000", "2000-01-01")}},
		{name: "weekday", label: "Day of the week", desc: "The day of the week of an ISO date.",
			args: []arg{a("ISO date")}, ret: str,
			impls: []impl{
				py(`import datetime

_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

def @self(@selfK1):
    return _DAYS[datetime.date.fromisoformat(@selfK1.strip()).weekday()]
`),
				js(`const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function @self(@selfK1) {
	const [y, m, d] = @selfK1.trim().split('-').map((p) => parseInt(p, 10));
	return DAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
}
`),
			},
			tests: []test{t("Monday", "2026-11-23"), t("Sunday", "1969-07-20"), t("Saturday", "2000-01-01")}},
		{name: "age", label: "Age on a date", desc: "The age in whole years, on a given date, of someone born on another.",
			args: []arg{a("birth date"), a("on date")}, ret: str,
			impls: []impl{
				py(`def @self(@selfK1, @selfK2):
    by, bm, bd = (int(p) for p in @selfK1.split("-"))
    y, m, d = (int(p) for p in @selfK2.split("-"))
    return str(y - by - ((m, d) < (bm, bd)))
`),
				js(`function @self(@selfK1, @selfK2) {
	const [by, bm, bd] = @selfK1.split('-').map(Number);
	const [y, m, d] = @selfK2.split('-').map(Number);
	const before = m < bm || (m === bm && d < bd);
	return String(y - by - (before ? 1 : 0));
}
`),
			},
			tests: []test{t("36", "1815-12-10", "1852-11-27"), t("25", "2000-02-29", "2026-02-28"), t("36", "1990-06-15", "2026-06-15")}},
		{name: "monthname", label: "Name of month", desc: "The English name of a month given by its number.",
			args: []arg{a("month number")}, ret: str,
			impls: []impl{js(jsMonths + "\nfunction @self(@selfK1) {\n\treturn MONTHS[parseInt(@selfK1, 10) - 1];\n}\n")},
			tests: []test{t("November", "11"), t("January", "1"), t("May", "05")}},
		{name: "leap", label: "Is leap year", desc: "Whether a year of the Gregorian calendar has 366 days.",
			args: []arg{a("year")}, ret: boolean,
			impls: []impl{
				js("function @self(@selfK1) {\n\tconst y = parseInt(@selfK1, 10);\n\treturn (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;\n}\n"),
				py("def @self(@selfK1):\n    y = int(@selfK1)\n    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)\n"),
			},
			tests: []test{t(true, "2024"), t(false, "1900"), t(true, "2000"), t(false, "2026")}},
		{name: "daterange", label: "Format date range", desc: "Two ISO dates as a range in words, sharing the month and year when they can: 23–25 November 2026.",
			args: []arg{a("first date"), a("last date")}, ret: str,
			impls: []impl{py(pyMonths + `
def @self(@selfK1, @selfK2):
    y1, m1, d1 = (int(p) for p in @selfK1.split("-"))
    y2, m2, d2 = (int(p) for p in @selfK2.split("-"))
    if (y1, m1) == (y2, m2):
        return "%d–%d %s %d" % (d1, d2, _MONTHS[m2 - 1], y2)
    if y1 == y2:
        return "%d %s – %d %s %d" % (d1, _MONTHS[m1 - 1], d2, _MONTHS[m2 - 1], y2)
    return "%d %s %d – %d %s %d" % (d1, _MONTHS[m1 - 1], y1, d2, _MONTHS[m2 - 1], y2)
`)},
			tests: []test{t("23–25 November 2026", "2026-11-23", "2026-11-25"), t("30 November – 2 December 2026", "2026-11-30", "2026-12-02"), t("31 December 2025 – 1 January 2026", "2025-12-31", "2026-01-01")}},
		{name: "century", label: "Century of a year", desc: "The number of the century a year belongs to (2000 is in the 20th).",
			args: []arg{a("year")}, ret: str,
			impls: []impl{
				js("function @self(@selfK1) {\n\treturn String(Math.floor((parseInt(@selfK1, 10) - 1) / 100) + 1);\n}\n"),
				py("def @self(@selfK1):\n    return str((int(@selfK1) - 1) // 100 + 1)\n"),
			},
			tests: []test{t("20", "1999"), t("20", "2000"), t("21", "2001")}},
		{name: "centuryname", label: "Century in words", desc: "The century of a year as an English ordinal: 21st century.",
			args: []arg{a("year")}, ret: str,
			impls: []impl{comp(concat(call("ordinal", call("century", A1)), " century"))},
			tests: []test{t("20th century", "1999"), t("21st century", "2001"), t("11th century", "1066")}},

		// Units.
		{name: "km2mi", label: "Kilometres to miles", desc: "A distance in kilometres converted to miles, to two decimal places.",
			args: []arg{a("kilometres")}, ret: str,
			impls: []impl{
				py(pyFormat + "\ndef @self(@selfK1):\n    return _fmt(float(@selfK1) / 1.609344, 2)\n"),
				js(jsFormat + "\nfunction @self(@selfK1) {\n\treturn fmt(Number(@selfK1) / 1.609344, 2);\n}\n"),
			},
			tests: []test{t("62.14", "100"), t("26.22", "42.195"), t("0.62", "1")}},
		{name: "mi2km", label: "Miles to kilometres", desc: "A distance in miles converted to kilometres, to two decimal places.",
			args: []arg{a("miles")}, ret: str,
			impls: []impl{py(pyFormat + "\ndef @self(@selfK1):\n    return _fmt(float(@selfK1) * 1.609344, 2)\n")},
			tests: []test{t("42.16", "26.2"), t("1.61", "1"), t("160.93", "100")}},
		{name: "c2f", label: "Celsius to Fahrenheit", desc: "A temperature in degrees Celsius converted to Fahrenheit, to one decimal place.",
			args: []arg{a("degrees Celsius")}, ret: str,
			impls: []impl{
				js(jsFormat + "\nfunction @self(@selfK1) {\n\treturn fmt(Number(@selfK1) * 9 / 5 + 32, 1);\n}\n"),
				py(pyFormat + "\ndef @self(@selfK1):\n    return _fmt(float(@selfK1) * 9 / 5 + 32, 1)\n"),
			},
			tests: []test{t("212", "100"), t("98.6", "37"), t("-40", "-40"), t("68", "20")}},
		{name: "f2c", label: "Fahrenheit to Celsius", desc: "A temperature in degrees Fahrenheit converted to Celsius, to one decimal place.",
			args: []arg{a("degrees Fahrenheit")}, ret: str,
			impls: []impl{py(pyFormat + "\ndef @self(@selfK1):\n    return _fmt((float(@selfK1) - 32) * 5 / 9, 1)\n")},
			tests: []test{t("100", "212"), t("37", "98.6"), t("-17.8", "0")}},
		{name: "kg2lb", label: "Kilograms to pounds", desc: "A mass in kilograms converted to pounds, to one decimal place.",
			args: []arg{a("kilograms")}, ret: str,
			impls: []impl{js(jsFormat + "\nfunction @self(@selfK1) {\n\treturn fmt(Number(@selfK1) / 0.45359237, 1);\n}\n")},
			tests: []test{t("154.3", "70"), t("2.2", "1")}},
		{name: "lb2kg", label: "Pounds to kilograms", desc: "A mass in pounds converted to kilograms, to one decimal place.",
			args: []arg{a("pounds")}, ret: str,
			impls: []impl{py(pyFormat + "\ndef @self(@selfK1):\n    return _fmt(float(@selfK1) * 0.45359237, 1)\n")},
			tests: []test{t("69.9", "154"), t("1", "2.2")}},
		{name: "distance", label: "Distance in kilometres and miles", desc: "A distance in kilometres with its value in miles: 42.195 km (26.22 mi).",
			args: []arg{a("kilometres")}, ret: str,
			impls: []impl{comp(concat(A1, " km (", call("km2mi", A1), " mi)"))},
			tests: []test{t("42.195 km (26.22 mi)", "42.195"), t("100 km (62.14 mi)", "100")}},
		{name: "temperature", label: "Temperature in Celsius and Fahrenheit", desc: "A temperature in degrees Celsius with its value in Fahrenheit: 20 °C (68 °F).",
			args: []arg{a("degrees Celsius")}, ret: str,
			impls: []impl{comp(concat(A1, " °C (", call("c2f", A1), " °F)"))},
			tests: []test{t("20 °C (68 °F)", "20"), t("-40 °C (-40 °F)", "-40")}},

		// Sentences and tables, as articles use them.
		{name: "city", label: "City sentence", desc: "A sentence introducing a city: X is a city in Y with a population of N.",
			args: []arg{a("city"), a("country"), a("population")}, ret: str,
			impls: []impl{
				comp(concat(A1, " is a city in ", A2, " with a population of ", call("thousands", A3), ".")),
				py(`def @self(@selfK1, @selfK2, @selfK3):
    return "%s is a city in %s with a population of %s." % (@selfK1, @selfK2, "{:,}".format(int(@selfK3)))
`),
			},
			tests: []test{t("Paris is a city in France with a population of 2,102,650.", "Paris", "France", "2102650"), t("Reykjavík is a city in Iceland with a population of 139,875.", "Reykjavík", "Iceland", "139875")}},
		{name: "table", label: "HTML table from rows", desc: "An HTML table (class wikitable) with a header row and one row per item; the cells of a row are separated by two colons (::). Text is escaped.",
			args: []arg{{"header cells", strs}, {"rows", strs}}, ret: html,
			impls: []impl{
				py(pyEscape + `
def @self(@selfK1, @selfK2):
    out = ['<table class="wikitable">', "<tr>"]
    out += ["<th>" + _esc(h.strip()) + "</th>" for h in @selfK1]
    out.append("</tr>")
    for row in @selfK2:
        out.append("<tr>" + "".join("<td>" + _esc(c.strip()) + "</td>" for c in row.split("::")) + "</tr>")
    out.append("</table>")
    return ZObject({"Z1K1": "Z9", "Z9K1": "Z990089"}, Z990089K1="".join(out))
`),
				js(jsEscape + `
function @self(@selfK1, @selfK2) {
	let out = '<table class="wikitable"><tr>' + @selfK1.map((h) => '<th>' + esc(h.trim()) + '</th>').join('') + '</tr>';
	for (const row of @selfK2) {
		out += '<tr>' + row.split('::').map((c) => '<td>' + esc(c.trim()) + '</td>').join('') + '</tr>';
	}
	return { Z1K1: 'Z990089', Z990089K1: out + '</table>' };
}
`),
			},
			tests: []test{
				t(fragment(`<table class="wikitable"><tr><th>City</th><th>Country</th></tr><tr><td>Paris</td><td>France</td></tr><tr><td>Rome</td><td>Italy</td></tr></table>`),
					[]string{"City", "Country"}, []string{"Paris :: France", "Rome::Italy"}),
				t(fragment(`<table class="wikitable"><tr><th>A &amp; B</th></tr><tr><td>&lt;script&gt;</td></tr></table>`),
					[]string{"A & B"}, []string{"<script>"}),
			}},
		{name: "born", label: "Birth sentence", desc: "A sentence saying when and where someone was born.",
			args: []arg{a("name"), a("birth date"), a("birthplace")}, ret: str,
			impls: []impl{comp(concat(A1, " was born on ", call("fmtdate", A2), " in ", A3, "."))},
			tests: []test{t("Ada Lovelace was born on 10 December 1815 in London.", "Ada Lovelace", "1815-12-10", "London"), t("Alan Turing was born on 23 June 1912 in Maida Vale.", "Alan Turing", "1912-06-23", "Maida Vale")}},
		{name: "lifespan", label: "Life span", desc: "The dates of birth and death in words with the age at death.",
			args: []arg{a("birth date"), a("death date")}, ret: str,
			impls: []impl{comp(concat(call("fmtdate", A1), " – ", call("fmtdate", A2), " (aged ", call("age", A1, A2), ")"))},
			tests: []test{t("10 December 1815 – 27 November 1852 (aged 36)", "1815-12-10", "1852-11-27"), t("23 June 1912 – 7 June 1954 (aged 41)", "1912-06-23", "1954-06-07")}},
	}
}

func main() {
	fns := library()
	byName := map[string]*function{}
	implN, testN := 11001, 12001
	for i, f := range fns {
		if byName[f.name] != nil {
			fail("duplicate name %s", f.name)
		}
		byName[f.name] = f
		f.zid = fmt.Sprintf("Z%d", 10001+i)
		for range f.impls {
			f.implID = append(f.implID, fmt.Sprintf("Z%d", implN))
			implN++
		}
		for range f.tests {
			f.testID = append(f.testID, fmt.Sprintf("Z%d", testN))
			testN++
		}
	}
	out := map[string]*z.Object{
		// The programming languages of the code, as upstream defines them, so the library
		// needs nothing else in the store.
		python:     persistent(python, "Python", "", z.NewRecord(ref("Z61"), z.KV("Z61K1", z.NewString("python")))),
		javascript: persistent(javascript, "JavaScript", "", z.NewRecord(ref("Z61"), z.KV("Z61K1", z.NewString("javascript")))),
	}
	for _, f := range fns {
		out[f.zid] = persistent(f.zid, f.label, f.desc, functionValue(f))
		for i, im := range f.impls {
			var v *z.Object
			var how string
			if im.comp != nil {
				v = z.NewRecord(ref(z.Z14), z.KV("Z14K1", ref(f.zid)), z.KV("Z14K2", compose(f, im.comp, byName)))
				how = "composition"
			} else {
				how = map[string]string{python: "Python", javascript: "JavaScript"}[im.lang]
				v = z.NewRecord(ref(z.Z14), z.KV("Z14K1", ref(f.zid)), z.KV("Z14K3", z.NewRecord(ref("Z16"),
					z.KV("Z16K1", ref(im.lang)), z.KV("Z16K2", z.NewString(expand(im.code, f, byName))))))
			}
			out[f.implID[i]] = persistent(f.implID[i], f.label+", in "+how, "", v)
		}
		for i, tc := range f.tests {
			if len(tc.args) != len(f.args) {
				fail("%s: tester %d has %d arguments, want %d", f.name, i+1, len(tc.args), len(f.args))
			}
			fields := []z.Field{z.KV("Z7K1", ref(f.zid))}
			var shown []string
			for j, v := range tc.args {
				fields = append(fields, z.KV(fmt.Sprintf("%sK%d", f.zid, j+1), literal(v)))
				shown = append(shown, show(v))
			}
			v := z.NewRecord(ref(z.Z20), z.KV("Z20K1", ref(f.zid)),
				z.KV("Z20K2", z.NewRecord(ref(z.Z7), fields...)), z.KV("Z20K3", validator(tc.expect, byName)))
			label := fmt.Sprintf("%s(%s) is %s", f.label, strings.Join(shown, ", "), show(tc.expect))
			out[f.testID[i]] = persistent(f.testID[i], label, "", v)
		}
	}
	outDir := flag.String("out", "demo", "folder to write (replaced)")
	flag.Parse()
	dir := *outDir
	if err := os.RemoveAll(dir); err != nil {
		fail("%v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail("%v", err)
	}
	zids := make([]string, 0, len(out))
	for zid := range out {
		zids = append(zids, zid)
	}
	sort.Strings(zids)
	for _, zid := range zids {
		data, err := store.Pretty(out[zid].CanonicalJSON())
		if err != nil {
			fail("%s: %v", zid, err)
		}
		if err := os.WriteFile(filepath.Join(dir, zid+".json"), data, 0o644); err != nil {
			fail("%v", err)
		}
	}
	fmt.Printf("wrote %d objects for %d functions\n", len(out), len(fns))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gen: "+format+"\n", args...)
	os.Exit(1)
}

func ref(zid string) *z.Object { return z.NewRef(zid) }

func text(s string) *z.Object {
	return z.NewRecord(ref("Z12"), z.KV("Z12K1", z.NewList(ref("Z11"),
		z.NewRecord(ref("Z11"), z.KV("Z11K1", ref("Z1002")), z.KV("Z11K2", z.NewString(s))))))
}

func persistent(zid, label, desc string, value *z.Object) *z.Object {
	fields := []z.Field{
		z.KV("Z2K1", z.NewString(zid)),
		z.KV("Z2K2", value),
		z.KV("Z2K3", text(label)),
		z.KV("Z2K4", z.NewRecord(ref("Z32"), z.KV("Z32K1", z.NewList(ref("Z31"))))),
	}
	if desc != "" {
		fields = append(fields, z.KV("Z2K5", text(desc)))
	}
	return z.NewRecord(ref(z.Z2), fields...)
}

func typeObject(t typ) *z.Object {
	if t == strs {
		return z.ListType(ref(z.Z6))
	}
	return ref(string(t))
}

func functionValue(f *function) *z.Object {
	var decls []*z.Object
	for i, a := range f.args {
		decls = append(decls, z.NewRecord(ref(z.Z17),
			z.KV("Z17K1", typeObject(a.t)),
			z.KV("Z17K2", z.NewString(fmt.Sprintf("%sK%d", f.zid, i+1))),
			z.KV("Z17K3", text(a.label))))
	}
	var tests, impls []*z.Object
	for _, id := range f.testID {
		tests = append(tests, ref(id))
	}
	for _, id := range f.implID {
		impls = append(impls, ref(id))
	}
	return z.NewRecord(ref(z.Z8),
		z.KV("Z8K1", z.NewList(ref(z.Z17), decls...)),
		z.KV("Z8K2", typeObject(f.ret)),
		z.KV("Z8K3", z.NewList(ref(z.Z20), tests...)),
		z.KV("Z8K4", z.NewList(ref(z.Z14), impls...)),
		z.KV("Z8K5", ref(f.zid)))
}

var nameRef = regexp.MustCompile(`@([a-z0-9]+)`)

// expand replaces @self and @name in code with ZIDs.
func expand(code string, f *function, byName map[string]*function) string {
	return nameRef.ReplaceAllStringFunc(code, func(m string) string {
		name := m[1:]
		if name == "self" {
			return f.zid
		}
		if g := byName[name]; g != nil {
			return g.zid
		}
		fail("%s: unknown function %s in code", f.name, m)
		return ""
	})
}

func literal(v any) *z.Object {
	switch v := v.(type) {
	case string:
		return z.NewString(v)
	case bool:
		return z.NewBool(v)
	case fragment:
		return z.NewRecord(ref(string(html)), z.KV(string(html)+"K1", z.NewString(string(v))))
	case []string:
		items := make([]*z.Object, len(v))
		for i, s := range v {
			items[i] = z.NewString(s)
		}
		return z.NewList(ref(z.Z6), items...)
	}
	fail("literal of %T", v)
	return nil
}

func show(v any) string {
	switch v := v.(type) {
	case fragment:
		return fmt.Sprintf("HTML %q", string(v))
	case string:
		return fmt.Sprintf("%q", v)
	case bool:
		return fmt.Sprint(v)
	case []string:
		var parts []string
		for _, s := range v {
			parts = append(parts, fmt.Sprintf("%q", s))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// validator is the Z20K3 call that compares the result (its first argument, filled in by the
// tester run) with the expected value.
func validator(expect any, byName map[string]*function) *z.Object {
	switch v := expect.(type) {
	case fragment:
		zid := byName["htmlis"].zid
		return z.NewRecord(ref(z.Z7), z.KV("Z7K1", ref(zid)), z.KV(zid+"K2", z.NewString(string(v))))
	case string:
		return z.NewRecord(ref(z.Z7), z.KV("Z7K1", ref(zStringEq)), z.KV("Z866K2", z.NewString(v)))
	case bool:
		return z.NewRecord(ref(z.Z7), z.KV("Z7K1", ref(zBoolEq)), z.KV("Z844K2", z.NewBool(v)))
	case []string:
		return z.NewRecord(ref(z.Z7), z.KV("Z7K1", ref(zListEqual)), z.KV("Z889K2", literal(v)), z.KV("Z889K3", ref(zStringEq)))
	}
	fail("validator for %T", expect)
	return nil
}

// compose turns a composition expression into a ZObject.
func compose(f *function, e expr, byName map[string]*function) *z.Object {
	switch e := e.(type) {
	case keyRef:
		return z.NewRecord(ref("Z39"), z.KV("Z39K1", z.NewString(string(e))))
	case argRef:
		return z.NewRecord(ref(z.Z18), z.KV("Z18K1", z.NewString(fmt.Sprintf("%sK%d", f.zid, int(e)))))
	case callExpr:
		zid := e.fn
		if zid == "@self" {
			zid = f.zid
		} else if g := byName[zid]; g != nil {
			zid = g.zid
		} else if !z.IsZID(zid) {
			fail("%s: unknown function %s", f.name, zid)
		}
		fields := []z.Field{z.KV("Z7K1", ref(zid))}
		for i, a := range e.args {
			fields = append(fields, z.KV(fmt.Sprintf("%sK%d", zid, i+1), compose(f, a, byName)))
		}
		return z.NewRecord(ref(z.Z7), fields...)
	default:
		return literal(e)
	}
}
