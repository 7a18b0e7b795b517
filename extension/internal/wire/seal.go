package wire

import (
	"encoding/binary"
	"hash/maphash"
)

// Records the SDK builds itself (Record.Set, NewRecord) are valid, compact
// JSON by construction. Seal marks such text with a tag kept in the slice's
// spare capacity — a magic number and a keyed hash of the text — so that the
// encoder can copy it without validating it again. Changing the text, or
// appending to the slice, breaks the tag and the text is validated as any
// other raw JSON.

const (
	// SealSize is the spare capacity a sealed slice needs.
	SealSize   = 16
	sealMagic  = 0x7b6b6f6f6b63617e
	sealOffset = 8
)

var sealSeed = maphash.MakeSeed()

// Seal tags b, which must be valid compact JSON with cap(b) >= len(b)+SealSize,
// and returns it. A b without room is returned untagged.
func Seal(b []byte) []byte {
	n := len(b)
	if cap(b)-n < SealSize {
		return b
	}
	tag := b[n : n+SealSize]
	binary.LittleEndian.PutUint64(tag, sealMagic)
	binary.LittleEndian.PutUint64(tag[sealOffset:], maphash.Bytes(sealSeed, b))
	return b[:n:cap(b)]
}

// sealed reports whether b carries a valid seal.
func sealed(b []byte) bool {
	n := len(b)
	if n == 0 || cap(b)-n < SealSize {
		return false
	}
	tag := b[n : n+SealSize]
	return binary.LittleEndian.Uint64(tag) == sealMagic &&
		binary.LittleEndian.Uint64(tag[sealOffset:]) == maphash.Bytes(sealSeed, b)
}
