package tester

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/zeval/zeval/internal/evaluator"
	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

// Library gives the run the persistent objects (Z2) it reads: the function, its
// implementations and testers, and the programming languages of code. A Library that also
// implements Referrers is asked for the implementations and testers that point at the
// function without being listed in it.
type Library interface {
	Resolve(ctx context.Context, zid string) (*z.Object, error)
}

// Referrers is the optional interface of a Library that finds objects by the references their
// values hold: Referrers(ctx, "Z14K1", "Z10001") lists the implementations of Z10001.
type Referrers interface {
	Referrers(ctx context.Context, key, target string) ([]string, error)
}

// Orchestrator is what the run needs of the orchestrator: *orchestrator.Orchestrator.
type Orchestrator interface {
	Run(ctx context.Context, req orchestrator.Request) orchestrator.Outcome
	Definitions() *orchestrator.Definitions
}

var _ Orchestrator = (*orchestrator.Orchestrator)(nil)

// Kinds of implementation, as Report shows them. Code reports its language instead.
const (
	KindComposition = "composition"
	KindBuiltIn     = "built-in"
)

// Report is the outcome of running a function's testers.
type Report struct {
	Function string `json:"function"`
	Label    string `json:"label,omitempty"`
	Testers  []Ref  `json:"testers"`
	// Implementations are ranked: fewest failures first, then the fastest.
	Implementations []Implementation `json:"implementations"`
	Passed          int              `json:"passed"`
	Failed          int              `json:"failed"`
	Duration        time.Duration    `json:"durationNs"`
}

// OK reports whether every tester passed against every implementation, and there was at least
// one of each.
func (r Report) OK() bool {
	return r.Failed == 0 && r.Passed > 0
}

// Ref names a persistent object.
type Ref struct {
	ZID   string `json:"zid"`
	Label string `json:"label,omitempty"`
}

// Implementation is the outcome of the testers against one implementation.
type Implementation struct {
	ZID   string `json:"zid"` // "Z8K4[n]" for a literal implementation inside the function
	Label string `json:"label,omitempty"`
	// Kind is the language of code ("python", "javascript"), KindComposition or KindBuiltIn.
	Kind     string        `json:"kind"`
	Rank     int           `json:"rank"` // 1 is the best
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Duration time.Duration `json:"durationNs"` // of its tester calls, validators excluded
	Results  []Result      `json:"results"`
}

// Result is one tester against one implementation.
type Result struct {
	Tester string `json:"tester"`
	Label  string `json:"label,omitempty"`
	Passed bool   `json:"passed"`
	// Value is what the tester's call returned (nil when it failed).
	Value *z.Object `json:"value,omitempty"`
	// Error is the Z5 of the call or of the validator, nil when they ran; a tester whose
	// validator answered false has a Value and no Error.
	Error    *z.Object     `json:"error,omitempty"`
	Duration time.Duration `json:"durationNs"`
}

// Option configures a run.
type Option func(*config)

type config struct {
	ev   *evaluator.Evaluator
	done func(Report)
}

// WithSessions makes the run open one session of ev for all its calls and close it at the
// end. Without it, calls use the session the context carries, if any.
func WithSessions(ev *evaluator.Evaluator) Option { return func(c *config) { c.ev = ev } }

// WithDone makes RunAll call f with each report as its run ends, from the goroutine that ran
// it (for a progress bar).
func WithDone(f func(Report)) Option { return func(c *config) { c.done = f } }

// ErrNotFunction is wrapped by the error of a run for a ZID that is not a function.
var ErrNotFunction = errors.New("tester: not a function")

// Run runs every tester of the function zid against every implementation of it, in one
// evaluator session, and ranks the implementations. Failing testers are results; the error
// is for a function that cannot be found or a library that cannot be read.
func Run(ctx context.Context, orch Orchestrator, lib Library, zid string, opts ...Option) (Report, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.ev != nil {
		s := cfg.ev.NewSession()
		defer s.Close()
		ctx = evaluator.WithSession(ctx, s)
	}
	start := time.Now()
	r := &runner{orch: orch, lib: lib}
	z2, err := r.fetch(ctx, zid)
	if err != nil {
		return Report{}, err
	}
	fn := z2.Get("Z2K2")
	if !fn.IsRecord() || !fn.Type().Is(z.Z8) {
		return Report{}, fmt.Errorf("%s: %w", zid, ErrNotFunction)
	}
	// Empty lists rather than nil ones, so that JSON shows [] for none.
	rep := Report{Function: zid, Label: Label(z2), Testers: []Ref{}, Implementations: []Implementation{}}

	impls, err := r.implementations(ctx, zid, fn)
	if err != nil {
		return Report{}, err
	}
	testers, err := r.testers(ctx, zid, fn)
	if err != nil {
		return Report{}, err
	}
	for _, t := range testers {
		rep.Testers = append(rep.Testers, t.Ref)
	}
	for _, im := range impls {
		out := Implementation{ZID: im.ZID, Label: im.Label, Kind: r.kind(ctx, im.value), Results: []Result{}}
		forced := fn.With("Z8K4", z.NewList(z.NewRef(z.Z14), im.item))
		for _, t := range testers {
			res := r.runOne(ctx, forced, t)
			out.Duration += res.Duration
			if res.Passed {
				out.Passed++
			} else {
				out.Failed++
			}
			out.Results = append(out.Results, res)
		}
		rep.Passed += out.Passed
		rep.Failed += out.Failed
		rep.Implementations = append(rep.Implementations, out)
	}
	Rank(rep.Implementations)
	rep.Duration = time.Since(start)
	return rep, ctx.Err()
}

