package evaluator

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func rawFrame(body string) []byte {
	b := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(b, uint32(len(body)))
	copy(b[4:], body)
	return b
}

func TestFrameRoundTrip(t *testing.T) {
	shm := t.TempDir()
	for _, size := range []int{10, shmThreshold + 1} {
		args := `{"K1":"` + strings.Repeat("a", size) + `"}`
		b, err := encodeFrame(&frame{Op: "call", ID: []byte("7"), Args: []byte(args)}, shm)
		if err != nil {
			t.Fatal(err)
		}
		f, err := readFrame(bufio.NewReader(bytes.NewReader(b)), shm)
		if err != nil {
			t.Fatalf("readFrame(encodeFrame(%d bytes)): %v", size, err)
		}
		if f.Op != "call" || string(f.ID) != "7" || string(f.Args) != args {
			t.Errorf("round trip of %d bytes changed the frame: op %q id %s", size, f.Op, f.ID)
		}
		left, _ := os.ReadDir(shm)
		if len(left) != 0 {
			t.Errorf("shared-memory files left behind: %v", left)
		}
	}
}

func TestReadFrameBadInput(t *testing.T) {
	shm := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte(`{"op":"result"}`), 0o600)
	huge := make([]byte, 4)
	binary.BigEndian.PutUint32(huge, maxFrame+1)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "EOF"},
		{"short header", []byte{0, 0}, "EOF"},
		{"truncated body", rawFrame(`{"op":"call"}`)[:8], "EOF"},
		{"too large", huge, "exceeds the limit"},
		{"not JSON", rawFrame(`{op}`), "bad frame"},
		{"shm outside its directory", rawFrame(`{"shm":"` + outside + `","size":15}`), "outside"},
		{"shm missing", rawFrame(`{"shm":"` + filepath.Join(shm, "gone") + `","size":1}`), "shared-memory frame"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readFrame(bufio.NewReader(bytes.NewReader(tc.in)), shm)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readFrame(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a frame pointing outside the shared-memory directory removed %s", outside)
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(rawFrame(`{"op":"result","id":1,"z22":{"Z1K1":"Z22"}}`))
	f.Add(rawFrame(`{"op":"zcall","id":"n1","parent":3,"z7":{}}`))
	f.Add([]byte{0, 0, 0, 1, '{'})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = readFrame(bufio.NewReader(bytes.NewReader(data)), dir)
	})
}

// FuzzDecodeFrame checks that decodeFrame reads every input as encoding/json does: the same
// frame, or an error for the same inputs.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"op": "result", "id": 12, "z22": {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": "Z6", "Z6K1": "W0W"}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}, "interrupted": false}`,
		`{"op": "result", "id": 3, "z22": {"Z22K1": "a\"b\\u00e9\n"}, "interrupted": true, "stdout": "printed\n"}`,
		`{"op": "zcall", "id": "7-1", "parent": 7, "z7": {"Z1K1": "Z7", "Z7K1": "Z801", "Z801K1": [1, 2.5e-3, -0, true, null, {}, []]}}`,
		`{"op": "hello", "token": "abc", "pid": 4242}`,
		`{"shm": "/dev/shm/zeval-1/zeval-1-2", "size": 70000}`,
		`{"op":"pong","id":null}`, `{}`, ` { "op" : "x" } `, `{"OP": "x"}`, `{"op": "x",}`, `{"pid": 1.5}`,
		`{"pid": 99999999999999999999}`, `{"spin": 1}`, `{"op": "\u00e9"}`, `{"op": "x"} x`, `{"z22": [1,]}`,
		`{"z22": {"a" 1}}`, `{"z22": "\x"}`, `{"z22": 01}`, `{"op": "caf` + "\xff" + `"}`, `[]`, `"op"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want frame
		gerr := decodeFrame(data, &got)
		werr := json.Unmarshal(data, &want)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("decodeFrame(%q) error %v, encoding/json's %v", data, gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(normalized(got), normalized(want)) {
			t.Fatalf("decodeFrame(%q) = %+v, encoding/json's %+v", data, got, want)
		}
	})
}

// normalized makes empty and absent raw values compare equal: both mean "not there".
func normalized(f frame) frame {
	for _, r := range []*json.RawMessage{&f.ID, &f.Parent, &f.Args, &f.Z22, &f.Z7} {
		if len(*r) == 0 {
			*r = nil
		}
	}
	return f
}

// TestDecodeFrameFast checks that the frames kernels send take decodeFrame's own path (the
// fuzz test checks that whichever path is taken, the answer is encoding/json's).
func TestDecodeFrameFast(t *testing.T) {
	for _, s := range []string{
		`{"op": "result", "id": 12, "z22": {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": "Z6", "Z6K1": "a\"b"}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}, "interrupted": false}`,
		`{"op": "zcall", "id": "7-1", "parent": 7, "z7": {"Z1K1": "Z7", "Z7K1": "Z801", "Z801K1": "x"}}`,
		`{"op": "hello", "token": "0123abcd", "pid": 4242}`,
		`{"shm": "/dev/shm/zeval-1/zeval-1-2", "size": 70000}`,
	} {
		var got, want frame
		if !decodeFrameFast([]byte(s), &got) {
			t.Errorf("decodeFrameFast(%s) fell back to encoding/json", s)
			continue
		}
		if err := json.Unmarshal([]byte(s), &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("decodeFrameFast(%s) = %+v, encoding/json's %+v (%v)", s, got, want, err)
		}
	}
}

// BenchmarkDecodeFrame reads a kernel's result frame, against encoding/json (the baseline,
// measured in the same run).
func BenchmarkDecodeFrame(b *testing.B) {
	data := []byte(`{"op": "result", "id": 12, "z22": {"Z1K1": {"Z1K1": "Z9", "Z9K1": "Z22"}, "Z22K1": {"Z1K1": "Z6", "Z6K1": "W1234"}, "Z22K2": {"Z1K1": "Z9", "Z9K1": "Z24"}}, "interrupted": false}`)
	b.Run("baseline-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeFrame", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var f frame
			if err := decodeFrame(data, &f); err != nil {
				b.Fatal(err)
			}
		}
	})
}
