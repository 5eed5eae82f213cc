package evaluator

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
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
