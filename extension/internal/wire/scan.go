// Package wire is the SDK's JSON engine: a validating scanner that finds value
// boundaries without decoding, a reflection-table decoder that keeps records as
// raw sub-slices of the input, and an encoder that writes JSON the way
// JavaScript's JSON.stringify does (no HTML or U+2028 escaping), so that the
// size of what is sent can be measured in UTF-16 code units.
//
// Nothing here is public API: the extension package exposes what users need.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// MaxDepth bounds the nesting of arrays and objects the scanner accepts.
const MaxDepth = 10000

// SyntaxError describes malformed JSON input.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

func syntaxErr(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

var errDepth = errors.New("JSON nested too deeply")

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask reports, per byte of x, whether the byte is '"', '\\' or a control
// character (< 0x20): the bytes that end the fast path inside a string.
func specialMask(x uint64) uint64 {
	// '"' and '\\' have no high bit, so x^c has the high bits of x: one
	// &^ x masks out the bytes >= 0x80 of all three tests. Bits above the
	// lowest set one may be false positives (borrows); callers use the
	// lowest only.
	q := x ^ (lsb * '"')
	s := x ^ (lsb * '\\')
	return ((q - lsb) | (s - lsb) | (x - lsb*0x20)) &^ x & msb
}

// stringEnd returns the index just past the closing quote of the string whose
// opening quote is at b[i-1], validating escapes and rejecting raw control
// characters. esc reports whether the string contains any escape sequence.
func stringEnd(b []byte, i int) (end int, esc bool, err error) {
	for {
		for i+8 <= len(b) {
			if m := specialMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bitsTrailing(m) >> 3
				if b[i] == '"' { // the usual end of a string
					return i + 1, esc, nil
				}
				break
			}
			i += 8
		}
		if i >= len(b) {
			return 0, esc, syntaxErr(len(b), "unterminated string")
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, esc, syntaxErr(i, "unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return 0, esc, syntaxErr(i, "unterminated escape")
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return 0, esc, syntaxErr(i, "invalid \\u escape")
					}
				}
				i += 6
			default:
				return 0, esc, syntaxErr(i, "invalid escape %q", b[i+1])
			}
		case c < 0x20:
			return 0, esc, syntaxErr(i, "control character in string")
		default:
			i++
		}
	}
}

func isHex(c byte) bool {
	return c-'0' < 10 || (c|0x20)-'a' < 6
}

func bitsTrailing(m uint64) int { return bits.TrailingZeros64(m) }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// Scanner validates JSON values. Spaced reports whether any insignificant
// whitespace was seen since it was last reset.
type Scanner struct {
	Spaced bool
	tape   *tape // if set, every object and array is recorded here
}

func (s *Scanner) ws(b []byte, i int) int {
	if i < len(b) && b[i] <= ' ' && isSpace(b[i]) { // most bytes are above ' '
		s.Spaced = true
		return SkipSpace(b, i)
	}
	return i
}

// Value validates the JSON value starting exactly at b[i] (no leading
// whitespace) and returns the index just past it.
func (s *Scanner) Value(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, syntaxErr(i, "unexpected end of input")
	}
	switch c := b[i]; c {
	case '"':
		end, _, err := stringEnd(b, i+1)
		return end, err
	case '{':
		if s.tape != nil {
			return s.boxed(b, i, depth)
		}
		return s.object(b, i, depth)
	case '[':
		if s.tape != nil {
			return s.boxed(b, i, depth)
		}
		return s.array(b, i, depth)
	case 't':
		return literal(b, i, "true")
	case 'f':
		return literal(b, i, "false")
	case 'n':
		return literal(b, i, "null")
	default:
		if c == '-' || c-'0' < 10 {
			return number(b, i)
		}
		return 0, syntaxErr(i, "unexpected character %q", c)
	}
}

// object validates the object at b[i].
func (s *Scanner) object(b []byte, i, depth int) (int, error) {
	// The same loop as Scanner.Object without its callback: a closure per
	// member would cost too much on the hottest path.
	if depth >= MaxDepth {
		return 0, errDepth
	}
	i = s.ws(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, syntaxErr(i, "expected object key")
		}
		kend, esc, err := stringEnd(b, i+1)
		if err != nil {
			return 0, err
		}
		i = s.ws(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, syntaxErr(i, "expected ':'")
		}
		vi := s.ws(b, i+1)
		if i, err = s.Value(b, vi, depth+1); err != nil {
			return 0, err
		}
		if s.tape != nil {
			if esc {
				kend = -kend
			}
			s.tape.stack = append(s.tape.stack, member{int32(kend), int32(i)})
		}
		i = s.ws(b, i)
		if i < len(b) && b[i] == ',' {
			i = s.ws(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		return 0, syntaxErr(i, "expected ',' or '}'")
	}
}

// array validates the array at b[i].
func (s *Scanner) array(b []byte, i, depth int) (int, error) {
	if depth >= MaxDepth {
		return 0, errDepth
	}
	i = s.ws(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = s.Value(b, i, depth+1); err != nil {
			return 0, err
		}
		i = s.ws(b, i)
		if i < len(b) && b[i] == ',' {
			i = s.ws(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		return 0, syntaxErr(i, "expected ',' or ']'")
	}
}

// boxed validates the object or array at b[i] and records it on s.tape:
// its box, opened before its children's so that boxes are in order of
// start, and an object's members, contiguous (see tape).
func (s *Scanner) boxed(b []byte, i, depth int) (int, error) {
	t := s.tape
	k := len(t.boxes)
	t.boxes = append(t.boxes, box{start: int32(i)})
	var end int
	var err error
	if b[i] == '{' {
		mark := len(t.stack)
		if end, err = s.object(b, i, depth); err != nil {
			return 0, err
		}
		// The members nested objects pushed are gone again: what is
		// above mark is this object's.
		bx := &t.boxes[k]
		bx.mfrom, bx.mn = int32(len(t.members)), int32(len(t.stack)-mark)
		t.members = append(t.members, t.stack[mark:]...)
		t.stack = t.stack[:mark]
	} else if end, err = s.array(b, i, depth); err != nil {
		return 0, err
	}
	bx := &t.boxes[k]
	bx.end, bx.next = int32(end), int32(len(t.boxes))
	return end, nil
}

func literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	return 0, syntaxErr(i, "invalid literal")
}

func number(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i]-'1' < 9:
		for i < len(b) && b[i]-'0' < 10 {
			i++
		}
	default:
		return 0, syntaxErr(start, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i]-'0' < 10 {
			i++
		}
		if i == d {
			return 0, syntaxErr(start, "invalid number")
		}
	}
	if i < len(b) && (b[i]|0x20) == 'e' {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i]-'0' < 10 {
			i++
		}
		if i == d {
			return 0, syntaxErr(start, "invalid number")
		}
	}
	return i, nil
}

// Valid validates that b holds exactly one JSON value, optionally surrounded by
// whitespace. spaced reports whether b contains insignificant whitespace.
func Valid(b []byte) (spaced bool, err error) {
	var s Scanner
	i := s.ws(b, 0)
	end, err := s.Value(b, i, 0)
	if err != nil {
		return false, err
	}
	if j := s.ws(b, end); j != len(b) {
		return false, syntaxErr(j, "unexpected data after top-level value")
	}
	return s.Spaced, nil
}

// Skip returns the index just past the value starting at b[i], which must be
// part of input already validated: it only tracks strings and brackets.
func Skip(b []byte, i int) int {
	switch b[i] {
	case '"':
		end, _ := skipString(b, i+1)
		return end
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i, _ = skipString(b, i+1)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return i
			}
			i++
		}
		return i
	}
}

// skipString returns the index past the closing quote of a validated string
// whose opening quote is at b[i-1], and whether the string has escapes.
func skipString(b []byte, i int) (int, bool) {
	esc := false
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q := x ^ (lsb * '"')
			s := x ^ (lsb * '\\')
			if m := ((q-lsb)&^q | (s-lsb)&^s) & msb; m != 0 {
				i += bitsTrailing(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return len(b), esc
		}
		switch b[i] {
		case '"':
			return i + 1, esc
		case '\\':
			esc = true
			i += 2
		default:
			i++
		}
	}
}
