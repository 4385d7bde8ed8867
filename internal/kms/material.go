package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// keyMaterialSize is the size of a symmetric key's material: AES-256.
const keyMaterialSize = 32

// MasterKeySize is the size of the master key that seals key material.
const MasterKeySize = 32

// materialAAD binds sealed material to its key: a record's material
// copied into another record does not unseal there.
func materialAAD(keyARN string) []byte {
	return []byte("keks kms key material v1\x00" + keyARN)
}

// gcm is AES-256-GCM under a 32-byte key.
func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("AES-256 key of %d bytes, not 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts plaintext with a fresh random nonce: nonce || sealed.
func seal(key, plaintext, aad []byte) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, aad), nil
}

// open reverses seal.
func open(key, sealed, aad []byte) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("sealed data too short")
	}
	n := aead.NonceSize()
	return aead.Open(nil, sealed[:n], sealed[n:], aad)
}

// newMaterial makes a key's material and returns it sealed for the record.
func (s *Service) newMaterial(keyARN string) ([]byte, error) {
	material := make([]byte, keyMaterialSize)
	if _, err := rand.Read(material); err != nil {
		return nil, fmt.Errorf("make key material: %w", err)
	}
	wrapped, err := seal(s.MasterKey, material, materialAAD(keyARN))
	if err != nil {
		return nil, fmt.Errorf("seal key material under the KMS master key: %w", err)
	}
	return wrapped, nil
}

// material unseals a key's material.
func (s *Service) material(k *Key) ([]byte, error) {
	m, err := open(s.MasterKey, k.WrappedMaterial, materialAAD(k.ARN))
	if err != nil {
		// Another master key, or a damaged record: keks's fault, not the caller's.
		return nil, fmt.Errorf("unseal the material of %s with the KMS master key: %w", k.ARN, err)
	}
	return m, nil
}

// LoadOrCreateMasterKey reads the master key from path, or on first start
// makes one there (readable by its owner only). It lives beside the store,
// not in it, so a copy of the store alone opens no key.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, MasterKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("make KMS master key: %w", err)
		}
		if err := writeNew(path, key); errors.Is(err, fs.ErrExist) {
			// Another process made it first: use that one.
			return LoadOrCreateMasterKey(path)
		} else if err != nil {
			return nil, fmt.Errorf("write KMS master key %s: %w", path, err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read KMS master key: %w", err)
	}
	if len(key) != MasterKeySize {
		return nil, fmt.Errorf("KMS master key %s has %d bytes, not %d", path, len(key), MasterKeySize)
	}
	return key, nil
}

// writeNew writes data to a file that must not exist yet, completely or
// not at all (a crash leaves no short key behind).
func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kms-master-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// A hard link fails if path exists, where a rename would replace it.
	return os.Link(tmp.Name(), path)
}
