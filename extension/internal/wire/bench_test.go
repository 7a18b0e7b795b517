package wire

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// record is a raw record type, like extension.Record.
type record []byte

func init() { RegisterRaw(reflect.TypeFor[record]()) }

// page is what a preSavePage hook decodes its options into.
type page struct {
	Data      []record                   `json:"data"`
	PageIndex int                        `json:"pageIndex,omitzero"`
	Extra     map[string]json.RawMessage `json:",unknown"`
}

// genRecord returns a synthetic order of about 1 KB: nested objects, a
// three-item lines array, escapes and non-ASCII text.
func genRecord(rng *rand.Rand, i int) []byte {
	var b strings.Builder
	line := func(k int) string {
		return fmt.Sprintf(`{"lineNo":%d,"sku":"SKU-%05d","description":"Widget %d – blue, 10 mm","quantity":%d,"amount":%.2f,"taxable":%t,"discount":null}`,
			k, rng.IntN(100000), k, 1+rng.IntN(20), rng.Float64()*500, rng.IntN(2) == 0)
	}
	fmt.Fprintf(&b, `{"id":"SO-%06d","externalId":"ext-%x","status":"pendingFulfillment","createdAt":"2024-01-%02dT03:04:05.678Z",`,
		i, rng.Uint64(), 1+i%28)
	fmt.Fprintf(&b, `"customer":{"id":%d,"name":"Café Zürich GmbH %d","email":"buyer%d@example.com","phone":"+49 30 %07d",`,
		rng.IntN(1000000), i, i, rng.IntN(10000000))
	fmt.Fprintf(&b, `"address":{"line1":"%d Hauptstraße","line2":"","city":"Berlin","postalCode":"%05d","country":"DE"}},`,
		1+rng.IntN(200), rng.IntN(100000))
	fmt.Fprintf(&b, `"shipping":{"method":"ground","cost":%.2f,"address":{"line1":"%d Main St","city":"Springfield","state":"IL","postalCode":"%05d","country":"US"}},`,
		rng.Float64()*50, 1+rng.IntN(9999), rng.IntN(100000))
	fmt.Fprintf(&b, `"lines":[%s,%s,%s],`, line(1), line(2), line(3))
	fmt.Fprintf(&b, `"totals":{"subtotal":%.2f,"tax":%.2f,"total":%.2f,"currency":"EUR"},`,
		rng.Float64()*1500, rng.Float64()*200, rng.Float64()*1700)
	b.WriteString(`"tags":["priority","b2b","\u00e9t\u00e9"],"notes":"Leave at the \"back\" door\nRing twice \ud83d\ude00","memo":null,"approved":true}`)
	return []byte(b.String())
}

func genRecords(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = genRecord(rng, i)
	}
	return recs
}

// genPage returns {"data":[<n records>],"pageIndex":0}.
func genPage(n int) []byte {
	b := []byte(`{"data":[`)
	for i, r := range genRecords(n) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, `],"pageIndex":0}`...)
}

func TestGenRecordIsValid(t *testing.T) {
	t.Parallel()
	recs := genRecords(20)
	for i, r := range recs {
		if !json.Valid(r) {
			t.Fatalf("record %d is not valid JSON: %s", i, r)
		}
		if len(r) < 800 || len(r) > 1300 {
			t.Errorf("record %d is %d bytes, want about 1 KB", i, len(r))
		}
	}
}

func BenchmarkValid(b *testing.B) {
	data := genPage(1000) // ≈ 1 MB
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Valid(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidStd is encoding/json.Valid on the same input, for comparison.
func BenchmarkValidStd(b *testing.B) {
	data := genPage(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(data) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkUnmarshalPage1000(b *testing.B) {
	data := genPage(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var p page
		if err := Unmarshal(data, &p, false); err != nil {
			b.Fatal(err)
		}
		if len(p.Data) != 1000 {
			b.Fatalf("decoded %d records", len(p.Data))
		}
	}
}

func BenchmarkAppendRecords1000(b *testing.B) {
	var p page
	data := genPage(1000)
	if err := Unmarshal(data, &p, false); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	buf := make([]byte, 0, 2*len(data))
	for b.Loop() {
		var err error
		if buf, err = Append(buf[:0], &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUTF16Len(b *testing.B) {
	data := genPage(1000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if UTF16Len(data) == 0 {
			b.Fatal("zero")
		}
	}
}

// BenchmarkSkipRecord finds the end of one valid record, as decoding
// trusted text does for the members it has no field for.
func BenchmarkSkipRecord(b *testing.B) {
	rec := genRecord(rand.New(rand.NewPCG(1, 2)), 7)
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if Skip(rec, 0) != len(rec) {
			b.Fatal("bad skip")
		}
	}
}

func BenchmarkValidRecord(b *testing.B) {
	rec := genRecord(rand.New(rand.NewPCG(1, 2)), 7)
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := Valid(rec); err != nil {
			b.Fatal(err)
		}
	}
}
