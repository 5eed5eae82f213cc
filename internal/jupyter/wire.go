package jupyter

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"time"
)

// ProtocolVersion is the version of the Jupyter messaging protocol this package speaks.
const ProtocolVersion = "5.3"

// delimiter separates the routing identities from the signed part of a message.
var delimiter = []byte("<IDS|MSG>")

// Errors returned by Decode. Each is wrapped with detail; test with errors.Is.
var (
	ErrNoDelimiter  = errors.New("jupyter: message has no <IDS|MSG> delimiter")
	ErrTruncated    = errors.New("jupyter: message is truncated")
	ErrBadSignature = errors.New("jupyter: message signature does not match")
	ErrBadJSON      = errors.New("jupyter: message part is not valid JSON")
	ErrBadHeader    = errors.New("jupyter: message header is invalid")
)

// Header is a message header (and, for replies, the parent header).
// The zero Header encodes as {} (a message without a parent).
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// Message is one Jupyter message. Content is kept raw so that callers decode only what they use.
type Message struct {
	Identities [][]byte
	Header     Header
	Parent     Header
	Metadata   json.RawMessage // nil encodes as {}
	Content    json.RawMessage // nil encodes as {}
	Buffers    [][]byte
}

// Signer computes and checks message signatures (HMAC-SHA256 keyed with the connection key).
// An empty key disables signing, as the protocol allows. A Signer is not safe for concurrent use.
type Signer struct {
	mac hash.Hash
}

// NewSigner returns a signer for key. The key is the connection file's "key" string, used as bytes.
func NewSigner(key []byte) *Signer {
	if len(key) == 0 {
		return &Signer{}
	}
	return &Signer{mac: hmac.New(sha256.New, key)}
}

func (s *Signer) sign(parts ...[]byte) []byte {
	if s.mac == nil {
		return nil
	}
	s.mac.Reset()
	for _, p := range parts {
		s.mac.Write(p)
	}
	sum := s.mac.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

var emptyObject = []byte("{}")

func encodeHeader(h *Header) ([]byte, error) {
	if h.MsgID == "" && h.MsgType == "" {
		return emptyObject, nil
	}
	return json.Marshal(h)
}

func orEmpty(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return emptyObject
	}
	return raw
}

// Encode turns m into wire frames: identities, delimiter, signature, header, parent header,
// metadata, content, buffers.
func (s *Signer) Encode(m *Message) ([][]byte, error) {
	header, err := encodeHeader(&m.Header)
	if err != nil {
		return nil, fmt.Errorf("jupyter: encoding header: %w", err)
	}
	parent, err := encodeHeader(&m.Parent)
	if err != nil {
		return nil, fmt.Errorf("jupyter: encoding parent header: %w", err)
	}
	meta, content := orEmpty(m.Metadata), orEmpty(m.Content)
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, delimiter, s.sign(header, parent, meta, content), header, parent, meta, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// Decode parses wire frames into a Message, checking the signature when the signer has a key.
// It never panics on bad input; every failure wraps one of the Err* sentinels.
func (s *Signer) Decode(frames [][]byte) (*Message, error) {
	d := -1
	for i, f := range frames {
		if bytes.Equal(f, delimiter) {
			d = i
			break
		}
	}
	if d < 0 {
		return nil, fmt.Errorf("%w (%d frames)", ErrNoDelimiter, len(frames))
	}
	rest := frames[d+1:]
	if len(rest) < 5 {
		return nil, fmt.Errorf("%w: %d frames after the delimiter, need at least 5", ErrTruncated, len(rest))
	}
	sig, header, parent, meta, content := rest[0], rest[1], rest[2], rest[3], rest[4]
	if s.mac != nil {
		want := s.sign(header, parent, meta, content)
		if !hmac.Equal(bytes.ToLower(sig), want) {
			return nil, fmt.Errorf("%w (got %q)", ErrBadSignature, truncate(sig, 80))
		}
	}
	m := &Message{Identities: frames[:d]}
	if err := decodeHeader(header, &m.Header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if m.Header.MsgType == "" {
		return nil, fmt.Errorf("%w: no msg_type", ErrBadHeader)
	}
	if err := decodeHeader(parent, &m.Parent); err != nil {
		return nil, fmt.Errorf("parent header: %w", err)
	}
	var err error
	if m.Metadata, err = objectPart("metadata", meta); err != nil {
		return nil, err
	}
	if m.Content, err = objectPart("content", content); err != nil {
		return nil, err
	}
	if len(rest) > 5 {
		m.Buffers = rest[5:]
	}
	return m, nil
}

func decodeHeader(b []byte, h *Header) error {
	if err := json.Unmarshal(b, h); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%w: %v", ErrBadHeader, err)
		}
		return fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	return nil
}

// objectPart checks that b is a JSON object and returns it as raw JSON.
func objectPart(name string, b []byte) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, fmt.Errorf("%w: %s is not a JSON object: %q", ErrBadJSON, name, truncate(b, 80))
	}
	return json.RawMessage(trimmed), nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// newID returns a random identifier in UUID form, as Jupyter clients use for msg_id and session.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// newHeader builds the header of a new message of type msgType in session.
func newHeader(session, msgType string) Header {
	return Header{
		MsgID:    newID(),
		Session:  session,
		Username: "zeval",
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}
