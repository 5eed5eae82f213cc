package evaluator

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func unixPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestSpinReader: what is written arrives whole and in order, whether it comes at once (read
// while spinning) or late (read after the reader went to sleep); a read deadline ends a wait
// with a timeout and loses nothing; the peer's close is EOF; no spinner is left counted.
func TestSpinReader(t *testing.T) {
	a, b := unixPair(t)
	sr := newSpinReader(b)
	if sr.rc == nil {
		t.Fatal("a Unix connection gives no raw access")
	}
	r := bufio.NewReader(sr)
	buf := make([]byte, 5)

	if _, err := a.Write([]byte("quick")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "quick" {
		t.Fatalf("read %q, %v", buf, err)
	}

	go func() {
		time.Sleep(20 * time.Millisecond) // well past the spin budget: the reader sleeps
		a.Write([]byte("late!"))
	}()
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "late!" {
		t.Fatalf("read %q, %v", buf, err)
	}

	_ = b.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := r.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Peek past the deadline: %v, want a timeout", err)
	}
	_ = b.SetReadDeadline(time.Time{})
	if _, err := a.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "after" {
		t.Fatalf("read after a timeout %q, %v", buf, err)
	}

	a.Close()
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("read after the peer closed: %v, want EOF", err)
	}
	if n := spinners.Load(); n != 0 {
		t.Errorf("%d spinners still counted", n)
	}
}
