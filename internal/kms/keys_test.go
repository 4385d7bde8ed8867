package kms

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCreateKeyDefaults(t *testing.T) {
	s, sc, c := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	if !keyIDPattern.MatchString(k.ID) || k.ARN != "arn:aws:kms:"+sc.Region+":"+sc.Account+":key/"+k.ID {
		t.Fatalf("id %s, ARN %s", k.ID, k.ARN)
	}
	if k.State != StateEnabled || !k.Enabled() || k.KeySpec != SpecSymmetricDefault || k.KeyUsage != UsageEncryptDecrypt || !k.CreatedAt.Equal(c.Now()) {
		t.Fatalf("key %+v", k)
	}
	if !strings.Contains(k.Policy, `"arn:aws:iam::123456789012:root"`) || !strings.Contains(k.Policy, "Enable IAM User Permissions") {
		t.Fatalf("default policy %s", k.Policy)
	}
	for _, in := range []CreateKeyInput{{KeySpec: "RSA_2048"}, {KeyUsage: "SIGN_VERIFY"}, {Origin: "EXTERNAL"}, {MultiRegion: true}} {
		_, err := s.CreateKey(ctx, sc, in)
		wantCode(t, err, CodeUnsupported)
	}
	for _, in := range []CreateKeyInput{{KeySpec: "AES"}, {KeyUsage: "ANY"}, {Description: strings.Repeat("d", 8193)},
		{KeySpec: SpecSymmetricDefault, CustomerMasterKeySpec: SpecSymmetricDefault}} {
		_, err := s.CreateKey(ctx, sc, in)
		wantCode(t, err, CodeValidation)
	}
}

