package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// TypeError reports a JSON value that does not fit the Go type it is decoded
// into. Path names the member, e.g. "data[3].amount".
type TypeError struct {
	Path string
	Msg  string
}

func (e *TypeError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// prefix adds a path segment to a TypeError as it unwinds.
func prefix(err error, seg string, index bool) error {
	te, ok := err.(*TypeError)
	if !ok {
		return err
	}
	switch {
	case te.Path == "":
		te.Path = seg
	case te.Path[0] == '[': // "[3]" + "[1]", "data" + "[3].amount"
		te.Path = seg + te.Path
	default:
		te.Path = seg + "." + te.Path
	}
	return te
}

func kindOf(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func mismatch(c byte, t reflect.Type) error {
	return &TypeError{Msg: fmt.Sprintf("cannot use a JSON %s as %s", kindOf(c), t)}
}

// Unmarshal decodes the JSON text data into v, which must be a non-nil
// pointer. Raw-typed destinations (see RegisterRaw) alias data instead of
// copying it. With trusted false, data is validated first; with trusted true,
// data must be valid JSON already (e.g. a part of a validated request).
func Unmarshal(data []byte, v any, trusted bool) error {
	if trusted || sealed(data) {
		return UnmarshalIndexed(data, v, nil)
	}
	if t, k, off := trustOf(data); t != nil {
		defer t.done()
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Pointer || rv.IsNil() {
			return fmt.Errorf("wire: Unmarshal needs a non-nil pointer, got %T", v)
		}
		_, err := typeDecoder(rv.Type().Elem())(decState{data: data, t: t, off: off, box: k}, 0, rv.Elem())
		return err
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if p := validatingPlan(rv.Type()); p != nil {
			return p.unmarshalValidating(data, rv.Elem())
		}
	}
	if _, err := Valid(data); err != nil {
		return err
	}
	return UnmarshalIndexed(data, v, nil)
}

var validatingCache sync.Map // pointer type -> *structPlan, nil when it does not apply

// validatingPlan returns the plan for decoding untrusted text into *pt in one
// pass, or nil if pt does not point to a plain struct.
func validatingPlan(pt reflect.Type) *structPlan {
	if p, ok := validatingCache.Load(pt); ok {
		return p.(*structPlan)
	}
	var p *structPlan
	if t := pt.Elem(); t.Kind() == reflect.Struct && !IsRaw(t) && t != timeType && !pt.Implements(unmarshalerType) {
		p = newStructPlan(t)
	}
	validatingCache.Store(pt, p)
	return p
}

// structPlan is how values of a struct type are decoded: its fields with
// their decoders, and the map that keeps unknown members, if any.
type structPlan struct {
	si          *structInfo
	decs        []decoderFunc
	rawSlice    []bool // the field is a slice of raw values
	unknownElem reflect.Type
}

func newStructPlan(t reflect.Type) *structPlan {
	si := structInfoOf(t)
	p := &structPlan{si: si, decs: make([]decoderFunc, len(si.fields)), rawSlice: make([]bool, len(si.fields))}
	for i, f := range si.fields {
		p.decs[i] = typeDecoder(f.typ)
		p.rawSlice[i] = f.typ.Kind() == reflect.Slice && IsRaw(f.typ.Elem()) && !IsRaw(f.typ) &&
			!reflect.PointerTo(f.typ).Implements(unmarshalerType)
	}
	if si.unknown != nil {
		p.unknownElem = t.FieldByIndex(si.unknown).Type.Elem()
	}
	return p
}

// field returns the struct v's field fi.
func (p *structPlan) field(v reflect.Value, fi int) reflect.Value {
	if index := p.si.fields[fi].index; len(index) == 1 {
		return v.Field(index[0])
	}
	return v.FieldByIndex(p.si.fields[fi].index)
}

// keep stores a member the struct v has no field for in its unknown map.
func (p *structPlan) keep(d decState, v reflect.Value, name []byte, vi int) error {
	m := v.FieldByIndex(p.si.unknown)
	if m.IsNil() {
		m.Set(reflect.MakeMap(m.Type()))
	}
	ev := reflect.New(p.unknownElem).Elem()
	if _, err := typeDecoder(p.unknownElem)(d, vi, ev); err != nil {
		return prefix(err, string(name), false)
	}
	m.SetMapIndex(reflect.ValueOf(string(name)).Convert(m.Type().Key()), ev)
	return nil
}

// unmarshalValidating decodes an untrusted JSON object into the struct v in
// one pass: every member is validated, and only the members v has a field
// for are decoded, from their just-validated text.
func (p *structPlan) unmarshalValidating(data []byte, v reflect.Value) error {
	var s Scanner
	i := s.ws(data, 0)
	if i >= len(data) {
		return syntaxErr(i, "unexpected end of input")
	}
	if data[i] != '{' {
		if _, err := Valid(data); err != nil {
			return err
		}
		if data[i] == 'n' {
			return nil
		}
		return mismatch(data[i], v.Type())
	}
	d := decState{data: data}
	end, err := s.Object(data, i, 0, func(key []byte, vi int) (int, error) {
		name := key
		if bytes.IndexByte(key, '\\') >= 0 {
			name = []byte(keyString(data, key))
		}
		fi := p.si.lookup(name)
		if fi >= 0 && p.rawSlice[fi] && data[vi] == '[' {
			// Validate and split the array in one pass.
			sp := spanPool.Get().(*[]int)
			spans, end, err := s.Array(data, vi, 1, (*sp)[:0])
			if err == nil {
				setRawSlice(p.field(v, fi), data, spans)
				*sp = spans[:0]
			}
			spanPool.Put(sp)
			return end, err
		}
		end, err := s.Value(data, vi, 1)
		if err != nil {
			return 0, err
		}
		if fi < 0 {
			if p.si.unknown == nil {
				return end, nil
			}
			return end, p.keep(d, v, name, vi)
		}
		if _, err := p.decs[fi](d, vi, p.field(v, fi)); err != nil {
			return 0, prefix(err, p.si.fields[fi].name, false)
		}
		return end, nil
	})
	if err != nil {
		return err
	}
	if j := s.ws(data, end); j != len(data) {
		return syntaxErr(j, "unexpected data after top-level value")
	}
	return nil
}

// UnmarshalIndexed decodes valid JSON text data, whose top-level arrays were
// indexed by ScanObject, into v; arrays of raw values are split using the
// index instead of being scanned again.
func UnmarshalIndexed(data []byte, v any, index *Index) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("wire: Unmarshal needs a non-nil pointer, got %T", v)
	}
	i := SkipSpace(data, 0)
	if i >= len(data) {
		return &SyntaxError{Offset: i, Msg: "unexpected end of input"}
	}
	_, err := typeDecoder(rv.Type().Elem())(decState{data: data, index: index}, i, rv.Elem())
	return err
}

// decoderFunc decodes the valid JSON value at data[i] into v and returns the
// index just past it.
type decoderFunc func(d decState, i int, v reflect.Value) (int, error)

// decState is one decoding: the text and, optionally, the index of its
// top-level arrays made when it was validated, or the trusted boxes it is
// part of (see trust.go): t, data's offset in t's text, and the entry of
// the box being decoded (0 if not known).
type decState struct {
	data  []byte
	index *Index
	t     *trustTable
	off   int
	box   int32
}

var decoderCache sync.Map

// recentDecoders caches decoderCache's answers by a hash of the type, ahead
// of the sync.Map: most calls decode the same few types again and again.
var recentDecoders [64]atomic.Pointer[recentDecoder]

type recentDecoder struct {
	t reflect.Type
	f decoderFunc
}

func typeDecoder(t reflect.Type) decoderFunc {
	slot := &recentDecoders[reflect.ValueOf(t).Pointer()>>5%uintptr(len(recentDecoders))]
	if r := slot.Load(); r != nil && r.t == t {
		return r.f
	}
	f, final := typeDecoderSlow(t)
	if final {
		slot.Store(&recentDecoder{t, f})
	}
	return f
}

// pendingDecoder stands in decoderCache for a decoder being built, so that
// recursive types resolve: it waits for the decoder, then calls it.
type pendingDecoder struct{ f decoderFunc }

