package wire

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// trustText wraps elements as the options of a call, {"a":[elements]}, and
// indexes and trusts them; the test revokes the trust when it ends.
func trustText(t *testing.T, elements string) ([]byte, *Index, error) {
	t.Helper()
	text := []byte(`{"a":[` + elements + `],"b":{"c":[1]}}`)
	idx, err := ScanObject(text, nil)
	if err != nil {
		return nil, nil, err
	}
	idx.Trust()
	t.Cleanup(idx.Revoke)
	return text, idx, nil
}

// checkTrusted decodes every box of the trusted text — through the trust
// registry — and a copy of it — validated — and wants the same outcome;
// likewise for TrustedMembers against validating members.
func checkTrusted(t *testing.T, text []byte, idx *Index) {
	t.Helper()
	floats := cmp.Comparer(func(a, b float64) bool { return a == b || a != a && b != b })
	boxes := idx.tape.boxes
	for k := 1; k < len(boxes); k++ {
		bx := boxes[k]
		if end := Skip(text, int(bx.start)); end != int(bx.end) {
			t.Fatalf("box %d at %d ends at %d, Skip says %d", k, bx.start, bx.end, end)
		}
		if bx.next <= int32(k) || int(bx.next) > len(boxes) ||
			int(bx.next) < len(boxes) && boxes[bx.next].start < bx.end {
			t.Fatalf("box %d: next %d is not the first box after it", k, bx.next)
		}
		r := text[bx.start:bx.end:bx.end]
		if tt, kk, _ := trustOf(r); tt == nil || kk != int32(k) {
			t.Fatalf("box %d %s is not trusted (entry %d)", k, r, kk)
		}
		c := bytes.Clone(r)
		var got, want fuzzTarget
		gerr, werr := Unmarshal(r, &got, false), Unmarshal(c, &want, false)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("Unmarshal(%s): trusted error %v, validated error %v", r, gerr, werr)
		}
		if diff := cmp.Diff(want, got, floats); gerr == nil && diff != "" {
			t.Fatalf("Unmarshal(%s) (-validated +trusted):\n%s", r, diff)
		}
		var gotAny, wantAny any
		gerr, werr = Unmarshal(r, &gotAny, false), Unmarshal(c, &wantAny, false)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("Unmarshal(%s) into any: trusted error %v, validated error %v", r, gerr, werr)
		}
		if diff := cmp.Diff(wantAny, gotAny, floats); gerr == nil && diff != "" {
			t.Fatalf("Unmarshal(%s) into any (-validated +trusted):\n%s", r, diff)
		}
		var gotM, wantM []string
		if TrustedMembers(r, func(key []byte, from, to int) { gotM = append(gotM, fmt.Sprintf("%s=%s", key, r[from:to])) }) {
			var s Scanner
			if _, err := s.Object(c, 0, 0, func(key []byte, vi int) (int, error) {
				end, err := s.Value(c, vi, 1)
				wantM = append(wantM, fmt.Sprintf("%s=%s", key, c[vi:end]))
				return end, err
			}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantM, gotM); diff != "" {
				t.Fatalf("TrustedMembers(%s) (-validated +trusted):\n%s", r, diff)
			}
		} else if r[0] == '{' && !idx.trust.spaced {
			t.Fatalf("TrustedMembers(%s) refused a compact trusted object", r)
		}
	}
}

var trustSeeds = []string{
	`{"id":1,"lines":[{"amount":1.5,"sku":"a"},{"amount":"2"},3,[4,[5]]],"customer":{"name":"x\"y","tags":["a",{}]},"total":null}`,
	`{"s":"x","i":1,"p":{"s":"y","p":{"i":2}},"l":[{},{"i":2}],"m":{"a":1,"b":null},"k":{"z":["q"]},"recs":[{"a":1},[],null]},[1,2]`,
	`{"i":1.5},{"u":-1},{"s":1},{"l":{}},{"m":[]}`,
	`{ "spaced" : [ 1 , { "a" : [ ] } ] , "s" : "x" }`,
	`{"\u0073":"escaped key","S":"folded","p":{"S":"y"}}`,
	`[],{},[[[]]],{"a":{"a":{"a":{}}}}`,
}

func TestTrustedDecodingMatchesValidated(t *testing.T) {
	t.Parallel()
	for _, s := range trustSeeds {
		text, idx, err := trustText(t, s)
		if err != nil {
			t.Fatalf("seed %s: %v", s, err)
		}
		checkTrusted(t, text, idx)
	}
}

func FuzzTrust(f *testing.F) {
	for _, s := range trustSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, elements string) {
		text, idx, err := trustText(t, elements)
		if err != nil {
			return // not JSON: nothing is trusted
		}
		checkTrusted(t, text, idx)
	})
}

// TestTrustIsExact: only exact boxes of a running call's options are
// trusted — not a part of one, a copy, a scalar element, the options' own
// members outside their arrays, or anything after Revoke.
func TestTrustIsExact(t *testing.T) {
	t.Parallel()
	text := []byte(`{"a":[{"x":[1,2]},"s"],"o":{"y":1}}`)
	idx, err := ScanObject(text, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := text[6:17]
	if string(rec) != `{"x":[1,2]}` {
		t.Fatalf("rec = %s", rec)
	}
	if tt, _, _ := trustOf(rec); tt != nil {
		t.Fatal("trusted before Trust")
	}
	idx.Trust()
	if tt, _, _ := trustOf(rec); tt == nil {
		t.Fatal("record not trusted")
	}
	if tt, _, _ := trustOf(rec[5:10]); tt == nil {
		t.Error("inner array not trusted")
	}
	for name, b := range map[string][]byte{
		"prefix":   rec[:len(rec)-1],
		"inner":    rec[1 : len(rec)-1],
		"copy":     bytes.Clone(rec),
		"scalar":   text[18:21],
		"object":   text[27 : len(text)-1],
		"array":    text[5:22],
		"whole":    text,
		"overlong": text[6:18],
	} {
		if tt, _, _ := trustOf(b); tt != nil {
			t.Errorf("%s %s is trusted", name, b)
		}
	}
	idx.Revoke()
	if tt, _, _ := trustOf(rec); tt != nil {
		t.Error("trusted after Revoke")
	}
	idx.Revoke() // twice is harmless
}

// TestRevokeWithAReader: a tape still in use when its call ends (by a
// goroutine the function left behind) is not reused; one that is not, is.
func TestRevokeWithAReader(t *testing.T) {
	t.Parallel()
	for _, reading := range []bool{false, true} {
		text := []byte(`{"a":[{"x":1}]}`)
		idx, err := ScanObject(text, nil)
		if err != nil {
			t.Fatal(err)
		}
		idx.Trust()
		tt, _, _ := trustOf(text[6:13])
		if tt == nil {
			t.Fatal("record not trusted")
		}
		if !reading {
			tt.done()
		}
		idx.Revoke()
		if kept := idx.tape != nil; kept == reading {
			t.Errorf("reader still reading %v: tape kept for reuse %v", reading, kept)
		}
		if got, _, _ := trustOf(text[6:13]); got != nil {
			t.Error("record trusted after Revoke")
		}
		if reading {
			tt.done()
		}
		idx.Release()
	}
}
