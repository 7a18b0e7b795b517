package wire

import (
	"bytes"
	"sort"
	"sync"
	"unsafe"
)

// Index remembers, for one validated JSON object (the function options),
// where the elements of its top-level array members start and end, so that
// splitting a page into records needs no second scan, and so that encoding a
// record that is exactly one of those elements needs no validation.
// Offsets are relative to the start of the object's text.
type Index struct {
	base   []byte
	arrays []arraySpans
	arena  *[]int // backing store of every array's spans, pooled
	tape   *tape  // the objects and arrays inside the arrays (see trust.go)
	trust  *trustTable
}

type arraySpans struct {
	start, end int
	spans      []int // [start0, end0, start1, end1, …]
	spaced     bool  // the array's text holds insignificant whitespace
	from, to   int   // spans is (*arena)[from:to]
}

var arenaPool = sync.Pool{New: func() any { s := make([]int, 0, 1024); return &s }}

// Release returns the index's storage for reuse; the index must not be used
// afterwards. Calling it is optional.
func (x *Index) Release() {
	if x == nil || x.arena == nil {
		return
	}
	x.Revoke()
	if x.tape != nil {
		x.tape.release()
	}
	if cap(*x.arena) <= 1<<20 {
		*x.arena = (*x.arena)[:0]
		arenaPool.Put(x.arena)
	}
	*x = Index{}
}

// ScanObject validates the JSON object at b (whole slice, optionally with
// surrounding whitespace) and calls fn for each top-level member with its
// raw key (the text between the quotes; see KeyString) and raw value. It returns an Index of the object's top-level
// arrays. fn may be nil.
func ScanObject(b []byte, fn func(key, value []byte)) (*Index, error) {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if _, err := Valid(b); err != nil {
			return nil, err
		}
		return nil, nil // valid, but not an object: nothing to index
	}
	idx, end, err := ScanObjectPrefix(b[i:], fn)
	if err != nil {
		return nil, err
	}
	if j := SkipSpace(b, i+end); j != len(b) {
		return nil, syntaxErr(j, "unexpected data after top-level value")
	}
	if i > 0 || end < len(b) { // rebase onto the whole text
		for k := range idx.arrays {
			a := &idx.arrays[k]
			a.start, a.end = a.start+i, a.end+i
			for j := range a.spans {
				a.spans[j] += i
			}
		}
		if t := idx.tape; t != nil {
			d := int32(i)
			for k := 1; k < len(t.boxes); k++ {
				t.boxes[k].start += d
				t.boxes[k].end += d
			}
			for k := range t.members {
				m := &t.members[k]
				m.vend += d
				if m.kend < 0 {
					m.kend -= d
				} else {
					m.kend += d
				}
			}
		}
		idx.base = b
	}
	return idx, nil
}

// ScanObjectPrefix is ScanObject for the object that starts at b[0] and may
// be followed by more text: it returns the index (whose text is b[:end]) and
// end, the offset past the object.
func ScanObjectPrefix(b []byte, fn func(key, value []byte)) (*Index, int, error) {
	var s Scanner
	idx := &Index{arena: arenaPool.Get().(*[]int)}
	end, err := s.Object(b, 0, 0, func(key []byte, vi int) (int, error) {
		var end int
		var err error
		if b[vi] == '[' {
			a := arraySpans{start: vi, from: len(*idx.arena)}
			sub := Scanner{}
			if len(b) <= maxBoxed {
				if idx.tape == nil {
					idx.tape = newTape()
				}
				sub.tape = idx.tape
			}
			*idx.arena, end, err = sub.Array(b, vi, 1, *idx.arena)
			if err != nil {
				return 0, err
			}
			a.end, a.spaced, a.to = end, sub.Spaced, len(*idx.arena)
			s.Spaced = s.Spaced || sub.Spaced
			idx.arrays = append(idx.arrays, a)
		} else if end, err = s.Value(b, vi, 1); err != nil {
			return 0, err
		}
		if fn != nil {
			fn(key, b[vi:end:end])
		}
		return end, nil
	})
	if err != nil {
		idx.Release()
		return nil, 0, err
	}
	for k := range idx.arrays {
		a := &idx.arrays[k]
		a.spans = (*idx.arena)[a.from:a.to:a.to]
	}
	idx.base = b[:end:end]
	return idx, end, nil
}

// KeyString decodes a raw object key (the text between its quotes, a
// sub-slice of the validated text b).
func KeyString(b, key []byte) string { return keyString(b, key) }

// keyString decodes a raw key (the text between its quotes).
func keyString(b, key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key)
	}
	s, _ := decodeString(b, keyStart(b, key))
	return s
}

// Object validates the object at b[i] and calls fn with each member's raw key
// (the text between the quotes) and the index of its value; fn must scan the
// value (for example with s.Value) and return the index past it.
func (s *Scanner) Object(b []byte, i, depth int, fn func(key []byte, vi int) (int, error)) (int, error) {
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
		kend, _, err := stringEnd(b, i+1)
		if err != nil {
			return 0, err
		}
		key := b[i+1 : kend-1]
		i = s.ws(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, syntaxErr(i, "expected ':'")
		}
		i = s.ws(b, i+1)
		if i >= len(b) {
			return 0, syntaxErr(i, "unexpected end of input")
		}
		if i, err = fn(key, i); err != nil {
			return 0, err
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

// Array validates the array at b[i], appending each element's [start,end)
// offsets to spans.
func (s *Scanner) Array(b []byte, i, depth int, spans []int) ([]int, int, error) {
	if depth >= MaxDepth {
		return nil, 0, errDepth
	}
	i = s.ws(b, i+1)
	if i < len(b) && b[i] == ']' {
		return spans, i + 1, nil
	}
	for {
		start := i
		end, err := s.Value(b, i, depth+1)
		if err != nil {
			return nil, 0, err
		}
		spans = append(spans, start, end)
		i = s.ws(b, end)
		if i < len(b) && b[i] == ',' {
			i = s.ws(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return spans, i + 1, nil
		}
		return nil, 0, syntaxErr(i, "expected ',' or ']'")
	}
}

// spansAt returns the element spans of the indexed array starting at offset
// start of data, if data is the indexed text, and the offset past the array.
func (x *Index) spansAt(data []byte, start int) ([]int, int, bool) {
	if x == nil || !sameText(x.base, data) {
		return nil, 0, false
	}
	for k := range x.arrays {
		if a := &x.arrays[k]; a.start == start {
			return a.spans, a.end, true
		}
	}
	return nil, 0, false
}

// isElement reports whether raw is exactly one compact element of an indexed
// array: text already validated, to be written as is.
func (x *Index) isElement(raw []byte) bool {
	if x == nil || len(raw) == 0 || len(x.base) == 0 {
		return false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(x.base)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	if p < base || p+uintptr(len(raw)) > base+uintptr(len(x.base)) {
		return false
	}
	off := int(p - base)
	for k := range x.arrays {
		a := &x.arrays[k]
		if off < a.start || off >= a.end || a.spaced {
			continue
		}
		n := len(a.spans) / 2
		j := sort.Search(n, func(j int) bool { return a.spans[2*j] >= off })
		return j < n && a.spans[2*j] == off && a.spans[2*j+1] == off+len(raw)
	}
	return false
}

// sameText reports whether a and b are the same slice of memory.
func sameText(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || unsafe.SliceData(a) == unsafe.SliceData(b))
}
