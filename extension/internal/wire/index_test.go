package wire

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// indexedPage has raw arrays (split with the index) next to decoded ones.
type indexedPage struct {
	Data    []record                   `json:"data"`
	Other   []json.RawMessage          `json:"other"`
	Numbers []int                      `json:"numbers"`
	Nested  struct{ Data []record }    `json:"nested"`
	Extra   map[string]json.RawMessage `json:",unknown"`
}

// checkIndexed checks that decoding and encoding with the index of b give
// what they give without it.
func checkIndexed(t *testing.T, b []byte) {
	t.Helper()
	var members [][2]string
	idx, err := ScanObject(b, func(key, value []byte) {
		members = append(members, [2]string{KeyString(b, key), string(value)})
	})
	_, verr := Valid(b)
	if (err == nil) != (verr == nil) {
		t.Fatalf("ScanObject(%q) = %v, Valid = %v", b, err, verr)
	}
	if err != nil {
		return
	}
	defer idx.Release()
	if i := SkipSpace(b, 0); b[i] != '{' {
		if idx != nil || members != nil {
			t.Fatalf("ScanObject(%q) of a non-object = %v, %v", b, idx, members)
		}
		return
	}
	var want [][2]string
	if err := Members(b, 0, func(key string, value []byte) error {
		want = append(want, [2]string{key, string(value)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, members); diff != "" {
		t.Fatalf("ScanObject(%q) members differ from Members (-want +got):\n%s", b, diff)
	}

	var plain, indexed indexedPage
	perr := Unmarshal(b, &plain, true)
	ierr := UnmarshalIndexed(b, &indexed, idx)
	if (perr == nil) != (ierr == nil) {
		t.Fatalf("Unmarshal(%q) = %v, UnmarshalIndexed = %v", b, perr, ierr)
	}
	if perr != nil {
		if perr.Error() != ierr.Error() {
			t.Errorf("errors differ: %v / %v", perr, ierr)
		}
		return
	}
	if diff := cmp.Diff(plain, indexed); diff != "" {
		t.Fatalf("UnmarshalIndexed(%q) differs (-plain +indexed):\n%s", b, diff)
	}
	pout, perr := Append(nil, &plain)
	iout, ierr := AppendIndexed(nil, &indexed, idx)
	if (perr == nil) != (ierr == nil) || !bytes.Equal(pout, iout) {
		t.Fatalf("AppendIndexed = %q, %v; Append = %q, %v", iout, ierr, pout, perr)
	}
	if perr == nil && !json.Valid(iout) {
		t.Fatalf("AppendIndexed output is not valid JSON: %q", iout)
	}
}

func TestIndexMatchesPlainDecoding(t *testing.T) {
	t.Parallel()
	for _, in := range indexSeeds {
		checkIndexed(t, []byte(in))
	}
	checkIndexed(t, genPage(30))
}

var indexSeeds = []string{
	`{}`,
	`{"data":[]}`,
	`{"data":[{"a":1},[2],"s",null,1.5,true]}`,
	` {"data": [ {"a" : 1} , [ 2 ] ] , "numbers":[1, 2] } `,
	`{"data":[{"a":1}],"data":[{"b":2}]}`,
	`{"other":[{"x":[1,2]}],"data":[[]],"numbers":[3],"nested":{"Data":[{"n":1}]},"more":[1]}`,
	`{"numbers":[1,"x"]}`,
	`{"data":{}}`,
	`{"data":null,"other":[]}`,
	`{"d\u0061ta":[{"escaped":"key"}]}`,
	`[{"data":[1]}]`,
	`"x"`,
	`{"data":[1,]}`,
	`{"data":[1]} x`,
}

// TestIndexedElementsAreCopiedVerbatim: records that are exactly indexed
// elements are copied without validation; anything else is validated.
func TestIndexedElementsAreCopiedVerbatim(t *testing.T) {
	t.Parallel()
	b := []byte(`{"data":[{"a":{"b":1}},[2]]}`)
	idx, err := ScanObject(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Release()
	var p indexedPage
	if err := UnmarshalIndexed(b, &p, idx); err != nil {
		t.Fatal(err)
	}
	if !idx.isElement(p.Data[0]) || !idx.isElement(p.Data[1]) {
		t.Errorf("decoded records are not recognised as indexed elements")
	}
	for name, raw := range map[string][]byte{
		"prefix":      p.Data[0][:len(p.Data[0])-1],
		"inner value": p.Data[0][5 : len(p.Data[0])-1],
		"copy":        bytes.Clone(p.Data[0]),
		"whole array": b[8 : len(b)-1],
	} {
		if idx.isElement(raw) {
			t.Errorf("%s %q is taken for an indexed element", name, raw)
		}
	}
	out, err := AppendIndexed(nil, []record{p.Data[0][:len(p.Data[0])-1]}, idx)
	if err == nil {
		t.Errorf("AppendIndexed of a truncated record = %q, want an error", out)
	}
}

func FuzzIndex(f *testing.F) {
	for _, s := range indexSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkIndexed(t, b)
	})
}
