package kms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// Key states keks has (KMS has more, for imports, custom key stores and
// multi-Region keys).
const (
	StateEnabled         = "Enabled"
	StateDisabled        = "Disabled"
	StatePendingDeletion = "PendingDeletion"
)

// What every keks key is: KMS's default kind of key.
const (
	SpecSymmetricDefault = "SYMMETRIC_DEFAULT"
	UsageEncryptDecrypt  = "ENCRYPT_DECRYPT"
	OriginAWSKMS         = "AWS_KMS"
	AlgorithmSymmetric   = "SYMMETRIC_DEFAULT"
	ManagerCustomer      = "CUSTOMER"
)

// Key is a KMS key's record.
type Key struct {
	ID          string    `json:"id"`
	ARN         string    `json:"arn"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	Description string    `json:"description"`
	KeySpec     string    `json:"keySpec"`
	KeyUsage    string    `json:"keyUsage"`
	Origin      string    `json:"origin"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"createdAt"`
	// DeletionDate and PendingWindowInDays are set while the key is
	// PendingDeletion; at DeletionDate the key is gone.
	DeletionDate        *time.Time `json:"deletionDate,omitempty"`
	PendingWindowInDays int        `json:"pendingWindowInDays,omitempty"`
	Policy              string     `json:"policy"`
	// Tags are the key's tags; nil when it has none.
	Tags map[string]string `json:"tags,omitempty"`
	// Aliases are the names ("alias/...") of the aliases that point here,
	// sorted; the alias records say the same from their side.
	Aliases []string `json:"aliases,omitempty"`
	// WrappedMaterial is the key material sealed under the master key
	// (see material.go); the material itself is never stored.
	WrappedMaterial []byte `json:"wrappedMaterial"`
}

// Enabled is what DescribeKey's Enabled says.
func (k *Key) Enabled() bool { return k.State == StateEnabled }

// gone reports whether a key's deletion date has passed: from then on it
// does not exist, whether or not its record has been purged yet.
func (k *Key) gone(now time.Time) bool {
	return k.State == StatePendingDeletion && k.DeletionDate != nil && !now.Before(*k.DeletionDate)
}

// usable refuses a key that cryptographic operations may not use, with
// the error KMS gives for its state.
func (k *Key) usable() error {
	switch k.State {
	case StateEnabled:
		return nil
	case StateDisabled:
		return Errorf(CodeDisabled, "%s is disabled.", k.ARN)
	default:
		return k.invalidState()
	}
}

// notPendingDeletion refuses the operations that KMS's key-state table
// forbids on a key waiting to be deleted.
func (k *Key) notPendingDeletion() error {
	if k.State == StatePendingDeletion {
		return k.invalidState()
	}
	return nil
}

func (k *Key) invalidState() error {
	if k.State == StatePendingDeletion {
		return Errorf(CodeInvalidState, "%s is pending deletion.", k.ARN)
	}
	return Errorf(CodeInvalidState, "%s is %s.", k.ARN, k.State)
}

// Scope is where a call acts: KMS keys belong to an account and a region.
type Scope struct {
	Region  string
	Account string
}

func (sc Scope) keyARN(id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", sc.Region, sc.Account, id)
}

// AliasARN is the ARN of an alias ("alias/..." name) in the scope.
func (sc Scope) AliasARN(name string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", sc.Region, sc.Account, name)
}

func keyPath(region, id string) string { return "kms/keys/" + region + "/" + id }
func keysPrefix(region string) string  { return "kms/keys/" + region + "/" }

// loadKey reads a key record by id, with its revision; a key of another
// account, or one whose deletion date has passed, does not exist.
func (s *Service) loadKey(ctx context.Context, sc Scope, id string) (*Key, int64, error) {
	var k Key
	rev, err := s.Store.Get(ctx, keyPath(sc.Region, id), &k)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (k.Account != sc.Account || k.gone(s.now()))) {
		return nil, 0, keyNotFound(sc.keyARN(id))
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read KMS key %s: %w", id, err)
	}
	return &k, rev, nil
}

func keyNotFound(arn string) error {
	return Errorf(CodeNotFound, "Key '%s' does not exist", arn)
}