func TestDisabledKeysRefuseCrypto(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	ct, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DisableKey(ctx, sc, k.ARN); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DescribeKey(ctx, sc, k.ID); d.State != StateDisabled || d.Enabled() {
		t.Fatalf("state %s after DisableKey", d.State)
	}
	_, err = s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x")})
	wantCode(t, err, CodeDisabled)
	_, err = s.Decrypt(ctx, sc, DecryptInput{Ciphertext: ct.Blob})
	wantCode(t, err, CodeDisabled)
	_, err = s.GenerateDataKey(ctx, sc, DataKeyInput{KeyID: k.ID, KeySpec: "AES_256"})
	wantCode(t, err, CodeDisabled)
	if err := s.EnableKey(ctx, sc, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decrypt(ctx, sc, DecryptInput{Ciphertext: ct.Blob}); err != nil {
		t.Fatalf("decrypt after EnableKey: %v", err)
	}
	// Managing operations take key ids and ARNs, not aliases.
	if err := s.CreateAlias(ctx, sc, "alias/managed", k.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DisableKey(ctx, sc, "alias/managed"), CodeNotFound)
}

func TestKeyDeletionLifecycle(t *testing.T) {
	s, sc, c := newTestService(t)
	ctx := context.Background()
	k := mustCreateKey(t, s, sc)
	if err := s.CreateAlias(ctx, sc, "alias/doomed", k.ID); err != nil {
		t.Fatal(err)
	}
	ct, err := s.Encrypt(ctx, sc, EncryptInput{KeyID: k.ID, Plaintext: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	for _, days := range []int{0, 6, 31, 366} {
		_, err := s.ScheduleKeyDeletion(ctx, sc, k.ID, &days)
		wantCode(t, err, CodeValidation)
	}
	seven := 7
	pending, err := s.ScheduleKeyDeletion(ctx, sc, k.ID, &seven)
	if err != nil {
		t.Fatal(err)
	}
	if pending.State != StatePendingDeletion || pending.PendingWindowInDays != 7 || !pending.DeletionDate.Equal(c.Now().Add(7*24*time.Hour)) {
		t.Fatalf("pending key %+v", pending)
	}
	_, err = s.Encrypt(ctx, sc, EncryptInput{KeyID: "alias/doomed", Plaintext: []byte("x")})
	wantCode(t, err, CodeInvalidState)
	_, err = s.Decrypt(ctx, sc, DecryptInput{Ciphertext: ct.Blob})
	wantCode(t, err, CodeInvalidState)
	wantCode(t, s.EnableKey(ctx, sc, k.ID), CodeInvalidState)
	wantCode(t, s.DisableKey(ctx, sc, k.ID), CodeInvalidState)
	wantCode(t, s.CreateAlias(ctx, sc, "alias/late", k.ID), CodeInvalidState)
	_, err = s.ScheduleKeyDeletion(ctx, sc, k.ID, nil)
	wantCode(t, err, CodeInvalidState)

	cancelled, err := s.CancelKeyDeletion(ctx, sc, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cancelled.State != StateDisabled || cancelled.DeletionDate != nil {
		t.Fatalf("cancelled key %+v", cancelled)
	}
	_, err = s.CancelKeyDeletion(ctx, sc, k.ID)
	wantCode(t, err, CodeInvalidState)

	// Once the window has passed, the key and its alias are gone.
	if _, err := s.ScheduleKeyDeletion(ctx, sc, k.ID, nil); err != nil {
		t.Fatal(err)
	}
	c.advance(30*24*time.Hour + time.Second)
	_, err = s.DescribeKey(ctx, sc, k.ID)
	wantCode(t, err, CodeNotFound)
	if keys, _, _ := s.ListKeys(ctx, sc, Page{}); len(keys) != 0 {
		t.Fatalf("a deleted key is listed: %v", keys)
	}
	if aliases, _, _ := s.ListAliases(ctx, sc, "", Page{}); len(aliases) != 0 {
		t.Fatalf("a deleted key's alias is listed: %v", aliases)
	}
	// Its alias name is free again before the record is purged.
	fresh := mustCreateKey(t, s, sc)
	if err := s.CreateAlias(ctx, sc, "alias/doomed", fresh.ID); err != nil {
		t.Fatalf("reuse a deleted key's alias: %v", err)
	}
	if err := s.PurgeDeleted(ctx); err != nil {
		t.Fatal(err)
	}
	var gone Key
	if _, err := s.Store.Get(ctx, keyPath(sc.Region, k.ID), &gone); err == nil {
		t.Fatal("the deleted key's record was not purged")
	}
	if d, err := s.DescribeKey(ctx, sc, "alias/doomed"); err != nil || d.ID != fresh.ID {
		t.Fatalf("the purge took the alias's new key's name: %v", err)
	}
}

func TestListKeysPages(t *testing.T) {
	s, sc, _ := newTestService(t)
	ctx := context.Background()
	want := map[string]bool{}
	for range 5 {
		want[mustCreateKey(t, s, sc).ID] = true
	}
	two := 2
	var got []string
	marker := ""
	for pages := 0; ; pages++ {
		keys, next, err := s.ListKeys(ctx, sc, pageOf(&two, marker))
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 2 || pages > 3 {
			t.Fatalf("page %d: %d keys", pages, len(keys))
		}
		for _, k := range keys {
			got = append(got, k.ID)
		}
		if next == "" {
			break
		}
		marker = next
	}
	if len(got) != 5 {
		t.Fatalf("listed %v", got)
	}
	for _, id := range got {
		if !want[id] {
			t.Fatalf("listed %s twice or from elsewhere", id)
		}
		delete(want, id)
	}
	zero := 0
	_, _, err := s.ListKeys(ctx, sc, Page{Limit: &zero})
	wantCode(t, err, CodeValidation)
	_, _, err = s.ListKeys(ctx, sc, pageOf(nil, "bogus"))
	wantCode(t, err, CodeInvalidMarker)
	_, _, err = s.ListKeys(ctx, sc, Page{Marker: new(string)})
	wantCode(t, err, CodeValidation)
}
