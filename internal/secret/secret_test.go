package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func sealer(t testing.TB, b byte) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSealOpen: sealing round-trips, and a value opens only with the same
// key and the same record (AAD); damaged values never open.
func TestSealOpen(t *testing.T) {
	t.Parallel()
	s, other := sealer(t, 1), sealer(t, 2)
	rapid.Check(t, func(t *rapid.T) {
		pt := rapid.SliceOf(rapid.Byte()).Draw(t, "plaintext")
		aad := rapid.String().Draw(t, "aad")
		sealed := s.Seal(pt, aad)
		if bytes.Contains(sealed, pt) && len(pt) > 8 {
			t.Fatalf("plaintext visible in the sealed value")
		}
		got, err := s.Open(sealed, aad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("round trip: %v %q", err, got)
		}
		if _, err := s.Open(sealed, aad+"x"); !errors.Is(err, ErrOpen) {
			t.Fatalf("opened with another record's AAD: %v", err)
		}
		if _, err := other.Open(sealed, aad); !errors.Is(err, ErrOpen) {
			t.Fatalf("opened with another key: %v", err)
		}
		i := rapid.IntRange(0, len(sealed)-1).Draw(t, "flip")
		damaged := bytes.Clone(sealed)
		damaged[i] ^= 0x01
		if _, err := s.Open(damaged, aad); !errors.Is(err, ErrOpen) {
			t.Fatalf("opened a damaged value: %v", err)
		}
	})
}

func TestSealFresh(t *testing.T) {
	t.Parallel()
	s := sealer(t, 3)
	a, b := s.Seal([]byte("same"), "r"), s.Seal([]byte("same"), "r")
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are equal: nonces are reused")
	}
	if v, err := s.OpenString(s.SealString("", "r"), "r"); err != nil || v != "" {
		t.Fatalf("empty string: %q %v", v, err)
	}
}

// FuzzOpen: opening arbitrary bytes never panics and never succeeds.
func FuzzOpen(f *testing.F) {
	s := sealer(f, 4)
	genuine := s.Seal([]byte("x"), "a")
	f.Add(genuine, "a")
	f.Add([]byte{}, "")
	f.Add([]byte{1}, "a")
	f.Fuzz(func(t *testing.T, b []byte, aad string) {
		// Never panics; the only values that open are seals of "x" for
		// record "a" (the seed), and they open to "x".
		if pt, err := s.Open(b, aad); err == nil && (aad != "a" || string(pt) != "x") {
			t.Fatalf("opened a forged value to %q", pt)
		}
	})
}

func TestNewSealerKeySize(t *testing.T) {
	t.Parallel()
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Fatal("accepted a 16-byte master key")
	}
}

func TestLoadMasterKey(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	noenv := func(string) string { return "" }
	k1, created, err := LoadMasterKey(noenv, dir)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("first load: %v %v %d", err, created, len(k1))
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	k2, created, err := LoadMasterKey(noenv, dir)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v %v", err, created)
	}
	hexKey := strings.Repeat("ab", KeySize)
	env := func(k string) string {
		if k == EnvMasterKey {
			return hexKey
		}
		return ""
	}
	k3, created, err := LoadMasterKey(env, dir)
	if err != nil || created || !bytes.Equal(k3, bytes.Repeat([]byte{0xab}, KeySize)) {
		t.Fatalf("from env: %v %v %x", err, created, k3)
	}
	bad := func(k string) string {
		if k == EnvMasterKey {
			return "short"
		}
		return ""
	}
	if _, _, err := LoadMasterKey(bad, dir); err == nil || !strings.Contains(err.Error(), EnvMasterKey) {
		t.Fatalf("bad env key: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFileName), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadMasterKey(noenv, dir); err == nil {
		t.Fatal("a damaged key file was accepted")
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	a, b := NewToken(), NewToken()
	if len(a) != 32 || a == b || strings.ToLower(a) != a {
		t.Fatalf("tokens %q %q", a, b)
	}
	if !Equal(a, a) || Equal(a, b) || Equal(a, a[:31]) {
		t.Fatal("Equal")
	}
	if bytes.Equal(Hash(a), Hash(b)) || len(Hash(a)) != 32 {
		t.Fatal("Hash")
	}
	if k, err := ParseKey(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, KeySize))); err != nil || k[0] != 9 {
		t.Fatalf("base64 key: %v", err)
	}
}
