package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

type amountLine struct {
	SKU    string  `json:"sku"`
	Amount float64 `json:"amount"`
}

type order struct {
	ID       string            `json:"id"`
	Total    float64           `json:"total"`
	Count    int               `json:"count"`
	Small    int8              `json:"small"`
	Unsigned uint16            `json:"unsigned"`
	Big      uint64            `json:"big"`
	OK       bool              `json:"ok"`
	Tags     []string          `json:"tags"`
	Lines    []amountLine      `json:"lines"`
	Attrs    map[string]string `json:"attrs"`
	Ptr      *amountLine       `json:"ptr"`
	PtrPtr   **int             `json:"ptrPtr"`
	Any      any               `json:"any"`
	Raw      json.RawMessage   `json:"raw"`
	When     time.Time         `json:"when"`
	Bytes    []byte            `json:"bytes"`
	Array    [2]int            `json:"array"`
	IntKeys  map[int]string    `json:"intKeys"`
	Number   json.Number       `json:"number"`
	Float32  float32           `json:"float32"`
}

func intPtrPtr(n int) **int {
	p := &n
	return &p
}

func TestUnmarshalRoundTrip(t *testing.T) {
	t.Parallel()
	in := `{"id":"A-1","total":12.5,"count":3,"small":-128,"unsigned":65535,"big":18446744073709551615,"ok":true,` +
		`"tags":["a","b"],"lines":[{"sku":"x","amount":1.25},{"sku":"y","amount":-0.5}],"attrs":{"k":"v","e":"é"},` +
		`"ptr":{"sku":"p","amount":0},"ptrPtr":7,"any":{"a":[1,"s",true,null,{"b":2}]},"raw":{"keep":[1, 2]},` +
		`"when":"2024-01-02T03:04:05.678Z","bytes":"aGk=","array":[4,5],"intKeys":{"2":"two","10":"ten"},` +
		`"number":-1.5e3,"float32":0.1}`
	var got order
	if err := Unmarshal([]byte(in), &got, false); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	want := order{
		ID: "A-1", Total: 12.5, Count: 3, Small: -128, Unsigned: 65535, Big: math.MaxUint64, OK: true,
		Tags:    []string{"a", "b"},
		Lines:   []amountLine{{"x", 1.25}, {"y", -0.5}},
		Attrs:   map[string]string{"k": "v", "e": "é"},
		Ptr:     &amountLine{"p", 0},
		PtrPtr:  intPtrPtr(7),
		Any:     map[string]any{"a": []any{1.0, "s", true, nil, map[string]any{"b": 2.0}}},
		Raw:     json.RawMessage(`{"keep":[1, 2]}`),
		When:    time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC),
		Bytes:   []byte("hi"),
		Array:   [2]int{4, 5},
		IntKeys: map[int]string{2: "two", 10: "ten"},
		Number:  "-1.5e3",
		Float32: 0.1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Unmarshal mismatch (-want +got):\n%s", diff)
	}
	// encoding/json agrees.
	var std order
	if err := json.Unmarshal([]byte(in), &std); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(std, got); diff != "" {
		t.Errorf("Unmarshal differs from encoding/json (-std +got):\n%s", diff)
	}
	// And back: encoding gives the compact input (member order as declared).
	out, err := Append(nil, &got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"raw":{"keep":[1,2]}`)) {
		t.Errorf("Append did not compact the raw member: %s", out)
	}
	got.Raw = json.RawMessage(`{"keep":[1,2]}`)
	var again order
	if err := Unmarshal(out, &again, false); err != nil {
		t.Fatalf("Unmarshal(Append(v)): %v\n%s", err, out)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("round trip mismatch (-first +second):\n%s", diff)
	}
}

func TestUnmarshalInto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		into func() any // returns a pointer
		want any
	}{
		{"any object", `{"a":1,"b":[true,null,"x"]}`, func() any { return new(any) },
			map[string]any{"a": 1.0, "b": []any{true, nil, "x"}}},
		{"any number", `-0.5e1`, func() any { return new(any) }, -5.0},
		{"any empty array", `[]`, func() any { return new(any) }, []any{}},
		{"any null", `null`, func() any { return new(any) }, nil},
		{"map of slices", `{"a":[1,2],"b":[]}`, func() any { return new(map[string][]int) },
			map[string][]int{"a": {1, 2}, "b": {}}},
		{"slice of pointers", `[{"sku":"a"},null]`, func() any { return new([]*amountLine) },
			[]*amountLine{{SKU: "a"}, nil}},
		{"nested slices", `[[1],[2,3],[]]`, func() any { return new([][]int) }, [][]int{{1}, {2, 3}, {}}},
		{"string with escapes", `"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`, func() any { return new(string) },
			"a\"b\\c/d\b\f\n\r\t\u00e9😀"},
		{"lone surrogate", `"\ud800x"`, func() any { return new(string) }, "\ufffdx"},
		{"surrogate then non-surrogate escape", `"\ud800\u0041"`, func() any { return new(string) }, "\ufffdA"},
		{"escaped keys", `{"n\u0061me":"x","\"q\"":1}`, func() any { return new(map[string]any) },
			map[string]any{"name": "x", `"q"`: 1.0}},
		{"named string map keys", `{"a":1}`, func() any { return new(map[key]int) }, map[key]int{"a": 1}},
		{"leading and trailing space", " \n[1] \t", func() any { return new([]int) }, []int{1}},
		{"ints from doubles", `[1.0,1e3,-0,1E2,-2.50e1,0.0]`, func() any { return new([]int) },
			[]int{1, 1000, 0, 100, -25, 0}},
		{"uints from doubles", `[1.0,1e19,-0]`, func() any { return new([]uint64) }, []uint64{1, 1e19, 0}},
		{"int64 extremes", `[9223372036854775807,-9223372036854775808]`, func() any { return new([]int64) },
			[]int64{math.MaxInt64, math.MinInt64}},
		{"uint64 max", `18446744073709551615`, func() any { return new(uint64) }, uint64(math.MaxUint64)},
		{"int8 extremes", `[127,-128]`, func() any { return new([]int8) }, []int8{127, -128}},
		{"null leaves values", `{"id":null,"count":null,"ok":null,"total":null}`,
			func() any { return &order{ID: "keep", Count: 1, OK: true, Total: 2} },
			&order{ID: "keep", Count: 1, OK: true, Total: 2}},
		{"null clears pointers, maps, slices", `{"ptr":null,"attrs":null,"tags":null,"any":null}`,
			func() any {
				return &order{Ptr: &amountLine{}, Attrs: map[string]string{"a": "b"}, Tags: []string{"x"}, Any: 1}
			},
			&order{}},
		{"maps merge", `{"b":2}`, func() any { return &map[string]int{"a": 1} }, map[string]int{"a": 1, "b": 2}},
		{"duplicate keys: last wins", `{"id":"a","id":"b"}`, func() any { return new(order) }, &order{ID: "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := tc.into()
			if err := Unmarshal([]byte(tc.in), v, false); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			got := any(v)
			if _, isPtr := tc.want.(*order); !isPtr {
				got = deref(v)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Unmarshal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

type key string

func deref(v any) any {
	switch p := v.(type) {
	case *any:
		return *p
	case *map[string][]int:
		return *p
	case *[]*amountLine:
		return *p
	case *[][]int:
		return *p
	case *string:
		return *p
	case *map[string]any:
		return *p
	case *map[key]int:
		return *p
	case *[]int:
		return *p
	case *[]uint64:
		return *p
	case *[]int64:
		return *p
	case *uint64:
		return *p
	case *[]int8:
		return *p
	case *map[string]int:
		return *p
	}
	panic(fmt.Sprintf("deref: add %T", v))
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	type deep struct {
		Data []struct {
			Amount float64 `json:"amount"`
		} `json:"data"`
		M map[string]map[string][]int `json:"m"`
		S *struct {
			Inner struct {
				N uint8 `json:"n"`
			} `json:"inner"`
		} `json:"s"`
		Extra map[string]int `json:",unknown"`
	}
	tests := []struct {
		name string
		in   string
		into any
		path string
		msg  string // substring of the message
	}{
		{"array element member", `{"data":[{},{},{},{"amount":"x"}]}`, new(deep), "data[3].amount", "cannot use a JSON string as float64"},
		{"map path", `{"m":{"k":{"j":[1,"x"]}}}`, new(deep), "m.k.j[1]", "cannot use a JSON string as int"},
		{"pointer struct path", `{"s":{"inner":{"n":256}}}`, new(deep), "s.inner.n", "out of range for uint8"},
		{"unknown member", `{"zz":"x"}`, new(deep), "zz", "cannot use a JSON string as int"},
		{"top-level slice", `[1,"x"]`, new([]int), "[1]", "cannot use a JSON string as int"},
		{"nested top-level slices", `[[1],[2,{}]]`, new([][]int), "[1][1]", "cannot use a JSON object as int"},
		{"top level", `"x"`, new(int), "", "cannot use a JSON string as int"},
		{"object as slice", `{"data":{}}`, new(deep), "data", "cannot use a JSON object as"},
		{"array as struct", `[]`, new(deep), "", "cannot use a JSON array as"},
		{"bool as string", `true`, new(string), "", "cannot use a JSON boolean as string"},
		{"number as bool", `1`, new(bool), "", "cannot use a JSON number as bool"},
		{"fraction as int", `1.5`, new(int), "", "cannot use number 1.5 as int"},
		{"int8 overflow", `128`, new(int8), "", "overflows int8"},
		{"int8 underflow", `-129`, new(int8), "", "overflows int8"},
		{"int64 overflow", `9223372036854775808`, new(int64), "", "overflows int64"},
		{"int64 overflow as double", `9.3e18`, new(int64), "", "overflows int64"},
		{"int64 underflow", `-9223372036854775809000`, new(int64), "", "overflows int64"},
		{"negative uint", `-1`, new(uint), "", "out of range for uint"},
		{"uint64 overflow", `18446744073709551616`, new(uint64), "", "out of range for uint64"},
		{"huge int", `1e400`, new(int), "", "cannot use number 1e400 as int"},
		{"float64 overflow", `1e400`, new(float64), "", "out of range for float64"},
		{"float32 overflow", `1e39`, new(float32), "", "out of range for float32"},
		{"any overflow", `{"a":[1,-2e400]}`, new(any), "a[1]", "out of range for float64"},
		{"any overflow in struct", `{"a":{"b":1e309}}`, new(fuzzTarget), "a.b", "out of range for float64"},
		{"time", `"yesterday"`, new(time.Time), "", "parsing time"},
		{"time path", `{"w":"x"}`, new(struct {
			W time.Time `json:"w"`
		}), "w", "parsing time"},
		{"unmarshaler error", `{"u":1}`, new(struct {
			U failingUnmarshaler `json:"u"`
		}), "u", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Unmarshal([]byte(tc.in), tc.into, false)
			var te *TypeError
			if !errors.As(err, &te) {
				t.Fatalf("Unmarshal(%s) error = %T %v, want *TypeError", tc.in, err, err)
			}
			if te.Path != tc.path || !strings.Contains(te.Msg, tc.msg) {
				t.Errorf("Unmarshal(%s) = path %q msg %q, want path %q msg containing %q", tc.in, te.Path, te.Msg, tc.path, tc.msg)
			}
			if tc.path != "" && !strings.HasPrefix(err.Error(), tc.path+": ") {
				t.Errorf("Error() = %q, want it to start with the path", err.Error())
			}
		})
	}
}

type failingUnmarshaler struct{}

func (*failingUnmarshaler) UnmarshalJSON([]byte) error { return errors.New("nope") }

func TestUnmarshalBadArguments(t *testing.T) {
	t.Parallel()
	var n int
	if err := Unmarshal([]byte(`1`), n, false); err == nil {
		t.Error("Unmarshal into a non-pointer succeeded")
	}
	if err := Unmarshal([]byte(`1`), (*int)(nil), false); err == nil {
		t.Error("Unmarshal into a nil pointer succeeded")
	}
	if err := Unmarshal(nil, &n, false); err == nil {
		t.Error("Unmarshal of empty input succeeded")
	}
	for _, in := range []string{`{"a":}`, `[1,]`, `1 2`, `"\x"`, ``} {
		var v any
		err := Unmarshal([]byte(in), &v, false)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Unmarshal(%q) error = %v, want *SyntaxError", in, err)
		}
	}
}

func TestUnmarshalCaseInsensitive(t *testing.T) {
	t.Parallel()
	type s struct {
		Name  string `json:"name"`
		Exact int    `json:"a"`
		Upper int    `json:"A"`
		NoTag string
	}
	tests := []struct {
		in   string
		want s
	}{
		{`{"NAME":"x"}`, s{Name: "x"}},
		{`{"Name":"x"}`, s{Name: "x"}},
		{`{"nAmE":"x","notag":"y"}`, s{Name: "x", NoTag: "y"}},
		{`{"a":1,"A":2}`, s{Exact: 1, Upper: 2}}, // exact matches first
		{`{"A":2,"a":1}`, s{Exact: 1, Upper: 2}},
		{`{"name":"x","NAME":"y"}`, s{Name: "y"}},
		{`{"n\u0041me":"x"}`, s{Name: "x"}},
	}
	for _, tc := range tests {
		var got s
		if err := Unmarshal([]byte(tc.in), &got, false); err != nil {
			t.Fatalf("Unmarshal(%s): %v", tc.in, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Unmarshal(%s) mismatch (-want +got):\n%s", tc.in, diff)
		}
		var std s
		if err := json.Unmarshal([]byte(tc.in), &std); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(std, got); diff != "" {
			t.Errorf("Unmarshal(%s) differs from encoding/json (-std +got):\n%s", tc.in, diff)
		}
	}
}

type withUnknown struct {
	Known string                     `json:"known"`
	Extra map[string]json.RawMessage `json:",unknown"`
}

type withNamedUnknown struct {
	Known string      `json:"known"`
	Extra map[key]any `json:",unknown"`
}

type embedsUnknown struct {
	withUnknown
	Own int `json:"own"`
}

func TestUnknownMembers(t *testing.T) {
	t.Parallel()
	in := []byte(`{"known":"k","z":{"deep": [1]},"a\u0062":"\u00e9","KNOWN":"case-insensitive match"}`)
	var got withUnknown
	if err := Unmarshal(in, &got, false); err != nil {
		t.Fatal(err)
	}
	want := withUnknown{Known: "case-insensitive match", Extra: map[string]json.RawMessage{
		"z":  json.RawMessage(`{"deep": [1]}`),
		"ab": json.RawMessage(`"\u00e9"`),
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Unmarshal mismatch (-want +got):\n%s", diff)
	}
	out, err := Append(nil, got)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"known":"case-insensitive match","ab":"\u00e9","z":{"deep":[1]}}`; string(out) != want {
		t.Errorf("Append = %s, want %s", out, want)
	}

	var named withNamedUnknown
	if err := Unmarshal([]byte(`{"known":"k","x":[1]}`), &named, false); err != nil {
		t.Fatalf("Unmarshal with a named-key unknown map: %v", err)
	}
	if diff := cmp.Diff(map[key]any{"x": []any{1.0}}, named.Extra); diff != "" {
		t.Errorf("named-key unknown map mismatch (-want +got):\n%s", diff)
	}
	if out, err := Append(nil, named); err != nil || string(out) != `{"known":"k","x":[1]}` {
		t.Errorf("Append = %s, %v", out, err)
	}

	var emb embedsUnknown
	if err := Unmarshal([]byte(`{"known":"k","own":1,"other":true}`), &emb, false); err != nil {
		t.Fatal(err)
	}
	if emb.Known != "k" || emb.Own != 1 || string(emb.Extra["other"]) != "true" || len(emb.Extra) != 1 {
		t.Errorf("embedded unknown map: got %+v", emb)
	}
	if out, err := Append(nil, emb); err != nil || string(out) != `{"known":"k","own":1,"other":true}` {
		t.Errorf("Append = %s, %v", out, err)
	}
}

// TestFieldDominance checks that name conflicts between embedded and outer
// fields resolve as in encoding/json, both ways.
func TestFieldDominance(t *testing.T) {
	t.Parallel()
	type A struct {
		X    int
		Y    int
		Both int
	}
	type B struct {
		X    int
		Y    int `json:"Y"`
		Both int
	}
	type outer struct {
		A
		B
		X int // shallower: wins over A.X and B.X
	}
	type sameDepth struct {
		A
		B // Y: B's is tagged and wins; X and Both: ambiguous, dropped
	}
	type embeddedFirst struct {
		A
		Y string
	}
	values := []any{
		outer{A: A{1, 2, 3}, B: B{4, 5, 6}, X: 7},
		sameDepth{A: A{1, 2, 3}, B: B{4, 5, 6}},
		embeddedFirst{A: A{1, 2, 3}, Y: "outer"},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("Append(%T) differs from encoding/json (-want +got):\n%s", v, diff)
		}
	}
	in := []byte(`{"X":7,"Y":"outer","Both":9}`)
	var got, std embeddedFirst
	if err := Unmarshal(in, &got, false); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(in, &std); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(std, got); diff != "" {
		t.Errorf("Unmarshal differs from encoding/json (-std +got):\n%s", diff)
	}
}

// TestRawAliasesInput checks that raw values are sub-slices of the input,
// capped so that appending to one cannot overwrite the input.
func TestRawAliasesInput(t *testing.T) {
	t.Parallel()
	data := genPage(5)
	var p page
	if err := Unmarshal(data, &p, false); err != nil {
		t.Fatal(err)
	}
	if len(p.Data) != 5 {
		t.Fatalf("decoded %d records, want 5", len(p.Data))
	}
	for k, rec := range p.Data {
		at := bytes.Index(data, rec)
		if at < 0 {
			t.Fatalf("record %d not found in the input", k)
		}
		if &rec[0] != &data[at] {
			t.Errorf("record %d is a copy, want a sub-slice of the input", k)
		}
		if cap(rec) != len(rec) {
			t.Errorf("record %d: cap %d, len %d; want cap == len", k, cap(rec), len(rec))
		}
	}
	// Writing through the input shows through the record.
	at := bytes.Index(data, p.Data[2])
	data[at+2] = 'I'
	if p.Data[2][2] != 'I' {
		t.Errorf("record does not alias the input")
	}

	var m map[string]json.RawMessage
	if err := Unmarshal(data, &m, false); err != nil {
		t.Fatal(err)
	}
	if at := bytes.Index(data, m["data"]); &m["data"][0] != &data[at] {
		t.Errorf("raw map value is a copy")
	}
}

func TestUnmarshalAllocsConstant(t *testing.T) {
	// Not parallel: allocation counts are per process.
	if raceEnabled {
		t.Skip("allocation counts are not stable under the race detector")
	}
	allocs := func(n int) float64 {
		data := genPage(n)
		return testing.AllocsPerRun(20, func() {
			var p page
			if err := Unmarshal(data, &p, false); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(10), allocs(1000)
	if small != large {
		t.Errorf("decoding a page costs %v allocations for 10 records and %v for 1000; want the same", small, large)
	}
	t.Logf("allocations per page: %v", small)
}

// fuzzTarget has a field of most kinds the decoder handles.
type fuzzTarget struct {
	S    string                     `json:"s"`
	I    int                        `json:"i"`
	I8   int8                       `json:"i8"`
	U    uint                       `json:"u"`
	F    float64                    `json:"f"`
	F32  float32                    `json:"f32"`
	B    bool                       `json:"b"`
	P    *fuzzTarget                `json:"p"`
	L    []fuzzTarget               `json:"l"`
	M    map[string]*int            `json:"m"`
	K    map[key][]string           `json:"k"`
	A    any                        `json:"a"`
	R    json.RawMessage            `json:"r"`
	Recs []record                   `json:"recs"`
	T    time.Time                  `json:"t"`
	By   []byte                     `json:"by"`
	Arr  [2]bool                    `json:"arr"`
	IK   map[int]int                `json:"ik"`
	N    json.Number                `json:"n"`
	U8   map[string]uint8           `json:"u8"`
	X    map[string]json.RawMessage `json:",unknown"`
}

func FuzzUnmarshal(f *testing.F) {
	seeds := []string{
		`{"s":"x","i":1,"i8":-1,"u":2,"f":1.5,"f32":0.1,"b":true,"p":{"s":"y"},"l":[{},{"i":2}],"m":{"a":1,"b":null},` +
			`"k":{"z":["q"]},"a":[1,{"b":null}],"r":{"x": 1},"recs":[{"a":1},[],null],"t":"2024-01-02T03:04:05Z",` +
			`"by":"aGk=","arr":[true,false],"ik":{"1":2},"u8":{"a":255},"other":[1]}`,
		`{"I":1e3,"S":"\u00e9\ud83d\ude00","L":null,"P":null}`,
		`{"i":1.5}`, `{"u":-1}`, `{"i8":300}`, `{"s":1}`, `[]`, `null`, `"x"`, `{"p":{"p":{"p":{}}}}`,
		`{"a":}`, `{"s":"\x"}`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v fuzzTarget
		err := Unmarshal(b, &v, false)
		if _, verr := Valid(b); verr != nil {
			if err == nil {
				t.Fatalf("Unmarshal(%q) of invalid JSON succeeded", b)
			}
			return
		}
		var trusted fuzzTarget
		terr := Unmarshal(b, &trusted, true)
		if (err == nil) != (terr == nil) {
			t.Fatalf("Unmarshal(%q): untrusted error %v, trusted error %v", b, err, terr)
		}
		if err == nil {
			if diff := cmp.Diff(v, trusted, cmp.Comparer(func(a, b float64) bool { return a == b || a != a && b != b })); diff != "" {
				t.Fatalf("trusted and untrusted decoding differ:\n%s", diff)
			}
		}

		// Generic decoding agrees with encoding/json: both refuse numbers
		// out of float64's range, and give the same values (encoding/json
		// replaces invalid UTF-8, so compare values only on valid UTF-8).
		var got, std any
		gerr := Unmarshal(b, &got, false)
		serr := json.Unmarshal(b, &std)
		if (gerr == nil) != (serr == nil) {
			t.Fatalf("Unmarshal(%q) into any: error %v, encoding/json error %v", b, gerr, serr)
		}
		if gerr != nil {
			return
		}
		if utf8.Valid(b) {
			if diff := cmp.Diff(std, got); diff != "" {
				t.Fatalf("Unmarshal(%q) into any differs from encoding/json (-std +got):\n%s", b, diff)
			}
		}
		// Whatever decodes into any encodes again (no ±Inf or NaN).
		if _, err := Append(nil, got); err != nil {
			t.Fatalf("Append(Unmarshal(%q)): %v", b, err)
		}
	})
}

// TestFieldNamesFoldAsEncodingJSON: member names match fields exactly first,
// then case-insensitively with Unicode folding, as encoding/json matches
// them, for structs with few fields and with many.
func TestFieldNamesFoldAsEncodingJSON(t *testing.T) {
	t.Parallel()
	type few struct {
		K     int `json:"k"`
		S     int `json:"s"`
		Name  int
		Other int `json:"oTHER"`
	}
	type many struct {
		A, B, C, D, E, F, G, H int
		K                      int `json:"k"`
		S                      int `json:"s"`
		Name                   int
	}
	for _, in := range []string{
		`{"K":1,"S":2,"NAME":3,"other":4}`,
		`{"\u212a":1,"\u017f":2,"nAmE":3}`, // Kelvin sign and long s fold to k and s
		`{"k":1,"K":2,"Name":3,"name":4}`,
		`{"kk":1,"":2,"ñame":3,"NAMEX":4,"\u212aa":5}`,
	} {
		var gotFew, wantFew few
		var gotMany, wantMany many
		for _, tc := range []struct{ got, want any }{{&gotFew, &wantFew}, {&gotMany, &wantMany}} {
			if err := json.Unmarshal([]byte(in), tc.want); err != nil {
				t.Fatal(err)
			}
			for _, trusted := range []bool{false, true} {
				if err := Unmarshal([]byte(in), tc.got, trusted); err != nil {
					t.Fatalf("Unmarshal(%s): %v", in, err)
				}
				if diff := cmp.Diff(tc.want, tc.got); diff != "" {
					t.Errorf("Unmarshal(%s, trusted %v) (-encoding/json +got):\n%s", in, trusted, diff)
				}
			}
		}
	}
}
