package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
	"unicode"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Key pair error codes.
const (
	CodeInvalidKeyPairNotFound  = "InvalidKeyPair.NotFound"
	CodeInvalidKeyPairDuplicate = "InvalidKeyPair.Duplicate"
	CodeInvalidKeyFormat        = "InvalidKey.Format"
)

func init() {
	for _, c := range []string{CodeInvalidKeyPairNotFound, CodeInvalidKeyPairDuplicate, CodeInvalidKeyFormat} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// KeyPair is an SSH key pair of a region. keks keeps only its public key:
// the private key of one it creates is handed out once, as EC2 does.
type KeyPair struct {
	ID          string            `json:"id"`
	Region      string            `json:"region"`
	Name        string            `json:"name"`
	Type        string            `json:"type"`        // rsa or ed25519
	Fingerprint string            `json:"fingerprint"` // as EC2 computes it
	PublicKey   string            `json:"publicKey"`   // an authorized_keys line without comment
	CreateTime  time.Time         `json:"createTime"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// keyPairPrefix holds key pairs by region and name, so that a name is taken
// once per region by the store itself (Txn.Create).
const keyPairPrefix = "ec2/keypairs/"

func keyPairKey(region, name string) string {
	return keyPairPrefix + region + "/" + url.PathEscape(name)
}

// maxKeyNameLength is EC2's limit on key pair names.
const maxKeyNameLength = 255

// validateKeyName applies EC2's rule: 1 to 255 ASCII characters.
func validateKeyName(name string) error {
	if name == "" {
		return awserr.Errorf(CodeMissingParameter, "The request must contain the parameter KeyName")
	}
	if len(name) > maxKeyNameLength {
		return awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter keyName is invalid. Length exceeds maximum of %d.", name, maxKeyNameLength)
	}
	for _, r := range name {
		if r > unicode.MaxASCII || unicode.IsControl(r) {
			return awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter keyName is invalid. Character sets beyond ASCII are not supported.", name)
		}
	}
	return nil
}

func keyPairNotFound(name string) error {
	return awserr.Errorf(CodeInvalidKeyPairNotFound, "The key pair '%s' does not exist", name)
}

// CreateKeyPair makes a key pair of keyType (rsa by default) and returns
// it with its private key, which keks does not keep.
func (s *Service) CreateKeyPair(ctx context.Context, region, name, keyType string, tags map[string]string) (*KeyPair, string, error) {
	if err := validateKeyName(name); err != nil {
		return nil, "", err
	}
	if keyType == "" {
		keyType = KeyTypeRSA
	}
	if err := ValidateTags(tags); err != nil {
		return nil, "", err
	}
	key, err := GenerateKey(keyType)
	if err != nil {
		return nil, "", err
	}
	kp := &KeyPair{Region: region, Name: name, Type: keyType, Fingerprint: key.Fingerprint, PublicKey: authorizedKeyLine(key.PublicKey)}
	if err := s.putNewKeyPair(ctx, kp, tags); err != nil {
		return nil, "", err
	}
	return kp, key.Material, nil
}

// ImportKeyPair records the public key of a key pair made elsewhere.
func (s *Service) ImportKeyPair(ctx context.Context, region, name string, material []byte, tags map[string]string) (*KeyPair, error) {
	if err := validateKeyName(name); err != nil {
		return nil, err
	}
	if err := ValidateTags(tags); err != nil {
		return nil, err
	}
	pub, typ, err := ParsePublicKeyMaterial(material)
	if err != nil {
		return nil, err
	}
	kp := &KeyPair{Region: region, Name: name, Type: typ, Fingerprint: ImportedFingerprint(pub), PublicKey: authorizedKeyLine(pub)}
	if err := s.putNewKeyPair(ctx, kp, tags); err != nil {
		return nil, err
	}
	return kp, nil
}

func (s *Service) putNewKeyPair(ctx context.Context, kp *KeyPair, tags map[string]string) error {
	kp.ID, kp.CreateTime = newResourceID("key"), time.Now().UTC().Truncate(time.Millisecond)
	if len(tags) > 0 {
		kp.Tags = tags
	}
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var existing KeyPair
		if _, err := s.Store.Get(ctx, keyPairKey(kp.Region, kp.Name), &existing); err == nil {
			return awserr.Errorf(CodeInvalidKeyPairDuplicate, "The keypair '%s' already exists.", kp.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Create(keyPairKey(kp.Region, kp.Name), kp)
		return nil
	})
	if err != nil {
		return fmt.Errorf("create key pair %q: %w", kp.Name, err)
	}
	return nil
}

// KeyPairs lists a region's key pairs.
func (s *Service) KeyPairs(ctx context.Context, region string) ([]KeyPair, error) {
	return store.List[KeyPair](ctx, s.Store, keyPairPrefix+region+"/")
}

// GetKeyPair reads a region's key pair by name.
func (s *Service) GetKeyPair(ctx context.Context, region, name string) (*KeyPair, error) {
	if validateKeyName(name) != nil {
		return nil, keyPairNotFound(name)
	}
	var kp KeyPair
	if _, err := s.Store.Get(ctx, keyPairKey(region, name), &kp); errors.Is(err, store.ErrNotFound) {
		return nil, keyPairNotFound(name)
	} else if err != nil {
		return nil, err
	}
	return &kp, nil
}

// keyPairByID finds a region's key pair by id; nil when there is none.
func (s *Service) keyPairByID(ctx context.Context, region, id string) (*KeyPair, error) {
	all, err := s.KeyPairs(ctx, region)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ID == id {
			return &all[i], nil
		}
	}
	return nil, nil
}

// DeleteKeyPair removes a key pair named by name or by id. A key pair that
// does not exist is not an error, as on EC2; instances launched with it
// keep the public key they were given. It returns the id of the key pair
// removed, if there was one.
func (s *Service) DeleteKeyPair(ctx context.Context, region, name, id string) (string, error) {
	if name == "" && id == "" {
		return "", awserr.Errorf(CodeMissingParameter, "The request must contain the parameter KeyName or KeyPairId")
	}
	var kp *KeyPair
	var err error
	if id != "" {
		kp, err = s.keyPairByID(ctx, region, id)
	} else if validateKeyName(name) == nil {
		kp, err = s.GetKeyPair(ctx, region, name)
		var aerr *awserr.Error
		if errors.As(err, &aerr) && aerr.Code == CodeInvalidKeyPairNotFound {
			kp, err = nil, nil
		}
	}
	if err != nil || kp == nil {
		return "", err
	}
	if err := s.Store.Delete(ctx, keyPairKey(region, kp.Name)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("delete key pair %q: %w", kp.Name, err)
	}
	return kp.ID, nil
}

// keyPairRecordByID is the store key of a key pair named by its id, for tagging.
func (s *Service) keyPairRecordByID(ctx context.Context, id string) (string, error) {
	all, err := store.List[KeyPair](ctx, s.Store, keyPairPrefix)
	if err != nil {
		return "", err
	}
	for _, kp := range all {
		if kp.ID == id {
			return keyPairKey(kp.Region, kp.Name), nil
		}
	}
	return "", awserr.Errorf(CodeInvalidKeyPairNotFound, "The key pair ID '%s' does not exist", id)
}

// launchKey is the key pair an instance is launched with, which t then
// depends on: a launch and the key pair's deletion are ordered.
func (s *Service) launchKey(ctx context.Context, t *store.Txn, region, name string) (*KeyPair, error) {
	if validateKeyName(name) != nil {
		return nil, keyPairNotFound(name)
	}
	var kp KeyPair
	rev, err := s.Store.Get(ctx, keyPairKey(region, name), &kp)
	if errors.Is(err, store.ErrNotFound) {
		return nil, keyPairNotFound(name)
	} else if err != nil {
		return nil, err
	}
	t.Unchanged(keyPairKey(region, name), rev)
	return &kp, nil
}
