package wire

import (
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// UnsupportedError is returned for values that have no JSON form: channels,
// functions, complex numbers, NaN and infinities, cycles, failing marshalers.
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return "value is not serializable: " + e.Msg }

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Msg: fmt.Sprintf(format, args...)}
}

type encoderFunc func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error)

// encState carries what one encoding needs besides the value: the index of
// input text known to be valid, whose elements are copied without a scan.
type encState struct {
	trusted *Index
}

var encoderCache sync.Map // reflect.Type -> encoderFunc

// Append appends the JSON encoding of v to buf. A nil v appends "null".
func Append(buf []byte, v any) ([]byte, error) { return AppendIndexed(buf, v, nil) }

// AppendIndexed is Append where raw values that are exactly elements indexed
// by trusted (records passed through from validated options) are copied
// without being validated again.
func AppendIndexed(buf []byte, v any, trusted *Index) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case float64: // as newEncoderNoMarshal, without reflection
		return AppendFloat(buf, v, 64)
	case string:
		return appendString(buf, v), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	}
	rv := reflect.ValueOf(v)
	return typeEncoder(rv.Type())(&encState{trusted: trusted}, buf, rv, 0)
}

func typeEncoder(t reflect.Type) encoderFunc {
	if f, ok := encoderCache.Load(t); ok {
		return f.(encoderFunc)
	}
	// Recursive types: publish an indirect encoder before building the real one.
	var (
		wg sync.WaitGroup
		f  encoderFunc
	)
	wg.Add(1)
	fi, loaded := encoderCache.LoadOrStore(t, encoderFunc(func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
		wg.Wait()
		return f(e, buf, v, depth)
	}))
	if loaded {
		return fi.(encoderFunc)
	}
	f = newEncoder(t)
	wg.Done()
	encoderCache.Store(t, f)
	return f
}

func newEncoder(t reflect.Type) encoderFunc {
	switch {
	case IsRaw(t):
		return encodeRaw
	case t == timeType:
		return encodeTime
	case t.Kind() == reflect.Pointer && t.Elem() == timeType:
		return encodePointer(t) // not (*time.Time).MarshalJSON, which is not toISOString
	case t.Implements(marshalerType):
		return encodeMarshaler
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(marshalerType):
		return encodeAddrMarshaler(newEncoderNoMarshal(t))
	case t.Implements(textMarshalerType) && t.Kind() != reflect.Pointer:
		return encodeTextMarshaler
	}
	return newEncoderNoMarshal(t)
}

func newEncoderNoMarshal(t reflect.Type) encoderFunc {
	switch t.Kind() {
	case reflect.Bool:
		return func(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
			return strconv.AppendBool(buf, v.Bool()), nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
			return strconv.AppendInt(buf, v.Int(), 10), nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
			return strconv.AppendUint(buf, v.Uint(), 10), nil
		}
	case reflect.Float32:
		return func(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
			return AppendFloat(buf, v.Float(), 32)
		}
	case reflect.Float64:
		return func(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
			return AppendFloat(buf, v.Float(), 64)
		}
	case reflect.String:
		if t == reflect.TypeFor[json.Number]() {
			return encodeNumber
		}
		return func(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendString(buf, v.String()), nil
		}
	case reflect.Interface:
		return encodeInterface
	case reflect.Pointer:
		return encodePointer(t)
	case reflect.Struct:
		return encodeStruct(t)
	case reflect.Map:
		return encodeMap(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !IsRaw(t.Elem()) && !reflect.PointerTo(t.Elem()).Implements(marshalerType) {
			return encodeBytes
		}
		return encodeSlice(t)
	case reflect.Array:
		return encodeArray(t)
	}
	return func(*encState, []byte, reflect.Value, int) ([]byte, error) { return nil, unsupported("type %s", t) }
}

func encodeRaw(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
	return e.appendRaw(buf, v.Bytes())
}

func (e *encState) appendRaw(buf, raw []byte) ([]byte, error) {
	if e.trusted.isElement(raw) || sealed(raw) {
		return append(buf, raw...), nil
	}
	return AppendRaw(buf, raw)
}

// AppendRaw appends raw JSON text after validating it, removing insignificant
// whitespace if there is any. Empty raw text is written as null.
func AppendRaw(buf, raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return append(buf, "null"...), nil
	}
	spaced, err := Valid(raw)
	if err != nil {
		return nil, unsupported("raw JSON: %v", err)
	}
	if !spaced {
		return append(buf, raw...), nil
	}
	return appendCompact(buf, raw), nil
}

// appendCompact appends valid JSON text without its insignificant whitespace.
func appendCompact(buf, raw []byte) []byte {
	i := 0
	for i < len(raw) {
		c := raw[i]
		switch {
		case c == '"':
			end, _ := skipString(raw, i+1)
			buf = append(buf, raw[i:end]...)
			i = end
		case isSpace(c):
			i++
		default:
			buf = append(buf, c)
			i++
		}
	}
	return buf
}

func encodeTime(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
	return AppendISOTime(buf, v.Interface().(timeValue))
}

func encodeMarshaler(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return append(buf, "null"...), nil
	}
	if v.Kind() == reflect.Interface && v.IsNil() {
		return append(buf, "null"...), nil
	}
	b, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return nil, unsupported("MarshalJSON of %s: %v", v.Type(), err)
	}
	return AppendRaw(buf, b)
}

func encodeAddrMarshaler(fallback encoderFunc) encoderFunc {
	return func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.CanAddr() {
			return encodeMarshaler(e, buf, v.Addr(), depth)
		}
		return fallback(e, buf, v, depth)
	}
}

func encodeTextMarshaler(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
	b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
	if err != nil {
		return nil, unsupported("MarshalText of %s: %v", v.Type(), err)
	}
	return appendString(buf, string(b)), nil
}

func encodeNumber(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
	s := v.String()
	if s == "" {
		s = "0"
	}
	if _, err := number([]byte(s), 0); err != nil || !isNumberText(s) {
		return nil, unsupported("invalid json.Number %q", s)
	}
	return append(buf, s...), nil
}

func isNumberText(s string) bool {
	end, err := number([]byte(s), 0)
	return err == nil && end == len(s)
}

func encodeInterface(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
	if v.IsNil() {
		return append(buf, "null"...), nil
	}
	ev := v.Elem()
	return typeEncoder(ev.Type())(e, buf, ev, depth)
}

func encodePointer(t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	return func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(buf, "null"...), nil
		}
		if depth++; depth > MaxDepth {
			return nil, unsupported("cycle or nesting deeper than %d", MaxDepth)
		}
		return elem(e, buf, v.Elem(), depth)
	}
}

