package zobject

// parseDirect is Parse for the common case, building Objects straight from the JSON without
// the node tree. It gives up (ok false) on anything it does not handle the way build does —
// numbers, Booleans and null, bad JSON, duplicate keys, deep nesting, and records whose type
// is a Z881 call, which may be lists in normal form — and Parse then takes the general path,
// which gives the same objects (FuzzParseDirect) and the errors.
func parseDirect(data []byte) (*Object, bool) {
	p := directParser{d: decoder{data: data}}
	p.d.space()
	o, _, ok := p.value()
	if !ok {
		return nil, false
	}
	p.d.space()
	return o, p.d.pos == len(data)
}

type directParser struct {
	d     decoder // for its position and strings
	stack []Field // the fields of the objects being read, innermost last
}

// maxDirectDepth is how deeply parseDirect follows nesting before it gives up.
const maxDirectDepth = 512

// value reads one value; bare says it was a JSON string (build reads those as strings or
// references, and only those count for the {"Z1K1": "Z6", "Z6K1": s} forms).
func (p *directParser) value() (o *Object, bare bool, ok bool) {
	d := &p.d
	if d.pos >= len(d.data) {
		return nil, false, false
	}
	switch d.data[d.pos] {
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, false, false
		}
		if IsReference(s) {
			return NewRef(s), true, true
		}
		return NewString(s), true, true
	case '[':
		o, ok := p.array()
		return o, false, ok
	case '{':
		o, ok := p.object()
		return o, false, ok
	}
	return nil, false, false
}

func (p *directParser) enter() bool {
	p.d.depth++
	return p.d.depth <= maxDirectDepth
}

func (p *directParser) array() (*Object, bool) {
	d := &p.d
	if !p.enter() {
		return nil, false
	}
	defer func() { d.depth-- }()
	d.pos++ // '['
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return newListOwned(NewRef(Z1), nil), true
	}
	var itemType *Object
	var items []*Object
	for first := true; ; first = false {
		d.space()
		v, _, ok := p.value()
		if !ok {
			return nil, false
		}
		if first {
			itemType = v
		} else {
			items = append(items, v)
		}
		d.space()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			if items == nil {
				items = []*Object{}
			}
			return newListOwned(itemType, items), true
		default:
			return nil, false
		}
	}
}

func (p *directParser) object() (*Object, bool) {
	d := &p.d
	if !p.enter() {
		return nil, false
	}
	defer func() { d.depth-- }()
	d.pos++ // '{'
	base := len(p.stack)
	defer func() {
		clear(p.stack[base:])
		p.stack = p.stack[:base]
	}()
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return newRecord(0), true
	}
	// The type (Z1K1), and whether it and the value of its value key ("Z6K1", "Z9K1") were
	// bare strings.
	var typ *Object
	var typeBare, valueBare bool
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, false
		}
		k, err := d.str()
		if err != nil {
			return nil, false
		}
		for _, f := range p.stack[base:] {
			if f.Key == k {
				return nil, false // a duplicate: the general path reports it
			}
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.space()
		v, bare, ok := p.value()
		if !ok {
			return nil, false
		}
		switch k {
		case KeyType:
			typ, typeBare = v, bare
			if maybeListType(v) {
				return nil, false // give up at once: the general path will
			}
		case "Z6K1", "Z9K1":
			valueBare = bare
		}
		p.stack = append(p.stack, Field{Key: k, Value: v})
		d.space()
		if d.pos >= len(d.data) {
			return nil, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			continue
		case '}':
			d.pos++
		default:
			return nil, false
		}
		break
	}
	fs := p.stack[base:]
	// {"Z1K1": "Z6", "Z6K1": s} and {"Z1K1": "Z9", "Z9K1": s}, with bare strings, as build reads them.
	if len(fs) == 2 && typeBare && (typ.Is(Z6) || typ.Is(Z9)) {
		valueKey := typ.text + "K1"
		for _, f := range fs {
			if f.Key == valueKey && valueBare {
				if typ.text == Z6 {
					return NewString(f.Value.text), true
				}
				return NewRef(f.Value.text), true
			}
		}
	}
	o := newRecord(len(fs))
	for _, f := range fs {
		o.keys = append(o.keys, f.Key)
		o.vals = append(o.vals, f.Value)
	}
	o.buildIndex()
	return o, true
}

// maybeListType reports whether a record typed t may be a list in normal form (its type a
// call of Z881, as isListTypeNode says of the node): the general path decides those.
func maybeListType(t *Object) bool {
	return t.IsRecord() && len(t.keys) == 3 && t.Has("Z881K1") && t.Get(KeyType).Is(Z7) && t.Get("Z7K1").Is(Z881)
}