// RunAll runs the testers of each function with Run, jobs functions at a time (each run in
// its own session when WithSessions is given), and returns the reports in the order of zids.
// The first error of a run, or the context's, is returned once all runs have ended.
func RunAll(ctx context.Context, orch Orchestrator, lib Library, zids []string, jobs int, opts ...Option) ([]Report, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	reports := make([]Report, len(zids))
	errs := make([]error, len(zids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(jobs, len(zids))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reports[i], errs[i] = Run(ctx, orch, lib, zids[i], opts...)
				if cfg.done != nil && errs[i] == nil {
					cfg.done(reports[i])
				}
			}
		}()
	}
	for i := range zids {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return reports, nil
}

// Rank orders implementations as Wikifunctions does, fewest failed testers first, then the
// fastest, and numbers them from 1. Ties keep their order.
func Rank(impls []Implementation) {
	sort.SliceStable(impls, func(i, j int) bool {
		if impls[i].Failed != impls[j].Failed {
			return impls[i].Failed < impls[j].Failed
		}
		return impls[i].Duration < impls[j].Duration
	})
	for i := range impls {
		impls[i].Rank = i + 1
	}
}

type runner struct {
	orch Orchestrator
	lib  Library
}

// member is an implementation or tester of the function: item is how it goes into a list
// (a reference, or the literal object), value the object itself.
type member struct {
	Ref
	item, value *z.Object
	err         *z.Object // why it could not be read
}

// fetch finds a persistent object among the built-ins, then in the library.
func (r *runner) fetch(ctx context.Context, zid string) (*z.Object, error) {
	if o := r.orch.Definitions().Get(zid); o != nil {
		return o, nil
	}
	if r.lib == nil {
		return nil, fmt.Errorf("%s: %w", zid, orchestrator.ErrNotFound)
	}
	return r.lib.Resolve(ctx, zid)
}

func (r *runner) implementations(ctx context.Context, zid string, fn *z.Object) ([]member, error) {
	return r.members(ctx, zid, fn.Get("Z8K4"), "Z8K4", "Z14K1", z.Z14)
}

func (r *runner) testers(ctx context.Context, zid string, fn *z.Object) ([]member, error) {
	return r.members(ctx, zid, fn.Get("Z8K3"), "Z8K3", "Z20K1", z.Z20)
}

