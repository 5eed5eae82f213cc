package render

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Format is the markup language of a page.
type Format string

// The formats a page may be written in. Only calls are interpreted; see the package
// documentation for what the output of each format is.
const (
	FormatHTML     Format = "html"
	FormatWikitext Format = "wikitext"
	FormatMarkdown Format = "markdown"
)

// ParseFormat returns the Format named by s ("" means wikitext, as on a wiki).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return FormatWikitext, nil
	case FormatHTML, FormatWikitext, FormatMarkdown:
		return f, nil
	case "md":
		return FormatMarkdown, nil
	case "wiki":
		return FormatWikitext, nil
	}
	return "", fmt.Errorf("%w: %q (want wikitext, markdown or html)", ErrFormat, s)
}

// ErrFormat is wrapped by the error for an unknown format name.
var ErrFormat = errors.New("unknown markup format")

// Errors of the markup parser; a *SyntaxError wraps one of them.
var (
	// ErrUnclosed: a {{#function: call or a {{ group inside an argument has no closing }}.
	ErrUnclosed = errors.New("unbalanced braces")
	// ErrTooDeep: calls (or brace groups inside arguments) nest deeper than the limit.
	ErrTooDeep = errors.New("nesting too deep")
	// ErrCallAsName: the function of a call is itself a call.
	ErrCallAsName = errors.New("the function of a call must be a ZID")
)

// DefaultMaxDepth is the default limit on nested calls in markup.
const DefaultMaxDepth = 32

// Pos is a position in the markup: a byte offset and a 1-based line and column (in
// characters, so a column matches what an editor shows).
type Pos struct {
	Offset int `json:"offset"`
	Line   int `json:"line"`
	Col    int `json:"column"`
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// SyntaxError is a markup error at a position.
type SyntaxError struct {
	Pos Pos
	Err error  // ErrUnclosed, ErrTooDeep or ErrCallAsName
	Msg string // what, for a reader
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %s: %s", e.Pos, e.Msg) }

// Unwrap returns the sentinel error.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Node is a piece of markup: text or a call.
type Node struct {
	// Pos and End delimit the node's source: markup[Pos.Offset:End].
	Pos Pos
	End int
	// Text is a text node's text. At the top level it is the source, untouched; inside an
	// argument, escapes are resolved.
	Text string
	// Call is set for a call, nil for text.
	Call *Call
}

// IsCall reports whether the node is a call.
func (n *Node) IsCall() bool { return n.Call != nil }

// Call is {{#function:ZID|arg|...}}.
type Call struct {
	// Function is the ZID as written, spaces trimmed.
	Function string
	// Args are the arguments in order; each is text, calls, or both.
	Args []Arg
}

// Arg is one argument of a call: the pieces it is made of, whitespace at both ends trimmed.
type Arg struct {
	Pos   Pos
	Parts []*Node
}

// Single returns the call when the argument is exactly one call, else nil.
func (a Arg) Single() *Node {
	if len(a.Parts) == 1 && a.Parts[0].IsCall() {
		return a.Parts[0]
	}
	return nil
}

// Document is parsed markup: text and calls in source order.
type Document struct {
	Nodes []*Node
}

// Calls returns every call of the document, nested ones included, outer before inner.
func (d *Document) Calls() []*Node {
	var out []*Node
	var walk func(ns []*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			if n.Call == nil {
				continue
			}
			out = append(out, n)
			for _, a := range n.Call.Args {
				walk(a.Parts)
			}
		}
	}
	walk(d.Nodes)
	return out
}

const callOpen = "{{#function:"

// Parse parses markup into a Document. It fails only on structure: an unclosed call or brace
// group, nesting deeper than maxDepth (DefaultMaxDepth when ≤ 0), or a call in the place of a
// function's ZID; the error is a *SyntaxError naming the line and column. It takes time linear
// in the input and never panics.
//
// The syntax, inside a call (text outside calls is never changed):
//
//	{{#function:Z10001|first|second}}   arguments are separated by |
//	{{#function:Z10001|{{#function:Z10002|x}}}}  an argument may be (or contain) a call
//	{{!}}         a literal | (as in MediaWiki)
//	\|  \{  \}  \\   a literal |, {, } or \ (a backslash before anything else is kept)
//	{{ ... }}     other double braces nest as literal text (a template, say), | included
//
// "#function" is matched without regard to ASCII case. Whitespace at both ends of the ZID and
// of each argument is trimmed, as MediaWiki trims parser-function arguments.
func Parse(markup string, maxDepth int) (*Document, error) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	p := &parser{src: markup, maxDepth: maxDepth}
	p.indexLines()
	doc := &Document{}
	i := 0
	for i < len(markup) {
		j := p.nextCall(i)
		if j < 0 {
			j = len(markup)
		}
		if j > i {
			doc.Nodes = append(doc.Nodes, p.node(Node{Pos: p.pos(i), End: j, Text: markup[i:j]}))
		}
		if j == len(markup) {
			break
		}
		n, next, err := p.call(j, 1)
		if err != nil {
			return nil, err
		}
		doc.Nodes = append(doc.Nodes, n)
		i = next
	}
	return doc, nil
}

