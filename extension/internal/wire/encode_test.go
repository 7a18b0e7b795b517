package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestAppendString(t *testing.T) {
	t.Parallel()
	// Wants are JSON.stringify's output (checked with Node).
	tests := []struct {
		in   string
		want string
	}{
		{``, `""`},
		{`abc`, `"abc"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x07\x0b\x0e\x1a\x1f", `"\u0000\u0001\u0007\u000b\u000e\u001a\u001f"`},
		{"\x7f", "\"\x7f\""}, // DEL is not escaped
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{`<script>&amp;</script>`, `"<script>&amp;</script>"`},
		{`/`, `"/"`},
		{"é😀", `"é😀"`},
		{"\xff", "\"\ufffd\""},
		{"a\xc3", "\"a\ufffd\""},                               // truncated sequence
		{"\xed\xa0\x80", "\"\ufffd\ufffd\ufffd\""},             // UTF-8 encoded surrogate
		{"\xf0\x9f\x98", "\"\ufffd\ufffd\ufffd\""},             // truncated 4-byte sequence
		{"0123456789abcdef\x80", "\"0123456789abcdef\ufffd\""}, // after the fast path
		{"long plain ASCII text, longer than a word", `"long plain ASCII text, longer than a word"`},
		{"long text with a quote \" in the middle", `"long text with a quote \" in the middle"`},
		{"12345678\n12345678é12345678\t", `"12345678\n12345678é12345678\t"`},
	}
	for _, tc := range tests {
		got := string(AppendString([]byte("x"), tc.in))
		if got != "x"+tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got[1:], tc.want)
		}
	}
}

// pointOne and pointTwo are variables so that 0.1+0.2 is computed in float64
// arithmetic, not exactly as a constant.
var pointOne, pointTwo = 0.1, 0.2

func TestAppendFloat(t *testing.T) {
	t.Parallel()
	// Wants are JavaScript's Number#toString (checked with Node).
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1, "-1"},
		{0.5, "0.5"},
		{-123.456, "-123.456"},
		{4.35, "4.35"},
		{1.0 / 3, "0.3333333333333333"},
		{pointOne + pointTwo, "0.30000000000000004"},
		{2783.5299999999997, "2783.5299999999997"},
		{12345678.9, "12345678.9"},
		{100, "100"},
		{1 << 53, "9007199254740992"},
		{1<<53 + 2, "9007199254740994"},
		{1e20, "100000000000000000000"},
		{123456789012345680000, "123456789012345680000"},
		{999999999999999900000, "999999999999999900000"},
		{1e21, "1e+21"},
		{-1e21, "-1e+21"},
		{1e100, "1e+100"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{1e-6, "0.000001"},
		{0.000001234, "0.000001234"},
		{1e-7, "1e-7"},
		{-1e-7, "-1e-7"},
		{1.5e-7, "1.5e-7"},
		{1e-10, "1e-10"},
		{123e-20, "1.23e-18"},
		{5e-324, "5e-324"},
	}
	for _, tc := range tests {
		got, err := AppendFloat([]byte("x"), tc.in, 64)
		if err != nil || string(got) != "x"+tc.want {
			t.Errorf("AppendFloat(%v) = %q, %v; want %q", tc.in, got, err, "x"+tc.want)
		}
		// encoding/json uses the same algorithm for float64, except that it
		// writes -0 as "-0".
		std, _ := json.Marshal(tc.in)
		if string(std) != tc.want && !(tc.in == 0 && math.Signbit(tc.in)) {
			t.Errorf("json.Marshal(%v) = %s, want %s", tc.in, std, tc.want)
		}
	}
	got, err := AppendFloat(nil, float64(float32(0.1)), 32)
	if err != nil || string(got) != "0.1" {
		t.Errorf("AppendFloat(float32(0.1), 32) = %q, %v; want 0.1", got, err)
	}
}

func TestAppendFloatUnsupported(t *testing.T) {
	t.Parallel()
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendFloat(nil, f, 64); !isUnsupported(err) {
			t.Errorf("AppendFloat(%v) error = %v, want *UnsupportedError", f, err)
		}
		if _, err := Append(nil, f); !isUnsupported(err) {
			t.Errorf("Append(%v) error = %v, want *UnsupportedError", f, err)
		}
		if _, err := Append(nil, map[string]any{"a": []any{1, f}}); !isUnsupported(err) {
			t.Errorf("Append(nested %v) error = %v, want *UnsupportedError", f, err)
		}
		if _, err := Append(nil, float32(f)); !isUnsupported(err) {
			t.Errorf("Append(float32(%v)) error = %v, want *UnsupportedError", f, err)
		}
	}
}

func isUnsupported(err error) bool {
	var ue *UnsupportedError
	return errors.As(err, &ue)
}

type node struct {
	Name string `json:"name"`
	Next *node  `json:"next"`
}

func TestAppendCycles(t *testing.T) {
	t.Parallel()
	self := &node{Name: "a"}
	self.Next = self
	loop := &node{Name: "a", Next: &node{Name: "b"}}
	loop.Next.Next = loop
	m := map[string]any{}
	m["self"] = m
	s := []any{nil}
	s[0] = s
	var iface any
	p := &iface
	iface = p
	tests := map[string]any{
		"self pointer":  self,
		"two-node ring": loop,
		"map":           m,
		"slice":         s,
		"interface":     p,
		"map in struct": struct {
			M map[string]any
		}{m},
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := Append(nil, v); !isUnsupported(err) {
				t.Fatalf("Append error = %v, want *UnsupportedError", err)
			}
		})
	}
}

func TestAppendUnsupportedTypes(t *testing.T) {
	t.Parallel()
	tests := map[string]any{
		"chan":              make(chan int),
		"func":              func() {},
		"complex":           complex(1, 2),
		"complex64":         complex64(1),
		"chan in struct":    struct{ C chan int }{make(chan int)},
		"func in map":       map[string]any{"f": func() {}},
		"complex in slice":  []any{1, complex(1, 2)},
		"invalid raw":       json.RawMessage(`{"a":`),
		"invalid record":    []record{record(`{}`), record(`{`)},
		"bad marshaler":     badMarshaler{},
		"failing marshaler": failingMarshaler{},
		"bad json.Number":   json.Number("12abc"),
		"map with bool key": map[bool]int{true: 1},
	}
	for name, v := range tests {
		if _, err := Append(nil, v); !isUnsupported(err) {
			t.Errorf("%s: Append error = %v, want *UnsupportedError", name, err)
		}
	}
	// A nil chan or func still has no JSON form.
	var nilChan chan int
	if _, err := Append(nil, nilChan); err == nil {
		t.Errorf("Append(nil chan) succeeded, want an error")
	}
}

type badMarshaler struct{}

func (badMarshaler) MarshalJSON() ([]byte, error) { return []byte(`{"a":`), nil }

type failingMarshaler struct{}

func (failingMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("boom") }

type spacedMarshaler struct{}

func (spacedMarshaler) MarshalJSON() ([]byte, error) { return []byte(" [1, 2,\n3] "), nil }

// ptrMarshaler implements json.Marshaler on its pointer only.
type ptrMarshaler struct{ N int }

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"ptr"`), nil }

type textKey struct{ a, b string }

func (k textKey) MarshalText() ([]byte, error) { return []byte(k.a + "-" + k.b), nil }

type Embedded struct {
	E      string `json:"e"`
	Shadow string `json:"shadow"`
}

type inner struct {
	X int `json:"x"`
}

type sample struct {
	Embedded
	Name       string    `json:"name"`
	Skip       string    `json:"-"`
	OmitEmpty  string    `json:"oe,omitempty"`
	OmitEmptyS []int     `json:"oes,omitempty"`
	OmitZero   inner     `json:"oz,omitzero"`
	OmitZeroT  time.Time `json:"ozt,omitzero"`
	OmitZeroP  *inner    `json:"ozp,omitzero"`
	Shadow     string    `json:"shadow"`
	NoTag      int
	unexported int
	Ptr        *inner                     `json:"ptr"`
	Raw        json.RawMessage            `json:"raw,omitzero"`
	Extra      map[string]json.RawMessage `json:",unknown"`
}

func TestAppendValues(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 1, 2, 4, 4, 5, 678_900_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, `null`},
		{"bool", true, `true`},
		{"int", -42, `-42`},
		{"int8", int8(-128), `-128`},
		{"uint64", uint64(math.MaxUint64), `18446744073709551615`},
		{"float", pointOne + pointTwo, `0.30000000000000004`},
		{"string", "a<b>&c\u2028", "\"a<b>&c\u2028\""},
		{"bytes", []byte("hi"), `"aGk="`},
		{"nil bytes", []byte(nil), `null`},
		{"nil slice", []int(nil), `null`},
		{"empty slice", []int{}, `[]`},
		{"array", [3]int{1, 2, 3}, `[1,2,3]`},
		{"nil map", map[string]int(nil), `null`},
		{"nil pointer", (*inner)(nil), `null`},
		{"pointer", &inner{X: 1}, `{"x":1}`},
		{"map sorted", map[string]int{"b": 1, "a": 2, "c": 3, "B": 4}, `{"B":4,"a":2,"b":1,"c":3}`},
		{"int keys sorted as text", map[int]string{10: "x", 2: "y", -1: "z"}, `{"-1":"z","10":"x","2":"y"}`},
		{"uint keys", map[uint8]bool{1: true}, `{"1":true}`},
		{"text keys", map[textKey]int{{"b", "c"}: 1, {"a", "z"}: 2}, `{"a-z":2,"b-c":1}`},
		{"any", []any{nil, true, "x", 1.5, map[string]any{"k": []any{}}}, `[null,true,"x",1.5,{"k":[]}]`},
		{"time", time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC), `"2024-01-02T03:04:05.678Z"`},
		{"time in other zone", when, `"2024-01-02T03:04:05.678Z"`},
		{"time zero ms", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), `"2024-01-02T03:04:05.000Z"`},
		{"time negative year", time.Date(-1, 1, 2, 3, 4, 5, 678_000_000, time.UTC), `"-000001-01-02T03:04:05.678Z"`},
		{"time large year", time.Date(12345, 1, 2, 0, 0, 0, 0, time.UTC), `"+012345-01-02T00:00:00.000Z"`},
		{"time pointer", &when, `"2024-01-02T03:04:05.678Z"`},
		{"raw compacted", json.RawMessage(" { \"a\" : [ 1 , \"b c\" ] } "), `{"a":[1,"b c"]}`},
		{"raw verbatim", json.RawMessage(`{"a":"\u00e9"}`), `{"a":"\u00e9"}`},
		{"empty raw", json.RawMessage{}, `null`},
		{"records", []record{record(`{"a":1}`), record(` [ 2 ] `), nil}, `[{"a":1},[2],null]`},
		{"marshaler compacted", spacedMarshaler{}, `[1,2,3]`},
		{"marshaler in map", map[string]any{"m": spacedMarshaler{}}, `{"m":[1,2,3]}`},
		{"pointer marshaler", &ptrMarshaler{}, `"ptr"`},
		{"pointer marshaler, addressable", &struct{ P ptrMarshaler }{}, `{"P":"ptr"}`},
		{"pointer marshaler, not addressable", struct{ P ptrMarshaler }{}, `{"P":{"N":0}}`},
		{"nil marshaler pointer", (*ptrMarshaler)(nil), `null`},
		{"json.Number", json.Number("1e3"), `1e3`},
		{"empty json.Number", json.Number(""), `0`},
		{"struct zero", sample{}, `{"e":"","name":"","shadow":"","NoTag":0,"ptr":null}`},
		{"struct full", sample{
			Embedded:   Embedded{E: "e", Shadow: "deep"},
			Name:       "n",
			Skip:       "skipped",
			OmitEmpty:  "o",
			OmitEmptyS: []int{1},
			OmitZero:   inner{X: 1},
			OmitZeroT:  time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			OmitZeroP:  &inner{},
			Shadow:     "shallow",
			NoTag:      7,
			unexported: 9,
			Ptr:        &inner{X: 2},
			Raw:        json.RawMessage(`[1, 2]`),
			Extra: map[string]json.RawMessage{
				"zz":   json.RawMessage(`1`),
				"aa":   json.RawMessage(`{ }`),
				"name": json.RawMessage(`"dropped: a field has this name"`),
			},
		}, `{"e":"e","name":"n","oe":"o","oes":[1],"oz":{"x":1},"ozt":"2024-01-02T03:04:05.000Z","ozp":{"x":0},"shadow":"shallow","NoTag":7,"ptr":{"x":2},"raw":[1,2],"aa":{},"zz":1}`},
		{"omitempty zero values", struct {
			A int            `json:"a,omitempty"`
			B bool           `json:"b,omitempty"`
			C map[string]int `json:"c,omitempty"`
			D *int           `json:"d,omitempty"`
			E any            `json:"e,omitempty"`
			F inner          `json:"f,omitempty"` // structs are never empty
		}{C: map[string]int{}}, `{"f":{"x":0}}`},
		{"omitzero uses IsZero", struct {
			T time.Time `json:"t,omitzero"`
			Z zeroer    `json:"z,omitzero"`
			P *zeroer   `json:"p,omitzero"`
		}{T: time.Time{}, Z: zeroer{N: 5}}, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Append([]byte("x"), tc.in)
			if err != nil {
				t.Fatalf("Append: %v", err)
			}
			if diff := cmp.Diff("x"+tc.want, string(got)); diff != "" {
				t.Errorf("Append mismatch (-want +got):\n%s", diff)
			}
			if !json.Valid(got[1:]) {
				t.Errorf("Append output is not valid JSON: %s", got[1:])
			}
		})
	}
}

