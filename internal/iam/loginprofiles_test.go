package iam

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
)

// A password that the default policy takes: three classes, 8 characters.
const (
	goodPassword  = "Correct-horse1"
	otherPassword = "Battery-staple2"
)

func ptr[T any](v T) *T { return &v }

func wantMessage(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	wantCode(t, what, err, code)
	if e, _ := awserr.AsError(err); e.Message != message {
		t.Fatalf("%s: message %q, want %q", what, e.Message, message)
	}
}

func TestLoginProfileLifecycle(t *testing.T) {
	s, clock := newTestService(t)
	ctx := testCtx(t)
	_, err := s.CreateLoginProfile(ctx, "ghost", goodPassword, false)
	wantMessage(t, "a profile of an unknown user", err, CodeNoSuchEntity, "The user with name ghost cannot be found.")
	_, err = s.CreateUser(ctx, "dev", "/team/", nil)
	must(t, err)
	_, err = s.GetLoginProfile(ctx, "dev")
	wantMessage(t, "a user without a profile", err, CodeNoSuchEntity, "Login Profile for User dev cannot be found.")

	for _, bad := range []struct{ password, code string }{
		{"", CodeValidation},
		{strings.Repeat("aA1!", 32) + "x", CodeValidation}, // 129 characters
		{"Tab\tok-but-ü-and-€", CodeValidation},            // € is past U+00FF
		{"Short1!", CodePasswordPolicyViolation},           // 7 characters
		{"onlylowercase1", CodePasswordPolicyViolation},    // two classes
	} {
		_, err := s.CreateLoginProfile(ctx, "dev", bad.password, false)
		wantCode(t, "password "+bad.password, err, bad.code)
	}
	_, err = s.CreateUser(ctx, "Dev-Ops1", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "Dev-Ops1", "dev-OPS1", false)
	wantMessage(t, "the user's own name", err, CodePasswordPolicyViolation, "Password should not be identical to the user name")

	created, err := s.CreateLoginProfile(ctx, "DEV", goodPassword, true) // names are case-insensitive
	must(t, err)
	if created.UserName != "dev" || !created.PasswordResetRequired || !created.CreateDate.Equal(clock.Now()) {
		t.Fatalf("created %+v", created)
	}
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, false)
	wantMessage(t, "a second profile", err, CodeEntityAlreadyExists, "Login Profile for user dev already exists.")

	clock.add(time.Hour)
	must(t, s.UpdateLoginProfile(ctx, "dev", nil, ptr(false)))
	must(t, s.UpdateLoginProfile(ctx, "dev", ptr(otherPassword), nil))
	got, err := s.GetLoginProfile(ctx, "dev")
	must(t, err)
	if got.PasswordResetRequired || !got.CreateDate.Equal(created.CreateDate) {
		t.Fatalf("after updates: %+v (the create date stays)", got)
	}
	wantCode(t, "an update breaking the policy", s.UpdateLoginProfile(ctx, "dev", ptr("short"), nil), CodePasswordPolicyViolation)
	wantMessage(t, "an update of no profile", s.UpdateLoginProfile(ctx, "Dev-Ops1", nil, ptr(true)), CodeNoSuchEntity, "Login Profile for User Dev-Ops1 cannot be found.")
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", otherPassword); err != nil {
		t.Fatalf("the updated password: %v", err)
	}

	must(t, s.DeleteLoginProfile(ctx, "dev"))
	wantMessage(t, "a second delete", s.DeleteLoginProfile(ctx, "dev"), CodeNoSuchEntity, "Login Profile for User dev cannot be found.")
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", otherPassword); !errors.Is(err, ErrSignInFailed) {
		t.Fatalf("sign-in without a profile: %v", err)
	}
}

