package extension_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/internal/wire"
)

func TestRecordSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rec   string
		key   string
		value any
		want  string
	}{
		{"replace first", `{"a":1,"b":2}`, "a", 5, `{"a":5,"b":2}`},
		{"replace last", `{"a":1,"b":2}`, "b", 5, `{"a":1,"b":5}`},
		{"replace middle object", `{"a":1,"b":{"x":[1,2]},"c":3}`, "b", "s", `{"a":1,"b":"s","c":3}`},
		{"replace compacts", `{ "a" : 1 , "b" : 2 }`, "a", 5, `{"a":5,"b":2}`},
		{"replace last duplicate", `{"a":1,"a":2}`, "a", 3, `{"a":1,"a":3}`},
		{"replace escaped key", `{"\u0061":1}`, "a", 5, `{"\u0061":5}`},
		{"replace nested key only at top level", `{"x":{"a":1}}`, "a", 5, `{"x":{"a":1},"a":5}`},
		{"append", `{"a":1}`, "c", 5, `{"a":1,"c":5}`},
		{"append after spaced member", `{"a":1 }`, "c", 5, `{"a":1,"c":5}`},
		{"append to empty", `{}`, "c", 5, `{"c":5}`},
		{"append to spaced empty", `{ }`, "c", 5, `{"c":5}`},
		{"append with surrounding space", ` {"a":1} `, "c", 5, `{"a":1,"c":5}`},
		{"append escaped key", `{}`, "a\"b\n", true, `{"a\"b\n":true}`},
		{"key is case-sensitive", `{"A":1}`, "a", 2, `{"A":1,"a":2}`},
		{"string value", `{"a":1}`, "a", "x\"<&>\u2028", "{\"a\":\"x\\\"<&>\u2028\"}"},
		{"nil value", `{"a":1}`, "a", nil, `{"a":null}`},
		{"float value", `{}`, "f", 1e21, `{"f":1e+21}`},
		{"map value, sorted", `{}`, "m", map[string]int{"b": 1, "a": 2}, `{"m":{"a":2,"b":1}}`},
		{"struct value", `{}`, "s", struct {
			N int `json:"n"`
		}{3}, `{"s":{"n":3}}`},
		{"record value", `{}`, "r", extension.Record(` [1, 2] `), `{"r":[1,2]}`},
		{"time value", `{}`, "t", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), `{"t":"2024-01-02T03:04:05.000Z"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := extension.Record(tc.rec)
			got, err := rec.Set(tc.key, tc.value)
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if diff := cmp.Diff(tc.want, got.String()); diff != "" {
				t.Errorf("Set mismatch (-want +got):\n%s", diff)
			}
			if !json.Valid(got) {
				t.Errorf("Set result is not valid JSON: %s", got)
			}
			if string(rec) != tc.rec {
				t.Errorf("Set changed the original record: %s", rec)
			}
			if v, ok := got.Get(tc.key); !ok {
				t.Errorf("Get(%q) after Set found nothing", tc.key)
			} else if want, _ := extension.Marshal(tc.value); !bytes.Equal(v, want) {
				t.Errorf("Get(%q) after Set = %s, want %s", tc.key, v, want)
			}
		})
	}
}

// TestRecordSetChained: a record Set returned (valid by construction) is
// changed again like any other.
func TestRecordSetChained(t *testing.T) {
	t.Parallel()
	r := extension.Record(`{"a":1,"b":{"a":2}}`)
	for _, kv := range []struct {
		k string
		v any
	}{{"c", 3}, {"a", "x"}, {"b", nil}, {"c", 4.5}, {"\u00e9", true}} {
		var err error
		if r, err = r.Set(kv.k, kv.v); err != nil {
			t.Fatalf("Set(%q): %v", kv.k, err)
		}
	}
	if want := `{"a":"x","b":null,"c":4.5,"é":true}`; string(r) != want {
		t.Errorf("chained Set = %s, want %s", r, want)
	}
	var m map[string]any
	if err := r.Decode(&m); err != nil || len(m) != 4 {
		t.Errorf("Decode after Set = %v, %v", m, err)
	}
}

func TestRecordSetErrors(t *testing.T) {
	t.Parallel()
	for _, rec := range []string{`[1]`, `"x"`, `1`, `null`, ` true `} {
		_, err := extension.Record(rec).Set("a", 1)
		var e *extension.Error
		if !errors.As(err, &e) || e.Code != "invalid_field" {
			t.Errorf("Set on %s: error = %v, want an invalid_field *extension.Error", rec, err)
		}
	}
	// Records the SDK built are not validated again, but still checked.
	for _, v := range []any{1, []int{1}, "x", nil} {
		rec, err := extension.NewRecord(v)
		if err != nil {
			t.Fatal(err)
		}
		_, err = rec.Set("a", 1)
		var e *extension.Error
		if !errors.As(err, &e) || e.Code != "invalid_field" {
			t.Errorf("Set on NewRecord(%v): error = %v, want an invalid_field *extension.Error", v, err)
		}
	}
	for _, rec := range []string{``, `{`, `{"a":1,}`, `{"a":1} x`} {
		_, err := extension.Record(rec).Set("a", 1)
		var se *wire.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Set on %q: error = %v, want a *wire.SyntaxError", rec, err)
		}
	}
	for _, v := range []any{math.NaN(), make(chan int), extension.Record(`{`)} {
		if _, err := extension.Record(`{}`).Set("a", v); err == nil {
			t.Errorf("Set with value %T succeeded, want an error", v)
		}
	}
}

func TestRecordGet(t *testing.T) {
	t.Parallel()
	rec := extension.Record(`{"a":1,"b":{"c":[1, 2]},"s":"x","n":null,"d":1,"d":2,"\u0065":"escaped"}`)
	tests := []struct {
		key  string
		want string
		ok   bool
	}{
		{"a", `1`, true},
		{"b", `{"c":[1, 2]}`, true},
		{"s", `"x"`, true},
		{"n", `null`, true},
		{"d", `2`, true},
		{"e", `"escaped"`, true},
		{"c", ``, false},
		{"A", ``, false},
	}
	for _, tc := range tests {
		got, ok := rec.Get(tc.key)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("Get(%q) = %q, %v; want %q, %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	for _, r := range []string{`[{"a":1}]`, `{"a":`, ``, `"a"`} {
		if got, ok := extension.Record(r).Get("a"); ok || got != nil {
			t.Errorf("Get on %q = %q, %v; want nothing", r, got, ok)
		}
	}
}

func TestRecordDecodeAndMap(t *testing.T) {
	t.Parallel()
	rec := extension.Record(`{"id":"A1","Amount":12.5,"lines":[{"qty":2}],"ignored":{"deep":[1,2,3]}}`)
	var order struct {
		ID     string  `json:"id"`
		Amount float64 `json:"amount"` // matched case-insensitively
		Lines  []struct {
			Qty int `json:"qty"`
		} `json:"lines"`
	}
	if err := rec.Decode(&order); err != nil {
		t.Fatal(err)
	}
	if order.ID != "A1" || order.Amount != 12.5 || len(order.Lines) != 1 || order.Lines[0].Qty != 2 {
		t.Errorf("Decode = %+v", order)
	}

	m, err := rec.Map()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "A1", "Amount": 12.5, "lines": []any{map[string]any{"qty": 2.0}}, "ignored": map[string]any{"deep": []any{1.0, 2.0, 3.0}}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("Map mismatch (-want +got):\n%s", diff)
	}

	var te *wire.TypeError
	if err := extension.Record(`{"lines":[{"qty":"x"}]}`).Decode(&order); !errors.As(err, &te) || te.Path != "lines[0].qty" {
		t.Errorf("Decode type error = %v, want a *wire.TypeError at lines[0].qty", err)
	}
	var se *wire.SyntaxError
	if err := extension.Record(`{"id":`).Decode(&order); !errors.As(err, &se) {
		t.Errorf("Decode of invalid JSON = %v, want a *wire.SyntaxError", err)
	}
	if _, err := extension.Record(`[1]`).Map(); err == nil {
		t.Errorf("Map of an array succeeded")
	}
	if m, err := extension.Record(`null`).Map(); err != nil || m != nil {
		t.Errorf("Map of null = %v, %v; want nil, nil", m, err)
	}
	if err := extension.Record(`{}`).Decode(order); err == nil {
		t.Errorf("Decode into a non-pointer succeeded")
	}
}

func TestRecordCloneAndJSON(t *testing.T) {
	t.Parallel()
	buf := []byte(`{"a":1}`)
	rec := extension.Record(buf)
	c := rec.Clone()
	buf[5] = '2'
	if c.String() != `{"a":1}` || rec.String() != `{"a":2}` {
		t.Errorf("Clone shares memory: clone %s, original %s", c, rec)
	}
	if extension.Record(nil).Clone() != nil {
		t.Errorf("Clone of nil is not nil")
	}

	// Records work with encoding/json too.
	type page struct {
		Data []extension.Record `json:"data"`
	}
	in := []byte(`{"data":[{"a":1},[2],"s",null]}`)
	var p page
	if err := json.Unmarshal(in, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Data) != 4 || p.Data[1].String() != `[2]` {
		t.Errorf("json.Unmarshal = %q", p.Data)
	}
	if &p.Data[0][0] == &in[9] {
		t.Errorf("UnmarshalJSON kept a reference to encoding/json's buffer")
	}
	out, err := json.Marshal(page{Data: []extension.Record{extension.Record(`{"a":1}`), nil, {}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"data":[{"a":1},null,null]}`; string(out) != want {
		t.Errorf("json.Marshal = %s, want %s", out, want)
	}
}

func TestNewRecord(t *testing.T) {
	t.Parallel()
	rec, err := extension.NewRecord(map[string]any{"b": []int{1}, "a": "<&>"})
	if err != nil || rec.String() != `{"a":"<&>","b":[1]}` {
		t.Errorf("NewRecord = %s, %v", rec, err)
	}
	if _, err := extension.NewRecord(math.Inf(1)); err == nil {
		t.Errorf("NewRecord(+Inf) succeeded")
	}
}

// TestPassThroughIsByteIdentical: a preSavePage that returns its records
// untouched sends back exactly the bytes it received (for compact records;
// spaced ones are compacted, as JSON.stringify would write them).
func TestPassThroughIsByteIdentical(t *testing.T) {
	t.Parallel()
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"pass": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return &extension.PreSavePageResult{Data: o.Data}, nil
		}),
	}}})
	data := `[` + string(bytes.Join(genRecords(20), []byte(","))) + `,{"weird":"\u0000\"\\ \ud83d\ude00 é 😀","n":-0.0e-0},[],{},null,"s"]`
	got, errs := call(t, context.Background(), x, `{"diy":true,"function":"pass","options":{"data":`+data+`,"pageIndex":0}}`)
	if errs != nil {
		t.Fatal(errs)
	}
	if want := `{"data":` + data + `,"abort":false}`; got != want {
		t.Errorf("pass-through changed the records:\n got %.300s\nwant %.300s", got, want)
	}

	spaced := "[ {\"a\" : 1},\n\t[ 2 , 3 ] ]"
	got, errs = call(t, context.Background(), x, `{"diy":true,"function":"pass","options":{"data":`+spaced+`}}`)
	if want := `{"data":[{"a":1},[2,3]],"abort":false}`; errs != nil || got != want {
		t.Errorf("spaced pass-through = %s %v, want %s", got, errs, want)
	}

	// By hand (Lambda event), with surrounding whitespace.
	env := &extension.Envelope{DIY: true, Function: "pass", Options: json.RawMessage(" {\"data\":" + data + "} ")}
	got, errs = callEnv(t, context.Background(), x, env)
	if want := `{"data":` + data + `,"abort":false}`; errs != nil || got != want {
		t.Errorf("by-hand pass-through changed the records:\n got %.300s\nwant %.300s", got, want)
	}
}

