package kms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/store"
)

// The enum values of the model's KeySpec, KeyUsageType and OriginType:
// any of them is a valid request; keks makes only SYMMETRIC_DEFAULT
// ENCRYPT_DECRYPT keys of origin AWS_KMS and refuses the others as
// unsupported.
var (
	keySpecs = []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
		SpecSymmetricDefault, "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
		"ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"}
	customerMasterKeySpecs = keySpecs[:13]
	keyUsages              = []string{"SIGN_VERIFY", UsageEncryptDecrypt, "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE"}
	origins                = []string{OriginAWSKMS, "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"}
)

// CreateKeyInput is what CreateKey takes.
type CreateKeyInput struct {
	Description           string
	KeySpec               string
	CustomerMasterKeySpec string // KeySpec's deprecated name
	KeyUsage              string
	Origin                string
	MultiRegion           bool
	CustomKeyStoreID      string
	// Policy is the key policy; nil means KMS's default key policy.
	Policy                         *string
	BypassPolicyLockoutSafetyCheck bool
	Tags                           []Tag
}

// CreateKey makes a symmetric encryption key with fresh key material.
func (s *Service) CreateKey(ctx context.Context, sc Scope, in CreateKeyInput) (*Key, error) {
	if err := checkCreateKey(in); err != nil {
		return nil, err
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	id := uuid.NewString()
	k := &Key{ID: id, ARN: sc.keyARN(id), Account: sc.Account, Region: sc.Region, Description: in.Description,
		KeySpec: SpecSymmetricDefault, KeyUsage: UsageEncryptDecrypt, Origin: OriginAWSKMS, State: StateEnabled,
		CreatedAt: s.now(), Tags: tags}
	if in.Policy == nil {
		k.Policy = DefaultKeyPolicy(sc.Account)
	} else {
		if err := checkPolicy(*in.Policy); err != nil {
			return nil, err
		}
		k.Policy = *in.Policy
	}
	if k.WrappedMaterial, err = s.newMaterial(k.ARN); err != nil {
		return nil, err
	}
	if err := s.Store.Create(ctx, keyPath(sc.Region, id), k); err != nil {
		return nil, fmt.Errorf("store KMS key %s: %w", id, err)
	}
	return k, nil
}

func checkCreateKey(in CreateKeyInput) error {
	if err := lengthAtMost("description", in.Description, maxDescription); err != nil {
		return err
	}
	if err := oneOf("keySpec", in.KeySpec, keySpecs...); err != nil {
		return err
	}
	if err := oneOf("customerMasterKeySpec", in.CustomerMasterKeySpec, customerMasterKeySpecs...); err != nil {
		return err
	}
	if err := oneOf("keyUsage", in.KeyUsage, keyUsages...); err != nil {
		return err
	}
	if err := oneOf("origin", in.Origin, origins...); err != nil {
		return err
	}
	if in.KeySpec != "" && in.CustomerMasterKeySpec != "" {
		return validationf("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
	}
	switch {
	case in.KeySpec != "" && in.KeySpec != SpecSymmetricDefault,
		in.CustomerMasterKeySpec != "" && in.CustomerMasterKeySpec != SpecSymmetricDefault:
		return Errorf(CodeUnsupported, "keks makes only SYMMETRIC_DEFAULT keys")
	case in.KeyUsage != "" && in.KeyUsage != UsageEncryptDecrypt:
		return Errorf(CodeUnsupported, "KeyUsage %s is not compatible with KeySpec SYMMETRIC_DEFAULT", in.KeyUsage)
	case in.Origin != "" && in.Origin != OriginAWSKMS:
		return Errorf(CodeUnsupported, "keks makes only keys of origin AWS_KMS")
	case in.MultiRegion:
		return Errorf(CodeUnsupported, "keks makes only single-Region keys")
	case in.CustomKeyStoreID != "":
		return Errorf(CodeUnsupported, "keks has no custom key stores")
	}
	return nil
}

// DescribeKey finds a key by key id, key ARN, alias name or alias ARN.
func (s *Service) DescribeKey(ctx context.Context, sc Scope, keyID string) (*Key, error) {
	r, err := s.Resolve(ctx, sc, keyID)
	if err != nil {
		return nil, err
	}
	return r.Key, nil
}

// ListKeys lists the region's keys in id order, a page at a time.
func (s *Service) ListKeys(ctx context.Context, sc Scope, pg Page) ([]Key, string, error) {
	p, err := newPager(pg, 100, 1000)
	if err != nil {
		return nil, "", err
	}
	keys, err := s.keys(ctx, sc)
	if err != nil {
		return nil, "", err
	}
	page, next := p.take(len(keys), func(i int) string { return keys[i].ID })
	return keys[page.start:page.end], next, nil
}

// keys lists the region's live keys of the account, in id order.
func (s *Service) keys(ctx context.Context, sc Scope) ([]Key, error) {
	all, err := store.List[Key](ctx, s.Store, keysPrefix(sc.Region))
	if err != nil {
		return nil, fmt.Errorf("list KMS keys: %w", err)
	}
	now := s.now()
	live := all[:0]
	for _, k := range all {
		if k.Account == sc.Account && !k.gone(now) {
			live = append(live, k)
		}
	}
	return live, nil
}

// EnableKey lets a disabled key be used again.
func (s *Service) EnableKey(ctx context.Context, sc Scope, keyID string) error {
	_, err := s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		k.State = StateEnabled
		return nil
	})
	return err
}

