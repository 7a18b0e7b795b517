package extension

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/hookstack/hookstack/extension/internal/wire"
)

// Time is a date the platform sends as text, such as lastExportDateTime. The
// Node SDK turns these into JavaScript Dates; Time parses them the same way
// (ISO 8601 text or milliseconds since the epoch) and, unlike Node, a Time
// sent back unchanged is encoded exactly as it was received. Text that is not
// a date leaves Time zero (Valid reports false) and is still echoed as is.
type Time struct {
	time.Time
	raw    []byte
	parsed time.Time
}

// Valid reports whether the received text was a date.
func (t Time) Valid() bool { return !t.Time.IsZero() }

// Raw returns the JSON text the Time was decoded from, if any.
func (t Time) Raw() string { return string(t.raw) }

// IsZero reports whether t holds neither a time nor received text.
func (t Time) IsZero() bool { return t.Time.IsZero() && t.raw == nil }

// MarshalJSON echoes the received text if the time was not changed, and
// otherwise writes Date#toISOString's form (2006-01-02T15:04:05.000Z).
func (t Time) MarshalJSON() ([]byte, error) {
	if t.raw != nil && t.Time.Equal(t.parsed) {
		return t.raw, nil
	}
	if t.Time.IsZero() {
		return []byte("null"), nil
	}
	return wire.AppendISOTime(nil, t.Time)
}

// UnmarshalJSON parses a JSON string or number as JavaScript's new Date does
// for the forms integrator.io sends. It never fails on a string or number.
func (t *Time) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	*t = Time{}
	if string(data) == "null" {
		return nil
	}
	t.raw = bytes.Clone(data)
	switch {
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := wire.Unmarshal(data, &s, false); err != nil {
			return err
		}
		t.Time = parseJSDate(s)
	default:
		if ms, err := strconv.ParseFloat(string(data), 64); err == nil && ms > -8.64e15 && ms < 8.64e15 {
			t.Time = time.UnixMilli(int64(ms)).UTC()
		}
	}
	t.parsed = t.Time
	return nil
}

var jsDateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
	time.RFC1123,
	time.RFC1123Z,
	"Mon, 2 Jan 2006 15:04:05 MST",
	time.UnixDate,
}

func parseJSDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range jsDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
