package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/store"
)

// A login profile is a user's console password. Its record, under
// iam/loginprofiles/ by the user's ID (so that renaming the user leaves it
// be), holds the password only as a bcrypt hash, itself sealed like access
// key secrets (sealing.go). Making one claims the user, so DeleteUser,
// which refuses a user that has one, cannot miss it.

// LoginProfile is a user's console password as IAM describes it.
type LoginProfile struct {
	UserName              string
	CreateDate            time.Time
	PasswordResetRequired bool
}

// loginProfileRecord is a login profile as the store keeps it. In memory
// the hashes are open; sealProfile makes the stored form.
type loginProfileRecord struct {
	UserID                string    `json:"userId"`
	CreateDate            time.Time `json:"createDate"`
	PasswordResetRequired bool      `json:"passwordResetRequired,omitempty"`
	// PasswordSetDate is when the password was last set, from which the
	// password policy's MaxPasswordAge counts.
	PasswordSetDate time.Time `json:"passwordSetDate"`
	// PasswordHash is the bcrypt hash of the password (passwordKey).
	PasswordHash string `json:"passwordHash"`
	// PreviousHashes are the hashes of the passwords before it, newest
	// first: as many as the policy's PasswordReusePrevention asked to keep
	// when the password was set.
	PreviousHashes []string `json:"previousHashes,omitempty"`
}

func loginProfilePlace(userID, field string) string { return loginProfileKey(userID) + "#" + field }

// sealProfile returns r as the store keeps it: its hashes sealed.
func sealProfile(st *store.Store, r *loginProfileRecord) *loginProfileRecord {
	stored := *r
	stored.PasswordHash = st.SealString(r.PasswordHash, loginProfilePlace(r.UserID, "password"))
	stored.PreviousHashes = make([]string, len(r.PreviousHashes))
	for i, h := range r.PreviousHashes {
		stored.PreviousHashes[i] = st.SealString(h, loginProfilePlace(r.UserID, "previous"))
	}
	return &stored
}

// openProfile opens the hashes of a record read from the store.
func openProfile(st *store.Store, r *loginProfileRecord) error {
	h, err := st.UnsealString(r.PasswordHash, loginProfilePlace(r.UserID, "password"))
	if err != nil {
		return fmt.Errorf("login profile of %s: %w", r.UserID, err)
	}
	r.PasswordHash = h
	for i, sealed := range r.PreviousHashes {
		if r.PreviousHashes[i], err = st.UnsealString(sealed, loginProfilePlace(r.UserID, "previous")); err != nil {
			return fmt.Errorf("login profile of %s: %w", r.UserID, err)
		}
	}
	return nil
}

// passwordCost is bcrypt's work factor for console passwords.
var passwordCost = bcrypt.DefaultCost

// passwordKey is what bcrypt hashes: the password's SHA-256, in base64.
// bcrypt reads at most 72 bytes, and an IAM password may be 128
// characters (up to 256 bytes in UTF-8): every one of them counts so.
func passwordKey(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

func hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(passwordKey(password), passwordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

func passwordMatches(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), passwordKey(password)) == nil
}

// dummyHash is a hash of no one's password: sign-ins that have no hash to
// compare with compare with it, so that they take as long as the others.
var dummyHash = sync.OnceValue(func() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	h, err := hashPassword(base64.StdEncoding.EncodeToString(b))
	if err != nil {
		panic(err) // a 44-byte key at a valid cost
	}
	return h
})

// checkPasswordParam applies the model's constraint on a password
// parameter (field: "password", "newPassword"...): 1 to 128 characters,
// tab, line feed, carriage return or U+0020 to U+00FF. The value is
// sensitive, so the message leaves it out, as IAM's does.
func checkPasswordParam(field, password string) error {
	n := utf8.RuneCountInString(password)
	ok := n >= 1 && n <= maxPasswordLength
	for _, r := range password {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xFF) {
			ok = false
		}
	}
	if !ok {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+ and have length between 1 and %d", field, maxPasswordLength)
	}
	return nil
}

func noLoginProfile(userName string) error {
	return awserr.Errorf(CodeNoSuchEntity, "Login Profile for User %s cannot be found.", userName)
}

