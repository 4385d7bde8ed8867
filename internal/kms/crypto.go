package kms

import (
	"context"
	"crypto/rand"
	"fmt"
)

// EncryptInput is what Encrypt takes.
type EncryptInput struct {
	KeyID       string
	Plaintext   []byte
	Context     map[string]string
	Algorithm   string
	GrantTokens []string
	DryRun      bool
}

// Ciphertext is an encrypted blob and the ARN of the key that made it.
type Ciphertext struct {
	Blob   []byte
	KeyARN string
}

// Encrypt encrypts up to 4 KB under a key.
func (s *Service) Encrypt(ctx context.Context, sc Scope, in EncryptInput) (*Ciphertext, error) {
	if err := requireKeyID("keyId", in.KeyID); err != nil {
		return nil, err
	}
	if err := blobLength("plaintext", in.Plaintext, maxPlaintext); err != nil {
		return nil, err
	}
	if err := checkCryptoOptions("encryptionAlgorithm", in.Algorithm, in.GrantTokens); err != nil {
		return nil, err
	}
	k, material, err := s.keyForUse(ctx, sc, in.KeyID, in.DryRun)
	if err != nil {
		return nil, err
	}
	b, err := sealBlob(k.ID, material, in.Plaintext, in.Context)
	if err != nil {
		return nil, fmt.Errorf("encrypt under %s: %w", k.ARN, err)
	}
	return &Ciphertext{Blob: b, KeyARN: k.ARN}, nil
}

// DecryptInput is what Decrypt takes.
type DecryptInput struct {
	Ciphertext []byte
	// KeyID, when given, must name the key the ciphertext was made with.
	KeyID       string
	Context     map[string]string
	Algorithm   string
	GrantTokens []string
	DryRun      bool
}

// Plaintext is decrypted data and the ARN of the key that opened it.
type Plaintext struct {
	Plaintext []byte
	KeyARN    string
}

// Decrypt opens a ciphertext made by Encrypt, GenerateDataKey or ReEncrypt.
func (s *Service) Decrypt(ctx context.Context, sc Scope, in DecryptInput) (*Plaintext, error) {
	if err := blobLength("ciphertextBlob", in.Ciphertext, maxCiphertext); err != nil {
		return nil, err
	}
	if err := checkCryptoOptions("encryptionAlgorithm", in.Algorithm, in.GrantTokens); err != nil {
		return nil, err
	}
	if in.KeyID != "" {
		if err := lengthAtMost("keyId", in.KeyID, maxKeyID); err != nil {
			return nil, err
		}
	}
	b, k, err := s.blobKey(ctx, sc, in.Ciphertext)
	if err != nil {
		return nil, err
	}
	if in.KeyID != "" {
		named, err := s.Resolve(ctx, sc, in.KeyID)
		if err != nil {
			return nil, err
		}
		if named.Key.ID != k.ID {
			return nil, Errorf(CodeIncorrectKey, "The key ID in the request does not identify a KMS key that can perform this operation: the ciphertext was made by another key")
		}
	}
	material, err := s.use(k, in.DryRun)
	if err != nil {
		return nil, err
	}
	plaintext, err := b.open(material, in.Context)
	if err != nil {
		return nil, err
	}
	return &Plaintext{Plaintext: plaintext, KeyARN: k.ARN}, nil
}

// CiphertextKey is the key a ciphertext blob names, for authorization
// of a Decrypt that names none.
func (s *Service) CiphertextKey(ctx context.Context, sc Scope, ciphertext []byte) (*Key, error) {
	_, k, err := s.blobKey(ctx, sc, ciphertext)
	return k, err
}

// blobKey parses a blob and finds its key; a blob whose key is not in the
// region is no ciphertext of the region's.
func (s *Service) blobKey(ctx context.Context, sc Scope, ciphertext []byte) (*blob, *Key, error) {
	b, err := parseBlob(ciphertext)
	if err != nil {
		return nil, nil, err
	}
	k, _, err := s.loadKey(ctx, sc, b.keyID)
	if awsErrorCode(err) == CodeNotFound {
		return nil, nil, invalidCiphertext()
	} else if err != nil {
		return nil, nil, err
	}
	return b, k, nil
}

// DataKeyInput is what GenerateDataKey and GenerateDataKeyWithoutPlaintext take.
type DataKeyInput struct {
	KeyID         string
	KeySpec       string // AES_256 or AES_128
	NumberOfBytes *int
	Context       map[string]string
	GrantTokens   []string
	DryRun        bool
}

// DataKey is a fresh data key, in the clear and encrypted under a KMS key.
type DataKey struct {
	Plaintext  []byte
	Ciphertext []byte
	KeyARN     string
}

