package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

const testAccount = "111122223333"

func tokenService() *Service {
	return &Service{secret: []byte("test secret, 32 bytes long......")}
}

// password is the password of a GetAuthorizationToken token.
func password(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	pass, ok := strings.CutPrefix(string(raw), "AWS:")
	if !ok {
		t.Fatalf("token %q is not AWS:<password>", raw)
	}
	return pass
}

func TestCheckNamesTheTokensPrincipal(t *testing.T) {
	s := tokenService()
	for _, arn := range []string{
		"arn:aws:iam::" + testAccount + ":user/team/alice",
		"arn:aws:sts::" + testAccount + ":assumed-role/deployer/ci",
		"arn:aws:iam::" + testAccount + ":root",
	} {
		token, _ := s.AuthorizationToken(arn)
		got, err := s.Check(context.Background(), password(t, token))
		if err != nil {
			t.Fatalf("%s: %v", arn, err)
		}
		if want := (Subject{PrincipalARN: arn, Account: testAccount}); got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
}

func TestCheckRefusesBadTokens(t *testing.T) {
	s := tokenService()
	token, _ := s.AuthorizationToken("arn:aws:iam::" + testAccount + ":user/alice")
	good := password(t, token)
	expired := s.sign(claims{Subject: "arn:aws:iam::" + testAccount + ":user/alice", Expires: time.Now().Add(-time.Minute).Unix()})
	notAnARN := s.sign(claims{Subject: "alice", Expires: time.Now().Add(time.Hour).Unix()})
	other := &Service{secret: []byte("another key")}
	forged := other.sign(claims{Subject: "arn:aws:iam::" + testAccount + ":user/alice", Expires: time.Now().Add(time.Hour).Unix()})
	for name, pass := range map[string]string{
		"tampered": good + "x", "malformed": "nodot", "expired": expired, "not an ARN": notAnARN, "another key": forged,
	} {
		if sub, err := s.Check(context.Background(), pass); err == nil {
			t.Errorf("%s: accepted as %+v", name, sub)
		}
	}
}

// instances is a fake EC2: running instances and their roles.
type instances map[string]struct{ role, account string }

func (in instances) live(_ context.Context, id string) bool { _, ok := in[id]; return ok }

func (in instances) role(_ context.Context, id string) (string, string, error) {
	i, ok := in[id]
	if !ok {
		return "", "", errors.New("no such instance")
	}
	return i.role, i.account, nil
}

func TestCheckNamesAnInstanceAsItsRoleSession(t *testing.T) {
	ec2 := instances{
		"i-0123": {"arn:aws:iam::" + testAccount + ":role/eks/nodes", testAccount},
		"i-4567": {"", testAccount},
		"i-89ab": {"arn:aws:iam::" + testAccount + ":role/plain", ""},
	}
	s := tokenService()
	s.InstanceLive, s.InstanceRole = ec2.live, ec2.role
	for id, want := range map[string]Subject{
		// The session's ARN names the role without its path, as STS does.
		"i-0123": {PrincipalARN: "arn:aws:sts::" + testAccount + ":assumed-role/nodes/i-0123", Account: testAccount, InstanceID: "i-0123"},
		"i-4567": {Account: testAccount, InstanceID: "i-4567"},
		"i-89ab": {PrincipalARN: "arn:aws:sts::" + testAccount + ":assumed-role/plain/i-89ab", Account: testAccount, InstanceID: "i-89ab"},
	} {
		got, err := s.Check(context.Background(), s.nodePassword(id))
		if err != nil || got != want {
			t.Errorf("%s: got %+v %v, want %+v", id, got, err, want)
		}
	}
	if _, err := s.Check(context.Background(), s.nodePassword("i-gone")); err == nil {
		t.Error("a stopped instance's password was accepted")
	}
	// Without a way to find roles, an instance has no principal.
	s.InstanceRole = nil
	if got, err := s.Check(context.Background(), s.nodePassword("i-0123")); err != nil || got != (Subject{InstanceID: "i-0123"}) {
		t.Errorf("without InstanceRole: %+v %v", got, err)
	}
}

func TestCheckRefusesAnInstanceWithABadRole(t *testing.T) {
	s := tokenService()
	s.InstanceLive = func(context.Context, string) bool { return true }
	s.InstanceRole = func(context.Context, string) (string, string, error) {
		return "arn:aws:iam::1:user/x", testAccount, nil
	}
	if got, err := s.Check(context.Background(), s.nodePassword("i-1")); err == nil {
		t.Errorf("a user ARN as an instance's role: accepted as %+v", got)
	}
	s.InstanceRole = func(context.Context, string) (string, string, error) { return "", "", errors.New("store down") }
	if _, err := s.Check(context.Background(), s.nodePassword("i-1")); err == nil || !strings.Contains(err.Error(), "store down") {
		t.Errorf("a failed role lookup: %v", err)
	}
}

func TestSubjectWho(t *testing.T) {
	if w := (Subject{PrincipalARN: "arn:x", InstanceID: "i-1"}).Who(); w != "arn:x" {
		t.Errorf("Who %q", w)
	}
	if w := (Subject{InstanceID: "i-1"}).Who(); w != "i-1" {
		t.Errorf("Who %q", w)
	}
}

// nodePassword is the password an older keks wrote into an instance's
// containerd configuration.
func (s *Service) nodePassword(instanceID string) string {
	return s.sign(claims{Subject: instanceSubject + instanceID})
}