// profileAt reads the login profile of user u, with its revision; nil
// when u has none.
func (s *Service) profileAt(ctx context.Context, u *User) (*loginProfileRecord, int64, error) {
	var r loginProfileRecord
	rev, err := s.Store.Get(ctx, loginProfileKey(u.ID), &r)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, nil
	} else if err != nil {
		return nil, 0, err
	}
	if err := openProfile(s.Store, &r); err != nil {
		return nil, 0, err
	}
	return &r, rev, nil
}

// newPasswordHashes checks password against the account's password policy
// for user u, and against the passwords r (nil for a new profile) had,
// then returns its hash and the previous hashes to keep beside it.
func (s *Service) newPasswordHashes(ctx context.Context, u *User, r *loginProfileRecord, password string) (string, []string, error) {
	p, err := s.passwordPolicy(ctx)
	if err != nil {
		return "", nil, err
	}
	if v := passwordViolations(p, password, u.Name); len(v) > 0 {
		return "", nil, passwordPolicyViolation(v)
	}
	var kept []string
	if p != nil && p.PasswordReusePrevention > 0 && r != nil {
		// The last N passwords are the current one and N-1 before it.
		last := append([]string{r.PasswordHash}, r.PreviousHashes...)
		if len(last) > p.PasswordReusePrevention {
			last = last[:p.PasswordReusePrevention]
		}
		for _, h := range last {
			if passwordMatches(h, password) {
				return "", nil, passwordPolicyViolation([]string{fmt.Sprintf("Password should not be one of the last %d passwords of the user", p.PasswordReusePrevention)})
			}
		}
		kept = last[:min(len(last), p.PasswordReusePrevention-1)]
	}
	h, err := hashPassword(password)
	if err != nil {
		return "", nil, err
	}
	return h, kept, nil
}