// GenerateDataKey makes a random data key and encrypts it under a key.
func (s *Service) GenerateDataKey(ctx context.Context, sc Scope, in DataKeyInput) (*DataKey, error) {
	if err := requireKeyID("keyId", in.KeyID); err != nil {
		return nil, err
	}
	size, err := dataKeySize(in.KeySpec, in.NumberOfBytes)
	if err != nil {
		return nil, err
	}
	if err := grantTokens(in.GrantTokens); err != nil {
		return nil, err
	}
	k, material, err := s.keyForUse(ctx, sc, in.KeyID, in.DryRun)
	if err != nil {
		return nil, err
	}
	plaintext := make([]byte, size)
	if _, err := rand.Read(plaintext); err != nil {
		return nil, fmt.Errorf("make data key: %w", err)
	}
	b, err := sealBlob(k.ID, material, plaintext, in.Context)
	if err != nil {
		return nil, fmt.Errorf("encrypt data key under %s: %w", k.ARN, err)
	}
	return &DataKey{Plaintext: plaintext, Ciphertext: b, KeyARN: k.ARN}, nil
}

// dataKeySize is the size a request asks for: by KeySpec or NumberOfBytes,
// exactly one of them.
func dataKeySize(spec string, n *int) (int, error) {
	if err := oneOf("keySpec", spec, "AES_256", "AES_128"); err != nil {
		return 0, err
	}
	if err := between("numberOfBytes", n, 1, maxNumberOfBytes); err != nil {
		return 0, err
	}
	switch {
	case (spec == "") == (n == nil):
		return 0, Errorf(CodeValidation, "Please specify either number of bytes or key spec.")
	case n != nil:
		return *n, nil
	case spec == "AES_128":
		return 16, nil
	}
	return 32, nil
}

// ReEncryptInput is what ReEncrypt takes.
type ReEncryptInput struct {
	Ciphertext           []byte
	SourceKeyID          string
	SourceContext        map[string]string
	SourceAlgorithm      string
	DestinationKeyID     string
	DestinationContext   map[string]string
	DestinationAlgorithm string
	GrantTokens          []string
	DryRun               bool
}

// ReEncrypted is ReEncrypt's result.
type ReEncrypted struct {
	Blob         []byte
	SourceKeyARN string
	KeyARN       string
}

// ReEncrypt decrypts a ciphertext and encrypts the plaintext under
// another key (or the same one with another context), inside keks.
func (s *Service) ReEncrypt(ctx context.Context, sc Scope, in ReEncryptInput) (*ReEncrypted, error) {
	if err := requireKeyID("destinationKeyId", in.DestinationKeyID); err != nil {
		return nil, err
	}
	if err := checkCryptoOptions("destinationEncryptionAlgorithm", in.DestinationAlgorithm, nil); err != nil {
		return nil, err
	}
	// Check the destination first, so that a dry run or a refusal opens nothing.
	dest, destMaterial, err := s.keyForUse(ctx, sc, in.DestinationKeyID, false)
	if err != nil {
		return nil, err
	}
	src, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: in.Ciphertext, KeyID: in.SourceKeyID, Context: in.SourceContext,
		Algorithm: in.SourceAlgorithm, GrantTokens: in.GrantTokens, DryRun: in.DryRun})
	if err != nil {
		return nil, err
	}
	b, err := sealBlob(dest.ID, destMaterial, src.Plaintext, in.DestinationContext)
	if err != nil {
		return nil, fmt.Errorf("encrypt under %s: %w", dest.ARN, err)
	}
	return &ReEncrypted{Blob: b, SourceKeyARN: src.KeyARN, KeyARN: dest.ARN}, nil
}

// checkCryptoOptions checks the algorithm and grant tokens of a request.
func checkCryptoOptions(algorithmField, algorithm string, tokens []string) error {
	if err := encryptionAlgorithm(algorithmField, algorithm); err != nil {
		return err
	}
	return grantTokens(tokens)
}

// keyForUse finds a key (aliases included) that may encrypt now, and
// its material.
func (s *Service) keyForUse(ctx context.Context, sc Scope, keyID string, dryRun bool) (*Key, []byte, error) {
	r, err := s.Resolve(ctx, sc, keyID)
	if err != nil {
		return nil, nil, err
	}
	material, err := s.use(r.Key, dryRun)
	if err != nil {
		return nil, nil, err
	}
	return r.Key, material, nil
}

// use refuses a key its state forbids to use, ends a dry run that got
// this far, and unseals the key's material.
func (s *Service) use(k *Key, dryRun bool) ([]byte, error) {
	if err := k.usable(); err != nil {
		return nil, err
	}
	if dryRun {
		return nil, dryRunRefusal()
	}
	return s.material(k)
}

// invalidKeyUsage refuses an operation or option a symmetric key lacks.
func invalidKeyUsage(what string) error {
	return Errorf(CodeInvalidKeyUsage, "keks's symmetric encryption keys do not support %s", what)
}

// GenerateRandom returns random bytes, 1 to 1024 of them.
func (s *Service) GenerateRandom(n *int) ([]byte, error) {
	if n == nil {
		return nil, validationf("Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null")
	}
	if err := between("numberOfBytes", n, 1, maxNumberOfBytes); err != nil {
		return nil, err
	}
	out := make([]byte, *n)
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("generate random bytes: %w", err)
	}
	return out, nil
}
