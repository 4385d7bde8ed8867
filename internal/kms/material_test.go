package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
)

// TestStoredKeyHoldsNoMaterial reads a key's record as stored: its material
// must appear in no form, and must unseal only with the master key and
// only for its own key.
func TestStoredKeyHoldsNoMaterial(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	material, err := s.material(k)
	if err != nil || len(material) != keyMaterialSize {
		t.Fatalf("unseal: %d bytes, %v", len(material), err)
	}
	raws, err := s.Store.ListRaw(ctx, keyPath(sc.Region, k.ID))
	if err != nil || len(raws) != 1 {
		t.Fatalf("raw record: %v", err)
	}
	raw := raws[0].Value
	for _, form := range [][]byte{material, []byte(base64.StdEncoding.EncodeToString(material)),
		[]byte(base64.RawStdEncoding.EncodeToString(material)), []byte(hex.EncodeToString(material))} {
		if bytes.Contains(raw, form) {
			t.Fatalf("the stored record holds the key material: %s", raw)
		}
	}
	// Another master key opens nothing, and fails as keks's fault (500), not the caller's.
	other := &Service{Store: s.Store, MasterKey: bytes.Repeat([]byte{7}, MasterKeySize), Now: s.Now}
	_, err = other.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x")})
	var e *awserr.Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("encrypt with the wrong master key: %v", err)
	}
	// Sealed material is bound to its key: copied to another key, it does not open.
	k2 := mustCreateKey(t, s, sc)
	k2.WrappedMaterial = k.WrappedMaterial
	if _, err := s.material(k2); err == nil {
		t.Fatal("one key's sealed material opened as another's")
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kms", "master.key")
	first, err := LoadOrCreateMasterKey(path)
	if err != nil || len(first) != MasterKeySize {
		t.Fatalf("create: %d bytes, %v", len(first), err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file mode: %v %v", fi.Mode(), err)
	}
	again, err := LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("reload gave another key: %v", err)
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateMasterKey(path); err == nil {
		t.Fatal("a short master key was accepted")
	}
}