// typeDecoderSlow returns t's decoder, and whether it is final rather
// than a stand-in for one being built.
func typeDecoderSlow(t reflect.Type) (decoderFunc, bool) {
	if f, ok := decoderCache.Load(t); ok {
		if p, ok := f.(*pendingDecoder); ok {
			return p.f, false
		}
		return f.(decoderFunc), true
	}
	var (
		wg sync.WaitGroup
		f  decoderFunc
	)
	wg.Add(1)
	fi, loaded := decoderCache.LoadOrStore(t, &pendingDecoder{func(d decState, i int, v reflect.Value) (int, error) {
		wg.Wait()
		return f(d, i, v)
	}})
	if loaded {
		if p, ok := fi.(*pendingDecoder); ok {
			return p.f, false
		}
		return fi.(decoderFunc), true
	}
	f = newDecoder(t)
	wg.Done()
	decoderCache.Store(t, f)
	return f, true
}

func newDecoder(t reflect.Type) decoderFunc {
	switch {
	case IsRaw(t):
		return decodeRaw
	case t == timeType, t == reflect.TypeFor[json.Number]():
		return decodeFallback
	case reflect.PointerTo(t).Implements(unmarshalerType):
		return decodeUnmarshaler
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(d decState, i int, v reflect.Value) (int, error) {
			data := d.data
			switch data[i] {
			case 't':
				v.SetBool(true)
				return i + 4, nil
			case 'f':
				v.SetBool(false)
				return i + 5, nil
			case 'n':
				return i + 4, nil
			}
			return 0, mismatch(data[i], t)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return decodeNumber(t)
	case reflect.String:
		return func(d decState, i int, v reflect.Value) (int, error) {
			data := d.data
			if data[i] == 'n' {
				return i + 4, nil
			}
			if data[i] != '"' {
				return 0, mismatch(data[i], t)
			}
			s, end := decodeString(data, i)
			v.SetString(s)
			return end, nil
		}
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return func(d decState, i int, v reflect.Value) (int, error) {
				data := d.data
				x, end, err := decodeAny(data, i)
				if err != nil {
					return 0, err
				}
				if x == nil {
					v.SetZero()
				} else {
					v.Set(reflect.ValueOf(x))
				}
				return end, nil
			}
		}
	case reflect.Pointer:
		elem := typeDecoder(t.Elem())
		return func(d decState, i int, v reflect.Value) (int, error) {
			data := d.data
			if data[i] == 'n' {
				v.SetZero()
				return i + 4, nil
			}
			if v.IsNil() {
				v.Set(reflect.New(t.Elem()))
			}
			return elem(d, i, v.Elem())
		}
	case reflect.Struct:
		return decodeStruct(t)
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			return decodeMap(t)
		}
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 {
			return decodeSlice(t)
		}
	}
	return decodeFallback
}

// decodeFallback hands the value to encoding/json for types this decoder has
// no fast path for.
func decodeFallback(d decState, i int, v reflect.Value) (int, error) {
	data := d.data
	end := d.skip(i, d.box)
	if err := json.Unmarshal(data[i:end], v.Addr().Interface()); err != nil {
		return 0, &TypeError{Msg: err.Error()}
	}
	return end, nil
}

func decodeRaw(d decState, i int, v reflect.Value) (int, error) {
	data := d.data
	end := d.skip(i, d.box)
	v.SetBytes(data[i:end:end])
	return end, nil
}

func decodeUnmarshaler(d decState, i int, v reflect.Value) (int, error) {
	data := d.data
	end := d.skip(i, d.box)
	if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(data[i:end:end]); err != nil {
		return 0, &TypeError{Msg: err.Error()}
	}
	return end, nil
}

