package jupyter

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// ConnectionInfo is the content of a kernel connection file.
type ConnectionInfo struct {
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	IP              string `json:"ip"`
	Key             string `json:"key"`
	Transport       string `json:"transport"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// NewConnectionInfo picks five free loopback ports and a random key.
//
// The ports are free when picked; another process could take one before the kernel binds it.
// A kernel that fails to bind then exits, and Launch reports its stderr.
func NewConnectionInfo(kernelName string) (*ConnectionInfo, error) {
	ports := make([]int, 5)
	listeners := make([]net.Listener, 0, 5)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	// Hold all five open at once so that the kernel gets five distinct ports.
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("jupyter: picking a free port: %w", err)
		}
		listeners = append(listeners, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	var key [32]byte
	_, _ = rand.Read(key[:])
	return &ConnectionInfo{
		ShellPort: ports[0], IOPubPort: ports[1], StdinPort: ports[2], ControlPort: ports[3], HBPort: ports[4],
		IP: "127.0.0.1", Key: hex.EncodeToString(key[:]), Transport: "tcp", SignatureScheme: "hmac-sha256",
		KernelName: kernelName,
	}, nil
}

// NewIPCConnectionInfo describes a kernel reached over ZeroMQ ipc sockets dir/s-1 … dir/s-5
// (for the ipc transport, "ip" is a path prefix and the "ports" are suffixes), with a random key.
// Keep dir short: xeus-python 0.14.3 aborts (zmq "Invalid argument") when the prefix is 24 bytes
// or longer; Launch's /tmp/k-NNNNNNNNNN/s is 19.
func NewIPCConnectionInfo(kernelName, dir string) *ConnectionInfo {
	var key [32]byte
	_, _ = rand.Read(key[:])
	return &ConnectionInfo{
		ShellPort: 1, IOPubPort: 2, StdinPort: 3, ControlPort: 4, HBPort: 5,
		IP: filepath.Join(dir, "s"), Key: hex.EncodeToString(key[:]), Transport: "ipc",
		SignatureScheme: "hmac-sha256", KernelName: kernelName,
	}
}

// ReadConnectionFile loads and checks a connection file.
func ReadConnectionFile(path string) (*ConnectionInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ci ConnectionInfo
	if err := json.Unmarshal(b, &ci); err != nil {
		return nil, fmt.Errorf("jupyter: connection file %s: %w", path, err)
	}
	if err := ci.check(); err != nil {
		return nil, fmt.Errorf("jupyter: connection file %s: %w", path, err)
	}
	return &ci, nil
}

func (ci *ConnectionInfo) check() error {
	if ci.Transport == "" {
		ci.Transport = "tcp"
	}
	if ci.Transport != "tcp" && ci.Transport != "ipc" {
		return fmt.Errorf("unsupported transport %q", ci.Transport)
	}
	if ci.SignatureScheme != "" && ci.SignatureScheme != "hmac-sha256" {
		return fmt.Errorf("unsupported signature scheme %q", ci.SignatureScheme)
	}
	if ci.IP == "" {
		return errors.New("no ip")
	}
	for _, p := range []int{ci.ShellPort, ci.IOPubPort, ci.StdinPort, ci.ControlPort, ci.HBPort} {
		if p <= 0 || p > 65535 {
			return fmt.Errorf("port %d out of range", p)
		}
	}
	return nil
}

// WriteFile writes the connection file to dir with mode 0600 and returns its path.
func (ci *ConnectionInfo) WriteFile(dir string) (string, error) {
	b, err := json.MarshalIndent(ci, "", "  ")
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "kernel-*.json")
	if err != nil {
		return "", fmt.Errorf("jupyter: writing connection file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("jupyter: writing connection file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("jupyter: writing connection file: %w", err)
	}
	return filepath.Clean(f.Name()), nil
}

func (ci *ConnectionInfo) endpoint(port int) string {
	if ci.Transport == "ipc" {
		return fmt.Sprintf("ipc://%s-%d", ci.IP, port)
	}
	return fmt.Sprintf("tcp://%s:%d", ci.IP, port)
}
