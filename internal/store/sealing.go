package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
)

// ErrSealKeyMissing means the store holds sealed values but the seal key
// file they were sealed with is gone.
var ErrSealKeyMissing = errors.New("store: seal key missing")

// sealCheckKey holds a value sealed when the store's seal key was first
// used: it tells a start whether sealed values exist (so a missing key file
// is an error, not a first start) and whether a key file is the right one.
const sealCheckKey = "seal/check"

const sealCheckText = "keks seal check"

type sealCheck struct {
	Check string `json:"check"`
}

// UseSealKey reads the seal key file at path (making it on the store's
// first start) and seals secret fields with it from then on. It refuses a
// missing key file when the store holds sealed values, and a key file that
// is not the one they were sealed with. Call it before the store is shared.
func (s *Store) UseSealKey(ctx context.Context, path string) error {
	var check sealCheck
	_, err := s.Get(ctx, sealCheckKey, &check)
	sealedBefore := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("read the store's seal check: %w", err)
	}
	key, err := readSealKey(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && sealedBefore:
		return fmt.Errorf("%w: the store holds values sealed with the key in %s, which is not there; "+
			"restore that file (from a backup of the data directory) to start: without it the cluster CA keys "+
			"and access key secrets cannot be read, and keks will not make a new key over them", ErrSealKeyMissing, path)
	case errors.Is(err, fs.ErrNotExist):
		key, err = createSealKey(path)
	}
	if err != nil {
		return fmt.Errorf("read seal key: %w", err)
	}
	sealer, err := NewSealer(key)
	if err != nil {
		return fmt.Errorf("seal key %s: %w", path, err)
	}
	if sealedBefore {
		if _, err := sealer.Open(check.Check, sealCheckKey); err != nil {
			return fmt.Errorf("seal key %s is not the key this store's values were sealed with: %w", path, err)
		}
	} else if err := s.Create(ctx, sealCheckKey, &sealCheck{Check: sealer.Seal([]byte(sealCheckText), sealCheckKey)}); errors.Is(err, ErrExists) {
		return s.UseSealKey(ctx, path) // another server sealed first: check against its key
	} else if err != nil {
		return fmt.Errorf("record the store's seal check: %w", err)
	}
	s.sealer = sealer
	return nil
}

// Sealing reports whether the store seals secret fields (UseSealKey was
// called). Stores without a seal key (tests of other packages) keep them
// as older keks did, readable by the same Unseal calls.
func (s *Store) Sealing() bool { return s.sealer != nil }

// SealBytes is a secret []byte field as the store keeps it, for the place
// named by where (see Sealer.Seal). Without a seal key it is base64, as
// encoding/json writes []byte, which is how older keks kept it.
func (s *Store) SealBytes(plain []byte, where string) string {
	if s.sealer == nil {
		return base64.StdEncoding.EncodeToString(plain)
	}
	return s.sealer.Seal(plain, where)
}

// UnsealBytes reads a field SealBytes wrote, or one an older keks wrote
// in the clear (base64).
func (s *Store) UnsealBytes(stored, where string) ([]byte, error) {
	if IsSealed(stored) {
		return s.open(stored, where)
	}
	plain, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", where, err)
	}
	return plain, nil
}

// SealString is a secret string field as the store keeps it; without a
// seal key it is the string itself, as older keks kept it.
func (s *Store) SealString(plain, where string) string {
	if s.sealer == nil {
		return plain
	}
	return s.sealer.Seal([]byte(plain), where)
}

// UnsealString reads a field SealString wrote, or one an older keks
// wrote in the clear.
func (s *Store) UnsealString(stored, where string) (string, error) {
	if !IsSealed(stored) {
		return stored, nil
	}
	plain, err := s.open(stored, where)
	return string(plain), err
}

func (s *Store) open(sealed, where string) ([]byte, error) {
	if s.sealer == nil {
		return nil, fmt.Errorf("open %s: the value is sealed but the store has no seal key", where)
	}
	return s.sealer.Open(sealed, where)
}