func encodeStruct(t reflect.Type) encoderFunc {
	si := structInfoOf(t)
	encs := make([]encoderFunc, len(si.fields))
	for i, f := range si.fields {
		encs[i] = typeEncoder(f.typ)
	}
	return func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
		buf = append(buf, '{')
		n := 0
		var err error
		for i := range si.fields {
			f := &si.fields[i]
			fv := v.FieldByIndex(f.index)
			if (f.omitEmpty && isEmpty(fv)) || (f.omitZero && isZero(fv, f.zeroer)) {
				continue
			}
			if n > 0 {
				buf = append(buf, ',')
			}
			n++
			buf = append(buf, f.nameJSON...)
			if buf, err = encs[i](e, buf, fv, depth); err != nil {
				return nil, err
			}
		}
		if si.unknown != nil {
			m := v.FieldByIndex(si.unknown)
			if m.Len() > 0 {
				keys := m.MapKeys()
				slices.SortFunc(keys, func(a, b reflect.Value) int { return cmpString(a.String(), b.String()) })
				enc := typeEncoder(m.Type().Elem())
				for _, k := range keys {
					if _, known := si.byName[k.String()]; known {
						continue
					}
					if n > 0 {
						buf = append(buf, ',')
					}
					n++
					buf = appendString(buf, k.String())
					buf = append(buf, ':')
					if buf, err = enc(e, buf, m.MapIndex(k), depth); err != nil {
						return nil, err
					}
				}
			}
		}
		return append(buf, '}'), nil
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZero reports whether v is zero for omitzero: its IsZero method if it has
// one (zeroer), else the zero value of its type.
func isZero(v reflect.Value, zeroer bool) bool {
	if zeroer {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

func encodeMap(t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	key := t.Key()
	return func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(buf, "null"...), nil
		}
		if depth++; depth > MaxDepth {
			return nil, unsupported("cycle or nesting deeper than %d", MaxDepth)
		}
		type kv struct {
			k string
			v reflect.Value
		}
		entries := make([]kv, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			k, err := mapKeyString(key, it.Key())
			if err != nil {
				return nil, err
			}
			entries = append(entries, kv{k, it.Value()})
		}
		slices.SortFunc(entries, func(a, b kv) int { return cmpString(a.k, b.k) })
		buf = append(buf, '{')
		var err error
		for i, kv := range entries {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, kv.k)
			buf = append(buf, ':')
			if buf, err = elem(e, buf, kv.v, depth); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	}
}

func mapKeyString(t reflect.Type, k reflect.Value) (string, error) {
	if t.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		b, err := tm.MarshalText()
		if err != nil {
			return "", unsupported("map key: %v", err)
		}
		return string(b), nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", unsupported("map key type %s", t)
}

func encodeSlice(t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	raw := IsRaw(t.Elem())
	return func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(buf, "null"...), nil
		}
		if depth++; depth > MaxDepth {
			return nil, unsupported("cycle or nesting deeper than %d", MaxDepth)
		}
		buf = append(buf, '[')
		var err error
		for i := range v.Len() {
			if i > 0 {
				buf = append(buf, ',')
			}
			if raw {
				buf, err = e.appendRaw(buf, v.Index(i).Bytes())
			} else {
				buf, err = elem(e, buf, v.Index(i), depth)
			}
			if err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
}

func encodeArray(t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	return func(e *encState, buf []byte, v reflect.Value, depth int) ([]byte, error) {
		buf = append(buf, '[')
		var err error
		for i := range v.Len() {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = elem(e, buf, v.Index(i), depth); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
}

func encodeBytes(e *encState, buf []byte, v reflect.Value, _ int) ([]byte, error) {
	if v.IsNil() {
		return append(buf, "null"...), nil
	}
	b := v.Bytes()
	buf = append(buf, '"')
	buf = base64.StdEncoding.AppendEncode(buf, b)
	return append(buf, '"'), nil
}

// AppendFloat appends f formatted as JavaScript's Number#toString does.
func AppendFloat(buf []byte, f float64, bitSize int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, unsupported("number %v", f)
	}
	if f == 0 {
		return append(buf, '0'), nil // JSON.stringify(-0) is "0"
	}
	format := byte('f')
	if abs := math.Abs(f); bitSize == 64 && (abs < 1e-6 || abs >= 1e21) ||
		bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, bitSize)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(buf)
		if n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf, nil
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string the way JSON.stringify writes it:
// only '"', '\\' and control characters are escaped; invalid UTF-8 becomes
// U+FFFD.
func AppendString(buf []byte, s string) []byte { return appendString(buf, s) }

func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start, i := 0, 0
	for i < len(s) {
		// Fast path: 8 plain ASCII bytes at a time.
		for i+8 <= len(s) {
			x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
			if specialMask(x)|x&msb != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// UTF16Len returns the length in UTF-16 code units of the UTF-8 text b: the
// value JavaScript's String#length gives for the same text.
func UTF16Len(b []byte) int {
	n := 0
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&msb == 0 {
			n += 8
			continue
		}
		for _, c := range b[i : i+8] {
			n += utf16Units(c)
		}
	}
	for _, c := range b[i:] {
		n += utf16Units(c)
	}
	return n
}

// utf16Units counts a UTF-8 byte's contribution: continuation bytes add
// nothing, a 4-byte sequence (outside the BMP) needs a surrogate pair.
func utf16Units(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c < 0xC0:
		return 0
	case c < 0xF0:
		return 1
	}
	return 2
}
