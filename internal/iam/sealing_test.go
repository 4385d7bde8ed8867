package iam

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// newSealedService is newTestService over a store with a seal key.
func newSealedService(t *testing.T) *Service {
	t.Helper()
	s, _ := newTestService(t)
	must(t, s.Store.UseSealKey(testCtx(t), filepath.Join(t.TempDir(), "seal.key")))
	return s
}

// assertNotInStore fails if secret appears anywhere in the raw store.
func assertNotInStore(t *testing.T, st *store.Store, secret string) {
	t.Helper()
	raws, err := st.ListRaw(testCtx(t), "")
	must(t, err)
	for _, r := range raws {
		if bytes.Contains(r.Value, []byte(secret)) {
			t.Fatalf("secret in the clear at %s: %s", r.Key, r.Value)
		}
	}
}

// TestKeySecretsSealed follows keys through every write and read: the
// secret is never in the store in the clear, and every reader gets it.
func TestKeySecretsSealed(t *testing.T) {
	s := newSealedService(t)
	ctx := testCtx(t)
	boot, err := s.Bootstrap(ctx)
	must(t, err)
	_, err = s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	k, err := s.CreateAccessKey(ctx, "dev")
	must(t, err)
	role, err := s.CreateRole(ctx, Role{Name: "node", AssumeRolePolicy: trustEC2})
	must(t, err)
	sess, err := s.IssueRoleSession(ctx, role.ARN, "i-1", time.Hour)
	must(t, err)
	secrets := []string{boot.SecretAccessKey, k.Secret, sess.SecretAccessKey}
	for _, secret := range secrets {
		assertNotInStore(t, s.Store, secret)
	}

	// Written again: a status change, and the user's rename (its keys follow).
	must(t, s.UpdateAccessKey(ctx, "dev", k.ID, KeyInactive))
	must(t, s.UpdateAccessKey(ctx, "dev", k.ID, KeyActive))
	must(t, s.UpdateUser(ctx, "dev", "developer", ""))
	assertNotInStore(t, s.Store, k.Secret)

	if again, err := s.Bootstrap(ctx); err != nil || again.SecretAccessKey != boot.SecretAccessKey {
		t.Fatalf("bootstrap read back: %v", err)
	}
	for id, want := range map[string]string{boot.AccessKeyID: boot.SecretAccessKey, k.ID: k.Secret, sess.AccessKeyID: sess.SecretAccessKey} {
		got, _, _, err := s.ResolveAccessKey(ctx, id)
		if err != nil || got != want {
			t.Errorf("resolve %s: %v", id, err)
		}
	}
	active, err := s.ActiveKeys(ctx)
	must(t, err)
	found := 0
	for _, a := range active {
		if (a.Key.ID == k.ID && a.Key.Secret == k.Secret) || (a.Key.ID == sess.AccessKeyID && a.Key.Secret == sess.SecretAccessKey) {
			found++
		}
	}
	if found != 2 {
		t.Errorf("ActiveKeys gave %d of 2 keys with their secrets", found)
	}
	listed, err := s.ListAccessKeys(ctx, "developer")
	must(t, err)
	if len(listed) != 1 || listed[0].Secret != k.Secret {
		t.Errorf("ListAccessKeys: %+v", listed)
	}
}

// TestOlderPlainKeysReadAndSeal: keys an older keks stored in the clear
// still sign, and SealStoredSecrets seals them (and the admin key) once.
func TestOlderPlainKeysReadAndSeal(t *testing.T) {
	older, _ := newTestService(t) // no seal key: records as older keks wrote them
	ctx := testCtx(t)
	boot, err := older.Bootstrap(ctx)
	must(t, err)
	_, err = older.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	k, err := older.CreateAccessKey(ctx, "dev")
	must(t, err)
	var raw AccessKey
	_, err = older.Store.Get(ctx, keyKey(k.ID), &raw)
	must(t, err)
	if raw.Secret != k.Secret {
		t.Fatal("the unsealed store did not keep the secret as older keks did")
	}

	s := &Service{Store: older.Store, Now: older.Now}
	must(t, s.Store.UseSealKey(ctx, filepath.Join(t.TempDir(), "seal.key")))
	if got, _, _, err := s.ResolveAccessKey(ctx, k.ID); err != nil || got != k.Secret {
		t.Fatalf("an older plaintext key: %v", err)
	}
	n, err := SealStoredSecrets(ctx, s.Store)
	must(t, err)
	if n != 3 {
		t.Fatalf("sealed %d records, want 3 (dev's key, admin's key and its copy for the CLI profile)", n)
	}
	assertNotInStore(t, s.Store, k.Secret)
	assertNotInStore(t, s.Store, boot.SecretAccessKey)
	if n, err := SealStoredSecrets(ctx, s.Store); err != nil || n != 0 {
		t.Fatalf("a second pass sealed %d, %v", n, err)
	}
	for id, want := range map[string]string{k.ID: k.Secret, boot.AccessKeyID: boot.SecretAccessKey} {
		if got, _, _, err := s.ResolveAccessKey(ctx, id); err != nil || got != want {
			t.Errorf("resolve %s after sealing: %v", id, err)
		}
	}
	if again, err := s.Bootstrap(ctx); err != nil || again.SecretAccessKey != boot.SecretAccessKey {
		t.Fatalf("bootstrap after sealing: %v", err)
	}
}

// TestSealedSecretDoesNotMove: one key's sealed secret copied into another
// key's record does not sign for it.
func TestSealedSecretDoesNotMove(t *testing.T) {
	s := newSealedService(t)
	ctx := testCtx(t)
	_, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	a, err := s.CreateAccessKey(ctx, "dev")
	must(t, err)
	b, err := s.CreateAccessKey(ctx, "dev")
	must(t, err)
	var storedA, storedB AccessKey
	_, err = s.Store.Get(ctx, keyKey(a.ID), &storedA)
	must(t, err)
	_, err = s.Store.Get(ctx, keyKey(b.ID), &storedB)
	must(t, err)
	storedB.Secret = storedA.Secret
	must(t, s.Store.Put(ctx, keyKey(b.ID), &storedB))
	if got, _, _, err := s.ResolveAccessKey(ctx, b.ID); err == nil {
		t.Fatalf("a moved secret resolved: %q", got)
	}
	if got, _, _, err := s.ResolveAccessKey(ctx, a.ID); err != nil || got != a.Secret {
		t.Fatalf("the untouched key: %v", err)
	}
}
