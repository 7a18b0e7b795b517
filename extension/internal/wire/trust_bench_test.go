package wire

import (
	"strconv"
	"testing"
)

// BenchmarkRecordWork decodes each record's lines, each line's amount, and
// walks the record's members (what Record.Set does): on records of trusted
// options, and on the same records validated each time.
func BenchmarkRecordWork(b *testing.B) {
	data := genPage(100)
	idx, err := ScanObject(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	a := idx.arrays[0]
	work := func(b *testing.B) {
		for b.Loop() {
			for k := 0; k < len(a.spans); k += 2 {
				r := data[a.spans[k]:a.spans[k+1]:a.spans[k+1]]
				var rec struct {
					Lines []record `json:"lines"`
				}
				if err := Unmarshal(r, &rec, false); err != nil {
					b.Fatal(err)
				}
				for _, l := range rec.Lines {
					var line struct {
						Amount any `json:"amount"`
					}
					if err := Unmarshal(l, &line, false); err != nil {
						b.Fatal(err)
					}
				}
				n := 0
				if !TrustedMembers(r, func([]byte, int, int) { n++ }) {
					var s Scanner
					s.Object(r, 0, 0, func(_ []byte, vi int) (int, error) { n++; return s.Value(r, vi, 1) })
				}
			}
		}
	}
	for round := range 3 {
		b.Run("validated/"+strconv.Itoa(round), work)
		idx.Trust()
		b.Run("trusted/"+strconv.Itoa(round), work)
		idx.Revoke()
	}
}
