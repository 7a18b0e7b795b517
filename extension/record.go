package extension

import (
	"bytes"
	"reflect"
	"slices"

	"github.com/hookstack/hookstack/extension/internal/wire"
)

func init() { wire.RegisterRaw(reflect.TypeFor[Record]()) }

// Record is one record of a page as raw JSON text. Records in options are
// slices of the request body: a function that only passes records through
// never decodes them. Decode one into a struct or map when you need its
// fields, and Set to change one member without decoding the rest.
//
// Records are read-only views: a Record in options is valid only during the
// call (Clone it to keep it), and its bytes must not be changed in place —
// the SDK decodes and sends records it received without validating them
// again. Build a changed record with Set or NewRecord instead.
//
// Decode, Get and Set on a record of the running call are cheap: the
// members they skip are not scanned (the request's validation recorded
// where each one ends). On a copy, or after the call, they validate first.
type Record []byte

// NewRecord encodes v (a struct, map, …) as a Record. It returns an error for
// values with no JSON form (NaN, channels, cycles, …).
func NewRecord(v any) (Record, error) {
	b, err := wire.Append(make([]byte, 0, 256), v)
	if err != nil {
		return nil, err
	}
	return Record(seal(b)), nil
}

// seal marks SDK-built JSON so that sending it needs no second validation.
func seal(b []byte) []byte { return wire.Seal(slices.Grow(b, wire.SealSize)) }

// Decode decodes the record into v, a non-nil pointer, following
// encoding/json's rules for struct tags and types; members that v has no
// field for are validated but not decoded. It returns a syntax error for
// invalid JSON and a type error naming the member that does not fit.
func (r Record) Decode(v any) error {
	return wire.Unmarshal(r, v, false)
}

// Map decodes a record that is a JSON object into a map.
func (r Record) Map() (map[string]any, error) {
	var m map[string]any
	if err := r.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// members validates the object record and calls fn for each member with its
// raw key and the span of its value; it reports the object's bounds and
// whether it holds insignificant whitespace.
func (r Record) members(fn func(key []byte, from, to int)) (start, end int, spaced bool, err error) {
	if wire.TrustedMembers(r, fn) { // a record of the running call's options
		return 0, len(r), false, nil
	}
	var s wire.Scanner
	start = wire.SkipSpace(r, 0)
	if start >= len(r) || r[start] != '{' {
		if _, err := wire.Valid(r); err != nil {
			return 0, 0, false, err
		}
		return 0, 0, false, &Error{Code: CodeInvalidField, Message: "the record is not a JSON object"}
	}
	end, err = s.Object(r, start, 0, func(key []byte, vi int) (int, error) {
		to, err := s.Value(r, vi, 1)
		if err != nil {
			return 0, err
		}
		fn(key, vi, to)
		return to, nil
	})
	if err != nil {
		return 0, 0, false, err
	}
	if j := wire.SkipSpace(r, end); j != len(r) {
		_, err := wire.Valid(r)
		return 0, 0, false, err
	}
	return start, end, s.Spaced, nil
}

func keyIs(r, raw []byte, key string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == key
	}
	return wire.KeyString(r, raw) == key
}

// Get returns the raw value of the top-level member key of an object
// record (the last one, if the key is repeated).
func (r Record) Get(key string) (Record, bool) {
	var found Record
	ok := false
	_, _, _, err := r.members(func(k []byte, from, to int) {
		if keyIs(r, k, key) {
			found, ok = r[from:to:to], true
		}
	})
	if err != nil {
		return nil, false
	}
	return found, ok
}

// Set returns a copy of the object record with member key set to the JSON
// encoding of value: replaced where it stands, or appended at the end (as a
// JavaScript assignment does). The rest of the record is copied, not
// decoded. It returns an error for a record that is not a JSON object and
// for a value with no JSON form.
func (r Record) Set(key string, value any) (Record, error) {
	from, to, n := -1, -1, 0
	start, end, spaced, err := r.members(func(k []byte, f, t int) {
		n++
		if keyIs(r, k, key) { // later duplicates win in JavaScript
			from, to = f, t
		}
	})
	if err != nil {
		return nil, err
	}
	if spaced {
		compact, err := wire.AppendRaw(nil, r)
		if err != nil {
			return nil, err
		}
		return Record(compact).Set(key, value)
	}
	out := make([]byte, 0, end-start+len(key)+32+wire.SealSize)
	if from >= 0 {
		out = append(out, r[start:from]...)
		if out, err = wire.Append(out, value); err != nil {
			return nil, err
		}
		out = append(out, r[to:end]...)
		return Record(seal(out)), nil
	}
	out = append(out, r[start:end-1]...)
	if n > 0 {
		out = append(out, ',')
	}
	out = wire.AppendString(out, key)
	out = append(out, ':')
	if out, err = wire.Append(out, value); err != nil {
		return nil, err
	}
	out = append(out, '}')
	return Record(seal(out)), nil
}

// Clone returns a copy of the record that outlives the call.
func (r Record) Clone() Record { return bytes.Clone(r) }

// String returns the record's JSON text.
func (r Record) String() string { return string(r) }

// MarshalJSON returns the record itself (null when empty), so records work
// with encoding/json too.
func (r Record) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// UnmarshalJSON stores a copy of data.
func (r *Record) UnmarshalJSON(data []byte) error {
	*r = append((*r)[:0], data...)
	return nil
}

// Marshal encodes v as JSON the way the SDK sends results: like
// JSON.stringify (no HTML or U+2028 escaping, JavaScript number formatting,
// time.Time as toISOString), with records and json.RawMessage written as is
// after validation. It returns an error for values with no JSON form.
func Marshal(v any) ([]byte, error) { return wire.Append(nil, v) }