// CreateLoginProfile gives a user a console password, which must conform
// to the account's password policy.
func (s *Service) CreateLoginProfile(ctx context.Context, userName, password string, resetRequired bool) (*LoginProfile, error) {
	if err := checkPasswordParam("password", password); err != nil {
		return nil, err
	}
	var out *LoginProfile
	err := s.write(ctx, func(t *store.Txn) error {
		u, rev, err := s.userAt(ctx, userName)
		if err != nil {
			return err
		}
		if r, _, err := s.profileAt(ctx, u); err != nil {
			return err
		} else if r != nil {
			return awserr.Errorf(CodeEntityAlreadyExists, "Login Profile for user %s already exists.", u.Name)
		}
		h, _, err := s.newPasswordHashes(ctx, u, nil, password)
		if err != nil {
			return err
		}
		now := s.Now().UTC()
		r := &loginProfileRecord{UserID: u.ID, CreateDate: now, PasswordResetRequired: resetRequired, PasswordSetDate: now, PasswordHash: h}
		// Claiming the user orders this after a concurrent DeleteUser.
		t.Unchanged(userKey(u.Name), rev)
		t.Put(userKey(u.Name), u)
		t.Create(loginProfileKey(u.ID), sealProfile(s.Store, r))
		out = &LoginProfile{UserName: u.Name, CreateDate: now, PasswordResetRequired: resetRequired}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create login profile of %s: %w", userName, err)
	}
	return out, nil
}

// GetLoginProfile describes a user's console password.
func (s *Service) GetLoginProfile(ctx context.Context, userName string) (*LoginProfile, error) {
	u, err := s.GetUser(ctx, userName)
	if err != nil {
		return nil, err
	}
	r, _, err := s.profileAt(ctx, u)
	if err != nil {
		return nil, err
	} else if r == nil {
		return nil, noLoginProfile(u.Name)
	}
	return &LoginProfile{UserName: u.Name, CreateDate: r.CreateDate, PasswordResetRequired: r.PasswordResetRequired}, nil
}

// UpdateLoginProfile sets a user's password, or whether it must set a new
// one at its next sign-in; nil leaves either as it is.
func (s *Service) UpdateLoginProfile(ctx context.Context, userName string, password *string, resetRequired *bool) error {
	if password != nil {
		if err := checkPasswordParam("password", *password); err != nil {
			return err
		}
	}
	err := s.mutateProfile(ctx, userName, func(u *User, r *loginProfileRecord) error {
		if password != nil {
			if err := s.setPassword(ctx, u, r, *password); err != nil {
				return err
			}
		}
		if resetRequired != nil {
			r.PasswordResetRequired = *resetRequired
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update login profile of %s: %w", userName, err)
	}
	return nil
}

// setPassword gives r a new password (which must conform to the policy).
func (s *Service) setPassword(ctx context.Context, u *User, r *loginProfileRecord, password string) error {
	h, kept, err := s.newPasswordHashes(ctx, u, r, password)
	if err != nil {
		return err
	}
	r.PasswordHash, r.PreviousHashes, r.PasswordSetDate = h, kept, s.Now().UTC()
	return nil
}

// mutateProfile changes the login profile of user userName with fn, in a
// transaction on the profile as it was read.
func (s *Service) mutateProfile(ctx context.Context, userName string, fn func(*User, *loginProfileRecord) error) error {
	return s.write(ctx, func(t *store.Txn) error {
		u, err := s.GetUser(ctx, userName)
		if err != nil {
			return err
		}
		r, rev, err := s.profileAt(ctx, u)
		if err != nil {
			return err
		} else if r == nil {
			return noLoginProfile(u.Name)
		}
		if err := fn(u, r); err != nil {
			return err
		}
		t.Unchanged(loginProfileKey(u.ID), rev)
		t.Put(loginProfileKey(u.ID), sealProfile(s.Store, r))
		return nil
	})
}

// DeleteLoginProfile takes a user's console password away; its access
// keys still work, as in IAM.
func (s *Service) DeleteLoginProfile(ctx context.Context, userName string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		u, err := s.GetUser(ctx, userName)
		if err != nil {
			return err
		}
		r, rev, err := s.profileAt(ctx, u)
		if err != nil {
			return err
		} else if r == nil {
			return noLoginProfile(u.Name)
		}
		t.Unchanged(loginProfileKey(u.ID), rev)
		t.Delete(loginProfileKey(u.ID))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete login profile of %s: %w", userName, err)
	}
	return nil
}

// ChangePassword changes the caller's own password: the caller must be an
// IAM user (InvalidUserType for the root or a role session) that has a
// login profile, and oldPassword its current password. The new password
// must conform to the account's password policy; a reset asked of the
// user is then done. Whether the caller may (iam:ChangePassword on itself)
// is the front door's to decide.
func (s *Service) ChangePassword(ctx context.Context, caller awsproto.Principal, oldPassword, newPassword string) error {
	if err := checkPasswordParam("oldPassword", oldPassword); err != nil {
		return err
	}
	if err := checkPasswordParam("newPassword", newPassword); err != nil {
		return err
	}
	who, ok := principalEntityOf(caller)
	if !ok || who.kind != UserEntity {
		return awserr.Errorf(CodeInvalidUserType, "Only an IAM user can change its own password.")
	}
	u, err := s.UserByARN(ctx, who.arn)
	if err != nil {
		return err
	}
	if who.id != "" && u.ID != who.id {
		return noSuchUser(u.Name) // an earlier user of that name
	}
	err = s.mutateProfile(ctx, u.Name, func(cur *User, r *loginProfileRecord) error {
		if cur.ID != u.ID {
			return noSuchUser(u.Name)
		}
		if !passwordMatches(r.PasswordHash, oldPassword) {
			return awserr.Errorf(CodeInvalidUserType, "The old password is incorrect.")
		}
		if err := s.setPassword(ctx, cur, r, newPassword); err != nil {
			return err
		}
		r.PasswordResetRequired = false
		return nil
	})
	if err != nil {
		return fmt.Errorf("change password of %s: %w", u.Name, err)
	}
	return nil
}

// ErrSignInFailed is SignInWithPassword's answer to a wrong account, an
// unknown user, a user without a password, or a wrong password alike, in
// the words of AWS's sign-in page.
var ErrSignInFailed = errors.New("Your authentication information is incorrect. Please try again.")

// ErrPasswordExpired is SignInWithPassword's answer to the right password
// when it has expired and the account's password policy has HardExpiry:
// only an administrator can set a new one (UpdateLoginProfile).
var ErrPasswordExpired = errors.New("Your password has expired. Contact your administrator to reset it.")

// SignInWithPassword checks a console sign-in: account is the account's
// 12-digit ID (dashes and spaces allowed, as people copy it) or empty for
// keks's one account (keks has no account aliases). It returns the user's
// principal, exactly as requests signed with the user's access keys
// resolve to (less the key), and whether the user must set a new password
// before going on: because an administrator asked it, or because the
// password expired. Every failure to prove who the caller is takes one
// bcrypt comparison and gives ErrSignInFailed, so that neither the answer
// nor its time tells which users exist.
func (s *Service) SignInWithPassword(ctx context.Context, account, userName, password string) (awsproto.Principal, bool, error) {
	acct, err := s.Account(ctx)
	if err != nil {
		return awsproto.Principal{}, false, err
	}
	var u *User
	var r *loginProfileRecord
	if account = stripDashes(account); account == "" || account == acct.ID {
		if u, err = s.GetUser(ctx, userName); err != nil && !isAWSError(err) {
			return awsproto.Principal{}, false, err
		}
		if u != nil {
			if r, _, err = s.profileAt(ctx, u); err != nil {
				return awsproto.Principal{}, false, err
			}
		}
	}
	hash := dummyHash()
	if r != nil {
		hash = r.PasswordHash
	}
	if !passwordMatches(hash, password) || r == nil {
		return awsproto.Principal{}, false, ErrSignInFailed
	}
	pol, err := s.passwordPolicy(ctx)
	if err != nil {
		return awsproto.Principal{}, false, err
	}
	now := s.Now().UTC()
	expired := pol.expired(r.PasswordSetDate, now)
	if expired && pol.HardExpiry != nil && *pol.HardExpiry {
		return awsproto.Principal{}, false, ErrPasswordExpired
	}
	// The use is bookkeeping: a failure to note it fails no sign-in.
	_ = s.notePasswordUse(ctx, u, now)
	return userIdentity(acct.ID, u).principal(), r.PasswordResetRequired || expired, nil
}

func stripDashes(account string) string {
	out := make([]byte, 0, len(account))
	for i := 0; i < len(account); i++ {
		if account[i] != '-' && account[i] != ' ' {
			out = append(out, account[i])
		}
	}
	return string(out)
}

// isAWSError tells an answer (an unknown or malformed user name) from a
// failure to read.
func isAWSError(err error) bool {
	var e *awserr.Error
	return errors.As(err, &e)
}

// passwordUseInterval is IAM's: a password used again within five minutes
// keeps its first use as its last.
const passwordUseInterval = 5 * time.Minute

// passwordUse is when a user last signed in with its password.
type passwordUse struct {
	Date time.Time `json:"date"`
}

// notePasswordUse records that u signed in with its password at now,
// while u is unchanged, so that no record outlives its user (DeleteUser
// deletes it). It survives the password itself, as IAM's does.
func (s *Service) notePasswordUse(ctx context.Context, u *User, now time.Time) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		cur, rev, err := s.userAt(ctx, u.Name)
		if err != nil || cur.ID != u.ID {
			return err
		}
		var last passwordUse
		if _, err := s.Store.Get(ctx, passwordUseKey(u.ID), &last); err == nil && recentUse(last.Date, now) {
			return nil
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Unchanged(userKey(u.Name), rev)
		t.Put(passwordUseKey(u.ID), &passwordUse{Date: now})
		return nil
	})
}

func recentUse(last, now time.Time) bool {
	d := now.Sub(last)
	return d >= 0 && d < passwordUseInterval
}

// PasswordLastUsed is when the user with ID userID last signed in with a
// password; zero if it never did.
func (s *Service) PasswordLastUsed(ctx context.Context, userID string) (time.Time, error) {
	var use passwordUse
	if _, err := s.Store.Get(ctx, passwordUseKey(userID), &use); errors.Is(err, store.ErrNotFound) {
		return time.Time{}, nil
	} else if err != nil {
		return time.Time{}, err
	}
	return use.Date, nil
}

// PasswordsLastUsed is PasswordLastUsed of every user that ever signed in,
// by user ID, for ListUsers.
func (s *Service) PasswordsLastUsed(ctx context.Context) (map[string]time.Time, error) {
	uses, err := s.Store.ListRaw(ctx, passwordUsePrefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(uses))
	for _, raw := range uses {
		var use passwordUse
		if err := json.Unmarshal(raw.Value, &use); err != nil {
			return nil, fmt.Errorf("decode %s: %w", raw.Key, err)
		}
		out[raw.Key[len(passwordUsePrefix):]] = use.Date
	}
	return out, nil
}