func TestAccountPasswordPolicy(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	_, err = s.GetAccountPasswordPolicy(ctx)
	wantMessage(t, "no policy", err, CodeNoSuchEntity, "The Password Policy with domain name "+acct.ID+" cannot be found.")
	wantCode(t, "delete no policy", s.DeleteAccountPasswordPolicy(ctx), CodeNoSuchEntity)

	for _, bad := range []struct {
		up      PasswordPolicyUpdate
		message string
	}{
		{PasswordPolicyUpdate{MinimumPasswordLength: ptr(5)}, "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"},
		{PasswordPolicyUpdate{MinimumPasswordLength: ptr(129)}, "1 validation error detected: Value '129' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128"},
		{PasswordPolicyUpdate{MaxPasswordAge: ptr(0)}, "1 validation error detected: Value '0' at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{PasswordPolicyUpdate{MaxPasswordAge: ptr(1096)}, "1 validation error detected: Value '1096' at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095"},
		{PasswordPolicyUpdate{PasswordReusePrevention: ptr(25)}, "1 validation error detected: Value '25' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24"},
	} {
		_, err := s.UpdateAccountPasswordPolicy(ctx, bad.up)
		wantMessage(t, "a policy out of bounds", err, CodeValidation, bad.message)
	}
	if _, err := s.GetAccountPasswordPolicy(ctx); !isNoSuchEntity(err) {
		t.Fatalf("a refused update set a policy: %v", err)
	}

	// Left out, the length is 6 and nothing is required: the default
	// policy no longer applies.
	_, err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicyUpdate{})
	must(t, err)
	p, err := s.GetAccountPasswordPolicy(ctx)
	must(t, err)
	if p.MinimumPasswordLength != 6 || p.ExpirePasswords() || p.HardExpiry != nil {
		t.Fatalf("the policy of an empty update: %+v", p)
	}
	_, err = s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", "simple", false)
	must(t, err)

	_, err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicyUpdate{MinimumPasswordLength: ptr(10), RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, MaxPasswordAge: ptr(90), HardExpiry: ptr(false)})
	must(t, err)
	p, err = s.GetAccountPasswordPolicy(ctx)
	must(t, err)
	if p.MinimumPasswordLength != 10 || !p.ExpirePasswords() || p.MaxPasswordAge != 90 || p.HardExpiry == nil || *p.HardExpiry {
		t.Fatalf("policy %+v", p)
	}
	err = s.UpdateLoginProfile(ctx, "dev", ptr("abcdefgh"), nil)
	wantMessage(t, "every rule broken", err, CodePasswordPolicyViolation, "Password should have a minimum length of 10; "+
		"Password should have at least one uppercase letter; Password should have at least one number; "+
		"Password should have at least one symbol (!@#$%^&*()_+-=[]{}|')")
	// The default policy's rule on the user name is not the custom one's.
	must(t, s.UpdateLoginProfile(ctx, "dev", ptr("Long-enough-1"), nil))

	must(t, s.DeleteAccountPasswordPolicy(ctx))
	wantCode(t, "the default policy again", s.UpdateLoginProfile(ctx, "dev", ptr("simple"), nil), CodePasswordPolicyViolation)
}

func TestPasswordReusePrevention(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	_, err := s.UpdateAccountPasswordPolicy(ctx, PasswordPolicyUpdate{PasswordReusePrevention: ptr(2)})
	must(t, err)
	_, err = s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", "first-1", false)
	must(t, err)
	set := func(pw string) error { return s.UpdateLoginProfile(ctx, "dev", &pw, nil) }
	wantCode(t, "the current password", set("first-1"), CodePasswordPolicyViolation)
	must(t, set("second-2"))
	wantCode(t, "one of the last two", set("first-1"), CodePasswordPolicyViolation)
	must(t, set("third-3"))
	must(t, set("first-1")) // three back: allowed again
	var r loginProfileRecord
	u, err := s.GetUser(ctx, "dev")
	must(t, err)
	_, err = s.Store.Get(ctx, loginProfileKey(u.ID), &r)
	must(t, err)
	if len(r.PreviousHashes) != 1 {
		t.Fatalf("kept %d previous hashes, want 1 (the policy remembers 2 passwords)", len(r.PreviousHashes))
	}
	// A user changing its own password obeys it too.
	me := awsproto.Principal{ARN: u.ARN, UserID: u.ID}
	wantCode(t, "change to a recent password", s.ChangePassword(ctx, me, "first-1", "third-3"), CodePasswordPolicyViolation)
}

