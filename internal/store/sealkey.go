package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// readSealKey reads a seal key file; a missing file is fs.ErrNotExist.
func readSealKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("seal key %s has %d bytes, not %d", path, len(key), SealKeySize)
	}
	return key, nil
}

// createSealKey makes a new random key at path, mode 0600. The file appears
// whole or not at all (written aside, then linked into place), and never
// replaces a key another process made first: that one is returned.
func createSealKey(path string) ([]byte, error) {
	key := make([]byte, SealKeySize)
	_, _ = rand.Read(key) // never fails (crypto/rand since Go 1.24)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create seal key directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".seal-key-*")
	if err != nil {
		return nil, fmt.Errorf("create seal key %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = errors.Join(tmp.Chmod(0o600), write(tmp, key), tmp.Sync(), tmp.Close())
	if err != nil {
		return nil, fmt.Errorf("write seal key %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readSealKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("install seal key %s: %w", path, err)
	}
	return key, nil
}

func write(f *os.File, data []byte) error {
	_, err := f.Write(data)
	return err
}
