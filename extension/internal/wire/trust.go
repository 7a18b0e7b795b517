package wire

import (
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Records a call receives are sub-slices of its options, validated once when
// the request was read. While the function runs, its options are trusted:
// decoding one of their records (or a record inside one) skips validation,
// and skips each nested object or array at once by its recorded end instead
// of scanning it. That is what makes decoding a record, and Record.Set,
// cost what the members actually read rather than the record's size.
//
// Trust is by memory: a text is trusted when it is exactly one of the
// objects or arrays recorded while the options were validated (same
// address, same length), inside the options of a call that is still
// running. Anything else — a copy, a sub-slice of another shape, a record
// used after its call — is validated as usual.

// box is one object or array of validated text: its [start, end) offsets
// and the number of boxes recorded before its end (the entry that follows
// its last descendant). Boxes are in order of start.
type box struct {
	start, end, next int32
}

// maxBoxed is the largest text whose boxes are recorded: offsets are int32,
// and the text may still be rebased by leading whitespace.
const maxBoxed = 1 << 30

// trustTable is the immutable record of one validated text's boxes, shared
// with the decoders while its call runs. boxes[0] is a sentinel, so that
// entry 0 means "not known".
type trustTable struct {
	base   []byte
	boxes  []box
	spaced bool         // the boxed text holds insignificant whitespace
	hint   atomic.Int32 // where the last lookup ended: decoders go forward
}

var trusted struct {
	mu     sync.Mutex
	tables atomic.Pointer[[]*trustTable]
}

// Trust makes the boxed text of the index trusted until Revoke is called.
// It does nothing for an index with no boxes.
func (x *Index) Trust() {
	if x == nil || len(x.boxes) <= 1 || x.trust != nil {
		return
	}
	t := &trustTable{base: x.base, boxes: x.boxes}
	for _, a := range x.arrays {
		t.spaced = t.spaced || a.spaced
	}
	x.trust = t
	trusted.mu.Lock()
	defer trusted.mu.Unlock()
	var list []*trustTable
	if p := trusted.tables.Load(); p != nil {
		list = append(list, *p...)
	}
	list = append(list, t)
	trusted.tables.Store(&list)
}

// Revoke ends the trust Trust gave.
func (x *Index) Revoke() {
	if x == nil || x.trust == nil {
		return
	}
	t := x.trust
	x.trust = nil
	trusted.mu.Lock()
	defer trusted.mu.Unlock()
	old := *trusted.tables.Load()
	list := make([]*trustTable, 0, len(old))
	for _, u := range old {
		if u != t {
			list = append(list, u)
		}
	}
	if len(list) == 0 {
		trusted.tables.Store(nil)
		return
	}
	trusted.tables.Store(&list)
}

// trustOf returns the table and entry of b if b is exactly a trusted box,
// with b's offset in the table's text.
func trustOf(b []byte) (t *trustTable, k int32, off int) {
	p := trusted.tables.Load()
	if p == nil || len(b) == 0 {
		return nil, 0, 0
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	for _, t := range *p {
		base := uintptr(unsafe.Pointer(unsafe.SliceData(t.base)))
		if addr < base || addr+uintptr(len(b)) > base+uintptr(len(t.base)) {
			continue
		}
		off := int(addr - base)
		if k := t.find(int32(off)); k > 0 && int(t.boxes[k].end) == off+len(b) {
			return t, k, off
		}
		return nil, 0, 0
	}
	return nil, 0, 0
}

// find returns the entry of the box that starts at pos, or 0.
func (t *trustTable) find(pos int32) int32 {
	n := int32(len(t.boxes))
	// The usual case: near the last lookup, a little ahead (the next
	// record, a line in this one) or back (this record again).
	h := t.hint.Load()
	if k := t.boxes[h].next; k < n && t.boxes[k].start == pos { // the next sibling
		t.hint.Store(k)
		return k
	}
	for k := max(h-8, 1); k < n && k < h+16; k++ {
		if t.boxes[k].start == pos {
			t.hint.Store(k)
			return k
		}
	}
	k := int32(sort.Search(int(n), func(j int) bool { return t.boxes[j].start >= pos }))
	if k > 0 && k < n && t.boxes[k].start == pos {
		t.hint.Store(k)
		return k
	}
	return 0
}

// at returns the entry of the box at data[vi] (0 for a value that is not a
// box, or text that is not trusted). *c is the entry expected there — the
// next one in order, 0 if unknown — and becomes the one expected next.
func (d *decState) at(c *int32, vi int) int32 {
	if d.t == nil || d.data[vi]|0x20 != '{' { // '[' is 0x5b, '{' 0x7b
		return 0
	}
	return d.atBox(c, vi)
}

func (d *decState) atBox(c *int32, vi int) int32 {
	pos := int32(d.off + vi)
	k := *c
	if k <= 0 || int(k) >= len(d.t.boxes) || d.t.boxes[k].start != pos {
		if k = d.t.find(pos); k == 0 {
			*c = 0
			return 0
		}
	}
	*c = d.t.boxes[k].next
	return k
}

// skip returns the index just past the value at data[i], whose box entry is
// k (0 if it is not a box or unknown).
func (d *decState) skip(i int, k int32) int {
	if k > 0 {
		return int(d.t.boxes[k].end) - d.off
	}
	return Skip(d.data, i)
}

// first returns the entry expected for the first box inside the box at
// hand (d.box), or 0 if unknown.
func (d *decState) first() int32 {
	if d.box > 0 {
		return d.box + 1
	}
	return 0
}

// TrustedMembers calls fn with the raw key (see KeyString) and the [from,
// to) span of the value of each member of r, if r is a trusted object
// without insignificant whitespace, and reports whether it did. It never
// validates: callers validate r themselves when it returns false.
func TrustedMembers(r []byte, fn func(key []byte, from, to int)) bool {
	t, k, off := trustOf(r)
	if t == nil || t.spaced || r[0] != '{' {
		return false
	}
	d := decState{data: r, t: t, off: off, box: k}
	c := d.first()
	members(r, 0, func(key []byte, _ bool, vi int) (int, error) {
		end := d.skip(vi, d.at(&c, vi))
		fn(key, vi, end)
		return end, nil
	})
	return true
}