// TestSignInWithPassword: the principal is the one the user's keys resolve
// to; every failure is the same error.
func TestSignInWithPassword(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "/eng/", nil)
	must(t, err)
	_, err = s.CreateUser(ctx, "nopass", "/", nil)
	must(t, err)
	k, err := s.CreateAccessKey(ctx, "dev")
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, true)
	must(t, err)

	_, _, byKey, err := s.ResolveAccessKey(ctx, k.ID)
	must(t, err)
	byKey.AccessKeyID = ""
	dashed := acct.ID[:4] + "-" + acct.ID[4:8] + "-" + acct.ID[8:]
	for _, account := range []string{acct.ID, "", dashed} {
		p, reset, err := s.SignInWithPassword(ctx, account, "dev", goodPassword)
		must(t, err)
		if !reset {
			t.Errorf("account %q: the reset asked of the user is not reported", account)
		}
		if p.ARN != u.ARN || p.UserID != u.ID || p.Account != acct.ID || !reflect.DeepEqual(p, byKey) {
			t.Errorf("account %q: principal %+v, the key's %+v", account, p, byKey)
		}
	}
	must(t, s.UpdateLoginProfile(ctx, "dev", nil, ptr(false)))
	if _, reset, err := s.SignInWithPassword(ctx, "", "dev", goodPassword); err != nil || reset {
		t.Errorf("after the reset is lifted: %v %v", reset, err)
	}

	for _, bad := range []struct{ what, account, user, password string }{
		{"a wrong password", acct.ID, "dev", otherPassword},
		{"the password in another case", acct.ID, "dev", strings.ToUpper(goodPassword)},
		{"an unknown user", acct.ID, "ghost", goodPassword},
		{"a malformed user name", acct.ID, "no such/user", goodPassword},
		{"a user without a password", acct.ID, "nopass", goodPassword},
		{"another account", "000000000000", "dev", goodPassword},
		{"an empty password", "", "dev", ""},
	} {
		if _, _, err := s.SignInWithPassword(ctx, bad.account, bad.user, bad.password); !errors.Is(err, ErrSignInFailed) {
			t.Errorf("%s: %v, want ErrSignInFailed", bad.what, err)
		} else if err.Error() != "Your authentication information is incorrect. Please try again." {
			t.Errorf("%s: message %q", bad.what, err)
		}
	}
}

// TestSignInTakesAsLongForUnknownUsers: a user that does not exist, or
// has no password, costs a bcrypt comparison like a wrong password does.
func TestSignInTakesAsLongForUnknownUsers(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	_, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.CreateUser(ctx, "nopass", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, false)
	must(t, err)
	fastest := func(account, user string) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			_, _, _ = s.SignInWithPassword(ctx, account, user, otherPassword)
			best = min(best, time.Since(start))
		}
		return best
	}
	wrong := fastest("", "dev")
	for _, who := range [][2]string{{"", "ghost"}, {"", "nopass"}, {"000000000000", "dev"}} {
		if d := fastest(who[0], who[1]); d < wrong/2 {
			t.Errorf("%v: %v, against %v for a wrong password", who, d, wrong)
		}
	}
}

func TestPasswordExpiry(t *testing.T) {
	s, clock := newTestService(t)
	ctx := testCtx(t)
	_, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, false)
	must(t, err)
	_, err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicyUpdate{MaxPasswordAge: ptr(30)})
	must(t, err)
	if _, reset, err := s.SignInWithPassword(ctx, "", "dev", goodPassword); err != nil || reset {
		t.Fatalf("a fresh password: reset %v, %v", reset, err)
	}
	clock.add(31 * 24 * time.Hour)
	if _, reset, err := s.SignInWithPassword(ctx, "", "dev", goodPassword); err != nil || !reset {
		t.Fatalf("an expired password must be changed: reset %v, %v", reset, err)
	}
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", otherPassword); !errors.Is(err, ErrSignInFailed) {
		t.Fatalf("a wrong password tells nothing of expiry: %v", err)
	}
	_, err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicyUpdate{MaxPasswordAge: ptr(30), HardExpiry: ptr(true)})
	must(t, err)
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", goodPassword); !errors.Is(err, ErrPasswordExpired) {
		t.Fatalf("hard expiry: %v", err)
	}
	// An administrator's new password starts the period over.
	must(t, s.UpdateLoginProfile(ctx, "dev", ptr(otherPassword), nil))
	if _, reset, err := s.SignInWithPassword(ctx, "", "dev", otherPassword); err != nil || reset {
		t.Fatalf("after a reset: reset %v, %v", reset, err)
	}
}

