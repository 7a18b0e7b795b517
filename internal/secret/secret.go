// Package secret seals secrets at rest (Lambda secret keys, system tokens,
// API token values, connection credentials) with AES-256-GCM under keys
// derived from one master key with HKDF-SHA256, and generates and hashes
// tokens.
//
// A sealed value is: one key-id byte, then GCM's random nonce and ciphertext.
// The additional data binds it to its record ("stack:<id>:secretAccessKey"),
// so a value copied onto another row does not open.
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of the master key in bytes.
const KeySize = 32

// keyID is the id byte of keys derived from the current master key.
const keyID = 1

// ErrOpen is returned when a sealed value cannot be opened: wrong key, wrong
// record, or damaged data.
var ErrOpen = errors.New("secret: cannot open sealed value")

// Sealer seals and opens secrets. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives the sealing key from a master key of KeySize bytes.
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(master))
	}
	key, err := hkdf.Key(sha256.New, master, nil, "hookstack secrets v1", KeySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad.
func (s *Sealer) Seal(plaintext []byte, aad string) []byte {
	out := make([]byte, 1, 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out[0] = keyID
	return s.aead.Seal(out, nil, plaintext, []byte(aad))
}

// Open decrypts a value sealed with the same aad; it returns ErrOpen for
// anything else, never panics.
func (s *Sealer) Open(sealed []byte, aad string) ([]byte, error) {
	if len(sealed) < 1+s.aead.NonceSize()+s.aead.Overhead() || sealed[0] != keyID {
		return nil, ErrOpen
	}
	pt, err := s.aead.Open(nil, nil, sealed[1:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// SealString and OpenString are Seal and Open for strings; an empty string
// seals to nil and nil opens to "".
func (s *Sealer) SealString(plaintext, aad string) []byte {
	if plaintext == "" {
		return nil
	}
	return s.Seal([]byte(plaintext), aad)
}

// OpenString opens a value sealed with SealString.
func (s *Sealer) OpenString(sealed []byte, aad string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	pt, err := s.Open(sealed, aad)
	return string(pt), err
}

// EnvMasterKey is the environment variable holding the master key (64 hex
// digits or standard base64 of 32 bytes).
const EnvMasterKey = "HOOKSTACK_MASTER_KEY"

// KeyFileName is the master key's file in the data directory.
const KeyFileName = "master.key"

// LoadMasterKey returns the master key from HOOKSTACK_MASTER_KEY, else from
// dataDir/master.key, creating that file (mode 0600) with a new random key
// when it does not exist. created reports a new key file.
func LoadMasterKey(getenv func(string) string, dataDir string) (key []byte, created bool, err error) {
	if v := strings.TrimSpace(getenv(EnvMasterKey)); v != "" {
		key, err := ParseKey(v)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", EnvMasterKey, err)
		}
		return key, false, nil
	}
	path := filepath.Join(dataDir, KeyFileName)
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseKey(string(bytes.TrimSpace(b)))
		if err != nil {
			return nil, false, fmt.Errorf("master key file %s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("reading master key: %w", err)
	}
	key = make([]byte, KeySize)
	_, _ = rand.Read(key)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process created it first
			return LoadMasterKey(getenv, dataDir)
		}
		return nil, false, fmt.Errorf("creating master key file: %w", err)
	}
	_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("writing master key file: %w", werr)
	}
	return key, true, nil
}

// ParseKey decodes a master key written as 64 hex digits or base64.
func ParseKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("a master key is %d bytes as 64 hex digits or base64", KeySize)
}

// NewToken returns a new token of 32 lowercase hex digits (128 random bits),
// the look of integrator.io's API tokens.
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Hash returns the SHA-256 of a token, the form tokens are looked up by.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Equal compares two tokens in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
