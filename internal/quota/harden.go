package quota

import (
	"net/http"
	"time"
)

// Server timeouts set by Harden. A client must send its request headers within
// ReadHeaderTimeout and its whole request within ReadTimeout; a connection that trickles
// headers byte by byte (slowloris) is cut off after ReadHeaderTimeout.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
)

// Harden sets srv's timeouts against slow clients. budget is the longest a request may run;
// the write timeout leaves it 10 s more to send the reply. Settings srv already has that are
// stricter are kept.
func Harden(srv *http.Server, budget time.Duration) {
	tighten := func(cur *time.Duration, want time.Duration) {
		if *cur <= 0 || *cur > want {
			*cur = want
		}
	}
	tighten(&srv.ReadHeaderTimeout, ReadHeaderTimeout)
	tighten(&srv.ReadTimeout, ReadTimeout)
	tighten(&srv.IdleTimeout, IdleTimeout)
	if budget > 0 {
		tighten(&srv.WriteTimeout, ReadTimeout+budget+10*time.Second)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > MaxHeaderBytes {
		srv.MaxHeaderBytes = MaxHeaderBytes
	}
}
