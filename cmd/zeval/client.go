package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/api"
	"github.com/zeval/zeval/internal/tester"
	z "github.com/zeval/zeval/internal/zobject"
)

// TokenEnv names the environment variable with the API token the CLI sends to a server.
const clientTokenEnv = "ZEVAL_TOKEN"

// maxReply bounds what the client reads of one reply.
const maxReply = 64 << 20

// serverFlag is the --server flag of the commands that can work against a running server.
func serverFlag(fs *flag.FlagSet) *string {
	return fs.String("server", os.Getenv("ZEVAL_SERVER"),
		"URL of a running zeval serve to work against (default $ZEVAL_SERVER; empty: in this process); the token comes from $"+clientTokenEnv)
}

// apiClient is a small client of zeval serve's HTTP API. It is safe for concurrent use.
type apiClient struct {
	base  *url.URL
	http  *http.Client
	token string
}

// newAPIClient returns a client of the server at rawURL (http or https, no query).
func newAPIClient(rawURL string) (*apiClient, error) {
	u, err := url.Parse(strings.TrimRight(rawURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--server %q: want a URL such as http://127.0.0.1:8080", rawURL)
	}
	return &apiClient{base: u, http: &http.Client{Timeout: 10 * time.Minute}, token: os.Getenv(clientTokenEnv)}, nil
}

// serverError is a refusal or failure the server answered.
type serverError struct {
	Status     int
	Message    string
	Z5         json.RawMessage
	RetryAfter string
	Body       []byte // the whole reply, for refusals with more than a message
}

func (e *serverError) Error() string {
	msg := fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter != "" {
		msg += " (retry after " + e.RetryAfter + " s)"
	}
	return msg
}

// do sends a request and decodes a 2xx JSON reply into out (when not nil). Any other status
// is a *serverError with the server's message.
func (c *apiClient) do(ctx context.Context, method, path string, body []byte, out any) error {
	resp, err := c.send(ctx, method, path, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := readReply(resp, method, path)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the reply of %s %s is not what was expected: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns the reply, whose body the caller closes, when its status
// is 2xx. Any other status is a *serverError with the server's message.
func (c *apiClient) send(ctx context.Context, method, path string, body []byte, accept string) (*http.Response, error) {
	u := *c.base
	p, q, _ := strings.Cut(path, "?")
	u.Path = c.base.Path + p
	u.RawQuery = q
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	se := &serverError{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
	data, err := readReply(resp, method, path)
	if err != nil {
		se.Message = err.Error()
		return nil, se
	}
	var eb struct {
		Error string          `json:"error"`
		Z5    json.RawMessage `json:"z5"`
	}
	if json.Unmarshal(data, &eb) == nil {
		se.Message, se.Z5 = eb.Error, eb.Z5
	} else {
		se.Message = strings.TrimSpace(string(data[:min(len(data), 200)]))
	}
	se.Body = data
	return nil, se
}

// readReply reads a reply's body, up to maxReply bytes.
func readReply(resp *http.Response, method, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("reading the reply of %s %s: %w", method, path, err)
	}
	if len(data) > maxReply {
		return nil, fmt.Errorf("the reply of %s %s is larger than %d bytes", method, path, maxReply)
	}
	return data, nil
}

// evaluate posts a function call and returns the Z22 envelope.
func (c *apiClient) evaluate(ctx context.Context, call *z.Object) (*z.Object, error) {
	body, err := json.Marshal(map[string]json.RawMessage{"zobject": call.CanonicalJSON(), "doValidate": []byte("true")})
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/wikifunctions.org/v1/evaluate/", body, &raw); err != nil {
		return nil, err
	}
	env, err := z.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the server's envelope is not a ZObject: %w", err)
	}
	return env, nil
}

// functions lists the server's functions, every page, whose label or ZID contains q.
func (c *apiClient) functions(ctx context.Context, q string) ([]api.FunctionEntry, error) {
	var out []api.FunctionEntry
	after := ""
	for {
		v := url.Values{"limit": {fmt.Sprint(api.MaxFunctionsLimit)}}
		if q != "" {
			v.Set("q", q)
		}
		if after != "" {
			v.Set("after", after)
		}
		var page api.FunctionList
		if err := c.do(ctx, http.MethodGet, "/v1/functions?"+v.Encode(), nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Functions...)
		if page.Next == "" || page.Next == after {
			return out, nil
		}
		after = page.Next
	}
}

// function fetches a function's persistent object (Z2) from the server.
func (c *apiClient) function(ctx context.Context, zid string) (*z.Object, error) {
	var d api.FunctionDetail
	if err := c.do(ctx, http.MethodGet, "/v1/functions/"+url.PathEscape(zid), nil, &d); err != nil {
		var se *serverError
		if errors.As(err, &se) && se.Status == http.StatusNotFound {
			return nil, fmt.Errorf("%s: no such function on the server", zid)
		}
		return nil, err
	}
	return z.Parse(d.Function)
}

// evalRemote is zeval eval --server: it posts the call (any JSON form) to the server's
// evaluate route and prints the Z22 as eval does in process.
func evalRemote(ctx context.Context, env *cliEnv, server string, call []byte, validate, resultOnly bool) error {
	c, err := newAPIClient(server)
	if err != nil {
		return err
	}
	if !json.Valid(call) {
		return errors.New("the call is not JSON")
	}
	body, err := json.Marshal(map[string]any{"zobject": json.RawMessage(call), "doValidate": validate})
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/wikifunctions.org/v1/evaluate/", body, &raw); err != nil {
		return err
	}
	envelope, err := z.Parse(raw)
	if err != nil {
		return fmt.Errorf("the server's envelope is not a ZObject: %w", err)
	}
	out := []byte(raw)
	if resultOnly {
		out = envelope.Get("Z22K1").CanonicalJSON()
	}
	if _, err := fmt.Fprintf(env.stdout, "%s\n", out); err != nil {
		return err
	}
	if e := z.EnvelopeError(envelope); e != nil && !z.IsVoid(e) {
		if resultOnly {
			fmt.Fprintf(env.stderr, "error: %s\n", e.CanonicalJSON())
		}
		return exitError{1}
	}
	return nil
}

// testRemote is zeval test --server: POST /v1/functions/{zid}/test for each function (every
// stored one when zids is empty), jobs at a time, printed as zeval test prints its reports.
func testRemote(ctx context.Context, env *cliEnv, server string, zids []string, jobs int, asJSON bool) error {
	c, err := newAPIClient(server)
	if err != nil {
		return err
	}
	if len(zids) == 0 {
		list, err := c.functions(ctx, "")
		if err != nil {
			return err
		}
		for _, f := range list {
			if !f.BuiltIn {
				zids = append(zids, f.ZID)
			}
		}
	}
	start := time.Now()
	reports := make([]tester.Report, len(zids))
	errs := make([]error, len(zids))
	progress := newProgress(env.stderr, len(zids))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	for w := 0; w < max(1, min(jobs, len(zids))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(zids) || ctx.Err() != nil {
					return
				}
				var rep api.TestReport
				errs[i] = c.do(ctx, http.MethodPost, "/v1/functions/"+url.PathEscape(zids[i])+"/test", nil, &rep)
				reports[i] = rep.Report
				if errs[i] == nil {
					mu.Lock()
					progress.done(rep.Report)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	progress.finish()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", zids[i], err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	} else if err := tester.WriteTable(env.stdout, reports, time.Since(start)); err != nil {
		return err
	}
	for _, r := range reports {
		if r.Failed > 0 {
			return exitError{1}
		}
	}
	return nil
}
