package evaluator

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeFrame decodes the JSON of a frame into f, which must be zero. Frames from kernels are
// flat objects of the known keys with plain values: those are read here in one pass, and the
// JSON values kept raw (z22, args, ...) are sliced from data, not copied. Anything else (an
// unknown key, an escape in a key or string, null, a number that is not a plain integer, JSON
// this reader does not accept) goes to encoding/json, whose result this one must equal
// (FuzzDecodeFrame).
func decodeFrame(data []byte, f *frame) error {
	if decodeFrameFast(data, f) {
		return nil
	}
	*f = frame{}
	return json.Unmarshal(data, f)
}

// maxRawDepth is how deeply a raw value may nest for the fast path; deeper ones go to
// encoding/json, which has its own limit (10,000, the whole frame included).
const maxRawDepth = 1000

func decodeFrameFast(data []byte, f *frame) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		j := i + 1
		for j < len(data) && data[j] != '"' && data[j] != '\\' && data[j] >= 0x20 && data[j] < utf8.RuneSelf {
			j++
		}
		if j >= len(data) || data[j] != '"' {
			return false
		}
		key := data[i+1 : j]
		i = skipSpace(data, j+1)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		end, ok := skipValue(data, i)
		if !ok {
			return false
		}
		v := data[i:end:end]
		if string(v) == "null" {
			return false
		}
		switch string(key) {
		case "op":
			switch string(v) { // the ops kernels send, without allocating
			case `"result"`:
				f.Op = "result"
			case `"zcall"`:
				f.Op = "zcall"
			default:
				f.Op, ok = plainString(v)
			}
		case "token":
			f.Token, ok = plainString(v)
		case "stdout":
			f.Stdout, ok = plainString(v)
		case "shm":
			f.SHM, ok = plainString(v)
		case "pid":
			f.PID, ok = plainInt(v)
		case "size":
			f.Size, ok = plainInt(v)
		case "interrupted":
			f.Interrupted, ok = plainBool(v)
		case "spin":
			f.Spin, ok = plainBool(v)
		case "id":
			f.ID = v
		case "parent":
			f.Parent = v
		case "args":
			f.Args = v
		case "z22":
			f.Z22 = v
		case "z7":
			f.Z7 = v
		default:
			return false
		}
		if !ok {
			return false
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// plainString returns the string of a JSON string without escapes, in valid UTF-8.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	s := v[1 : len(v)-1]
	for _, c := range s {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

// plainInt reads an integer written with digits only (and a minus sign).
func plainInt(v []byte) (int, bool) {
	for i, c := range v {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(v))
	return n, err == nil
}

func plainBool(v []byte) (bool, bool) {
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// skipValue returns the end of the JSON value that begins at data[i], checking its syntax as
// encoding/json does (strings may hold any bytes but control characters; escapes are checked).
func skipValue(data []byte, i int) (int, bool) {
	// The open containers, innermost last: '{' expects a key next, ':' a value inside an
	// object, '[' a value inside an array.
	var stackBuf [32]byte
	stack := stackBuf[:0]
	for {
		i = skipSpace(data, i)
		if i >= len(data) {
			return 0, false
		}
		// A value.
		switch c := data[i]; {
		case c == '{':
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == '}' {
				i++
				break
			}
			if len(stack) >= maxRawDepth {
				return 0, false
			}
			stack = append(stack, '{')
			// A key, then ':'.
			var ok bool
			if i, ok = skipKey(data, i); !ok {
				return 0, false
			}
			stack[len(stack)-1] = ':'
			continue
		case c == '[':
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == ']' {
				i++
				break
			}
			if len(stack) >= maxRawDepth {
				return 0, false
			}
			stack = append(stack, '[')
			continue
		case c == '"':
			var ok bool
			if i, ok = skipString(data, i); !ok {
				return 0, false
			}
		case c == '-' || c >= '0' && c <= '9':
			var ok bool
			if i, ok = skipNumber(data, i); !ok {
				return 0, false
			}
		case c == 't' || c == 'f' || c == 'n':
			word := "null"
			if c == 't' {
				word = "true"
			} else if c == 'f' {
				word = "false"
			}
			if len(data)-i < len(word) || string(data[i:i+len(word)]) != word {
				return 0, false
			}
			i += len(word)
		default:
			return 0, false
		}
		// After a value: close containers, or go on to the next value.
		for {
			if len(stack) == 0 {
				return i, true
			}
			i = skipSpace(data, i)
			if i >= len(data) {
				return 0, false
			}
			top := stack[len(stack)-1]
			c := data[i]
			if c == ',' {
				i++
				if top == ':' {
					var ok bool
					if i, ok = skipKey(data, skipSpace(data, i)); !ok {
						return 0, false
					}
				}
				break
			}
			if top == ':' && c == '}' || top == '[' && c == ']' {
				i++
				stack = stack[:len(stack)-1]
				continue
			}
			return 0, false
		}
	}
}

// skipKey skips an object key and the ':' after it.
func skipKey(data []byte, i int) (int, bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false
	}
	i, ok := skipString(data, i)
	if !ok {
		return 0, false
	}
	i = skipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return 0, false
	}
	return i + 1, true
}

// skipString skips the string that begins at data[i] (a quote).
func skipString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			i++
			if i >= len(data) {
				return 0, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(data)-i < 5 {
					return 0, false
				}
				for _, h := range data[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false
					}
				}
				i += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

// skipNumber skips the number that begins at data[i].
func skipNumber(data []byte, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case digits() == 0:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			return 0, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	return i, true
}
