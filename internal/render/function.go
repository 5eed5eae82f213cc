package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"strconv"
	"sync"

	"github.com/zeval/zeval/internal/orchestrator"
	z "github.com/zeval/zeval/internal/zobject"
)

// function is what a render knows of a function it calls: looked up once per page.
type function struct {
	once sync.Once
	zid  string
	err  *z.Object // the function cannot be called (unknown, not a function)

	args          []argDecl
	returnsHTML   bool
	deterministic bool

	fpOnce sync.Once
	fp     string // cache fingerprint; "" means do not cache
}

type argDecl struct {
	key string
	typ *z.Object
}

// function returns the page's entry for zid, looking the function up on first use.
func (p *page) function(ctx context.Context, zid string) *function {
	p.mu.Lock()
	f := p.functions[zid]
	if f == nil {
		f = &function{zid: zid}
		p.functions[zid] = f
	}
	p.mu.Unlock()
	f.once.Do(func() { f.load(ctx, p.r.resolver) })
	return f
}

func (f *function) load(ctx context.Context, resolver orchestrator.Resolver) {
	if !z.IsZID(f.zid) {
		f.err = z.ErrorString(z.CodeZIDNotFound, f.zid, "the function of a call must be a ZID such as Z10001, not "+quote(f.zid))
		return
	}
	obj, err := resolve(ctx, resolver, f.zid)
	if err != nil {
		if errors.Is(err, orchestrator.ErrNotFound) {
			f.err = z.ErrorString(z.CodeZIDNotFound, f.zid, "there is no function "+f.zid)
		} else {
			f.err = z.ErrorString(z.CodeInEvaluation, "looking up "+f.zid+" failed: "+err.Error())
		}
		return
	}
	fn := obj.Get("Z2K2")
	if !fn.IsRecord() || !fn.Type().Is(z.Z8) {
		f.err = z.ErrorString(z.CodeWrongContentType, f.zid, f.zid+" is not a function (Z8)")
		return
	}
	for _, d := range z.ListItems(fn.Get("Z8K1")) {
		key := d.Get("Z17K2")
		typ := d.Get("Z17K1")
		if !key.IsString() || typ == nil {
			f.err = z.ErrorString(z.CodeNotWellformed, f.zid+" declares an argument without a key or type")
			return
		}
		f.args = append(f.args, argDecl{key: key.StringValue(), typ: typ})
	}
	f.returnsHTML = fn.Get("Z8K2").Is(HTMLType)
	f.deterministic = !hasString(obj.Get("Z2K4"), NonDeterministicAlias, 0)
}

func resolve(ctx context.Context, resolver orchestrator.Resolver, zid string) (*z.Object, error) {
	if resolver == nil {
		return nil, orchestrator.ErrNotFound
	}
	return resolver.Resolve(ctx, zid)
}

// hasString reports whether s is one of the strings inside o.
func hasString(o *z.Object, s string, depth int) bool {
	switch {
	case o == nil || depth > 16:
		return false
	case o.IsString():
		return o.StringValue() == s
	case o.IsList():
		for _, it := range o.Items() {
			if hasString(it, s, depth+1) {
				return true
			}
		}
	case o.IsRecord():
		for _, f := range o.Fields() {
			if hasString(f.Value, s, depth+1) {
				return true
			}
		}
	}
	return false
}

// maxDependencies bounds the objects a cache fingerprint covers; a function that depends on
// more is not cached.
const maxDependencies = 512

// fingerprint identifies the revision of everything a function's result may depend on: the
// function, its implementations, and, transitively, every user-defined object (ZID Z10000 and
// up) they mention — in composition bodies, and as ZID-shaped words in code, which is how
// W.Call names the functions it calls. Each object counts by its store revision ID when the
// Versioner knows it, by a hash of its content otherwise; an object that does not exist
// counts as missing, so creating it changes the fingerprint too. An edit to any of them
// therefore makes new cache keys, and the old entries age out of the LRU. A function that
// depends on a non-deterministic one is not cached either. Code that builds ZIDs at run time
// escapes this; mark such a function non-deterministic.
func (p *page) fingerprint(ctx context.Context, fn *function) string {
	fn.fpOnce.Do(func() {
		parts, ok := p.dependencies(ctx, fn.zid)
		if !ok {
			return
		}
		h := sha256.New()
		h.Write([]byte("zeval-render-cache-v1"))
		for _, s := range parts {
			h.Write([]byte{0})
			h.Write([]byte(s))
		}
		fn.fp = hex.EncodeToString(h.Sum(nil)[:16])
	})
	return fn.fp
}

