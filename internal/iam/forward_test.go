package iam

import (
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
)

func TestForwardSessionResolvesToTheCaller(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "", nil)
	must(t, err)
	r, err := s.CreateRole(ctx, Role{Name: "deployer", AssumeRolePolicy: trustEC2})
	must(t, err)
	for _, p := range []awsproto.Principal{
		{Account: acct.ID, ARN: u.ARN, UserID: u.ID},
		{Account: acct.ID, ARN: "arn:aws:iam::" + acct.ID + ":root", UserID: acct.ID},
		{Account: acct.ID, ARN: "arn:aws:sts::" + acct.ID + ":assumed-role/deployer/alice", UserID: r.ID + ":alice",
			SessionTags: map[string]string{"team": "a"}, SessionPolicy: `{"Version":"2012-10-17","Statement":[]}`},
	} {
		creds, err := s.IssueForwardSession(ctx, p, time.Hour)
		must(t, err)
		if !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
			t.Errorf("%s: key %s", p.ARN, creds.AccessKeyID)
		}
		secret, token, got, err := s.ResolveAccessKey(ctx, creds.AccessKeyID)
		must(t, err)
		if secret != creds.SecretAccessKey || token != creds.SessionToken {
			t.Errorf("%s: secret or token differ", p.ARN)
		}
		if got.ARN != p.ARN || got.UserID != p.UserID || got.Account != acct.ID || got.SessionPolicy != p.SessionPolicy || got.SessionTags["team"] != p.SessionTags["team"] {
			t.Errorf("forward session of %+v resolves to %+v", p, got)
		}
	}
	if _, err := s.IssueForwardSession(ctx, awsproto.Principal{}, time.Hour); err == nil {
		t.Error("a session of nobody was issued")
	}
}
