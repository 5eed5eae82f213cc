// Package redistest runs a real redis-server for tests and benchmarks: on a unix socket in a
// temporary directory, with no persistence, killed and restarted on demand. A missing
// redis-server is an error (scripts/setup.sh installs it), never a reason to skip.
package redistest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// readyTimeout bounds how long a redis-server may take to say it accepts connections.
const readyTimeout = 10 * time.Second

// Server is one redis-server process (and its successors after Restart). Its methods are
// safe for concurrent use.
type Server struct {
	dir  string
	sock string
	port int // 0: unix socket only

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// Start starts a redis-server on a unix socket for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartTCP is Start listening on a loopback TCP port too.
func StartTCP(t testing.TB) *Server {
	t.Helper()
	s, err := New(true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a redis-server on a unix socket (and a loopback TCP port when tcp is set).
// Close stops it and removes its directory.
func New(tcp bool) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("redistest: %w (scripts/setup.sh installs it)", err)
	}
	// A short path: a unix socket's must fit in 108 bytes, and test temp dirs can be long.
	dir, err := os.MkdirTemp("", "zredis")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, sock: filepath.Join(dir, "redis.sock")}
	// redis-server cannot listen on port 0, so a free port is found first. Another process
	// may take it meanwhile: then try another.
	for tries := 0; ; tries++ {
		if tcp {
			if s.port, err = freePort(); err != nil {
				break
			}
		}
		if err = s.start(); err == nil || !tcp || tries == 4 {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// URL is the unix:// URL of the server.
func (s *Server) URL() string { return "unix://" + s.sock }

// Socket is the path of the unix socket.
func (s *Server) Socket() string { return s.sock }

// TCPURL is the redis:// URL of the server's TCP port ("" without one).
func (s *Server) TCPURL() string {
	if s.port == 0 {
		return ""
	}
	return "redis://127.0.0.1:" + strconv.Itoa(s.port)
}

// start runs redis-server and waits for the line saying it accepts connections.
func (s *Server) start() error {
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--unixsocket", s.sock, "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	ready := make(chan error, 1)
	done := make(chan struct{})
	// The log is read to its end (the process's exit) and then the process is waited for.
	go func() {
		defer close(done)
		var head strings.Builder
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			if said {
				continue
			}
			head.WriteString(sc.Text() + "\n")
			if strings.Contains(strings.ToLower(sc.Text()), "ready to accept connections") {
				said = true
				ready <- nil
			}
		}
		_, _ = io.Copy(io.Discard, out)
		if !said {
			ready <- fmt.Errorf("exited before accepting connections:\n%s", head.String())
		}
		_ = cmd.Wait()
	}()
	t := time.NewTimer(readyTimeout)
	defer t.Stop()
	select {
	case err = <-ready:
	case <-t.C:
		err = fmt.Errorf("not ready after %v", readyTimeout)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("redistest: redis-server: %w", err)
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

// Kill kills the server (SIGKILL: no goodbye to its clients) and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Restart starts a new, empty server on the same socket (and port), killing the running
// one if any.
func (s *Server) Restart() error {
	s.Kill()
	return s.start()
}

// Close kills the server and removes its directory.
func (s *Server) Close() {
	s.Kill()
	os.RemoveAll(s.dir)
}
