package console

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/store/storetest"
)

type fakeIdentity struct{ keys map[string]awsproto.Principal }

func (f *fakeIdentity) ResolveAccessKey(_ context.Context, id string) (string, string, awsproto.Principal, error) {
	p, ok := f.keys[id]
	if !ok {
		return "", "", awsproto.Principal{}, errors.New("no such key")
	}
	return "secret", "", p, nil
}

func (f *fakeIdentity) IssueForwardSession(context.Context, awsproto.Principal, time.Duration) (*iam.Credentials, error) {
	return nil, errors.New("not in this test")
}

type fakePasswords struct{ profiles map[string]bool }

func (f *fakePasswords) SignInWithPassword(context.Context, string, string, string) (awsproto.Principal, bool, error) {
	return awsproto.Principal{}, false, iam.ErrSignInFailed
}

func (f *fakePasswords) GetLoginProfile(_ context.Context, user string) (*iam.LoginProfile, error) {
	if !f.profiles[user] {
		return nil, errors.New("no login profile")
	}
	return &iam.LoginProfile{}, nil
}

// A session ends within a minute of its access key or login profile
// being deleted, and at the end of its 12 hours; sessions outlive the
// console (they are in the store).
func TestSessionEndsWithItsCredential(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	id := &fakeIdentity{keys: map[string]awsproto.Principal{"AKIAKEY": {ARN: "arn:aws:iam::111122223333:user/alice"}}}
	pw := &fakePasswords{profiles: map[string]bool{"bob": true}}
	c := &Console{Store: st, Identity: id, Passwords: pw, Now: func() time.Time { return now }}
	c.Handler()
	alice := &Session{ARN: "arn:aws:iam::111122223333:user/alice", AccessKeyID: "AKIAKEY"}
	bob := &Session{ARN: "arn:aws:iam::111122223333:user/bob", UserName: "bob"}
	carol := &Session{ARN: "arn:aws:iam::111122223333:user/carol", UserName: "carol"}
	for _, s := range []*Session{alice, bob, carol} {
		if _, err := c.sessions.start(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// Clients kept for alice (as a page would have made them) go with her session.
	c.clients.aws[alice.key] = &awsClients{}
	c.clients.kube[alice.key+"|dev"] = &kubeClient{}
	delete(id.keys, "AKIAKEY")
	delete(pw.profiles, "bob")
	pw.profiles["carol"] = true
	if !c.stillValid(ctx, alice) || !c.stillValid(ctx, bob) {
		t.Fatal("sessions checked a moment ago were checked again")
	}
	now = now.Add(2 * time.Minute)
	if c.stillValid(ctx, alice) {
		t.Error("a session whose access key is deleted goes on")
	}
	if c.stillValid(ctx, bob) {
		t.Error("a session whose login profile is deleted goes on")
	}
	if !c.stillValid(ctx, carol) {
		t.Error("a session with its login profile ended")
	}
	var left Session
	if _, err := st.Get(ctx, alice.key, &left); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an ended session is still in the store: %v", err)
	}
	if len(c.clients.aws) != 0 || len(c.clients.kube) != 0 {
		t.Errorf("an ended session's clients are kept: %d AWS, %d Kubernetes", len(c.clients.aws), len(c.clients.kube))
	}
	// A new console (keks restarted) finds carol's session in the store,
	// until its 12 hours are over.
	again := &Console{Store: st, Identity: id, Passwords: pw, Now: func() time.Time { return now }}
	again.Handler()
	var found Session
	if _, err := st.Get(ctx, carol.key, &found); err != nil || found.ARN != carol.ARN {
		t.Fatalf("carol's session in the store: %v %+v", err, found)
	}
	now = now.Add(sessionLength)
	again.sessions.expire(ctx)
	if _, err := st.Get(ctx, carol.key, &found); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session past its 12 hours is still in the store: %v", err)
	}
}