// members collects the items of the function's list (Z8K3 or Z8K4) and the objects whose key
// refers to the function, each once, in that order.
func (r *runner) members(ctx context.Context, zid string, list *z.Object, listKey, refKey, typ string) ([]member, error) {
	var out []member
	seen := map[string]bool{}
	add := func(id string) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		m := member{Ref: Ref{ZID: id}, item: z.NewRef(id)}
		z2, err := r.fetch(ctx, id)
		switch {
		case errors.Is(err, orchestrator.ErrNotFound):
			m.err = z.ErrorString(z.CodeZIDNotFound, id)
		case err != nil:
			return err
		case !z2.Get("Z2K2").Type().Is(typ):
			m.err = z.ErrorString(z.CodeUnexpectedType, typ, id)
		default:
			m.value, m.Label = z2.Get("Z2K2"), Label(z2)
		}
		out = append(out, m)
		return nil
	}
	for i, it := range z.ListItems(list) {
		switch {
		case it.IsRef():
			if err := add(it.RefID()); err != nil {
				return nil, err
			}
		case it.IsString() && z.IsZID(it.StringValue()):
			if err := add(it.StringValue()); err != nil {
				return nil, err
			}
		case it.IsRecord():
			out = append(out, member{Ref: Ref{ZID: fmt.Sprintf("%s[%d]", listKey, i+1)}, item: it, value: it})
		}
	}
	if ref, ok := r.lib.(Referrers); ok && r.lib != nil {
		ids, err := ref.Referrers(ctx, refKey, zid)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if err := add(id); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// kind names the kind of an implementation: its language for code.
func (r *runner) kind(ctx context.Context, impl *z.Object) string {
	switch {
	case impl == nil:
		return "unknown"
	case impl.Has("Z14K2"):
		return KindComposition
	case impl.Has("Z14K4"):
		return KindBuiltIn
	case impl.Has("Z14K3"):
		lang := impl.Get("Z14K3").Get("Z16K1")
		if lang.IsRef() {
			if z2, err := r.fetch(ctx, lang.RefID()); err == nil {
				lang = z2.Get("Z2K2")
			} else {
				return lang.RefID()
			}
		}
		if code := lang.Get("Z61K1"); code.IsString() {
			return code.StringValue()
		}
	}
	return "unknown"
}

// runOne runs tester t against the function forced to one implementation.
func (r *runner) runOne(ctx context.Context, forced *z.Object, t member) Result {
	res := Result{Tester: t.ZID, Label: t.Label}
	if t.err != nil {
		res.Error = t.err
		return res
	}
	call, validator := t.value.Get("Z20K2"), t.value.Get("Z20K3")
	if !call.IsRecord() || !call.Type().Is(z.Z7) || !validator.IsRecord() || !validator.Type().Is(z.Z7) {
		res.Error = z.ErrorString(z.CodeObjectType, z.Z20, t.ZID)
		return res
	}
	call, n := force(call, forced)
	if n == 0 {
		res.Error = z.ErrorString(z.CodeInEvaluation, "The tester "+t.ZID+" does not call "+idOf(forced.Get("Z8K5"))+".")
		return res
	}
	start := time.Now()
	out := r.orch.Run(ctx, orchestrator.Request{Call: call})
	res.Duration = time.Since(start)
	if out.Error != nil {
		res.Error = out.Error
		return res
	}
	res.Value = out.Value
	key, zerr := r.firstArgument(ctx, validator.Get("Z7K1"))
	if zerr != nil {
		res.Error = zerr
		return res
	}
	check := r.orch.Run(ctx, orchestrator.Request{Call: validator.With(key, out.Value)})
	if check.Error != nil {
		res.Error = check.Error
		return res
	}
	pass, ok := z.BoolValue(check.Value)
	if !ok {
		res.Error = z.ErrorString(z.CodeReturnType, z.Z40, check.Value.String())
		return res
	}
	res.Passed = pass
	return res
}

// force returns call with every call of the function (a Z7 whose Z7K1 is a reference to its
// ZID, the tester's call itself or one nested in it, as upstream's Z8021 calls Z802 inside
// Z886) calling forced instead, and how many it replaced.
func force(call, forced *z.Object) (*z.Object, int) {
	zid := idOf(forced.Get("Z8K5"))
	n := 0
	var walk func(o *z.Object) *z.Object
	walk = func(o *z.Object) *z.Object {
		switch {
		case o.IsList():
			items := o.Items()
			out := make([]*z.Object, len(items))
			changed := false
			for i, it := range items {
				out[i] = walk(it)
				changed = changed || out[i] != it
			}
			if !changed {
				return o
			}
			return z.NewList(o.ItemType(), out...)
		case !o.IsRecord():
			return o
		}
		for _, f := range o.Fields() {
			if f.Key == "Z1K1" {
				continue
			}
			if w := walk(f.Value); w != f.Value {
				o = o.With(f.Key, w)
			}
		}
		if o.Type().Is(z.Z7) && zid != "" && idOf(o.Get("Z7K1")) == zid {
			n++
			o = o.With("Z7K1", forced)
		}
		return o
	}
	return walk(call), n
}

// idOf is the ZID a reference (or a string holding a ZID) names, else "".
func idOf(o *z.Object) string {
	switch {
	case o.IsRef():
		return o.RefID()
	case o.IsString() && z.IsZID(o.StringValue()):
		return o.StringValue()
	}
	return ""
}

// firstArgument is the key of the first argument of the validator function (a reference or a
// literal Z8), where the result goes.
func (r *runner) firstArgument(ctx context.Context, fn *z.Object) (string, *z.Object) {
	if fn.IsRef() {
		z2, err := r.fetch(ctx, fn.RefID())
		if err != nil {
			return "", z.ErrorString(z.CodeZIDNotFound, fn.RefID())
		}
		fn = z2.Get("Z2K2")
	}
	decls := z.ListItems(fn.Get("Z8K1"))
	if len(decls) == 0 {
		return "", z.ErrorString(z.CodeArgumentCount, "1", "0")
	}
	name := decls[0].Get("Z17K2")
	if !name.IsString() {
		return "", z.ErrorString(z.CodeObjectType, z.Z17, decls[0].String())
	}
	return name.StringValue(), nil
}

// Label returns the English label (Z1002) of a persistent object, else its first label.
func Label(z2 *z.Object) string {
	var first string
	for _, l := range z.ListItems(z2.Get("Z2K3").Get("Z12K1")) {
		text := l.Get("Z11K2")
		if !text.IsString() {
			continue
		}
		if l.Get("Z11K1").Is("Z1002") || (l.Get("Z11K1").IsString() && l.Get("Z11K1").StringValue() == "Z1002") {
			return text.StringValue()
		}
		if first == "" {
			first = text.StringValue()
		}
	}
	return first
}
