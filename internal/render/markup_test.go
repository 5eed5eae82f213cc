package render

import (
	"errors"
	"strings"
	"testing"
)

// show writes a parsed document compactly: text as "quoted", calls as Z(args) with args
// separated by | and their parts joined by +.
func show(ns []*Node) string {
	var b strings.Builder
	for i, n := range ns {
		if i > 0 {
			b.WriteString(" ")
		}
		showNode(&b, n)
	}
	return b.String()
}

func showNode(b *strings.Builder, n *Node) {
	if !n.IsCall() {
		b.WriteString(`"` + n.Text + `"`)
		return
	}
	b.WriteString(n.Call.Function + "(")
	for i, a := range n.Call.Args {
		if i > 0 {
			b.WriteString("|")
		}
		for j, part := range a.Parts {
			if j > 0 {
				b.WriteString("+")
			}
			showNode(b, part)
		}
	}
	b.WriteString(")")
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"text only", "Hello, world.", `"Hello, world."`},
		{"one call", "{{#function:Z10001|a|b}}", `Z10001("a"|"b")`},
		{"no arguments", "{{#function:Z10001}}", `Z10001()`},
		{"one empty argument", "{{#function:Z10001|}}", `Z10001()`},
		{"two empty arguments", "{{#function:Z10001||}}", `Z10001(|)`},
		{"text around", "x {{#function:Z1|a}} y", `"x " Z1("a") " y"`},
		{"trimmed", "{{#function: Z10001 |  a b \n| c }}", `Z10001("a b"|"c")`},
		{"case of the name", "{{#Function:Z1|a}}{{#FUNCTION:Z2}}", `Z1("a") Z2()`},
		{"nested", "{{#function:Z1|{{#function:Z2|x}}|y}}", `Z1(Z2("x")|"y")`},
		{"nested in text", "{{#function:Z1|a {{#function:Z2|x}} b}}", `Z1("a "+Z2("x")+" b")`},
		{"deeply nested", "{{#function:Z1|{{#function:Z2|{{#function:Z3|z}}}}}}", `Z1(Z2(Z3("z")))`},
		{"pipe escape", "{{#function:Z1|a{{!}}b}}", `Z1("a|b")`},
		{"backslash escapes", `{{#function:Z1|a\|b\}\}c\{\\}}`, `Z1("a|b}}c{\")`},
		{"other backslashes kept", `{{#function:Z1|C:\path\n;x\;y}}`, `Z1("C:\path\n;x\;y")`},
		{"literal group", "{{#function:Z1|{{tpl|x}} y}}", `Z1("{{tpl|x}} y")`},
		{"nested literal group", "{{#function:Z1|{{a|{{b}}}}|c}}", `Z1("{{a|{{b}}}}"|"c")`},
		{"outside braces are text", "{{template}} }} {{ {{#fun:x}}", `"{{template}} }} {{ {{#fun:x}}"`},
		{"single braces in argument", "{{#function:Z1|a}b{c}}", `Z1("a}b{c")`},
		{"html around", "<p>{{#function:Z1|<b>}}</p>", `"<p>" Z1("<b>") "</p>"`},
		{"unicode", "é {{#function:Z1|日本|ü}}", `"é " Z1("日本"|"ü")`},
		{"adjacent calls", "{{#function:Z1}}{{#function:Z2}}", `Z1() Z2()`},
		{"bad zid is kept", "{{#function:foo|x}}", `foo("x")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(tt.in, 0)
			if err != nil {
				t.Fatalf("Parse(%q) error %v", tt.in, err)
			}
			if got := show(doc.Nodes); got != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		depth    int
		want     error
		pos      string // line:column
	}{
		{"unclosed call", "abc {{#function:Z1|x", 0, ErrUnclosed, "1:5"},
		{"unclosed at end of name", "{{#function:Z1", 0, ErrUnclosed, "1:1"},
		{"unclosed on a later line", "line one\n  two {{#function:Z1|a}}\n\tx {{#function:Z2|b", 0, ErrUnclosed, "3:4"},
		{"unclosed inner call", "{{#function:Z1|{{#function:Z2|x}}", 0, ErrUnclosed, "1:1"},
		{"unclosed inner call only", "{{#function:Z1|{{#function:Z2|x|}", 0, ErrUnclosed, "1:16"},
		{"unclosed literal group", "{{#function:Z1|{{tpl|x", 0, ErrUnclosed, "1:16"},
		{"closed group, unclosed call", "{{#function:Z1|{{tpl|x}}", 0, ErrUnclosed, "1:1"},
		{"column counts characters", "ééé {{#function:Z1", 0, ErrUnclosed, "1:5"},
		{"too deep", "{{#function:Z1|{{#function:Z2|{{#function:Z3|x}}}}}}", 2, ErrTooDeep, "1:31"},
		{"literal groups count", "{{#function:Z1|{{a{{b{{c}}}}}}}}", 3, ErrTooDeep, "1:22"},
		{"call as name", "{{#function:{{#function:Z2}}|x}}", 0, ErrCallAsName, "1:13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in, tt.depth)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T is not a *SyntaxError", tt.in, err)
			}
			if got := se.Pos.String(); got != tt.pos {
				t.Errorf("Parse(%q) error at %s, want %s (%v)", tt.in, got, tt.pos, err)
			}
			if !strings.HasPrefix(err.Error(), "line "+tt.pos+": ") {
				t.Errorf("error text %q does not start with the position", err)
			}
		})
	}
}

func TestParseHugeNestingIsAnError(t *testing.T) {
	in := strings.Repeat("{{#function:Z1|", 100000) + strings.Repeat("}}", 100000)
	if _, err := Parse(in, 0); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Parse(100000 nested calls) error = %v, want ErrTooDeep", err)
	}
	in = "{{#function:Z1|" + strings.Repeat("{{", 100000)
	if _, err := Parse(in, 0); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Parse(100000 nested braces) error = %v, want ErrTooDeep", err)
	}
}

func TestParsePositions(t *testing.T) {
	in := "a\nbc {{#function:Z1|x|{{#function:Z2|y}}}}\n{{#function:Z3}}"
	doc, err := Parse(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	calls := doc.Calls()
	want := []struct {
		fn, pos, src string
	}{
		{"Z1", "2:4", "{{#function:Z1|x|{{#function:Z2|y}}}}"},
		{"Z2", "2:21", "{{#function:Z2|y}}"},
		{"Z3", "3:1", "{{#function:Z3}}"},
	}
	if len(calls) != len(want) {
		t.Fatalf("Calls() = %d calls, want %d", len(calls), len(want))
	}
	for i, w := range want {
		c := calls[i]
		if c.Call.Function != w.fn || c.Pos.String() != w.pos || in[c.Pos.Offset:c.End] != w.src {
			t.Errorf("call %d = %s at %s %q, want %s at %s %q", i, c.Call.Function, c.Pos, in[c.Pos.Offset:c.End], w.fn, w.pos, w.src)
		}
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		err  bool
	}{
		{"", FormatWikitext, false}, {"html", FormatHTML, false}, {"Markdown", FormatMarkdown, false},
		{"md", FormatMarkdown, false}, {"wikitext", FormatWikitext, false}, {"pdf", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if got != tt.want || (err != nil) != tt.err {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that its errors are SyntaxErrors with a position
// inside the input, and that the top-level nodes cover the input exactly, in order.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "text", "{{#function:Z1|a|b}}", "{{#function:Z1|{{#function:Z2|x}}}}", "{{#function:Z1|{{!}}\\|\\}}}",
		"{{#function:Z1|{{a|{{b}}}}}}", "{{#function:Z1", "é\n{{#function:Z1|ü", "}}{{", "{{#FUNCTION:z|\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		doc, err := Parse(in, 8)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v is not a *SyntaxError", in, err, err)
			}
			if se.Pos.Offset < 0 || se.Pos.Offset > len(in) || se.Pos.Line < 1 || se.Pos.Col < 1 {
				t.Fatalf("Parse(%q) error position %+v outside the input", in, se.Pos)
			}
			return
		}
		off := 0
		for _, n := range doc.Nodes {
			if n.Pos.Offset != off || n.End <= off || n.End > len(in) {
				t.Fatalf("Parse(%q): node at %d..%d, want it to start at %d", in, n.Pos.Offset, n.End, off)
			}
			if !n.IsCall() && n.Text != in[off:n.End] {
				t.Fatalf("Parse(%q): text node %q is not its source %q", in, n.Text, in[off:n.End])
			}
			off = n.End
		}
		if off != len(in) {
			t.Fatalf("Parse(%q): nodes end at %d, input at %d", in, off, len(in))
		}
	})
}