func (p *page) dependencies(ctx context.Context, root string) ([]string, bool) {
	seen := map[string]bool{root: true}
	queue := []string{root}
	var parts []string
	for len(queue) > 0 {
		zid := queue[0]
		queue = queue[1:]
		obj, err := resolve(ctx, p.r.resolver, zid)
		if err != nil {
			if !errors.Is(err, orchestrator.ErrNotFound) {
				return nil, false
			}
			parts = append(parts, zid+"@missing")
			continue
		}
		if zid != root && hasString(obj.Get("Z2K4"), NonDeterministicAlias, 0) {
			return nil, false // a non-deterministic dependency makes the result non-deterministic
		}
		parts = append(parts, zid+"@"+p.revision(ctx, zid, obj))
		for _, ref := range mentions(obj.Get("Z2K2")) {
			if !seen[ref] && userDefined(ref) {
				seen[ref] = true
				if len(seen) > maxDependencies {
					return nil, false
				}
				queue = append(queue, ref)
			}
		}
	}
	sort.Strings(parts)
	return parts, true
}

// revision names the revision of a persistent object.
func (p *page) revision(ctx context.Context, zid string, obj *z.Object) string {
	if p.r.versions != nil {
		if v, err := p.r.versions.Version(ctx, zid); err == nil {
			return "r" + strconv.FormatInt(v, 10)
		}
	}
	sum := sha256.Sum256(obj.CanonicalJSON())
	return "h" + hex.EncodeToString(sum[:12])
}

// mentions returns the ZIDs that o refers to or mentions in its strings.
func mentions(o *z.Object) []string {
	var out []string
	var walk func(o *z.Object, depth int)
	walk = func(o *z.Object, depth int) {
		if o == nil || depth > z.MaxDepth {
			return
		}
		switch {
		case o.IsRef():
			out = append(out, o.RefID())
		case o.IsString():
			out = append(out, zidWords(o.StringValue())...)
		case o.IsList():
			for _, it := range o.Items() {
				walk(it, depth+1)
			}
		case o.IsRecord():
			for _, f := range o.Fields() {
				walk(f.Value, depth+1)
			}
		}
	}
	walk(o, 0)
	return out
}

// zidWords returns the words of s that look like ZIDs: Z and digits, not preceded by a letter
// or digit; a K after the digits (a key such as Z10001K1) still names Z10001.
func zidWords(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != 'Z' || (i > 0 && isWordByte(s[i-1])) {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > i+1 && s[i+1] != '0' && (j == len(s) || !isWordByte(s[j]) || s[j] == 'K') {
			out = append(out, s[i:j])
		}
		i = j - 1
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// userDefined reports whether zid is outside the range of built-in objects (Z1–Z9999).
func userDefined(zid string) bool {
	if len(zid) < 2 || zid[0] != 'Z' {
		return false
	}
	n, err := strconv.Atoi(zid[1:])
	return err == nil && n >= 10000
}

// language returns the programming language of a code implementation, "" when unknown.
func (p *page) language(ctx context.Context, impl string) string {
	p.mu.Lock()
	lang, ok := p.impls[impl]
	p.mu.Unlock()
	if ok {
		return lang
	}
	if obj, err := resolve(ctx, p.r.resolver, impl); err == nil {
		l := obj.Get("Z2K2").Get("Z14K3").Get("Z16K1")
		if l.IsRef() {
			if lo, err := resolve(ctx, p.r.resolver, l.RefID()); err == nil {
				l = lo.Get("Z2K2")
			}
		}
		switch {
		case l.IsString():
			lang = l.StringValue()
		case l.IsRecord() && l.Get("Z61K1").IsString():
			lang = l.Get("Z61K1").StringValue()
		}
	}
	p.mu.Lock()
	p.impls[impl] = lang
	p.mu.Unlock()
	return lang
}

// cacheKey is the cache key of a call: the function's fingerprint and the call.
func cacheKey(fingerprint, call string) string {
	sum := sha256.Sum256([]byte(call))
	return "render:" + fingerprint + ":" + hex.EncodeToString(sum[:])
}
