package cache

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zeval/zeval/internal/cache/redistest"
)

// command runs one command on r's server and returns the reply.
func command(t *testing.T, r *Redis, args ...string) reply {
	t.Helper()
	var bs [][]byte
	for _, a := range args {
		bs = append(bs, []byte(a))
	}
	rep, err := r.do(context.Background(), 1<<20, bs...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return rep
}

func TestRedisPrefixAndTTL(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	for _, tt := range []struct {
		query   string
		key     string
		wantTTL time.Duration // -1: no expiry
	}{
		{"", "zeval:k", DefaultRedisTTL},
		{"?prefix=p/&ttl=90s", "p/k", 90 * time.Second},
		{"?prefix=&ttl=0", "k", -1},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r, err := NewRedis(srv.URL() + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.Put(ctx, "k", []byte("v"))
			if got := command(t, r, "GET", tt.key); string(got.str) != "v" {
				t.Fatalf("GET %s = %q, want v", tt.key, got.str)
			}
			pttl := command(t, r, "PTTL", tt.key).num
			if tt.wantTTL < 0 {
				if pttl != -1 {
					t.Errorf("PTTL %s = %d, want -1 (no expiry)", tt.key, pttl)
				}
				return
			}
			if got := time.Duration(pttl) * time.Millisecond; got > tt.wantTTL || got < tt.wantTTL-time.Minute {
				t.Errorf("PTTL %s = %v, want about %v", tt.key, got, tt.wantTTL)
			}
		})
	}
}

// TestRedisPoolBound: many concurrent calls share at most pool_size connections.
func TestRedisPoolBound(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	r, err := NewRedis(srv.URL() + "?pool_size=3")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				r.Put(ctx, fmt.Sprint(g, i), bytes.Repeat([]byte("x"), 1000))
				r.Get(ctx, fmt.Sprint(g, i))
			}
		}()
	}
	wg.Wait()
	if s := r.Stats(); s.Errors != 0 || s.Hits != 32*50 {
		t.Errorf("Stats() = %+v, want %d hits and no errors", s, 32*50)
	}
	info := string(command(t, r, "INFO", "clients").str)
	var n int
	for _, line := range bytes.Split([]byte(info), []byte("\r\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("connected_clients:")); ok {
			n, _ = strconv.Atoi(string(v))
		}
	}
	if n < 1 || n > 3 {
		t.Errorf("connected_clients = %d after 32 goroutines on a pool of 3, want 1 to 3", n)
	}
}