// TestChangedRecordsAreValidated: records a function builds or edits are
// validated before they are sent.
func TestChangedRecordsAreValidated(t *testing.T) {
	t.Parallel()
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"truncate": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return &extension.PreSavePageResult{Data: []extension.Record{o.Data[0][:len(o.Data[0])-1]}}, nil
		}),
		"sub": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			v, _ := o.Data[0].Get("a")
			return &extension.PreSavePageResult{Data: []extension.Record{v}}, nil
		}),
		"set": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			r, err := o.Data[0].Set("b", 2)
			return &extension.PreSavePageResult{Data: []extension.Record{r}}, err
		}),
	}}})
	body := func(fn string) string {
		return `{"diy":true,"function":"` + fn + `","options":{"data":[{"a":{"x":1}}]}}`
	}
	if _, errs := call(t, context.Background(), x, body("truncate")); len(errs) != 1 || errs[0] != errNotSerializable {
		t.Errorf("truncated record: errors = %v, want invalid_extension_response", errs)
	}
	if got, errs := call(t, context.Background(), x, body("sub")); errs != nil || got != `{"data":[{"x":1}],"abort":false}` {
		t.Errorf("sub-record = %s %v", got, errs)
	}
	if got, errs := call(t, context.Background(), x, body("set")); errs != nil || got != `{"data":[{"a":{"x":1},"b":2}],"abort":false}` {
		t.Errorf("set record = %s %v", got, errs)
	}
}