func TestChangePassword(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	me := awsproto.Principal{Account: acct.ID, ARN: u.ARN, UserID: u.ID}
	wantCode(t, "no profile yet", s.ChangePassword(ctx, me, goodPassword, otherPassword), CodeNoSuchEntity)
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, true)
	must(t, err)

	root := awsproto.Principal{Account: acct.ID, ARN: "arn:aws:iam::" + acct.ID + ":root"}
	session := awsproto.Principal{Account: acct.ID, ARN: "arn:aws:sts::" + acct.ID + ":assumed-role/r/s", UserID: "AROAX:s"}
	for _, p := range []awsproto.Principal{root, session} {
		wantCode(t, "not a user: "+p.ARN, s.ChangePassword(ctx, p, goodPassword, otherPassword), CodeInvalidUserType)
	}
	wantCode(t, "a wrong old password", s.ChangePassword(ctx, me, otherPassword, goodPassword+"x"), CodeInvalidUserType)
	wantCode(t, "a new password the policy refuses", s.ChangePassword(ctx, me, goodPassword, "weak"), CodePasswordPolicyViolation)
	wantCode(t, "an empty new password", s.ChangePassword(ctx, me, goodPassword, ""), CodeValidation)
	earlier := me
	earlier.UserID = "AIDAEARLIERUSER"
	wantCode(t, "an earlier user of the name", s.ChangePassword(ctx, earlier, goodPassword, otherPassword), CodeNoSuchEntity)

	must(t, s.ChangePassword(ctx, me, goodPassword, otherPassword))
	if p, err := s.GetLoginProfile(ctx, "dev"); err != nil || p.PasswordResetRequired {
		t.Fatalf("the reset is done: %+v %v", p, err)
	}
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", goodPassword); !errors.Is(err, ErrSignInFailed) {
		t.Fatalf("the old password: %v", err)
	}
	if _, reset, err := s.SignInWithPassword(ctx, "", "dev", otherPassword); err != nil || reset {
		t.Fatalf("the new password: %v %v", reset, err)
	}
}

func TestDeleteUserWithLoginProfile(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	u, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, false)
	must(t, err)
	_, _, err = s.SignInWithPassword(ctx, "", "dev", goodPassword)
	must(t, err)
	wantMessage(t, "a user with a password", s.DeleteUser(ctx, "dev"), CodeDeleteConflict, "Cannot delete entity, must delete login profile first.")
	must(t, s.DeleteLoginProfile(ctx, "dev"))
	if used, err := s.PasswordLastUsed(ctx, u.ID); err != nil || used.IsZero() {
		t.Fatalf("the last use outlives the password, as IAM keeps it: %v %v", used, err)
	}
	must(t, s.DeleteUser(ctx, "dev"))
	if used, err := s.PasswordLastUsed(ctx, u.ID); err != nil || !used.IsZero() {
		t.Fatalf("the last use outlived its user: %v %v", used, err)
	}
	// A user of the same name is another user, without a password.
	_, err = s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.GetLoginProfile(ctx, "dev")
	wantCode(t, "the new dev's profile", err, CodeNoSuchEntity)
}

func TestPasswordLastUsed(t *testing.T) {
	s, clock := newTestService(t)
	ctx := testCtx(t)
	u, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, false)
	must(t, err)
	if used, err := s.PasswordLastUsed(ctx, u.ID); err != nil || !used.IsZero() {
		t.Fatalf("never used: %v %v", used, err)
	}
	first := clock.Now()
	_, _, err = s.SignInWithPassword(ctx, "", "dev", goodPassword)
	must(t, err)
	clock.add(time.Minute)
	_, _, err = s.SignInWithPassword(ctx, "", "dev", goodPassword)
	must(t, err)
	if used, _ := s.PasswordLastUsed(ctx, u.ID); !used.Equal(first) {
		t.Fatalf("a use within five minutes keeps the first: %v, want %v", used, first)
	}
	_, _, _ = s.SignInWithPassword(ctx, "", "dev", otherPassword)
	clock.add(5 * time.Minute)
	_, _, _ = s.SignInWithPassword(ctx, "", "dev", otherPassword)
	if used, _ := s.PasswordLastUsed(ctx, u.ID); !used.Equal(first) {
		t.Fatalf("a failed sign-in is no use: %v", used)
	}
	_, _, err = s.SignInWithPassword(ctx, "", "dev", goodPassword)
	must(t, err)
	all, err := s.PasswordsLastUsed(ctx)
	must(t, err)
	if !all[u.ID].Equal(clock.Now()) || len(all) != 1 {
		t.Fatalf("every use: %v", all)
	}
	// Renamed, the user keeps its password and its use.
	must(t, s.UpdateUser(ctx, "dev", "developer", ""))
	if _, _, err := s.SignInWithPassword(ctx, "", "developer", goodPassword); err != nil {
		t.Fatalf("sign-in under the new name: %v", err)
	}
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", goodPassword); !errors.Is(err, ErrSignInFailed) {
		t.Fatalf("sign-in under the old name: %v", err)
	}
	if p, err := s.GetLoginProfile(ctx, "developer"); err != nil || p.UserName != "developer" {
		t.Fatalf("the renamed user's profile: %+v %v", p, err)
	}
}

