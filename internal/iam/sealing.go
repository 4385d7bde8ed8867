package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// Access key secrets (and login profiles' password hashes,
// loginprofiles.go) are sealed in the store (store.Store.SealString):
// AccessKey.Secret in memory is always the secret itself; sealKey makes the
// stored form for each write and openKey reads it back. Only the records
// are sealed: the secret still reaches whoever creates the key, as in AWS.

// secretPlace names where a key's secret is sealed, so that a sealed
// secret copied to another key's record does not open there.
func secretPlace(id string) string { return keyKey(id) + "#secret" }

const bootstrapSecretPlace = bootstrapKey + "#secretAccessKey"

// sealKey returns k as the store keeps it: a copy with its secret sealed.
func sealKey(st *store.Store, k *AccessKey) *AccessKey {
	stored := *k
	stored.Secret = st.SealString(k.Secret, secretPlace(k.ID))
	return &stored
}

// openKey opens the secret of a key read from the store; a secret an older
// keks stored in the clear reads as it is.
func openKey(st *store.Store, k *AccessKey) error {
	secret, err := st.UnsealString(k.Secret, secretPlace(k.ID))
	if err != nil {
		return fmt.Errorf("access key %s: %w", k.ID, err)
	}
	k.Secret = secret
	return nil
}

// SealStoredSecrets seals, once, at start, the access key secrets an older
// keks stored in the clear (and the admin key kept for the CLI profile, and
// login profiles' password hashes): keys are seldom written again, so
// sealing on the next write would leave most in the clear. It returns how
// many records it sealed; without a seal key it does nothing.
func SealStoredSecrets(ctx context.Context, st *store.Store) (int, error) {
	if !st.Sealing() {
		return 0, nil
	}
	raws, err := st.ListRaw(ctx, keysPrefix)
	if err != nil {
		return 0, fmt.Errorf("list access keys: %w", err)
	}
	sealed := 0
	for _, r := range raws {
		n, err := sealRecord(ctx, st, r.Key, func(k *AccessKey) *string { return &k.Secret }, secretPlace(r.Key[len(keysPrefix):]))
		if err != nil {
			return sealed, err
		}
		sealed += n
	}
	profiles, err := st.ListRaw(ctx, loginProfilesPrefix)
	if err != nil {
		return sealed, fmt.Errorf("list login profiles: %w", err)
	}
	for _, r := range profiles {
		n, err := sealProfileRecord(ctx, st, r.Key)
		if err != nil {
			return sealed, err
		}
		sealed += n
	}
	n, err := sealRecord(ctx, st, bootstrapKey, func(b *BootstrapCredentials) *string { return &b.SecretAccessKey }, bootstrapSecretPlace)
	return sealed + n, err
}

// sealProfileRecord seals the password hashes of the login profile at key
// that are still in the clear; it reports 1 when it sealed any.
func sealProfileRecord(ctx context.Context, st *store.Store, key string) (int, error) {
	sealed := 0
	_, err := store.Mutate(ctx, st, key, func(r *loginProfileRecord) error {
		sealed = 0
		seal := func(v *string, field string) {
			if !store.IsSealed(*v) {
				*v, sealed = st.SealString(*v, loginProfilePlace(r.UserID, field)), 1
			}
		}
		seal(&r.PasswordHash, "password")
		for i := range r.PreviousHashes {
			seal(&r.PreviousHashes[i], "previous")
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("seal %s: %w", key, err)
	}
	return sealed, nil
}

// sealRecord seals the field of the record at key that field points to,
// if it is still in the clear; it reports 1 when it sealed it.
func sealRecord[T any](ctx context.Context, st *store.Store, key string, field func(*T) *string, place string) (int, error) {
	sealed := 0
	_, err := store.Mutate(ctx, st, key, func(v *T) error {
		sealed = 0
		if f := field(v); !store.IsSealed(*f) {
			*f, sealed = st.SealString(*f, place), 1
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil // gone meanwhile, or never made
	} else if err != nil {
		return 0, fmt.Errorf("seal %s: %w", key, err)
	}
	return sealed, nil
}
