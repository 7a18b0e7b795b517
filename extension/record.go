package extension

import (
	"bytes"
	"reflect"

	"github.com/hookstack/hookstack/extension/internal/wire"
)

func init() { wire.RegisterRaw(reflect.TypeFor[Record]()) }

// Record is one record of a page as raw JSON text. Records in options are
// slices of the request body: a function that only passes records through
// never decodes them. Decode one into a struct or map when you need its
// fields, and Set to change one member without decoding the rest.
//
// A Record in options is valid only during the call; Clone it to keep it.
type Record []byte

// NewRecord encodes v (a struct, map, …) as a Record.
func NewRecord(v any) (Record, error) {
	b, err := wire.Append(nil, v)
	if err != nil {
		return nil, err
	}
	return Record(b), nil
}

// Decode decodes the record into v, a non-nil pointer, following
// encoding/json's rules for struct tags and types; members that v has no
// field for are skipped without being decoded. It returns a *wire syntax
// error for invalid JSON and a type error naming the member that does not fit.
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

// Get returns the raw value of the top-level member key of an object record.
func (r Record) Get(key string) (Record, bool) {
	var found Record
	ok := false
	if _, err := wire.Valid(r); err != nil {
		return nil, false
	}
	_ = wire.Members(r, 0, func(k string, v []byte) error {
		if k == key {
			found, ok = Record(v), true
		}
		return nil
	})
	return found, ok
}

// Set returns a copy of the object record with member key set to the JSON
// encoding of value: replaced where it stands, or appended at the end (as a
// JavaScript assignment does). The rest of the record is copied, not decoded.
func (r Record) Set(key string, value any) (Record, error) {
	enc, err := wire.Append(nil, value)
	if err != nil {
		return nil, err
	}
	if _, err := wire.Valid(r); err != nil {
		return nil, err
	}
	start := wire.SkipSpace(r, 0)
	if r[start] != '{' {
		return nil, &Error{Code: CodeInvalidField, Message: "Record.Set needs an object record"}
	}
	// Find the last member named key (later duplicates win in JavaScript).
	from, to := -1, -1
	_ = wire.MemberSpans(r, start, func(k string, a, b int) error {
		if k == key {
			from, to = a, b
		}
		return nil
	})
	out := make([]byte, 0, len(r)+len(key)+len(enc)+4)
	if from >= 0 {
		out = append(out, r[:from]...)
		out = append(out, enc...)
		return append(out, r[to:]...), nil
	}
	end := bytes.LastIndexByte(r, '}')
	body := bytes.TrimSpace(r[start+1 : end])
	out = append(out, r[:end]...)
	if len(body) > 0 {
		out = append(out, ',')
	}
	out = wire.AppendString(out, key)
	out = append(out, ':')
	out = append(out, enc...)
	return append(out, r[end:]...), nil
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
