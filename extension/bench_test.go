package extension_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/hookstack/hookstack/bench/benchmodule"
	"github.com/hookstack/hookstack/extension"
)

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

// preSavePageBody returns the HTTP body of a preSavePage call on n records.
func preSavePageBody(fn string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"diy":true,"type":"hook","function":"` + fn + `","options":{"bearerToken":"tok","_exportId":"e1","_flowId":"f1","_integrationId":"i1","pageIndex":0,"data":[`)
	b.Write(bytes.Join(genRecords(n), []byte(",")))
	b.WriteString(`],"settings":{"a":1}},"maxResponseSize":52428800}`)
	return b.Bytes()
}

func passThrough(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
	return &extension.PreSavePageResult{Data: o.Data}, nil
}

type orderLines struct {
	Lines []struct {
		Amount   float64 `json:"amount"`
		Quantity int     `json:"quantity"`
	} `json:"lines"`
}

// postMapTotals decodes each record's lines and sets a "total" member.
func postMapTotals(_ context.Context, o *extension.PostMapOptions) ([]extension.RecordResult, error) {
	out := make([]extension.RecordResult, len(o.PostMapData))
	for i, rec := range o.PostMapData {
		var ol orderLines
		if err := rec.Decode(&ol); err != nil {
			out[i].Errors = []extension.RecordError{{Code: "bad_record", Message: err.Error()}}
			continue
		}
		total := 0.0
		for _, l := range ol.Lines {
			total += l.Amount * float64(l.Quantity)
		}
		r, err := rec.Set("total", total)
		if err != nil {
			return nil, err
		}
		out[i].Data = r
	}
	return out, nil
}

func benchExtension(tb testing.TB) *extension.Extension {
	return newExtension(tb, extension.Config{DIY: &extension.Module{Hooks: extension.Functions{
		"preSavePage":  extension.PreSavePage(passThrough),
		"postMap":      extension.PostMap(postMapTotals),
		"postMapLines": benchmodule.Module().Hooks["postMap"],
	}}})
}

func callBody(tb testing.TB, x *extension.Extension, body []byte) {
	env, err := extension.ParseEnvelope(body)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := x.Call(context.Background(), env)
	if err != nil {
		tb.Fatal(err)
	}
	res.Release()
}

// TestPassThroughAllocsConstant: a pass-through preSavePage costs the same
// number of allocations whatever the page size, since records are never
// copied or decoded.
func TestPassThroughAllocsConstant(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under the race detector")
	}
	// Not parallel: allocation counts are per process.
	x := benchExtension(t)
	allocs := func(n int) float64 {
		body := preSavePageBody("preSavePage", n)
		return testing.AllocsPerRun(20, func() { callBody(t, x, body) })
	}
	small, large := allocs(10), allocs(1000)
	t.Logf("allocations per call: %v (10 records), %v (1000 records)", small, large)
	if small != large {
		t.Errorf("a pass-through call costs %v allocations for 10 records and %v for 1000; want the same", small, large)
	}
}

func BenchmarkPreSavePagePassThrough(b *testing.B) {
	x := benchExtension(b)
	for _, n := range []int{10, 100, 1000} {
		b.Run("records="+strconv.Itoa(n), func(b *testing.B) {
			body := preSavePageBody("preSavePage", n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				callBody(b, x, body)
			}
		})
	}
}

func BenchmarkPostMapDecodeEach(b *testing.B) { benchPostMap(b, "postMap", genRecords) }

// BenchmarkPostMapLines measures the postMap of the side-by-side benchmark
// (bench/benchmodule) on its own records and on the synthetic orders of
// genRecords.
func BenchmarkPostMapLines(b *testing.B) {
	b.Run("orders", func(b *testing.B) { benchPostMap(b, "postMapLines", benchRecords) })
	b.Run("synthetic", func(b *testing.B) { benchPostMap(b, "postMapLines", genRecords) })
}

func benchPostMap(b *testing.B, fn string, gen func(int) [][]byte) {
	x := benchExtension(b)
	for _, n := range []int{100} {
		b.Run("records="+strconv.Itoa(n), func(b *testing.B) {
			var body bytes.Buffer
			recs := bytes.Join(gen(n), []byte(","))
			body.WriteString(`{"diy":true,"type":"hook","function":"` + fn + `","options":{"preMapData":[`)
			body.Write(recs)
			body.WriteString(`],"postMapData":[`)
			body.Write(recs)
			body.WriteString(`]},"maxResponseSize":52428800}`)
			b.SetBytes(int64(body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				callBody(b, x, body.Bytes())
			}
		})
	}
}

func TestPostMapDecodeEach(t *testing.T) {
	t.Parallel()
	x := benchExtension(t)
	got, errs := call(t, context.Background(), x, `{"diy":true,"type":"hook","function":"postMap","options":{"postMapData":[`+
		`{"id":1,"lines":[{"amount":1.5,"quantity":2},{"amount":0.25,"quantity":4}]},{"lines":"bad"},{"lines":[]}]}}`)
	want := `[{"data":{"id":1,"lines":[{"amount":1.5,"quantity":2},{"amount":0.25,"quantity":4}],"total":4}},` +
		`{"errors":[{"code":"bad_record","message":"lines: cannot use a JSON string as []struct { Amount float64 \"json:\\\"amount\\\"\"; Quantity int \"json:\\\"quantity\\\"\" }"}]},` +
		`{"data":{"lines":[],"total":0}}]`
	if errs != nil || got != want {
		t.Errorf("postMap:\n got %s %v\nwant %s", got, errs, want)
	}
}

func TestPostMapLines(t *testing.T) {
	t.Parallel()
	x := benchExtension(t)
	got, errs := call(t, context.Background(), x, `{"diy":true,"type":"hook","function":"postMapLines","options":{"postMapData":[`+
		`{"id":1,"lines":[{"amount":1.5},{"amount":"2"},{"AMOUNT":0.25},{"amount":1,"amount":2},3]},{"lines":"bad","total":1},{"total":1, "lines" : []}]}}`)
	want := `[{"data":{"id":1,"lines":[{"amount":1.5},{"amount":"2"},{"AMOUNT":0.25},{"amount":1,"amount":2},3],"total":3.75}},` +
		`{"data":{"lines":"bad","total":0}},` +
		`{"data":{"total":0,"lines":[]}}]`
	if errs != nil || got != want {
		t.Errorf("postMapLines:\n got %s %v\nwant %s", got, errs, want)
	}
}

// benchRecords returns n records of the side-by-side benchmark's payloads.
func benchRecords(n int) [][]byte {
	recs := benchmodule.Records(0, n)
	out := make([][]byte, n)
	for i, r := range recs {
		out[i] = r
	}
	return out
}
