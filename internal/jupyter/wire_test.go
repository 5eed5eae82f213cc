package jupyter

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func sampleFrames(t *testing.T, s *Signer) [][]byte {
	t.Helper()
	m := &Message{
		Identities: [][]byte{[]byte("id1")},
		Header:     newHeader("sess", "execute_request"),
		Content:    json.RawMessage(`{"code":"1+1"}`),
		Buffers:    [][]byte{[]byte("buf")},
	}
	frames, err := s.Encode(m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return frames
}

func TestRoundTrip(t *testing.T) {
	s := NewSigner([]byte("secret"))
	frames := sampleFrames(t, s)
	m, err := s.Decode(frames)
	if err != nil {
		t.Fatalf("Decode(Encode(m)) error: %v", err)
	}
	if m.Header.MsgType != "execute_request" || string(m.Content) != `{"code":"1+1"}` {
		t.Errorf("Decode(Encode(m)) = %+v, want the same message", m)
	}
	if len(m.Identities) != 1 || string(m.Identities[0]) != "id1" {
		t.Errorf("identities = %q, want [id1]", m.Identities)
	}
	if len(m.Buffers) != 1 || string(m.Buffers[0]) != "buf" {
		t.Errorf("buffers = %q, want [buf]", m.Buffers)
	}
	if m.Parent.MsgID != "" || string(frames[4]) != "{}" {
		t.Errorf("parent header = %q, want {}", frames[4])
	}
}

func TestUnsigned(t *testing.T) {
	s := NewSigner(nil)
	frames := sampleFrames(t, s)
	if len(frames[2]) != 0 {
		t.Errorf("signature with empty key = %q, want empty", frames[2])
	}
	if _, err := s.Decode(frames); err != nil {
		t.Errorf("Decode unsigned: %v", err)
	}
}

func TestDecodeBadInput(t *testing.T) {
	s := NewSigner([]byte("secret"))
	good := sampleFrames(t, s)
	with := func(i int, b []byte) [][]byte {
		f := append([][]byte(nil), good...)
		f[i] = b
		return f
	}
	resign := func(header, parent, meta, content []byte) [][]byte {
		return [][]byte{delimiter, s.sign(header, parent, meta, content), header, parent, meta, content}
	}
	tests := []struct {
		name   string
		frames [][]byte
		want   error
	}{
		{"no frames", nil, ErrNoDelimiter},
		{"no delimiter", [][]byte{[]byte("a"), []byte("b")}, ErrNoDelimiter},
		{"only delimiter", [][]byte{delimiter}, ErrTruncated},
		{"missing content", good[:6], ErrTruncated},
		{"bad signature", with(2, []byte("00ff")), ErrBadSignature},
		{"empty signature", with(2, nil), ErrBadSignature},
		{"tampered content", with(6, []byte(`{"code":"rm -rf /"}`)), ErrBadSignature},
		{"header not JSON", resign([]byte("{"), []byte("{}"), []byte("{}"), []byte("{}")), ErrBadJSON},
		{"header wrong types", resign([]byte(`{"msg_id":1,"msg_type":"x"}`), []byte("{}"), []byte("{}"), []byte("{}")), ErrBadHeader},
		{"header array", resign([]byte(`[]`), []byte("{}"), []byte("{}"), []byte("{}")), ErrBadHeader},
		{"header without msg_type", resign([]byte(`{"msg_id":"a"}`), []byte("{}"), []byte("{}"), []byte("{}")), ErrBadHeader},
		{"parent not JSON", resign([]byte(`{"msg_type":"x"}`), []byte("nope"), []byte("{}"), []byte("{}")), ErrBadJSON},
		{"metadata not object", resign([]byte(`{"msg_type":"x"}`), []byte("{}"), []byte("[1]"), []byte("{}")), ErrBadJSON},
		{"content not object", resign([]byte(`{"msg_type":"x"}`), []byte("{}"), []byte("{}"), []byte(`"s"`)), ErrBadJSON},
		{"content empty", resign([]byte(`{"msg_type":"x"}`), []byte("{}"), []byte("{}"), nil), ErrBadJSON},
		{"content invalid", resign([]byte(`{"msg_type":"x"}`), []byte("{}"), []byte("{}"), []byte(`{"a":}`)), ErrBadJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := s.Decode(tc.frames)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode(%q) = %v, %v; want error %v", tc.frames, m, err, tc.want)
			}
		})
	}
}

func TestSignatureIsHexHMAC(t *testing.T) {
	// Computed with Python: hmac.new(b'key', b'{}{}{}{}', hashlib.sha256).hexdigest()
	s := NewSigner([]byte("key"))
	got := s.sign([]byte("{}"), []byte("{}"), []byte("{}"), []byte("{}"))
	const want = "ca767b02c5bc061ed184a9a029e7f93a7f2f7ed4e8fe74120fc1212f0b008fa3"
	if string(got) != want {
		t.Fatalf("sign({}{}{}{}) = %s, want %s", got, want)
	}
}

func FuzzDecode(f *testing.F) {
	s := NewSigner(nil)
	m := &Message{Header: newHeader("s", "status"), Content: json.RawMessage(`{"execution_state":"idle"}`)}
	frames, _ := s.Encode(m)
	f.Add(bytes.Join(frames, []byte{0}))
	f.Add([]byte("<IDS|MSG>\x00\x00{}\x00{}\x00{}\x00{}"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames := bytes.Split(data, []byte{0})
		m, err := s.Decode(frames)
		if err != nil {
			return
		}
		// Whatever decodes must encode again and decode to the same header and content.
		out, err := s.Encode(m)
		if err != nil {
			t.Fatalf("Encode(Decode(x)) failed: %v", err)
		}
		m2, err := s.Decode(out)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(x))) failed: %v", err)
		}
		if m2.Header.MsgType != m.Header.MsgType || !bytes.Equal(m2.Content, m.Content) {
			t.Fatalf("round trip changed the message: %+v vs %+v", m, m2)
		}
	})
}