type parser struct {
	src        string
	maxDepth   int
	lineStarts []int
	// Nodes and calls come from slabs: a page has thousands, all as long-lived as the document.
	nodes []Node
	calls []Call
	// The last position computed: positions are asked for mostly in increasing order, so
	// columns are counted from there and a long line is not walked again for every node.
	last Pos
}

const slabSize = 128

// node returns a copy of n from the slab.
func (p *parser) node(n Node) *Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]Node, 0, slabSize)
	}
	p.nodes = append(p.nodes, n)
	return &p.nodes[len(p.nodes)-1]
}

// newCall returns a zero Call from the slab.
func (p *parser) newCall() *Call {
	if len(p.calls) == cap(p.calls) {
		p.calls = make([]Call, 0, slabSize)
	}
	p.calls = p.calls[:len(p.calls)+1]
	return &p.calls[len(p.calls)-1]
}

func (p *parser) indexLines() {
	p.lineStarts = append(p.lineStarts, 0)
	for i := 0; i < len(p.src); i++ {
		if p.src[i] == '\n' {
			p.lineStarts = append(p.lineStarts, i+1)
		}
	}
}

// pos turns a byte offset into a Pos.
func (p *parser) pos(off int) Pos {
	line := sort.Search(len(p.lineStarts), func(i int) bool { return p.lineStarts[i] > off }) - 1
	start, col := p.lineStarts[line], 1
	if p.last.Line == line+1 && p.last.Offset <= off {
		start, col = p.last.Offset, p.last.Col
	}
	p.last = Pos{Offset: off, Line: line + 1, Col: col + utf8.RuneCountInString(p.src[start:off])}
	return p.last
}