// TestAllowUsersToChangePassword: the policy option grants every user
// iam:ChangePassword on itself and iam:GetAccountPasswordPolicy.
func TestAllowUsersToChangePassword(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	me := awsproto.Principal{Account: acct.ID, ARN: u.ARN, UserID: u.ID}
	grant := changePasswordGrant(u.ARN)
	has := func() bool {
		pp, err := s.PoliciesOf(ctx, me)
		must(t, err)
		return slices.Contains(pp.Documents, grant)
	}
	if has() {
		t.Fatal("granted without a policy")
	}
	_, err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicyUpdate{AllowUsersToChangePassword: true})
	must(t, err)
	if !has() {
		t.Fatal("not granted right after the policy allowed it")
	}
	if !strings.Contains(grant, `"Resource":"`+u.ARN+`"`) || !strings.Contains(grant, "iam:GetAccountPasswordPolicy") {
		t.Fatalf("grant %s", grant)
	}
	must(t, s.DeleteAccountPasswordPolicy(ctx))
	if has() {
		t.Fatal("still granted after the policy is gone")
	}
}

// TestLoginProfileHashesSealed: neither the password nor its hash is ever
// in the store in the clear; an older keks's clear hash is sealed at start.
func TestLoginProfileHashesSealed(t *testing.T) {
	s := newSealedService(t)
	ctx := testCtx(t)
	_, err := s.UpdateAccountPasswordPolicy(ctx, PasswordPolicyUpdate{PasswordReusePrevention: ptr(3)})
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = s.CreateLoginProfile(ctx, "dev", goodPassword, false)
	must(t, err)
	must(t, s.UpdateLoginProfile(ctx, "dev", ptr(otherPassword), nil))
	for _, secret := range []string{goodPassword, otherPassword, "$2a$"} {
		assertNotInStore(t, s.Store, secret)
	}
	var stored loginProfileRecord
	_, err = s.Store.Get(ctx, loginProfileKey(u.ID), &stored)
	must(t, err)
	if len(stored.PreviousHashes) != 1 {
		t.Fatalf("previous hashes %d, want 1", len(stored.PreviousHashes))
	}
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", otherPassword); err != nil {
		t.Fatalf("sign-in over a sealed hash: %v", err)
	}

	older, _ := newTestService(t) // no seal key: as an older keks wrote it
	_, err = older.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	_, err = older.CreateLoginProfile(ctx, "dev", goodPassword, false)
	must(t, err)
	sealed := &Service{Store: older.Store, Now: older.Now}
	must(t, sealed.Store.UseSealKey(ctx, filepath.Join(t.TempDir(), "seal.key")))
	if _, _, err := sealed.SignInWithPassword(ctx, "", "dev", goodPassword); err != nil {
		t.Fatalf("a clear hash still signs in: %v", err)
	}
	n, err := SealStoredSecrets(ctx, sealed.Store)
	must(t, err)
	if n != 1 {
		t.Fatalf("sealed %d records, want the one login profile", n)
	}
	assertNotInStore(t, sealed.Store, "$2a$")
	if _, _, err := sealed.SignInWithPassword(ctx, "", "dev", goodPassword); err != nil {
		t.Fatalf("sign-in after sealing: %v", err)
	}
}

func TestPasswordParamLongerThanBcryptReads(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	_, err := s.CreateUser(ctx, "dev", "/", nil)
	must(t, err)
	long := strings.Repeat("Aa1!", 30) + "ÿÿÿÿÿÿÿÿ" // 128 characters, 136 bytes
	_, err = s.CreateLoginProfile(ctx, "dev", long, false)
	must(t, err)
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", long); err != nil {
		t.Fatalf("the long password: %v", err)
	}
	// Past bcrypt's 72 bytes every character still counts.
	if _, _, err := s.SignInWithPassword(ctx, "", "dev", long[:len(long)-2]+"þ"); !errors.Is(err, ErrSignInFailed) {
		t.Fatalf("a password differing in its last character: %v", err)
	}
}
