package quota

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// TokensEnv is the environment variable that may hold tokens, as "name:token,name:token".
const TokensEnv = "ZEVAL_TOKENS"

// Flags are the command-line settings of a Limiter, registered by RegisterFlags.
type Flags struct {
	tokensFile      *string
	trustedHeader   *string
	anonymousWrites *bool
	rate            *float64
	burst           *int
	maxConcurrent   *int
	slots           *int
	queueBudget     *time.Duration
	queueTarget     *time.Duration
	requestTimeout  *time.Duration
}

// RegisterFlags adds the quota flags to fs. The defaults limit nothing but writes (which need
// a token), so a server on loopback behaves as before apart from that.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	return &Flags{
		tokensFile:      fs.String("tokens", "", "file of API tokens, one name:token a line (mode 600); also $"+TokensEnv),
		trustedHeader:   fs.String("trusted-user-header", "", "header a front end sets to name the caller, as X-Zeval-User (trusted: set only behind such a front end)"),
		anonymousWrites: fs.Bool("anonymous-writes", false, "allow writes without a token when no tokens are configured"),
		rate:            fs.Float64("rate", 0, "requests per second per caller (0: no limit)"),
		burst:           fs.Int("burst", 0, "burst of the per-caller rate (default: 2 s of --rate, at least 1)"),
		maxConcurrent:   fs.Int("max-concurrent", 0, "evaluations at a time per caller (0: no limit)"),
		slots:           fs.Int("slots", 0, "evaluations at a time for the server; more wait in line (0: no limit)"),
		queueBudget:     fs.Duration("queue-budget", time.Second, "longest wait for an evaluation slot before the server sheds the request with 503"),
		queueTarget:     fs.Duration("queue-target", 0, "longest wait for a slot while the line has not emptied for a whole --queue-budget (overload): then the newest request is served first (0: a tenth of --queue-budget)"),
		requestTimeout:  fs.Duration("request-timeout", 0, "time budget of one request (0: none beyond the evaluation's)"),
	}
}

// New builds the Limiter the flags describe, with tokens from the file and from $ZEVAL_TOKENS.
// A nil *Flags means every flag at its default.
func (f *Flags) New(logger *slog.Logger, maxBody int64, opts ...Option) (*Limiter, error) {
	if f == nil {
		f = RegisterFlags(flag.NewFlagSet("quota", flag.ContinueOnError))
	}
	var tokens *Tokens
	if *f.tokensFile != "" {
		t, err := LoadTokens(*f.tokensFile)
		if err != nil {
			return nil, err
		}
		tokens = t
	}
	if env := os.Getenv(TokensEnv); env != "" {
		t, err := ParseTokens([]byte(env))
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", TokensEnv, err)
		}
		if tokens, err = tokens.Merge(t); err != nil {
			return nil, err
		}
	}
	burst := *f.burst
	if burst == 0 && *f.rate > 0 {
		burst = max(1, int(2**f.rate))
	}
	all := []Option{WithTokens(tokens), WithLogger(logger), WithMaxBody(maxBody),
		WithRate(*f.rate, burst), WithMaxConcurrent(*f.maxConcurrent), WithSlots(*f.slots),
		WithQueueBudget(*f.queueBudget), WithQueueTarget(*f.queueTarget), WithRequestTimeout(*f.requestTimeout)}
	if *f.trustedHeader != "" {
		all = append(all, WithTrustedHeader(*f.trustedHeader))
	}
	if *f.anonymousWrites {
		all = append(all, WithAnonymousWrites())
	}
	return New(append(all, opts...)...)
}
