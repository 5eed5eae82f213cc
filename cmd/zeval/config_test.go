package main

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"json", `{"addr": "0.0.0.0:9000", "timeout": "20s", "python-min-idle": 4, "x": true}`,
			map[string]string{"addr": "0.0.0.0:9000", "timeout": "20s", "python-min-idle": "4", "x": "true"}, ""},
		{"lines", "# comment\n\naddr = 0.0.0.0:9000\ntimeout 20s\ndb = \"my store.db\"\n",
			map[string]string{"addr": "0.0.0.0:9000", "timeout": "20s", "db": "my store.db"}, ""},
		{"empty", "", map[string]string{}, ""},
		{"bad json", `{"addr": `, nil, "not valid JSON"},
		{"json nested", `{"addr": {"host": "x"}}`, nil, "string, number or boolean"},
		{"json two values", `{"addr": "a"} {"b": 1}`, nil, "more than one"},
		{"line without value", "addr\n", nil, "line 1"},
		{"set twice", "addr = a\naddr = b\n", nil, "set twice"},
		{"bad quoting", "db = \"abc\\q\"\n", nil, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseConfig(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseConfig(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseConfig(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestApplyConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "zeval.conf")
	if err := os.WriteFile(file, []byte("addr = file:1\ntimeout = 3s\nmax-depth = 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("adr = typo:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badValue := filepath.Join(dir, "badvalue.conf")
	if err := os.WriteFile(badValue, []byte("timeout = soon\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		file    string
		env     map[string]string
		want    serveOptions // only addr, timeout, maxDepth are compared
		wantErr string
	}{
		{"defaults", nil, "", nil, serveOptions{addr: "127.0.0.1:8080", timeout: 15 * time.Second, maxDepth: 256}, ""},
		{"file", nil, file, nil, serveOptions{addr: "file:1", timeout: 3 * time.Second, maxDepth: 7}, ""},
		{"env over file", nil, file, map[string]string{"ZEVAL_ADDR": "env:1", "ZEVAL_MAX_DEPTH": "9"},
			serveOptions{addr: "env:1", timeout: 3 * time.Second, maxDepth: 9}, ""},
		{"flag over env", []string{"--addr", "flag:1"}, file, map[string]string{"ZEVAL_ADDR": "env:1"},
			serveOptions{addr: "flag:1", timeout: 3 * time.Second, maxDepth: 7}, ""},
		{"unknown setting", nil, bad, nil, serveOptions{}, "unknown setting(s) adr"},
		{"bad value in file", nil, badValue, nil, serveOptions{}, "timeout"},
		{"bad value in env", nil, "", map[string]string{"ZEVAL_MAX_DEPTH": "deep"}, serveOptions{}, "ZEVAL_MAX_DEPTH"},
		{"missing file", nil, filepath.Join(dir, "nope"), nil, serveOptions{}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			o, _ := serveFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			err := applyConfig(fs, tt.file, lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("applyConfig error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.addr != tt.want.addr || o.timeout != tt.want.timeout || o.maxDepth != tt.want.maxDepth {
				t.Errorf("addr, timeout, max-depth = %s, %s, %d; want %s, %s, %d",
					o.addr, o.timeout, o.maxDepth, tt.want.addr, tt.want.timeout, tt.want.maxDepth)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	for flagName, want := range map[string]string{"addr": "ZEVAL_ADDR", "python-min-idle": "ZEVAL_PYTHON_MIN_IDLE", "tokens": "ZEVAL_TOKENS_FILE"} {
		if got := envName(flagName); got != want {
			t.Errorf("envName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestServeBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"unknown flag", []string{"serve", "--nope"}, 2, "flag provided but not defined"},
		{"extra argument", []string{"serve", "extra"}, 2, "usage"},
		{"bad log format", []string{"serve", "--db", "none", "--code", "none", "--log-format", "xml", "--addr", "127.0.0.1:0"}, 1, "--log-format"},
		{"bad log level", []string{"serve", "--db", "none", "--code", "none", "--log-level", "loud", "--addr", "127.0.0.1:0"}, 1, "--log-level"},
		{"bad language", []string{"serve", "--db", "none", "--code", "cobol", "--addr", "127.0.0.1:0"}, 1, "cobol"},
		{"public admin", []string{"serve", "--db", "none", "--code", "none", "--addr", "127.0.0.1:0", "--admin-addr", "0.0.0.0:0"}, 1, "loopback"},
		{"bad otlp endpoint", []string{"serve", "--db", "none", "--code", "none", "--addr", "127.0.0.1:0", "--otlp-endpoint", "ftp://x"}, 1, "OTLP"},
		{"bad sample ratio", []string{"serve", "--db", "none", "--code", "none", "--addr", "127.0.0.1:0", "--trace-sample-ratio", "2"}, 1, "trace-sample-ratio"},
		{"bad cache", []string{"serve", "--db", "none", "--code", "none", "--addr", "127.0.0.1:0", "--cache", "disk"}, 1, `--cache "disk"`},
		{"bad cache URL", []string{"serve", "--db", "none", "--code", "none", "--addr", "127.0.0.1:0", "--cache", "redis://h?ttl=soon"}, 1, `ttl="soon"`},
		{"help", []string{"serve", "-h"}, 0, "ZEVAL_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.err) {
				t.Errorf("zeval %v: exit %d, stderr %q; want exit %d, stderr containing %q", tt.args, code, stderr, tt.code, tt.err)
			}
		})
	}
}

// FuzzParseConfig: any file gives settings or an error, never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{`{"addr": "x", "n": 1, "b": true}`, "a = 1\n# c\nb \"q\"\n", "{", "=\n", "a = \"\\x\"\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseConfig(data)
		if err == nil && m == nil {
			t.Fatalf("parseConfig(%q) = nil, nil", data)
		}
	})
}

// TestExampleConfig keeps deploy/zeval.conf in step with the flags.
func TestExampleConfig(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o, _ := serveFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	none := func(string) (string, bool) { return "", false }
	if err := applyConfig(fs, "../../deploy/zeval.conf", none); err != nil {
		t.Fatal(err)
	}
	if o.adminAddr != "127.0.0.1:6060" || o.minIdle != 2 {
		t.Errorf("admin-addr %q, python-min-idle %d; want the example's 127.0.0.1:6060, 2", o.adminAddr, o.minIdle)
	}
}
