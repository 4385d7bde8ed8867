package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SealKeySize is the size of a seal key: AES-256.
const SealKeySize = 32

// sealedPrefix starts every sealed value, so that a reader tells it from a
// value an older keks wrote in the clear, and a later format can be v2.
const sealedPrefix = "keks:sealed:v1:"

// ErrUnsealable means a sealed value does not open: it was changed, moved
// to another record or field, or sealed under another key.
var ErrUnsealable = errors.New("sealed value does not open")

// Sealer encrypts what keks keeps secret in the store (CA keys, access key
// secrets) with AES-256-GCM under the data directory's seal key. It is the
// one place values are sealed; the packages owning secret fields call it
// through Store's SealBytes/UnsealBytes and SealString/UnsealString.
type Sealer struct{ aead cipher.AEAD }

// NewSealer makes a Sealer from a SealKeySize-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("seal key has %d bytes, not %d", len(key), SealKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("make seal cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("make seal cipher: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain for one place in the store, named by where (a
// record's key and field, "iam/keys/AKIA...#secret"). The place is
// authenticated with the value, so a sealed value copied to another record
// or field does not open there. Nonces are random: 96 bits leave no
// practical chance of reuse at the few thousand values keks seals.
func (s *Sealer) Seal(plain []byte, where string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (crypto/rand since Go 1.24)
	box := s.aead.Seal(nonce, nonce, plain, []byte(where))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(box)
}

// Open decrypts a value Seal made for the same place.
func (s *Sealer) Open(sealed, where string) ([]byte, error) {
	if !IsSealed(sealed) {
		return nil, fmt.Errorf("open %s: value is not sealed", where)
	}
	box, err := base64.RawStdEncoding.DecodeString(sealed[len(sealedPrefix):])
	if err != nil || len(box) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, fmt.Errorf("open %s: %w (malformed)", where, ErrUnsealable)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, box[:n], box[n:], []byte(where))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w (changed, moved, or sealed under another key)", where, ErrUnsealable)
	}
	return plain, nil
}

// IsSealed reports whether a stored value is sealed.
func IsSealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }
