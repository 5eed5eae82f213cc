package evaluator

import (
	"context"
	"errors"
	"sync"

	"github.com/zeval/zeval/internal/js"
	z "github.com/zeval/zeval/internal/zobject"
)

// jsRuntime runs JavaScript functions in the embedded engine: one VM per function per session.
type jsRuntime struct{ e *Evaluator }

func (r *jsRuntime) load(_ context.Context, fn *function) (instance, error) {
	vm, err := js.NewVM(fn.code, fn.name)
	var ce *js.CodeError
	if errors.As(err, &ce) {
		// Code that does not compile answers every call with its error, as upstream does.
		return &jsInstance{e: r.e, broken: ce.Envelope()}, nil
	}
	if err != nil {
		return nil, err
	}
	return &jsInstance{e: r.e, vm: vm}, nil
}

// jsInstance is one function's VM in a session. A VM takes one call at a time, but is re-entrant
// on the goroutine that calls it: a call that comes back to the same VM through W.Call (its
// context carries the VM) runs at once instead of waiting for the lock it already holds.
type jsInstance struct {
	e      *Evaluator
	vm     *js.VM
	broken *z.Object // the Z22 every call gets when the code does not compile
	mu     sync.Mutex
}

type heldVM struct{ vm *js.VM }

func (in *jsInstance) invoke(ctx context.Context, args []z.Field) (*z.Object, error) {
	if in.broken != nil {
		return in.broken, nil
	}
	if ctx.Value(heldVM{in.vm}) == nil {
		in.mu.Lock()
		defer in.mu.Unlock()
		ctx = context.WithValue(ctx, heldVM{in.vm}, true)
	}
	out, err := in.vm.Call(ctx, args, jsCaller{in.e})
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, errTimeLimit
	}
	return out, err
}

func (in *jsInstance) usable() bool     { return true }
func (in *jsInstance) where() *z.Object { return jsWhere }
func (in *jsInstance) close()           {}

var jsWhere = z.NewString("embedded JavaScript (goja)")

// jsCaller serves W.Call from JavaScript through the evaluator's CallFunc, with the depth limit.
type jsCaller struct{ e *Evaluator }

func (c jsCaller) Call(ctx context.Context, z7 *z.Object) (*z.Object, error) {
	depth := depthOf(ctx) + 1
	if depth > c.e.cfg.MaxDepth {
		return failed(depthError(c.e.cfg.MaxDepth)), nil
	}
	if c.e.caller == nil {
		return failed(z.ErrorString(z.CodeNotImplemented, "Nested function calls are not available here.")), nil
	}
	return c.e.caller(withDepth(ctx, depth), z7), nil
}
