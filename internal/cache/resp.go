package cache

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// This file is the RESP2 codec the Redis backend speaks: commands out as arrays of bulk
// strings, replies in. It does no I/O of its own beyond the writer and reader it is given.

// ErrProtocol is wrapped by every error about a reply that is not well-formed RESP2.
var ErrProtocol = errors.New("redis protocol")

// errReplyTooLarge is returned for a bulk reply longer than the reader's limit; the
// connection is then out of step and must be closed.
var errReplyTooLarge = errors.New("redis reply larger than the limit")

// maxLine bounds a reply's header line (type byte, number or simple string, CRLF).
const maxLine = 64 << 10

// maxArray bounds the elements of an array reply; GET and SET never get one, so this only
// keeps a confused or hostile peer from making us allocate.
const maxArray = 1 << 16

// serverError is an error reply (-ERR ..., -WRONGTYPE ..., -OOM ...). The connection is
// still in step after one.
type serverError string

func (e serverError) Error() string { return "redis: " + string(e) }

// reply is one decoded RESP2 value.
type reply struct {
	kind  byte   // '+', '-', ':', '$', '*'
	str   []byte // simple string, error text or bulk string
	num   int64  // integer, or the length of a bulk string or array
	null  bool   // $-1 or *-1
	elems []reply
}

// appendCommand appends args as a RESP2 array of bulk strings.
func appendCommand(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}

// readReply reads one reply. A bulk string longer than maxBulk is errReplyTooLarge; a
// malformed reply wraps ErrProtocol; a short read is io.ErrUnexpectedEOF (io.EOF before the
// first byte).
func readReply(r *bufio.Reader, maxBulk int64) (reply, error) {
	return readValue(r, maxBulk, 0)
}

func readValue(r *bufio.Reader, maxBulk int64, depth int) (reply, error) {
	line, err := readLine(r)
	if err != nil {
		return reply{}, err
	}
	if len(line) == 0 {
		return reply{}, fmt.Errorf("%w: empty line", ErrProtocol)
	}
	rep := reply{kind: line[0]}
	body := line[1:]
	switch rep.kind {
	case '+', '-':
		rep.str = append([]byte(nil), body...)
		return rep, nil
	case ':':
		rep.num, err = parseInt(body)
		return rep, err
	case '$':
		if rep.num, err = parseInt(body); err != nil {
			return reply{}, err
		}
		switch {
		case rep.num == -1:
			rep.null = true
			return rep, nil
		case rep.num < 0:
			return reply{}, fmt.Errorf("%w: bulk length %d", ErrProtocol, rep.num)
		case rep.num > maxBulk:
			return reply{}, fmt.Errorf("%w: %d bytes, limit %d", errReplyTooLarge, rep.num, maxBulk)
		}
		rep.str = make([]byte, rep.num+2)
		if _, err := io.ReadFull(r, rep.str); err != nil {
			return reply{}, unexpected(err)
		}
		if rep.str[rep.num] != '\r' || rep.str[rep.num+1] != '\n' {
			return reply{}, fmt.Errorf("%w: bulk string not followed by CRLF", ErrProtocol)
		}
		rep.str = rep.str[:rep.num]
		return rep, nil
	case '*':
		if rep.num, err = parseInt(body); err != nil {
			return reply{}, err
		}
		switch {
		case rep.num == -1:
			rep.null = true
			return rep, nil
		case rep.num < 0 || rep.num > maxArray:
			return reply{}, fmt.Errorf("%w: array length %d", ErrProtocol, rep.num)
		case depth >= 8:
			return reply{}, fmt.Errorf("%w: arrays nested too deep", ErrProtocol)
		}
		rep.elems = make([]reply, 0, rep.num)
		for i := int64(0); i < rep.num; i++ {
			e, err := readValue(r, maxBulk, depth+1)
			if err != nil {
				return reply{}, unexpected(err)
			}
			rep.elems = append(rep.elems, e)
		}
		return rep, nil
	default:
		return reply{}, fmt.Errorf("%w: unknown reply type %q", ErrProtocol, rep.kind)
	}
}

// readLine reads up to CRLF and returns the line without it.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, maxLine)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line not ended by CRLF", ErrProtocol)
	}
	return line[:len(line)-2], nil
}

func parseInt(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad number %q", ErrProtocol, b)
	}
	return n, nil
}

// unexpected turns an EOF in the middle of a reply into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