func decodeNumber(t reflect.Type) decoderFunc {
	return func(d decState, i int, v reflect.Value) (int, error) {
		data := d.data
		c := data[i]
		if c == 'n' {
			return i + 4, nil
		}
		if c != '-' && c-'0' >= 10 {
			return 0, mismatch(c, t)
		}
		end, _ := number(data, i)
		text := data[i:end]
		switch t.Kind() {
		case reflect.Float32, reflect.Float64:
			f, err := strconv.ParseFloat(string(text), t.Bits())
			if err != nil {
				return 0, &TypeError{Msg: fmt.Sprintf("number %s out of range for %s", text, t)}
			}
			v.SetFloat(f)
			return end, nil
		}
		// JavaScript numbers are doubles: accept 1.0 or 1e3 when integral.
		var f float64
		integral := func() bool {
			var ferr error
			f, ferr = strconv.ParseFloat(string(text), 64)
			return ferr == nil && f == math.Trunc(f)
		}
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(string(text), 10, 64)
			if err != nil {
				if !integral() {
					return 0, &TypeError{Msg: fmt.Sprintf("cannot use number %s as %s", text, t)}
				}
				if f < -(1<<63) || f >= 1<<63 {
					return 0, &TypeError{Msg: fmt.Sprintf("number %s overflows %s", text, t)}
				}
				n = int64(f)
			}
			if v.OverflowInt(n) {
				return 0, &TypeError{Msg: fmt.Sprintf("number %s overflows %s", text, t)}
			}
			v.SetInt(n)
		default:
			n, err := strconv.ParseUint(string(text), 10, 64)
			if err != nil {
				if !integral() {
					return 0, &TypeError{Msg: fmt.Sprintf("cannot use number %s as %s", text, t)}
				}
				if f < 0 || f >= 1<<64 {
					return 0, &TypeError{Msg: fmt.Sprintf("number %s out of range for %s", text, t)}
				}
				n = uint64(f)
			}
			if v.OverflowUint(n) {
				return 0, &TypeError{Msg: fmt.Sprintf("number %s out of range for %s", text, t)}
			}
			v.SetUint(n)
		}
		return end, nil
	}
}

// members calls fn for each member of the object at data[i] with the key
// text (still escaped, without quotes) and the index of its value.
func members(data []byte, i int, fn func(key []byte, escaped bool, vi int) (int, error)) (int, error) {
	i = SkipSpace(data, i+1)
	if data[i] == '}' {
		return i + 1, nil
	}
	for {
		kend, escaped := skipString(data, i+1)
		key := data[i+1 : kend-1]
		i = SkipSpace(data, kend)
		i = SkipSpace(data, i+1) // past ':'
		end, err := fn(key, escaped, i)
		if err != nil {
			return 0, err
		}
		i = SkipSpace(data, end)
		if data[i] == '}' {
			return i + 1, nil
		}
		i = SkipSpace(data, i+1) // past ','
	}
}

// Members calls fn with each member of the valid JSON object at data[i]:
// its decoded key and the raw value.
func Members(data []byte, i int, fn func(key string, value []byte) error) error {
	return MemberSpans(data, i, func(key string, start, end int) error {
		return fn(key, data[start:end:end])
	})
}

// MemberSpans is Members with the [start,end) offsets of each value in data
// instead of its text.
func MemberSpans(data []byte, i int, fn func(key string, start, end int) error) error {
	i = SkipSpace(data, i)
	if i >= len(data) || data[i] != '{' {
		return &TypeError{Msg: "not a JSON object"}
	}
	_, err := members(data, i, func(key []byte, escaped bool, vi int) (int, error) {
		end := Skip(data, vi)
		k := string(key)
		if escaped {
			k, _ = decodeString(data, keyStart(data, key))
		}
		return end, fn(k, vi, end)
	})
	return err
}