func FuzzRecordSet(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` { "a" : 1 , "a" : [2] } `, `{"\u0061":1}`, `[1]`, `{`, ``, `"x"`} {
		f.Add([]byte(s), "a", `"v"`)
	}
	f.Fuzz(func(t *testing.T, rec []byte, key, value string) {
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = value // use the text itself as a string value
		}
		r := extension.Record(rec)
		got, err := r.Set(key, v)
		if err != nil {
			if json.Valid(rec) && bytes.HasPrefix(bytes.TrimLeft(rec, " \t\r\n"), []byte("{")) {
				t.Fatalf("Set(%q) on object %q: %v", key, rec, err)
			}
			return
		}
		if !json.Valid(got) {
			t.Fatalf("Set(%q) on %q = %q: not valid JSON", key, rec, got)
		}
		want, _ := extension.Marshal(v)
		key = string([]rune(key)) // keys are written as valid UTF-8
		if gv, ok := got.Get(key); !ok || !bytes.Equal(gv, want) {
			t.Fatalf("Get(%q) after Set on %q = %q, %v; want %q", key, rec, gv, ok, want)
		}
		// The SDK sends what Set built as is; it must survive the encoder.
		out, err := extension.Marshal([]extension.Record{got})
		if err != nil || !json.Valid(out) {
			t.Fatalf("Marshal(Set result %q) = %q, %v", got, out, err)
		}
		// Other members are unchanged.
		var before, after map[string]any
		if json.Unmarshal(rec, &before) == nil && json.Unmarshal(got, &after) == nil {
			delete(before, key)
			delete(after, key)
			if !cmp.Equal(before, after) {
				t.Fatalf("Set(%q) on %q changed other members: %q", key, rec, got)
			}
		}
	})
}

