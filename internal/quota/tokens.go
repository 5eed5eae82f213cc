package quota

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MinTokenLength is the shortest token accepted: shorter ones are too easy to guess.
const MinTokenLength = 16

// maxTokenFile bounds the size of a token file.
const maxTokenFile = 1 << 20

// ErrTokens is wrapped by every error about the token configuration. The errors name lines
// and callers, never tokens.
var ErrTokens = errors.New("quota: bad token configuration")

// Tokens is a set of API tokens, each with the name of its caller. It keeps only SHA-256
// digests. The zero value and nil hold no tokens. It is immutable and safe for concurrent use.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	name   string
	digest [sha256.Size]byte
}

// ParseTokens reads tokens, one "name:token" per line (or per comma-separated item, as in an
// environment variable). Blank lines and lines starting with # are skipped. A name is 1–64
// characters of letters, digits and ._@- ; a token is at least MinTokenLength printable
// characters without spaces. Names and tokens must be unique.
func ParseTokens(data []byte) (*Tokens, error) {
	t := &Tokens{}
	names := map[string]bool{}
	digests := map[[sha256.Size]byte]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 4096), maxTokenFile)
	line := 0
	for sc.Scan() {
		line++
		for _, item := range strings.Split(sc.Text(), ",") {
			item = strings.TrimSpace(item)
			if item == "" || strings.HasPrefix(item, "#") {
				continue
			}
			name, token, ok := strings.Cut(item, ":")
			if !ok {
				return nil, fmt.Errorf("%w: line %d: want name:token", ErrTokens, line)
			}
			if !validName(name) {
				return nil, fmt.Errorf("%w: line %d: caller name must be 1-64 letters, digits or ._@-", ErrTokens, line)
			}
			if len(token) < MinTokenLength || !printable(token) {
				return nil, fmt.Errorf("%w: line %d: the token of %s must be at least %d printable characters without spaces",
					ErrTokens, line, name, MinTokenLength)
			}
			d := sha256.Sum256([]byte(token))
			if names[name] {
				return nil, fmt.Errorf("%w: line %d: caller %s is named twice", ErrTokens, line, name)
			}
			if digests[d] {
				return nil, fmt.Errorf("%w: line %d: the token of %s is given to another caller too", ErrTokens, line, name)
			}
			names[name], digests[d] = true, true
			t.entries = append(t.entries, tokenEntry{name: name, digest: d})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTokens, err)
	}
	return t, nil
}

// LoadTokens reads a token file (see ParseTokens). A file that others may read is refused:
// tokens are secrets.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s can be read by others (mode %v); chmod 600 it", ErrTokens, path, fi.Mode().Perm())
	}
	if fi.Size() > maxTokenFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTokens, path, maxTokenFile)
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil && fi.Size() > 0 {
		return nil, err
	}
	t, err := ParseTokens(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Merge returns the tokens of t and u; a caller named in both is an error.
func (t *Tokens) Merge(u *Tokens) (*Tokens, error) {
	out := &Tokens{}
	seen := map[string]bool{}
	for _, set := range []*Tokens{t, u} {
		if set == nil {
			continue
		}
		for _, e := range set.entries {
			if seen[e.name] {
				return nil, fmt.Errorf("%w: caller %s is named twice", ErrTokens, e.name)
			}
			seen[e.name] = true
			out.entries = append(out.entries, e)
		}
	}
	return out, nil
}

// Len is the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Lookup returns the caller name of token. It compares the token's digest with every
// entry's, in constant time, whatever matches: the time it takes says nothing about how
// much of a token was right.
func (t *Tokens) Lookup(token string) (string, bool) {
	if t == nil {
		return "", false
	}
	d := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(d[:], t.entries[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return t.entries[found].name, true
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