func decodeStruct(t reflect.Type) decoderFunc {
	p := newStructPlan(t)
	return func(d decState, i int, v reflect.Value) (int, error) {
		data := d.data
		switch data[i] {
		case 'n':
			return i + 4, nil
		case '{':
		default:
			return 0, mismatch(data[i], t)
		}
		c := d.first()
		return d.members(i, func(key []byte, escaped bool, vi, vend int) (int, error) {
			dv := d
			dv.box = d.at(&c, vi)
			name := key
			if escaped {
				s, _ := decodeString(data, keyStart(data, key))
				name = []byte(s)
			}
			fi := p.si.lookup(name)
			if fi < 0 {
				if p.si.unknown != nil {
					if err := p.keep(dv, v, name, vi); err != nil {
						return 0, err
					}
				}
				if vend >= 0 {
					return vend, nil
				}
				return dv.skip(vi, dv.box), nil
			}
			end, err := p.decs[fi](dv, vi, p.field(v, fi))
			if err != nil {
				return 0, prefix(err, p.si.fields[fi].name, false)
			}
			return end, nil
		})
	}
}

// keyStart returns the index of the opening quote of key, a sub-slice of data.
func keyStart(data, key []byte) int {
	return cap(data) - cap(key) - 1
}

func decodeMap(t reflect.Type) decoderFunc {
	elem := typeDecoder(t.Elem())
	return func(d decState, i int, v reflect.Value) (int, error) {
		data := d.data
		switch data[i] {
		case 'n':
			v.SetZero()
			return i + 4, nil
		case '{':
		default:
			return 0, mismatch(data[i], t)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		c := d.first()
		return d.members(i, func(key []byte, escaped bool, vi, _ int) (int, error) {
			k := string(key)
			if escaped {
				k, _ = decodeString(data, keyStart(data, key))
			}
			dv := d
			dv.box = d.at(&c, vi)
			ev := reflect.New(t.Elem()).Elem()
			end, err := elem(dv, vi, ev)
			if err != nil {
				return 0, prefix(err, k, false)
			}
			kv := reflect.ValueOf(k)
			if t.Key() != kv.Type() {
				kv = kv.Convert(t.Key())
			}
			v.SetMapIndex(kv, ev)
			return end, nil
		})
	}
}

var spanPool = sync.Pool{New: func() any { s := make([]int, 0, 256); return &s }}

// Elements returns the raw elements of the valid JSON array at data[i] and
// the index past the array, appending their [start,end) offsets to spans.
func Elements(data []byte, i int, spans []int) ([]int, int) {
	d := decState{data: data}
	return d.elements(i, spans)
}

// elements is Elements, skipping boxes the decoding knows at once.
func (d *decState) elements(i int, spans []int) ([]int, int) {
	data := d.data
	i = SkipSpace(data, i+1)
	if data[i] == ']' {
		return spans, i + 1
	}
	c := d.first()
	for {
		end := d.skip(i, d.at(&c, i))
		spans = append(spans, i, end)
		i = SkipSpace(data, end)
		if data[i] == ']' {
			return spans, i + 1
		}
		i = SkipSpace(data, i+1)
	}
}

func decodeSlice(t reflect.Type) decoderFunc {
	elemT := t.Elem()
	raw := IsRaw(elemT)
	return func(d decState, i int, v reflect.Value) (int, error) {
		data := d.data
		switch data[i] {
		case 'n':
			v.SetZero()
			return i + 4, nil
		case '[':
		default:
			return 0, mismatch(data[i], t)
		}
		if spans, end, ok := d.index.spansAt(data, i); ok && raw {
			setRawSlice(v, data, spans)
			return end, nil
		}
		sp := spanPool.Get().(*[]int)
		spans, end := d.elements(i, (*sp)[:0])
		var err error
		if raw {
			setRawSlice(v, data, spans)
		} else {
			n := len(spans) / 2
			s := reflect.MakeSlice(t, n, n)
			elem := typeDecoder(elemT)
			c := d.first()
			for k := range n {
				dv := d
				dv.box = d.at(&c, spans[2*k])
				if _, err = elem(dv, spans[2*k], s.Index(k)); err != nil {
					err = prefix(err, "["+strconv.Itoa(k)+"]", true)
					break
				}
			}
			if err == nil {
				v.Set(s)
			}
		}
		*sp = spans[:0]
		spanPool.Put(sp)
		if err != nil {
			return 0, err
		}
		return end, nil
	}
}

// setRawSlice sets v, a slice of a raw type, to a new slice of the elements
// of data at spans ([start0, end0, start1, end1, …]).
func setRawSlice(v reflect.Value, data []byte, spans []int) {
	n := len(spans) / 2
	if !v.CanAddr() {
		s := reflect.MakeSlice(v.Type(), n, n)
		for k := range n {
			a, b := spans[2*k], spans[2*k+1]
			s.Index(k).SetBytes(data[a:b:b])
		}
		v.Set(s)
		return
	}
	// A raw type's underlying type is []byte: fill the slice without
	// reflection.
	s := make([][]byte, n)
	for k := range n {
		a, b := spans[2*k], spans[2*k+1]
		s[k] = data[a:b:b]
	}
	*(*[][]byte)(unsafe.Pointer(v.UnsafeAddr())) = s
}

// DecodeString decodes a valid JSON string literal (with its quotes).
func DecodeString(lit []byte) string {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body)
	}
	return unescape(body)
}

