package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validCases are inputs with the verdict encoding/json.Valid gives them.
var validCases = []struct {
	in     string
	valid  bool
	spaced bool // only meaningful when valid
}{
	// Literals.
	{in: `true`, valid: true},
	{in: `false`, valid: true},
	{in: `null`, valid: true},
	{in: `tru`, valid: false},
	{in: `nul`, valid: false},
	{in: `True`, valid: false},
	{in: `NULL`, valid: false},
	{in: `truex`, valid: false},
	{in: `nullnull`, valid: false},
	{in: `undefined`, valid: false},
	{in: `NaN`, valid: false},
	{in: `Infinity`, valid: false},

	// Numbers.
	{in: `0`, valid: true},
	{in: `-0`, valid: true},
	{in: `5`, valid: true},
	{in: `-5`, valid: true},
	{in: `1e5`, valid: true},
	{in: `1E5`, valid: true},
	{in: `1e+5`, valid: true},
	{in: `1e-5`, valid: true},
	{in: `-1.25e-10`, valid: true},
	{in: `0.5`, valid: true},
	{in: `0e0`, valid: true},
	{in: `123456789012345678901234567890`, valid: true},
	{in: `1.7976931348623157e309`, valid: true}, // syntactically fine, out of range
	{in: `01`, valid: false},
	{in: `00`, valid: false},
	{in: `-01`, valid: false},
	{in: `1.`, valid: false},
	{in: `.5`, valid: false},
	{in: `-`, valid: false},
	{in: `+1`, valid: false},
	{in: `-.5`, valid: false},
	{in: `1e`, valid: false},
	{in: `1e+`, valid: false},
	{in: `1e-`, valid: false},
	{in: `1.e5`, valid: false},
	{in: `1.5.5`, valid: false},
	{in: `0x10`, valid: false},
	{in: `1_000`, valid: false},
	{in: `--1`, valid: false},
	{in: `1ee5`, valid: false},

	// Strings.
	{in: `""`, valid: true},
	{in: `"abc"`, valid: true},
	{in: `"a\"b"`, valid: true},
	{in: `"\\"`, valid: true},
	{in: `"\/"`, valid: true},
	{in: `"\b\f\n\r\t"`, valid: true},
	{in: `"\u0041\u00e9\uD83D\uDE00"`, valid: true},
	{in: `"\uD800"`, valid: true}, // lone surrogate: syntactically fine
	{in: `"\uabcd\uABCD"`, valid: true},
	{in: `"é😀"`, valid: true},
	{in: "\"\u2028\u2029\"", valid: true},
	{in: "\"\x7f\"", valid: true},
	{in: "\"\xff\xfe\"", valid: true}, // invalid UTF-8 is accepted by json.Valid too
	{in: `"a long string that spans several eight-byte words without escapes"`, valid: true},
	{in: `"a long string that ends with an escape after many words\n"`, valid: true},
	{in: `"\x"`, valid: false},
	{in: `"\a"`, valid: false},
	{in: `"\'"`, valid: false},
	{in: `"\u12"`, valid: false},
	{in: `"\u12g4"`, valid: false},
	{in: `"\U0041"`, valid: false},
	{in: `"\`, valid: false},
	{in: `"\u`, valid: false},
	{in: `"abc`, valid: false},
	{in: `"a long unterminated string that spans several words`, valid: false},
	{in: `"`, valid: false},
	{in: "\"a\x00b\"", valid: false},
	{in: "\"tab\there\"", valid: false},
	{in: "\"new\nline\"", valid: false},
	{in: "\"long string with a raw control \x1f character in its middle\"", valid: false},
	{in: `'single'`, valid: false},

	// Arrays and objects.
	{in: `[]`, valid: true},
	{in: `{}`, valid: true},
	{in: `[1,2,3]`, valid: true},
	{in: `[[[]]]`, valid: true},
	{in: `{"a":1}`, valid: true},
	{in: `{"a":{"b":[1,{"c":null}]}}`, valid: true},
	{in: `{"a":1,"a":2}`, valid: true},
	{in: `{"":""}`, valid: true},
	{in: `[1,]`, valid: false},
	{in: `[,1]`, valid: false},
	{in: `[1 2]`, valid: false},
	{in: `[`, valid: false},
	{in: `]`, valid: false},
	{in: `[1`, valid: false},
	{in: `[1,`, valid: false},
	{in: `{`, valid: false},
	{in: `}`, valid: false},
	{in: `{"a"}`, valid: false},
	{in: `{"a":}`, valid: false},
	{in: `{"a":1,}`, valid: false},
	{in: `{,"a":1}`, valid: false},
	{in: `{"a" 1}`, valid: false},
	{in: `{a:1}`, valid: false},
	{in: `{1:1}`, valid: false},
	{in: `{"a":1 "b":2}`, valid: false},
	{in: `{"a":1]`, valid: false},
	{in: `[1}`, valid: false},
	{in: `{"a":1`, valid: false},
	{in: `{"a":`, valid: false},
	{in: `{"a`, valid: false},

	// Whitespace and trailing data.
	{in: ``, valid: false},
	{in: ` `, valid: false},
	{in: " \t\r\n", valid: false},
	{in: ` 1`, valid: true, spaced: true},
	{in: `1 `, valid: true, spaced: true},
	{in: "\t\r\n1\t\r\n", valid: true, spaced: true},
	{in: `[ 1 , 2 ]`, valid: true, spaced: true},
	{in: `{ "a" : 1 }`, valid: true, spaced: true},
	{in: "{\n\t\"a\": [\n\t\t1\n\t]\n}", valid: true, spaced: true},
	{in: `"a b"`, valid: true, spaced: false}, // spaces inside strings don't count
	{in: `{"a b":" "}`, valid: true, spaced: false},
	{in: "\u00a01", valid: false}, // NBSP is not JSON whitespace
	{in: "\v1", valid: false},
	{in: "\f1", valid: false},
	{in: "\xef\xbb\xbf1", valid: false}, // BOM
	{in: `1 2`, valid: false},
	{in: `{}{}`, valid: false},
	{in: `[]x`, valid: false},
	{in: `"a""b"`, valid: false},
	{in: `nulll`, valid: false},
	{in: `{} ,`, valid: false},
	{in: "1\x00", valid: false},
}

func TestValid(t *testing.T) {
	t.Parallel()
	for _, tc := range validCases {
		b := []byte(tc.in)
		spaced, err := Valid(b)
		if got, std := err == nil, json.Valid(b); got != tc.valid || std != tc.valid {
			t.Errorf("Valid(%q): err = %v, encoding/json.Valid = %v, want valid = %v", tc.in, err, std, tc.valid)
			continue
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Valid(%q) error = %T %v, want *SyntaxError", tc.in, err, err)
			} else if se.Offset < 0 || se.Offset > len(b) {
				t.Errorf("Valid(%q) error offset %d outside [0,%d]", tc.in, se.Offset, len(b))
			}
			continue
		}
		if spaced != tc.spaced {
			t.Errorf("Valid(%q) spaced = %v, want %v", tc.in, spaced, tc.spaced)
		}
	}
}

func TestSyntaxErrorOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		offset int
	}{
		{`[1,]`, 3},
		{`{"a":1 "b":2}`, 7},
		{`1 2`, 2},
		{`"abc`, 4},
		{"\"a\x01\"", 2},
	}
	for _, tc := range tests {
		_, err := Valid([]byte(tc.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Valid(%q) = %v, want *SyntaxError", tc.in, err)
			continue
		}
		if se.Offset != tc.offset {
			t.Errorf("Valid(%q) offset = %d, want %d (%v)", tc.in, se.Offset, tc.offset, err)
		}
		if !strings.Contains(se.Error(), "offset") {
			t.Errorf("Error() = %q, want it to mention the offset", se.Error())
		}
	}
}

// TestSkip checks that Skip, which only tracks strings and brackets, ends every
// valid value where the validating scanner ends it, at the top level and for
// each member and element.
func TestSkip(t *testing.T) {
	t.Parallel()
	for _, tc := range validCases {
		if !tc.valid {
			continue
		}
		b := []byte(tc.in)
		checkSkip(t, b)
	}
	// Values followed by a delimiter, as inside a container.
	for _, in := range []string{`1,`, `-1.5e3]`, `true}`, `null `, `"a\"b",`, `[1,[2]],`, `{"a":"}"}]`} {
		b := []byte(in)
		var s Scanner
		want, err := s.Value(b[:len(b)-1], 0, 0)
		if err != nil {
			t.Fatalf("Value(%q): %v", in, err)
		}
		if got := Skip(b, 0); got != want {
			t.Errorf("Skip(%q, 0) = %d, want %d", in, got, want)
		}
	}
}

func checkSkip(t *testing.T, b []byte) {
	t.Helper()
	i := SkipSpace(b, 0)
	var s Scanner
	want, err := s.Value(b, i, 0)
	if err != nil {
		t.Fatalf("Value(%q): %v", b, err)
	}
	if got := Skip(b, i); got != want {
		t.Errorf("Skip(%q, %d) = %d, want %d", b, i, got, want)
	}
	switch b[i] {
	case '[':
		spans, end := Elements(b, i, nil)
		if end != want {
			t.Errorf("Elements(%q) end = %d, want %d", b, end, want)
		}
		for k := 0; k < len(spans); k += 2 {
			var s Scanner
			if e, err := s.Value(b, spans[k], 0); err != nil || e != spans[k+1] {
				t.Errorf("Elements(%q) element %d = [%d,%d), scanner ends at %d (%v)", b, k/2, spans[k], spans[k+1], e, err)
			}
		}
	case '{':
		err := MemberSpans(b, i, func(key string, start, end int) error {
			var s Scanner
			if e, err := s.Value(b, start, 0); err != nil || e != end {
				t.Errorf("MemberSpans(%q) member %q = [%d,%d), scanner ends at %d (%v)", b, key, start, end, e, err)
			}
			return nil
		})
		if err != nil {
			t.Errorf("MemberSpans(%q): %v", b, err)
		}
	}
}

