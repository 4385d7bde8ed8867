package iam

import (
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awsproto"
)

func TestAssumeRoleFollowsTheTrustPolicy(t *testing.T) {
	s, _ := newTestService(t)
	ctx := testCtx(t)
	acct, err := s.Account(ctx)
	must(t, err)
	u, err := s.CreateUser(ctx, "dev", "", nil)
	must(t, err)
	caller := awsproto.Principal{Account: acct.ID, ARN: u.ARN, UserID: u.ID}
	trust := func(statements ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
	}
	allowUser := `{"Effect":"Allow","Principal":{"AWS":"` + u.ARN + `"},"Action":"sts:AssumeRole"}`
	for i, tc := range []struct {
		what, doc string
		allowed   bool
	}{
		{"the user named", trust(allowUser), true},
		{"the account named", trust(`{"Effect":"Allow","Principal":{"AWS":"` + acct.ID + `"},"Action":"sts:AssumeRole"}`), true},
		{"a service only", trustEC2, false},
		// Conditions are the front door's, which sees the request's keys.
		{"an allow with a condition", trust(`{"Effect":"Allow","Principal":{"AWS":"` + u.ARN + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}`), true},
		{"a conditional deny", trust(allowUser, `{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), true},
		{"a deny", trust(allowUser, `{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:*"}`), false},
	} {
		r, err := s.CreateRole(ctx, Role{Name: "r" + string(rune('a'+i)), AssumeRolePolicy: tc.doc})
		must(t, err)
		_, err = s.AssumeRole(ctx, caller, r.ARN, "test", 0)
		if tc.allowed && err != nil {
			t.Errorf("%s: %v", tc.what, err)
		} else if !tc.allowed {
			wantCode(t, tc.what, err, CodeAccessDenied)
		}
	}

	// A role's ARN in a trust policy names the sessions of that role.
	hop, err := s.CreateRole(ctx, Role{Name: "hop", Path: "/x/", AssumeRolePolicy: trust(allowUser)})
	must(t, err)
	creds, err := s.AssumeRole(ctx, caller, hop.ARN, "first", 0)
	must(t, err)
	next, err := s.CreateRole(ctx, Role{Name: "next", AssumeRolePolicy: trust(`{"Effect":"Allow","Principal":{"AWS":"` + hop.ARN + `"},"Action":"sts:AssumeRole"}`)})
	must(t, err)
	session := awsproto.Principal{Account: acct.ID, ARN: creds.AssumedRoleARN, UserID: creds.AssumedRoleID}
	if _, err := s.AssumeRole(ctx, session, next.ARN, "second", 0); err != nil {
		t.Errorf("a session of the role named: %v", err)
	}
	_, err = s.AssumeRole(ctx, caller, next.ARN, "third", 0)
	wantCode(t, "a user not named", err, CodeAccessDenied)
}