// zeroer reports zero when N is 5, to show omitzero calls IsZero.
type zeroer struct{ N int }

func (z zeroer) IsZero() bool { return z.N == 5 }

// TestAppendMatchesEncodingJSON checks the encoder against encoding/json
// (HTML escaping off) on generic values, where the two agree except that Go
// escapes U+2028 and U+2029.
func TestAppendMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, rec := range genRecords(50) {
		var v any
		if err := json.Unmarshal(rec, &v); err != nil {
			t.Fatal(err)
		}
		checkAgainstStd(t, v)
	}
}

func checkAgainstStd(t *testing.T, v any) {
	t.Helper()
	got, err := Append(nil, v)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	var std bytes.Buffer
	enc := json.NewEncoder(&std)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(std.String(), "\n")
	want = strings.NewReplacer(`\u2028`, "\u2028", `\u2029`, "\u2029").Replace(want)
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Append differs from encoding/json (-want +got):\n%s", diff)
	}
}

func TestUTF16Len(t *testing.T) {
	t.Parallel()
	// Reference sizes from PROTOCOL §2.5 and §10.
	tests := []struct {
		in   string
		want int
	}{
		{`{"1":{"depot_id":null,"hierarchy_node_id":null}}`, 48},
		{`null`, 4},
		{`5`, 1},
		{`{"abc":"def"}`, 13},
		{`true`, 4},
		{`{"a":1,"b":2,"c":{"d":4}}`, 25},
		{`["abc","abc"]`, 13},
		{`"é"`, 3},
		{`"😀"`, 4},
		{``, 0},
		{`"€"`, 3},                 // 3 UTF-8 bytes, 1 unit
		{`"aaaaaaaé😀bbbbbbb"`, 19}, // crosses the 8-byte fast path
		{strings.Repeat("é", 100), 100},
		{strings.Repeat("😀", 100), 200},
	}
	for _, tc := range tests {
		if got := UTF16Len([]byte(tc.in)); got != tc.want {
			t.Errorf("UTF16Len(%q) = %d, want %d (bytes: %d)", tc.in, got, tc.want, len(tc.in))
		}
	}
	// The size metric is the result's encoding, not the input's.
	if b, _ := Append(nil, "é"); len(b) != 4 || UTF16Len(b) != 3 {
		t.Errorf(`Append("é") = %q: %d bytes, %d units; want 4 bytes, 3 units`, b, len(b), UTF16Len(b))
	}
	if b, _ := Append(nil, "😀"); len(b) != 6 || UTF16Len(b) != 4 {
		t.Errorf(`Append("😀") = %q: %d bytes, %d units; want 6 bytes, 4 units`, b, len(b), UTF16Len(b))
	}
	if b, _ := Append(nil, map[string]any{"abc": "def"}); UTF16Len(b) != 13 {
		t.Errorf("UTF16Len(Append({abc:'def'})) = %d, want 13", UTF16Len(b))
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "abc", "a\"b\\c\n\x00\x7f", "é😀\u2028", "\xff\xed\xa0\x80", "12345678\x1f12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		if _, err := Valid(b); err != nil {
			t.Fatalf("AppendString(%q) = %q is not valid JSON: %v", s, b, err)
		}
		if !utf8.Valid(b) {
			t.Fatalf("AppendString(%q) = %q is not valid UTF-8", s, b)
		}
		want := string([]rune(s)) // each invalid byte becomes U+FFFD
		var got string
		if err := Unmarshal(b, &got, true); err != nil || got != want {
			t.Fatalf("decoding AppendString(%q) = %q, %v; want %q", s, got, err, want)
		}
		var std string
		if err := json.Unmarshal(b, &std); err != nil || std != want {
			t.Fatalf("encoding/json decodes AppendString(%q) as %q, %v; want %q", s, std, err, want)
		}
		if got, want := UTF16Len(b), len(utf16.Encode([]rune(string(b)))); got != want {
			t.Fatalf("UTF16Len(%q) = %d, want %d", b, got, want)
		}
		for _, c := range []byte(b) {
			if c < 0x20 {
				t.Fatalf("AppendString(%q) = %q contains a raw control character", s, b)
			}
		}
	})
}
