package wire

import (
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Records a call receives are sub-slices of its options, validated once when
// the request was read. That validating pass also records a tape of the
// options' arrays: where every object and array inside them starts and
// ends, and where each member's key and value end. While the function runs,
// its options are trusted: decoding one of their records (or an object or
// array inside one) neither validates nor scans — members come from the
// tape, and what is not decoded is skipped by its recorded end. That is
// what makes decoding a record, and Record.Set, cost what the members
// actually read rather than the record's size.
//
// Trust is by memory: a text is trusted when it is exactly one of the
// objects or arrays recorded while the options were validated (same
// address, same length), inside the options of a call that is still
// running. Anything else — a copy, a sub-slice of another shape, a record
// used after its call — is validated as usual.

// tape is what validating a call's options recorded about the text of
// their arrays: every object and array in it (boxes, in order of start),
// and every member of those objects (each object's contiguous).
type tape struct {
	boxes   []box
	members []member
	stack   []member // while validating: the members of the open objects
}

// box is one object or array of validated text: its [start, end) offsets,
// the number of boxes recorded before its end (the entry that follows its
// last descendant) and, for an object, where its members are.
type box struct {
	start, end, next int32
	mfrom, mn        int32 // members[mfrom:mfrom+mn]
}

// member is one member of a boxed object: where its key ends (past the
// closing quote; negative if the key has escapes) and where its value ends.
// The rest is found from those at once: the key starts at the first quote
// after the previous member's value, the value after the colon.
type member struct {
	kend, vend int32
}

// tapes keeps tapes for reuse, up to maxPooledBytes of them: a reused tape
// has grown to what earlier calls needed, so recording a page allocates
// nothing, whatever its size. Unlike a sync.Pool it is not emptied by
// every garbage collection, which would have the busiest calls grow new
// tapes again and again.
var tapes struct {
	mu    sync.Mutex
	free  []*tape
	bytes int
}

const maxPooledBytes = 8 << 20

// bytes is the memory the tape holds.
func (t *tape) bytes() int {
	return cap(t.boxes)*int(unsafe.Sizeof(box{})) + (cap(t.members)+cap(t.stack))*int(unsafe.Sizeof(member{}))
}

// newTape returns an empty tape.
func newTape() *tape {
	var t *tape
	tapes.mu.Lock()
	if n := len(tapes.free); n > 0 {
		t = tapes.free[n-1]
		tapes.free = tapes.free[:n-1]
		tapes.bytes -= t.bytes()
	}
	tapes.mu.Unlock()
	if t == nil {
		t = &tape{stack: make([]member, 0, 64)}
	}
	t.boxes = append(t.boxes[:0], box{start: -1})
	t.members, t.stack = t.members[:0], t.stack[:0]
	return t
}

// release returns the tape for reuse.
func (t *tape) release() {
	n := t.bytes()
	tapes.mu.Lock()
	defer tapes.mu.Unlock()
	if tapes.bytes+n <= maxPooledBytes {
		tapes.free = append(tapes.free, t)
		tapes.bytes += n
	}
}

// maxBoxed is the largest text whose boxes are recorded: offsets are int32,
// and the text may still be rebased by leading whitespace.
const maxBoxed = 1 << 30

// trustTable is the immutable record of one validated text's boxes, shared
// with the decoders while its call runs. boxes[0] is a sentinel, so that
// entry 0 means "not known".
type trustTable struct {
	base    []byte
	boxes   []box
	members []member
	spaced  bool // the boxed text holds insignificant whitespace
	// Readers count the lookups using the table; once revoked, a table
	// whose readers are gone is no longer used, and its tape is reused.
	readers atomic.Int32
	revoked atomic.Bool
	hint    atomic.Int32 // where the last lookup ended: decoders go forward
}

var trusted struct {
	mu     sync.Mutex
	tables atomic.Pointer[[]*trustTable]
}

// Trust makes the boxed text of the index trusted until Revoke is called.
// It does nothing for an index with no boxes.
func (x *Index) Trust() {
	if x == nil || x.tape == nil || len(x.tape.boxes) <= 1 || x.trust != nil {
		return
	}
	t := &trustTable{base: x.base, boxes: x.tape.boxes, members: x.tape.members}
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

// Revoke ends the trust Trust gave. Should a lookup still be using the
// tape (a decoding in a goroutine the function left running, against the
// rules), the index lets go of the tape instead of reusing it.
func (x *Index) Revoke() {
	if x == nil || x.trust == nil {
		return
	}
	t := x.trust
	x.trust = nil
	t.revoked.Store(true)
	if t.readers.Load() != 0 {
		x.tape = nil // left to that reader and the garbage collector
	}
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
// with b's offset in the table's text. The caller must call t.done when it
// no longer uses the table.
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
		// Counted before checking revoked, the way Revoke sets revoked
		// before reading the count: one of them sees the other.
		t.readers.Add(1)
		if t.revoked.Load() {
			t.done()
			return nil, 0, 0
		}
		off := int(addr - base)
		if k := t.find(int32(off)); k > 0 && int(t.boxes[k].end) == off+len(b) {
			return t, k, off
		}
		t.done()
		return nil, 0, 0
	}
	return nil, 0, 0
}

// done ends a use of the table trustOf returned.
func (t *trustTable) done() { t.readers.Add(-1) }

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
	if t == nil {
		return false
	}
	defer t.done()
	if t.spaced || r[0] != '{' {
		return false
	}
	d := decState{data: r, t: t, off: off, box: k}
	d.members(0, func(key []byte, _ bool, vi, vend int) (int, error) {
		fn(key, vi, vend)
		return vend, nil
	})
	return true
}

// members calls fn for each member of the object at data[i] with its raw
// key (see KeyString), whether the key has escapes, the index of its value
// and, if known, the index past it (else -1; fn returns it). The members of
// a trusted object come from its tape: no scanning at all.
func (d *decState) members(i int, fn func(key []byte, escaped bool, vi, vend int) (int, error)) (int, error) {
	if d.box > 0 {
		if bx := &d.t.boxes[d.box]; int(bx.start) == d.off+i && d.data[i] == '{' {
			data := d.data
			p := i + 1
			for _, m := range d.t.members[bx.mfrom : bx.mfrom+bx.mn] {
				kend, esc := int(m.kend), false
				if kend < 0 {
					kend, esc = -kend, true
				}
				kend -= d.off
				k := p // past whitespace and the comma
				for data[k] != '"' {
					k++
				}
				vi := kend // past whitespace and the colon
				for data[vi] != ':' {
					vi++
				}
				vi = SkipSpace(data, vi+1)
				p = int(m.vend) - d.off
				if _, err := fn(data[k+1:kend-1], esc, vi, p); err != nil {
					return 0, err
				}
			}
			return int(bx.end) - d.off, nil
		}
	}
	return members(d.data, i, func(key []byte, escaped bool, vi int) (int, error) {
		return fn(key, escaped, vi, -1)
	})
}