func (p *parser) errorf(off int, sentinel error, format string, args ...any) error {
	return &SyntaxError{Pos: p.pos(off), Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

// isCallAt reports whether a call opens at i.
func (p *parser) isCallAt(i int) bool {
	return len(p.src)-i >= len(callOpen) && p.src[i] == '{' && p.src[i+1] == '{' && p.src[i+2] == '#' &&
		strings.EqualFold(p.src[i+3:i+len(callOpen)-1], "function") && p.src[i+len(callOpen)-1] == ':'
}

// nextCall returns the offset of the next call at or after i, or -1.
func (p *parser) nextCall(i int) int {
	for {
		k := strings.Index(p.src[i:], "{{#")
		if k < 0 {
			return -1
		}
		if p.isCallAt(i + k) {
			return i + k
		}
		i += k + 3
	}
}

// call parses the call that opens at start; depth is its nesting level (1 at the top).
func (p *parser) call(start, depth int) (*Node, int, error) {
	if depth > p.maxDepth {
		return nil, 0, p.errorf(start, ErrTooDeep, "calls nest deeper than the limit of %d", p.maxDepth)
	}
	i := start + len(callOpen)
	name, i, closed, err := p.arg(i, depth)
	if err != nil {
		return nil, 0, err
	}
	for _, part := range name.Parts {
		if part.IsCall() {
			return nil, 0, p.errorf(part.Pos.Offset, ErrCallAsName, "the function of a call must be a ZID, not a call")
		}
	}
	c := p.newCall()
	c.Function = argText(name)
	for !closed {
		var a Arg
		if i >= len(p.src) {
			break
		}
		a, i, closed, err = p.arg(i, depth)
		if err != nil {
			return nil, 0, err
		}
		c.Args = append(c.Args, a)
	}
	if !closed {
		return nil, 0, p.errorf(start, ErrUnclosed, "{{#function: opened here is never closed by }}")
	}
	return p.node(Node{Pos: p.pos(start), End: i, Call: c}), i, nil
}

func argText(a Arg) string {
	switch len(a.Parts) {
	case 0:
		return ""
	case 1:
		return a.Parts[0].Text
	}
	var b strings.Builder
	for _, part := range a.Parts {
		b.WriteString(part.Text)
	}
	return b.String()
}

// arg parses one argument (or the function name) from i up to and past its terminator: "|"
// (closed false) or "}}" (closed true). At the end of the input it returns closed false
// and i == len(src), which the caller reports.
func (p *parser) arg(i, depth int) (Arg, int, bool, error) {
	a := Arg{Pos: p.pos(i)}
	src := p.src
	// The text run being read: src[textStart:textEnd] as long as nothing in it is escaped,
	// then copied into text (built) and continued there.
	textStart, textEnd := -1, -1
	var text strings.Builder
	built := false
	addSource := func(from, to int) { // source text, as it is
		switch {
		case textStart < 0:
			textStart, textEnd = from, to
		case built:
			text.WriteString(src[from:to])
		default:
			textEnd = to
		}
	}
	addByte := func(c byte, from int) { // a byte that stands for source text (an escape)
		if textStart < 0 {
			textStart, textEnd = from, from
		}
		if !built {
			text.WriteString(src[textStart:textEnd])
			built = true
		}
		text.WriteByte(c)
	}
	flush := func(end int) {
		if textStart < 0 {
			return
		}
		t := src[textStart:textEnd]
		if built {
			t = text.String()
		}
		a.Parts = append(a.Parts, p.node(Node{Pos: p.pos(textStart), End: end, Text: t}))
		textStart, built = -1, false
		text.Reset()
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '|':
			flush(i)
			return trimArg(a), i + 1, false, nil
		case c == '}' && i+1 < len(src) && src[i+1] == '}':
			flush(i)
			return trimArg(a), i + 2, true, nil
		case c == '\\' && i+1 < len(src) && strings.IndexByte(`|{}\`, src[i+1]) >= 0:
			addByte(src[i+1], i)
			i += 2
		case c == '{' && strings.HasPrefix(src[i:], "{{!}}"):
			addByte('|', i)
			i += len("{{!}}")
		case c == '{' && p.isCallAt(i):
			flush(i)
			n, next, err := p.call(i, depth+1)
			if err != nil {
				return Arg{}, 0, false, err
			}
			a.Parts = append(a.Parts, n)
			i = next
		case c == '{' && i+1 < len(src) && src[i+1] == '{':
			end, err := p.group(i, depth)
			if err != nil {
				return Arg{}, 0, false, err
			}
			addSource(i, end)
			i = end
		default:
			// Plain text up to the next byte that means something here.
			j := i + 1
			for j < len(src) && src[j] != '|' && src[j] != '}' && src[j] != '\\' && src[j] != '{' {
				j++
			}
			addSource(i, j)
			i = j
		}
	}
	flush(i)
	return a, i, false, nil
}

// group skips a literal {{ ... }} group that opens at start inside an argument, nested
// groups included, and returns the offset just past it.
func (p *parser) group(start, depth int) (int, error) {
	open := []int{start}
	i := start + 2
	for i < len(p.src) {
		switch {
		case p.src[i] == '{' && i+1 < len(p.src) && p.src[i+1] == '{':
			open = append(open, i)
			if depth+len(open) > p.maxDepth {
				return 0, p.errorf(i, ErrTooDeep, "braces nest deeper than the limit of %d", p.maxDepth)
			}
			i += 2
		case p.src[i] == '}' && i+1 < len(p.src) && p.src[i+1] == '}':
			open = open[:len(open)-1]
			i += 2
			if len(open) == 0 {
				return i, nil
			}
		default:
			i++
		}
	}
	return 0, p.errorf(open[len(open)-1], ErrUnclosed, "{{ opened here inside a call's argument is never closed by }} (write \\{ for a literal brace)")
}

// trimArg trims whitespace at both ends of an argument's text.
func trimArg(a Arg) Arg {
	if n := len(a.Parts); n > 0 {
		if first := a.Parts[0]; !first.IsCall() {
			first.Text = strings.TrimLeft(first.Text, " \t\r\n")
		}
		if last := a.Parts[n-1]; !last.IsCall() {
			last.Text = strings.TrimRight(last.Text, " \t\r\n")
		}
		parts := a.Parts[:0]
		for _, part := range a.Parts {
			if part.IsCall() || part.Text != "" {
				parts = append(parts, part)
			}
		}
		a.Parts = parts
	}
	return a
}
