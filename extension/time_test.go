package extension_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookstack/hookstack/extension"
)

func TestTimeUnmarshal(t *testing.T) {
	t.Parallel()
	utc := func(y int, mo time.Month, d, h, mi, s, ms int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ms*1e6, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time // zero: not a date
	}{
		{`"2024-01-02T03:04:05.678Z"`, utc(2024, 1, 2, 3, 4, 5, 678)},
		{`"2024-01-02T03:04:05Z"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`"2024-01-02T04:04:05.5+01:00"`, utc(2024, 1, 2, 3, 4, 5, 500)},
		{`"2024-01-02T03:04:05.678"`, utc(2024, 1, 2, 3, 4, 5, 678)},
		{`"2024-01-02T03:04Z"`, utc(2024, 1, 2, 3, 4, 0, 0)},
		{`"2024-01-02T03:04"`, utc(2024, 1, 2, 3, 4, 0, 0)},
		{`"2024-01-02"`, utc(2024, 1, 2, 0, 0, 0, 0)},
		{`"2024-01"`, utc(2024, 1, 1, 0, 0, 0, 0)},
		{`"2024"`, utc(2024, 1, 1, 0, 0, 0, 0)},
		{`" 2024-01-02 "`, utc(2024, 1, 2, 0, 0, 0, 0)},
		{`"Tue, 02 Jan 2024 03:04:05 GMT"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`"Tue, 02 Jan 2024 03:04:05 +0000"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`"Tue, 2 Jan 2024 03:04:05 UTC"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`"Tue Jan  2 03:04:05 UTC 2024"`, utc(2024, 1, 2, 3, 4, 5, 0)},
		{`1704164645678`, utc(2024, 1, 2, 3, 4, 5, 678)},
		{`0`, time.UnixMilli(0).UTC()},
		{`-86400000`, utc(1969, 12, 31, 0, 0, 0, 0)},
		{`1.7e12`, time.UnixMilli(1.7e12).UTC()},
		{`8.64e15`, time.Time{}}, // outside JavaScript's date range
		{`"garbage"`, time.Time{}},
		{`""`, time.Time{}},
		{`"2024-13-01"`, time.Time{}},
		{`true`, time.Time{}},
		{`{}`, time.Time{}},
	}
	for _, tc := range tests {
		var tm extension.Time
		if err := json.Unmarshal([]byte(tc.in), &tm); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		want := tc.want
		if !tm.Time.Equal(want) || tm.Valid() != !want.IsZero() {
			t.Errorf("Unmarshal(%s) = %v (valid %v), want %v", tc.in, tm.Time, tm.Valid(), want)
		}
		if tm.Raw() != tc.in || tm.IsZero() {
			t.Errorf("Unmarshal(%s): Raw() = %q, IsZero() = %v; want the input and false", tc.in, tm.Raw(), tm.IsZero())
		}
		out, err := json.Marshal(tm)
		if err != nil || string(out) != tc.in {
			t.Errorf("Marshal(Unmarshal(%s)) = %s, %v; want it unchanged", tc.in, out, err)
		}
		if tm.Valid() && tm.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) location = %v, want UTC", tc.in, tm.Location())
		}
	}
}

func TestTimeNullAndErrors(t *testing.T) {
	t.Parallel()
	tm := extension.Time{Time: time.Now()}
	if err := tm.UnmarshalJSON([]byte(` null `)); err != nil || !tm.IsZero() || tm.Valid() || tm.Raw() != "" {
		t.Errorf("null: %+v, %v; want zero", tm, err)
	}
	if err := tm.UnmarshalJSON([]byte(`"\x"`)); err == nil {
		t.Errorf("invalid string: no error")
	}
	// The received text is a copy.
	buf := []byte(`"2024-01-02"`)
	if err := tm.UnmarshalJSON(buf); err != nil {
		t.Fatal(err)
	}
	buf[1] = '3'
	if tm.Raw() != `"2024-01-02"` {
		t.Errorf("Raw() = %s after the input changed; want a copy", tm.Raw())
	}
}

func TestTimeMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		t    extension.Time
		want string
	}{
		{"zero", extension.Time{}, `null`},
		{"constructed", extension.Time{Time: time.Date(2024, 1, 2, 4, 4, 5, 678_900_000, time.FixedZone("X", 3600))}, `"2024-01-02T03:04:05.678Z"`},
		{"year 10000", extension.Time{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, `"+010000-01-01T00:00:00.000Z"`},
	}
	for _, tc := range tests {
		for _, marshal := range []func(any) ([]byte, error){json.Marshal, extension.Marshal} {
			got, err := marshal(tc.t)
			if err != nil || string(got) != tc.want {
				t.Errorf("%s: Marshal = %s, %v; want %s", tc.name, got, err, tc.want)
			}
		}
	}
	var changed extension.Time
	if err := json.Unmarshal([]byte(`1704164645678`), &changed); err != nil {
		t.Fatal(err)
	}
	changed.Time = changed.Add(time.Second)
	if got, _ := extension.Marshal(changed); string(got) != `"2024-01-02T03:04:06.678Z"` {
		t.Errorf("changed time = %s, want the ISO form of the new time", got)
	}
	// omitzero leaves out only a Time that received nothing.
	type opts struct {
		T extension.Time `json:"t,omitzero"`
	}
	var withGarbage opts
	if err := json.Unmarshal([]byte(`{"t":"garbage"}`), &withGarbage); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		v    opts
		want string
	}{{opts{}, `{}`}, {withGarbage, `{"t":"garbage"}`}} {
		if got, err := extension.Marshal(tc.v); err != nil || string(got) != tc.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
}