// DisableKey stops a key's use in cryptographic operations.
func (s *Service) DisableKey(ctx context.Context, sc Scope, keyID string) error {
	_, err := s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		k.State = StateDisabled
		return nil
	})
	return err
}

// The waiting period of ScheduleKeyDeletion: KMS's bounds and default.
const (
	minPendingWindow     = 7
	maxAllowedWindow     = 30
	defaultPendingWindow = 30
)

// ScheduleKeyDeletion puts a key in PendingDeletion: it refuses all use
// until CancelKeyDeletion, and is gone once the window has passed.
func (s *Service) ScheduleKeyDeletion(ctx context.Context, sc Scope, keyID string, days *int) (*Key, error) {
	if err := between("pendingWindowInDays", days, 1, maxPendingWindow); err != nil {
		return nil, err
	}
	window := defaultPendingWindow
	if days != nil {
		window = *days
	}
	if window < minPendingWindow || window > maxAllowedWindow {
		return nil, Errorf(CodeValidation, "PendingWindowInDays value must be between %d and %d (inclusive).", minPendingWindow, maxAllowedWindow)
	}
	return s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		when := s.now().Add(time.Duration(window) * 24 * time.Hour)
		k.State, k.DeletionDate, k.PendingWindowInDays = StatePendingDeletion, &when, window
		return nil
	})
}

// CancelKeyDeletion takes a key out of PendingDeletion; as on KMS, it is
// then Disabled.
func (s *Service) CancelKeyDeletion(ctx context.Context, sc Scope, keyID string) (*Key, error) {
	return s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		if k.State != StatePendingDeletion {
			return Errorf(CodeInvalidState, "%s is not pending deletion.", k.ARN)
		}
		k.State, k.DeletionDate, k.PendingWindowInDays = StateDisabled, nil, 0
		return nil
	})
}

// mutateKey changes a key named by key id or key ARN.
func (s *Service) mutateKey(ctx context.Context, sc Scope, keyID string, change func(*Key) error) (*Key, error) {
	k, err := s.keyByID(ctx, sc, keyID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out, err := store.Mutate(ctx, s.Store, keyPath(sc.Region, k.ID), func(k *Key) error {
		if k.gone(now) {
			return keyNotFound(k.ARN)
		}
		return change(k)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, keyNotFound(k.ARN)
	}
	return out, err
}

// PurgeDeleted removes the records of keys whose deletion date has
// passed, with their aliases. Reads treat such keys as gone already; this
// only reclaims the space, so it may run seldom.
func (s *Service) PurgeDeleted(ctx context.Context) error {
	all, err := store.List[Key](ctx, s.Store, "kms/keys/")
	if err != nil {
		return fmt.Errorf("list KMS keys: %w", err)
	}
	now := s.now()
	var errs []error
	for _, k := range all {
		if !k.gone(now) {
			continue
		}
		err := s.Store.Transact(ctx, func(t *store.Txn) error {
			var cur Key
			rev, err := s.Store.Get(ctx, keyPath(k.Region, k.ID), &cur)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			t.Unchanged(keyPath(k.Region, k.ID), rev)
			t.Delete(keyPath(k.Region, k.ID))
			for _, name := range cur.Aliases {
				// An alias of a gone key may have been taken by another key since.
				var a Alias
				arev, err := s.Store.Get(ctx, aliasPath(k.Region, name), &a)
				if errors.Is(err, store.ErrNotFound) || (err == nil && a.TargetKeyID != k.ID) {
					continue
				} else if err != nil {
					return err
				}
				t.Unchanged(aliasPath(k.Region, name), arev)
				t.Delete(aliasPath(k.Region, name))
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("purge KMS key %s: %w", k.ARN, err))
		}
	}
	return errors.Join(errs...)
}

// UpdateKeyDescription replaces a key's description.
func (s *Service) UpdateKeyDescription(ctx context.Context, sc Scope, keyID, description string) error {
	if err := requireKeyID("keyId", keyID); err != nil {
		return err
	}
	if err := lengthAtMost("description", description, maxDescription); err != nil {
		return err
	}
	_, err := s.mutateKey(ctx, sc, keyID, func(k *Key) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		k.Description = description
		return nil
	})
	return err
}

// KeyRotationEnabled reports whether a key's material rotates: keks's
// keys keep theirs, so the answer is always false, but the key must exist.
func (s *Service) KeyRotationEnabled(ctx context.Context, sc Scope, keyID string) (*Key, bool, error) {
	k, err := s.keyByID(ctx, sc, keyID)
	if err != nil {
		return nil, false, err
	}
	return k, false, nil
}
