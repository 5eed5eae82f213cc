package jupyter

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Output is one output of executed code, in the order the kernel sent it.
type Output struct {
	Type     string         `json:"output_type"` // stream, execute_result, display_data, error
	Name     string         `json:"name,omitempty"`
	Text     string         `json:"text,omitempty"` // stream text
	Data     map[string]any `json:"data,omitempty"` // MIME bundle of execute_result / display_data
	Metadata map[string]any `json:"metadata,omitempty"`
}

// PlainText returns the text/plain form of the output (the stream text for streams).
func (o Output) PlainText() string {
	if o.Type == "stream" {
		return o.Text
	}
	if s, ok := o.Data["text/plain"].(string); ok {
		return s
	}
	return ""
}

// KernelError is an exception raised by executed code. It is a result, not a Go error.
type KernelError struct {
	Name      string   `json:"ename"`
	Value     string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

// PlainTraceback is the traceback without terminal colour codes.
func (e *KernelError) PlainTraceback() string { return StripANSI(strings.Join(e.Traceback, "\n")) }

// StripANSI removes terminal escape sequences (kernels colour their tracebacks).
func StripANSI(s string) string { return ansiEscape.ReplaceAllString(s, "") }

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// exceptionName turns xeus-python's "<class 'ValueError'>" into "ValueError", as ipykernel says it.
func exceptionName(ename string) string {
	if strings.HasPrefix(ename, "<class '") && strings.HasSuffix(ename, "'>") {
		return ename[len("<class '") : len(ename)-2]
	}
	return ename
}

func (e *KernelError) String() string {
	if len(e.Traceback) > 0 {
		return strings.Join(e.Traceback, "\n")
	}
	return e.Name + ": " + e.Value
}

// ExecuteResult is what one execute_request produced.
type ExecuteResult struct {
	Status         string       `json:"status"` // ok, error or aborted
	ExecutionCount int          `json:"execution_count"`
	Outputs        []Output     `json:"outputs"`
	Error          *KernelError `json:"error,omitempty"`
}

// Stdout concatenates the stdout stream outputs.
func (r *ExecuteResult) Stdout() string {
	var b strings.Builder
	for _, o := range r.Outputs {
		if o.Type == "stream" && o.Name == "stdout" {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}

// InputFunc answers an input_request: the prompt, whether it is a password; returns the line.
type InputFunc func(prompt string, password bool) (string, error)

// ExecOption configures one Execute call.
type ExecOption func(*execConfig)

type execConfig struct {
	silent       bool
	storeHistory bool
	input        InputFunc
	onOutput     func(Output)
}

// Silent runs code without broadcasting outputs or counting it in history.
func Silent() ExecOption { return func(c *execConfig) { c.silent = true; c.storeHistory = false } }

// WithInput lets the code read stdin (input()); f answers each request.
func WithInput(f InputFunc) ExecOption { return func(c *execConfig) { c.input = f } }

// OnOutput calls f with each output as it arrives, besides collecting it.
func OnOutput(f func(Output)) ExecOption { return func(c *execConfig) { c.onOutput = f } }

type executeRequest struct {
	Code            string         `json:"code"`
	Silent          bool           `json:"silent"`
	StoreHistory    bool           `json:"store_history"`
	UserExpressions map[string]any `json:"user_expressions"`
	AllowStdin      bool           `json:"allow_stdin"`
	StopOnError     bool           `json:"stop_on_error"`
}

// Execute runs code and waits until the kernel has replied and gone idle for this request. A
// failure of the code is reported in the result (Status "error", Error set), not as a Go error;
// the Go error means the kernel or the connection failed, or ctx ended (the code keeps running
// in the kernel then: interrupt it if needed).
func (k *Kernel) Execute(ctx context.Context, code string, opts ...ExecOption) (*ExecuteResult, error) {
	cfg := execConfig{storeHistory: true}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := k.current()
	if err != nil {
		return nil, err
	}
	cl, id, err := c.request(Shell, "execute_request", executeRequest{
		Code: code, Silent: cfg.silent, StoreHistory: cfg.storeHistory,
		UserExpressions: map[string]any{}, AllowStdin: cfg.input != nil, StopOnError: true,
	}, nil)
	if err != nil {
		return nil, err
	}
	defer c.forget(id)
	res := &ExecuteResult{}
	replied, idle := false, false
	for !replied || !idle {
		r, err := cl.next(ctx, c.dead, c.deadReason)
		if err != nil {
			return nil, err
		}
		m := r.msg
		switch r.ch {
		case Shell:
			if m.Header.MsgType != "execute_reply" {
				continue
			}
			replied = true
			var rep struct {
				Status         string `json:"status"`
				ExecutionCount int    `json:"execution_count"`
				KernelError
			}
			if err := json.Unmarshal(m.Content, &rep); err != nil {
				return nil, fmt.Errorf("jupyter: execute_reply: %w", err)
			}
			res.Status, res.ExecutionCount = rep.Status, rep.ExecutionCount
			if rep.Status == "error" && res.Error == nil {
				res.Error = &KernelError{Name: exceptionName(rep.Name), Value: rep.Value, Traceback: rep.Traceback}
			}
		case IOPub:
			out, kerr, done, err := iopubOutput(m)
			if err != nil {
				return nil, err
			}
			if done {
				idle = true
				continue
			}
			if kerr != nil {
				res.Error = kerr
			}
			if out == nil {
				continue
			}
			if out.Type == "clear_output" {
				res.Outputs = res.Outputs[:0]
				continue
			}
			res.Outputs = append(res.Outputs, *out)
			if cfg.onOutput != nil {
				cfg.onOutput(*out)
			}
		case Stdin:
			if m.Header.MsgType != "input_request" {
				continue
			}
			if err := k.answerInput(c, m, cfg.input); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// iopubOutput interprets an IOPub message of a request: an output, the final idle status, or
// something to ignore (nil, false). An error output comes with the exception it reports.
func iopubOutput(m *Message) (out *Output, kerr *KernelError, idle bool, err error) {
	switch m.Header.MsgType {
	case "status":
		var st struct {
			State string `json:"execution_state"`
		}
		if err := json.Unmarshal(m.Content, &st); err != nil {
			return nil, nil, false, fmt.Errorf("jupyter: status: %w", err)
		}
		return nil, nil, st.State == "idle", nil
	case "stream":
		var s struct {
			Name string `json:"name"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Content, &s); err != nil {
			return nil, nil, false, fmt.Errorf("jupyter: stream: %w", err)
		}
		return &Output{Type: "stream", Name: s.Name, Text: s.Text}, nil, false, nil
	case "execute_result", "display_data", "update_display_data":
		var d struct {
			Data     map[string]any `json:"data"`
			Metadata map[string]any `json:"metadata"`
		}
		if err := json.Unmarshal(m.Content, &d); err != nil {
			return nil, nil, false, fmt.Errorf("jupyter: %s: %w", m.Header.MsgType, err)
		}
		return &Output{Type: m.Header.MsgType, Data: d.Data, Metadata: d.Metadata}, nil, false, nil
	case "error":
		var e KernelError
		if err := json.Unmarshal(m.Content, &e); err != nil {
			return nil, nil, false, fmt.Errorf("jupyter: error: %w", err)
		}
		e.Name = exceptionName(e.Name)
		return &Output{Type: "error", Name: e.Name, Text: e.String()}, &e, false, nil
	case "clear_output":
		return &Output{Type: "clear_output"}, nil, false, nil
	}
	return nil, nil, false, nil
}

// answerInput replies to an input_request on the stdin channel. Without a handler the kernel gets
// an empty line (it asked although allow_stdin was false).
func (k *Kernel) answerInput(c *conn, req *Message, f InputFunc) error {
	var ir struct {
		Prompt   string `json:"prompt"`
		Password bool   `json:"password"`
	}
	if err := json.Unmarshal(req.Content, &ir); err != nil {
		return fmt.Errorf("jupyter: input_request: %w", err)
	}
	value := ""
	if f != nil {
		v, err := f(ir.Prompt, ir.Password)
		if err != nil {
			return fmt.Errorf("jupyter: answering input_request: %w", err)
		}
		value = v
	}
	content, _ := json.Marshal(map[string]string{"value": value})
	return c.send(Stdin, &Message{Header: newHeader(c.session, "input_reply"), Parent: req.Header, Content: content})
}
