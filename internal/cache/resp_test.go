package cache

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestAppendCommand(t *testing.T) {
	got := appendCommand(nil, []byte("SET"), []byte("k\r\n"), []byte{})
	want := "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n"
	if string(got) != want {
		t.Errorf("appendCommand(SET, k\\r\\n, \"\") = %q, want %q", got, want)
	}
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in string
		kind     byte
		str      string
		num      int64
		null     bool
		elems    int
	}{
		{name: "simple string", in: "+OK\r\n", kind: '+', str: "OK"},
		{name: "error", in: "-ERR wrong\r\n", kind: '-', str: "ERR wrong"},
		{name: "integer", in: ":-42\r\n", kind: ':', num: -42},
		{name: "bulk", in: "$5\r\nhe\r\nl\r\n", kind: '$', str: "he\r\nl", num: 5},
		{name: "empty bulk", in: "$0\r\n\r\n", kind: '$', str: ""},
		{name: "null bulk", in: "$-1\r\n", kind: '$', num: -1, null: true},
		{name: "binary bulk", in: "$3\r\n\x00\xff\n\r\n", kind: '$', str: "\x00\xff\n", num: 3},
		{name: "array", in: "*2\r\n$1\r\na\r\n:1\r\n", kind: '*', num: 2, elems: 2},
		{name: "null array", in: "*-1\r\n", kind: '*', num: -1, null: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := readReply(bufio.NewReader(strings.NewReader(tt.in)), 100)
			if err != nil {
				t.Fatalf("readReply(%q): %v", tt.in, err)
			}
			if rep.kind != tt.kind || string(rep.str) != tt.str || rep.null != tt.null || len(rep.elems) != tt.elems ||
				(tt.kind != '+' && tt.kind != '-' && rep.num != tt.num) {
				t.Errorf("readReply(%q) = %+v, want kind %q str %q num %d null %v, %d elements", tt.in, rep, tt.kind, tt.str, tt.num, tt.null, tt.elems)
			}
		})
	}
}

func TestReadReplyBad(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"nothing", "", io.EOF},
		{"truncated line", "+OK", io.ErrUnexpectedEOF},
		{"truncated bulk", "$5\r\nab", io.ErrUnexpectedEOF},
		{"bulk without CRLF", "$2\r\nabcd", ErrProtocol},
		{"truncated array", "*2\r\n:1\r\n", io.ErrUnexpectedEOF},
		{"bare LF", "+OK\n", ErrProtocol},
		{"empty line", "\r\n", ErrProtocol},
		{"unknown type", "!3\r\n", ErrProtocol},
		{"RESP3 map", "%1\r\n", ErrProtocol},
		{"bad number", ":12a\r\n", ErrProtocol},
		{"bad length", "$x\r\n", ErrProtocol},
		{"negative length", "$-2\r\n", ErrProtocol},
		{"huge array", "*99999999\r\n", ErrProtocol},
		{"too large", "$101\r\n", errReplyTooLarge},
		{"nested too deep", strings.Repeat("*1\r\n", 20) + ":1\r\n", ErrProtocol},
		{"line too long", "+" + strings.Repeat("x", maxLine+10) + "\r\n", ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readReply(bufio.NewReader(strings.NewReader(tt.in)), 100)
			if !errors.Is(err, tt.want) {
				t.Errorf("readReply(%.40q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzReadReply: no input panics or allocates without bound, and a command read back as a
// reply is the same list of bulk strings.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "$3\r\nabc\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "$-1\r\n", "-ERR x\r\n", "*1\r\n*1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = readReply(bufio.NewReader(bytes.NewReader(data)), 1<<16)
		args := bytes.SplitN(data, []byte{0}, 4)
		rep, err := readReply(bufio.NewReader(bytes.NewReader(appendCommand(nil, args...))), int64(len(data)))
		if err != nil || rep.kind != '*' || len(rep.elems) != len(args) {
			t.Fatalf("command %q read back as %+v, %v", args, rep, err)
		}
		for i, e := range rep.elems {
			if !bytes.Equal(e.str, args[i]) {
				t.Fatalf("argument %d = %q, read back %q", i, args[i], e.str)
			}
		}
	})
}
