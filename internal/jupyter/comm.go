package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// CommHandler is called when the kernel opens a comm with a registered target. It runs on the
// IOPub reader goroutine: it must not block (start a goroutine to talk on the comm).
type CommHandler func(c *Comm, data json.RawMessage)

// ErrCommClosed is returned by Recv and Send on a closed comm.
var ErrCommClosed = errors.New("jupyter: comm is closed")

// Comm is one end of a comm: a custom message channel between client and kernel.
// Safe for concurrent use.
type Comm struct {
	ID     string
	Target string
	c      *conn
	inbox  *call
	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

func newComm(c *conn, id, target string) *Comm {
	return &Comm{ID: id, Target: target, c: c, inbox: newCall(), done: make(chan struct{})}
}

// OpenComm opens a comm to target in the kernel with initial data. The kernel closes it at once
// when it has no such target; Recv then returns ErrCommClosed.
func (k *Kernel) OpenComm(ctx context.Context, target string, data any) (*Comm, error) {
	c, err := k.current()
	if err != nil {
		return nil, err
	}
	cm := newComm(c, newID(), target)
	c.mu.Lock()
	c.comms[cm.ID] = cm
	c.mu.Unlock()
	if err := cm.sendMsg("comm_open", map[string]any{"comm_id": cm.ID, "target_name": target, "data": orNull(data)}); err != nil {
		c.mu.Lock()
		delete(c.comms, cm.ID)
		c.mu.Unlock()
		return nil, err
	}
	return cm, nil
}

func orNull(v any) any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

func (cm *Comm) sendMsg(msgType string, content any) error {
	raw, err := json.Marshal(content)
	if err != nil {
		return fmt.Errorf("jupyter: encoding %s: %w", msgType, err)
	}
	return cm.c.send(Shell, &Message{Header: newHeader(cm.c.session, msgType), Content: raw})
}

// Send sends data on the comm.
func (cm *Comm) Send(data any) error {
	cm.mu.Lock()
	closed := cm.closed
	cm.mu.Unlock()
	if closed {
		return ErrCommClosed
	}
	return cm.sendMsg("comm_msg", map[string]any{"comm_id": cm.ID, "data": orNull(data)})
}

// Recv returns the data of the next comm_msg from the kernel.
func (cm *Comm) Recv(ctx context.Context) (json.RawMessage, error) {
	for {
		cm.inbox.mu.Lock()
		if len(cm.inbox.queue) > 0 {
			r := cm.inbox.queue[0]
			cm.inbox.queue = cm.inbox.queue[1:]
			cm.inbox.mu.Unlock()
			var body struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(r.msg.Content, &body); err != nil {
				return nil, fmt.Errorf("jupyter: comm_msg: %w", err)
			}
			return body.Data, nil
		}
		cm.inbox.mu.Unlock()
		select {
		case <-cm.inbox.notify:
		case <-cm.done:
			cm.inbox.mu.Lock()
			n := len(cm.inbox.queue)
			cm.inbox.mu.Unlock()
			if n == 0 {
				return nil, ErrCommClosed
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Done is closed when the comm is closed by either side or the kernel goes away.
func (cm *Comm) Done() <-chan struct{} { return cm.done }

// Close closes the comm from our side, telling the kernel.
func (cm *Comm) Close(data any) error {
	if !cm.closeLocal() {
		return nil
	}
	cm.c.mu.Lock()
	delete(cm.c.comms, cm.ID)
	cm.c.mu.Unlock()
	return cm.sendMsg("comm_close", map[string]any{"comm_id": cm.ID, "data": orNull(data)})
}

// closeLocal marks the comm closed; it reports whether it was open.
func (cm *Comm) closeLocal() bool {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	if cm.closed {
		return false
	}
	cm.closed = true
	close(cm.done)
	return true
}

// routeComm delivers comm messages from the kernel (they arrive on IOPub).
func (c *conn) routeComm(m *Message) {
	switch m.Header.MsgType {
	case "comm_open", "comm_msg", "comm_close":
	default:
		return
	}
	var body struct {
		CommID string          `json:"comm_id"`
		Target string          `json:"target_name"`
		Data   json.RawMessage `json:"data"`
	}
	if json.Unmarshal(m.Content, &body) != nil || body.CommID == "" {
		return
	}
	c.mu.Lock()
	cm := c.comms[body.CommID]
	switch m.Header.MsgType {
	case "comm_open":
		h := c.commTargets[body.Target]
		if cm != nil {
			c.mu.Unlock()
			return
		}
		if h == nil {
			c.mu.Unlock()
			// As Jupyter clients do: refuse a comm nobody listens to.
			rejected := newComm(c, body.CommID, body.Target)
			_ = rejected.sendMsg("comm_close", map[string]any{"comm_id": body.CommID, "data": map[string]any{}})
			return
		}
		cm = newComm(c, body.CommID, body.Target)
		c.comms[cm.ID] = cm
		c.mu.Unlock()
		h(cm, body.Data)
	case "comm_msg":
		c.mu.Unlock()
		if cm != nil {
			cm.inbox.push(routed{IOPub, m})
		}
	case "comm_close":
		delete(c.comms, body.CommID)
		c.mu.Unlock()
		if cm != nil {
			cm.closeLocal()
		}
	}
}