// decodeString decodes the valid JSON string whose opening quote is at
// data[i] and returns it with the index past its closing quote.
func decodeString(data []byte, i int) (string, int) {
	end, esc := skipString(data, i+1)
	body := data[i+1 : end-1]
	if !esc {
		return string(body), end
	}
	return unescape(body), end
}

func unescape(s []byte) string {
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			buf = append(buf, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r := hex4(s[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := hex4(s[i+2 : i+6]); utf16.DecodeRune(r, r2) != utf8.RuneError {
						r = utf16.DecodeRune(r, r2)
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default: // '"', '\\', '/'
			buf = append(buf, s[i+1])
		}
		i += 2
	}
	return string(buf)
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c <= '9':
			r = r<<4 | rune(c-'0')
		default:
			r = r<<4 | rune(c|0x20-'a'+10)
		}
	}
	return r
}

// decodeAny decodes the valid JSON value at data[i] into the generic Go form
// encoding/json uses: map[string]any, []any, float64, string, bool or nil.
func decodeAny(data []byte, i int) (any, int, error) {
	switch c := data[i]; c {
	case '"':
		s, end := decodeString(data, i)
		return s, end, nil
	case 't':
		return true, i + 4, nil
	case 'f':
		return false, i + 5, nil
	case 'n':
		return nil, i + 4, nil
	case '{':
		m := map[string]any{}
		end, err := members(data, i, func(key []byte, escaped bool, vi int) (int, error) {
			k := string(key)
			if escaped {
				k, _ = decodeString(data, keyStart(data, key))
			}
			x, end, err := decodeAny(data, vi)
			if err != nil {
				return 0, prefix(err, k, false)
			}
			m[k] = x
			return end, nil
		})
		return m, end, err
	case '[':
		a := []any{}
		i = SkipSpace(data, i+1)
		if data[i] == ']' {
			return a, i + 1, nil
		}
		for {
			x, end, err := decodeAny(data, i)
			if err != nil {
				return nil, 0, prefix(err, "["+strconv.Itoa(len(a))+"]", true)
			}
			a = append(a, x)
			i = SkipSpace(data, end)
			if data[i] == ']' {
				return a, i + 1, nil
			}
			i = SkipSpace(data, i+1)
		}
	default:
		end, _ := number(data, i)
		f, err := strconv.ParseFloat(string(data[i:end]), 64)
		if err != nil { // ±Inf has no JSON form: refuse it as encoding/json does
			return nil, 0, &TypeError{Msg: fmt.Sprintf("number %s out of range for float64", data[i:end])}
		}
		return f, end, nil
	}
}