// TestRecordsOfTheCallAreTrusted: during a call, a function's records are
// decoded, read and changed without being validated again (they are parts
// of the validated request); the outcome must be exactly that of the same
// operations on copies, which are validated — for compact and spaced pages.
func TestRecordsOfTheCallAreTrusted(t *testing.T) {
	t.Parallel()
	check := func(_ context.Context, o *extension.PostMapOptions) ([]extension.RecordResult, error) {
		out := make([]extension.RecordResult, len(o.PostMapData))
		for i, r := range o.PostMapData {
			c := r.Clone()
			var problems []string
			same := func(what string, got, want any) {
				if diff := cmp.Diff(want, got); diff != "" {
					problems = append(problems, what+": "+diff)
				}
			}
			gs, gerr := r.Set("total", 1)
			ws, werr := c.Set("total", 1)
			same("Set", string(gs)+fmt.Sprint(gerr), string(ws)+fmt.Sprint(werr))
			gv, gok := r.Get("lines")
			wv, wok := c.Get("lines")
			same("Get", fmt.Sprint(string(gv), gok), fmt.Sprint(string(wv), wok))
			var gm, wm any
			gerr, werr = r.Decode(&gm), c.Decode(&wm)
			same("Decode", fmt.Sprint(gm, gerr), fmt.Sprint(wm, werr))
			var gl, wl struct{ Lines []extension.Record }
			gerr, werr = r.Decode(&gl), c.Decode(&wl)
			same("Decode lines", fmt.Sprintf("%s %v", gl.Lines, gerr), fmt.Sprintf("%s %v", wl.Lines, werr))
			for k, l := range gl.Lines {
				var ga, wa struct{ Amount any }
				gerr, werr = l.Decode(&ga), l.Clone().Decode(&wa)
				same(fmt.Sprintf("Decode line %d", k), fmt.Sprint(ga, gerr), fmt.Sprint(wa, werr))
			}
			if len(problems) > 0 {
				return nil, fmt.Errorf("record %d %s: %s", i, r, strings.Join(problems, "; "))
			}
			out[i].Data = gs
		}
		return out, nil
	}
	x := newExtension(t, extension.Config{DIY: &extension.Module{Hooks: extension.Functions{"check": extension.PostMap(check)}}})
	records := `{"id":1,"lines":[{"amount":1.5},{"amount":"2"},3,[]],"total":0},{"lines":"bad"},{},` +
		`{"customer":{"lines":[1]},"lines":[{"Amount":2,"amount":{"x":[1]}}]},{"a":"x\"}{","b":[{"c":"]"}]}`
	for _, page := range []string{records, strings.ReplaceAll(records, `,"`, `, "`)} {
		body := `{"diy":true,"type":"hook","function":"check","options":{"postMapData":[` + page + `]}}`
		got, errs := call(t, context.Background(), x, body)
		if errs != nil {
			t.Fatalf("records %s: %v", page, errs)
		}
		if !strings.Contains(got, `"total":1`) {
			t.Errorf("result %s", got)
		}
	}
}
