package render

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	z "github.com/zeval/zeval/internal/zobject"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"a", []string{"a"}},
		{"a;b;c", []string{"a", "b", "c"}},
		{" a ; b ;c ", []string{"a", "b", "c"}},
		{"a;;b", []string{"a", "", "b"}},
		{"a;", []string{"a", ""}},
		{`a\;b;c`, []string{"a;b", "c"}},
		{`a\b;c\`, []string{`a\b`, `c\`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := splitList(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitList(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFromText(t *testing.T) {
	tests := []struct {
		name, text, typ string
		want            string // canonical JSON, or "error: part of the message"
	}{
		{"string", " x ", `"Z6"`, `" x "`},
		{"any", "x", `"Z1"`, `"x"`},
		{"true", "true", `"Z40"`, `{"Z1K1":"Z40","Z40K1":"Z41"}`},
		{"false", "false", `"Z40"`, `{"Z1K1":"Z40","Z40K1":"Z42"}`},
		{"not a Boolean", "True", `"Z40"`, "error: true or false"},
		{"natural", "120", `"Z13518"`, `{"Z1K1":"Z13518","Z13518K1":"120"}`},
		{"zero", "0", `"Z13518"`, `{"Z1K1":"Z13518","Z13518K1":"0"}`},
		{"leading zero", "012", `"Z13518"`, "error: leading zeros"},
		{"negative", "-1", `"Z13518"`, "error: digits"},
		{"list", "a;b", listOfStrings, `["Z6","a","b"]`},
		{"list of Booleans", "true; false", `{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z40"}`, `["Z40",{"Z1K1":"Z40","Z40K1":"Z41"},{"Z1K1":"Z40","Z40K1":"Z42"}]`},
		{"bad list item", "true;no", `{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":"Z40"}`, `error: list item "no"`},
		{"list of lists", "a", `{"Z1K1":"Z7","Z7K1":"Z881","Z881K1":` + listOfStrings + `}`, "error: cannot write"},
		{"other type", "x", `"Z60"`, "error: cannot write a value of type Z60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := mustParse(t, tt.typ)
			v, msg := fromText(tt.text, typ, false)
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if !strings.Contains(msg, want) {
					t.Errorf("fromText(%q, %s) message %q, want it to contain %q", tt.text, tt.typ, msg, want)
				}
				return
			}
			if msg != "" || string(v.CanonicalJSON()) != tt.want {
				t.Errorf("fromText(%q, %s) = %s, %q; want %s", tt.text, tt.typ, v.CanonicalJSON(), msg, tt.want)
			}
		})
	}
}

func TestTextOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"x"`, "x"},
		{`"Z41"`, "Z41"},
		{`{"Z1K1":"Z40","Z40K1":"Z41"}`, "true"},
		{`["Z6","a","b"]`, "a, b"},
		{`{"Z1K1":"Z13518","Z13518K1":"7"}`, "7"},
		{`{"Z1K1":"Z990089","Z990089K1":"<b>"}`, "<b>"},
		{`{"Z1K1":"Z60","Z60K1":"en","Z60K2":["Z6"]}`, `{"Z1K1":"Z60","Z60K1":"en","Z60K2":["Z6"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := textOf(mustParse(t, tt.in)); got != tt.want {
				t.Errorf("textOf(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if textOf(z.NewString("")) != "" {
		t.Errorf("textOf of the empty string is not empty")
	}
}

// FuzzEscape checks that the escaper of every format leaves no character that HTML would
// read as markup (and, in wikitext and Markdown, none of their syntax), and that decoding the
// character references gives the text back.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "<script>", `"'&`, "[[x]]{{y}}", "\n# h\n* l", "é日本", "&#60;", "a|b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // results are strings of a ZObject: valid UTF-8
		}
		for _, format := range []Format{FormatHTML, FormatWikitext, FormatMarkdown} {
			out := escaper(format)(s)
			bare := entity.ReplaceAllString(strings.NewReplacer("&lt;", "", "&gt;", "", "&amp;", "", "&#34;", "", "&#39;", "").Replace(out), "")
			if strings.ContainsAny(bare, "<>\"'&") {
				t.Fatalf("%s escape of %q = %q keeps markup characters", format, s, out)
			}
			syntax := map[Format]string{FormatWikitext: "[]{}|*#_;:=~\n", FormatMarkdown: "[](){}|*#_`\\\n"}[format]
			if syntax != "" && strings.ContainsAny(bare, syntax) {
				t.Fatalf("%s escape of %q = %q keeps syntax characters", format, s, out)
			}
			if got := unescapeEntities(out); got != s {
				t.Fatalf("%s escape of %q = %q decodes to %q", format, s, out, got)
			}
		}
	})
}
