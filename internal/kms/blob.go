package kms

import (
	"encoding/binary"
	"maps"
	"slices"

	"github.com/google/uuid"
)

// A ciphertext blob is
//
//	version (1 byte, blobVersion) | key id (16 bytes, the UUID) | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// sealed under the key's material, with the version and key id followed
// by the encoded encryption context as additional authenticated data:
// the blob names its key (Decrypt needs no KeyId), and neither the key id
// nor the context can be changed without the blob failing to open.
const blobVersion = 1

const (
	blobHeaderSize = 1 + 16
	gcmNonceSize   = 12
	gcmTagSize     = 16
	minBlobSize    = blobHeaderSize + gcmNonceSize + gcmTagSize
)

// blob is a parsed ciphertext blob.
type blob struct {
	header []byte // version and key id
	keyID  string
	sealed []byte // nonce, ciphertext and tag
}

func invalidCiphertext() error {
	return Errorf(CodeInvalidCiphertext, "The ciphertext is not valid: it is damaged, is not a ciphertext of this region's keys, or its encryption context differs")
}

// parseBlob reads a blob's header.
func parseBlob(b []byte) (*blob, error) {
	if len(b) < minBlobSize || b[0] != blobVersion {
		return nil, invalidCiphertext()
	}
	id, err := uuid.FromBytes(b[1:blobHeaderSize])
	if err != nil {
		return nil, invalidCiphertext()
	}
	return &blob{header: b[:blobHeaderSize], keyID: id.String(), sealed: b[blobHeaderSize:]}, nil
}

// sealBlob encrypts plaintext under a key's material.
func sealBlob(keyID string, material, plaintext []byte, context map[string]string) ([]byte, error) {
	id, err := uuid.Parse(keyID)
	if err != nil {
		return nil, err
	}
	header := append([]byte{blobVersion}, id[:]...)
	sealed, err := seal(material, plaintext, blobAAD(header, context))
	if err != nil {
		return nil, err
	}
	return append(header, sealed...), nil
}

// open decrypts a blob with its key's material; a wrong context or a
// damaged blob fails as KMS fails it.
func (b *blob) open(material []byte, context map[string]string) ([]byte, error) {
	plaintext, err := open(material, b.sealed, blobAAD(b.header, context))
	if err != nil {
		return nil, invalidCiphertext()
	}
	return plaintext, nil
}

// blobAAD is the header and the encryption context, encoded so that no
// two contexts encode alike: the pair count, then each pair in key order
// as length-prefixed key and value. An empty context and none are alike,
// as on KMS.
func blobAAD(header []byte, context map[string]string) []byte {
	out := append([]byte(nil), header...)
	out = binary.AppendUvarint(out, uint64(len(context)))
	for _, k := range slices.Sorted(maps.Keys(context)) {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
		out = binary.AppendUvarint(out, uint64(len(context[k])))
		out = append(out, context[k]...)
	}
	return out
}