func TestMaxDepth(t *testing.T) {
	t.Parallel()
	nest := func(open, close string, n int) []byte {
		return []byte(strings.Repeat(open, n) + "1" + strings.Repeat(close, n))
	}
	tests := []struct {
		name  string
		in    []byte
		valid bool
	}{
		{"arrays at limit", nest("[", "]", MaxDepth), true},
		{"arrays over limit", nest("[", "]", MaxDepth+1), false},
		{"objects at limit", nest(`{"a":`, "}", MaxDepth), true},
		{"objects over limit", nest(`{"a":`, "}", MaxDepth+1), false},
		{"mixed at limit", []byte(strings.Repeat(`[{"a":`, MaxDepth/2) + "1" + strings.Repeat("}]", MaxDepth/2)), true},
		{"mixed over limit", []byte(strings.Repeat(`[{"a":`, MaxDepth/2) + "[1]" + strings.Repeat("}]", MaxDepth/2)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Valid(tc.in)
			if (err == nil) != tc.valid {
				t.Fatalf("Valid: err = %v, want valid = %v", err, tc.valid)
			}
			if std := json.Valid(tc.in); std != tc.valid {
				t.Errorf("encoding/json.Valid = %v, want %v", std, tc.valid)
			}
			if !tc.valid && !errors.Is(err, errDepth) {
				t.Errorf("err = %v, want errDepth", err)
			}
			if tc.valid {
				if got := Skip(tc.in, 0); got != len(tc.in) {
					t.Errorf("Skip = %d, want %d", got, len(tc.in))
				}
			}
		})
	}
}

func TestSpecialMask(t *testing.T) {
	t.Parallel()
	// Every byte value at every position of a word: the lowest flagged byte
	// must be the first '"', '\\' or control character.
	for pos := range 8 {
		for c := range 256 {
			word := []byte("abcdefgh")
			word[pos] = byte(c)
			x := uint64(0)
			for k := 7; k >= 0; k-- {
				x = x<<8 | uint64(word[k])
			}
			m := specialMask(x)
			special := c == '"' || c == '\\' || c < 0x20
			if special {
				if m == 0 || bitsTrailing(m)>>3 != pos {
					t.Errorf("byte %#x at %d: mask %#x, want lowest flag at byte %d", c, pos, m, pos)
				}
			} else if m != 0 {
				t.Errorf("byte %#x at %d: mask %#x, want 0", c, pos, m)
			}
		}
	}
}

func TestScannerSpacedAccumulates(t *testing.T) {
	t.Parallel()
	var s Scanner
	if _, err := s.Value([]byte(`[1]`), 0, 0); err != nil || s.Spaced {
		t.Fatalf("Value([1]) err=%v spaced=%v, want nil false", err, s.Spaced)
	}
	if _, err := s.Value([]byte(`[1, 2]`), 0, 0); err != nil || !s.Spaced {
		t.Fatalf("Value([1, 2]) err=%v spaced=%v, want nil true", err, s.Spaced)
	}
	if _, err := s.Value([]byte(`[1]`), 0, 0); err != nil || !s.Spaced {
		t.Fatalf("Spaced reset by a later Value call; want it to stay true until reset")
	}
}

func FuzzValid(f *testing.F) {
	for _, tc := range validCases {
		f.Add([]byte(tc.in))
	}
	f.Add(genPage(3))
	f.Fuzz(func(t *testing.T, b []byte) {
		spaced, err := Valid(b)
		if std := json.Valid(b); (err == nil) != std {
			t.Fatalf("Valid(%q) = %v, encoding/json.Valid = %v", b, err, std)
		}
		if err != nil {
			return
		}
		checkSkip(t, b)

		var want bytes.Buffer
		if err := json.Compact(&want, b); err != nil {
			t.Fatalf("json.Compact(%q): %v", b, err)
		}
		if spaced == bytes.Equal(want.Bytes(), b) {
			t.Errorf("Valid(%q) spaced = %v, but compacting changes it: %v", b, spaced, !bytes.Equal(want.Bytes(), b))
		}
		if got := appendCompact(nil, b); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendCompact(%q) = %q, want %q", b, got, want.Bytes())
		}
		got, err := AppendRaw([]byte("x"), b)
		if err != nil || !bytes.Equal(got[1:], want.Bytes()) || got[0] != 'x' {
			t.Errorf("AppendRaw(%q) = %q, %v; want x%q", b, got, err, want.Bytes())
		}
	})
}
