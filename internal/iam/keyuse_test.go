package iam

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// storedKeyUse reads the last use of a key as written to the store, with
// its revision; ok is false when none is.
func storedKeyUse(t *testing.T, s *Service, id string) (KeyLastUsed, int64, bool) {
	t.Helper()
	var u KeyLastUsed
	rev, err := s.Store.Get(testCtx(t), keyUseKey(id), &u)
	return u, rev, err == nil
}

func TestRecordKeyUseNotesOnceAMinuteAndWritesNothingWithoutRun(t *testing.T) {
	s, clock := newTestService(t)
	ctx := testCtx(t)
	_, err := s.CreateUser(ctx, "dev", "", nil)
	must(t, err)
	k, err := s.CreateAccessKey(ctx, "dev")
	must(t, err)
	if _, used, err := s.AccessKeyLastUsed(ctx, k.ID); err != nil || used != nil {
		t.Fatalf("a new key's last use: %v %+v", err, used)
	}
	first := clock.Now()
	s.RecordKeyUse(ctx, k.ID, "eks", "eu-west-1")
	clock.add(30 * time.Second)
	s.RecordKeyUse(ctx, k.ID, "ec2", "eu-west-1") // within the minute: not noted
	user, used, err := s.AccessKeyLastUsed(ctx, k.ID)
	if err != nil || user != "dev" || used == nil || !used.Date.Equal(first) || used.Service != "eks" || used.Region != "eu-west-1" {
		t.Fatalf("last use: %v %s %+v", err, user, used)
	}
	clock.add(31 * time.Second)
	s.RecordKeyUse(ctx, k.ID, "iam", "us-east-1")
	if _, used, _ = s.AccessKeyLastUsed(ctx, k.ID); used.Service != "iam" || !used.Date.Equal(clock.Now()) {
		t.Fatalf("last use a minute on: %+v", used)
	}
	if _, _, ok := storedKeyUse(t, s, k.ID); ok {
		t.Fatal("a use was written to the store on the caller's time")
	}
}

func TestRunWritesKeyUsesAtMostOnceAMinute(t *testing.T) {
	s, clock := newTestService(t)
	ctx := testCtx(t)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	_, err := s.CreateUser(ctx, "dev", "", nil)
	must(t, err)
	k, err := s.CreateAccessKey(ctx, "dev")
	must(t, err)

	waitStored := func(want time.Time) int64 {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if u, rev, ok := storedKeyUse(t, s, k.ID); ok && u.Date.Equal(want) {
				return rev
			}
		}
		t.Fatalf("the use at %v was never written", want)
		return 0
	}
	s.RecordKeyUse(ctx, k.ID, "eks", "eu-west-1")
	rev := waitStored(clock.Now())
	for range 20 {
		clock.add(time.Second)
		s.RecordKeyUse(ctx, k.ID, "eks", "eu-west-1")
	}
	time.Sleep(50 * time.Millisecond) // a write, were there one, would be done
	if _, again, _ := storedKeyUse(t, s, k.ID); again != rev {
		t.Fatal("uses within the minute were written")
	}
	clock.add(time.Minute)
	s.RecordKeyUse(ctx, k.ID, "sts", "us-east-1")
	waitStored(clock.Now())

	// Deleting the key deletes its record; a use noted after writes nothing.
	must(t, s.DeleteAccessKey(ctx, "dev", k.ID))
	clock.add(2 * time.Minute)
	s.RecordKeyUse(ctx, k.ID, "eks", "eu-west-1")
	time.Sleep(50 * time.Millisecond)
	if _, _, ok := storedKeyUse(t, s, k.ID); ok {
		t.Fatal("a deleted key's use was written")
	}
}

func TestRoleLastUsedComesFromItsSessions(t *testing.T) {
	s, clock := newTestService(t)
	ctx := testCtx(t)
	r, err := s.CreateRole(ctx, Role{Name: "node", AssumeRolePolicy: trustEC2})
	must(t, err)
	if used, err := s.RoleLastUsed(ctx, r); err != nil || used != nil {
		t.Fatalf("a new role's last use: %v %+v", err, used)
	}
	creds, err := s.IssueRoleSession(ctx, r.ARN, "i-1", time.Hour)
	must(t, err)
	s.RecordKeyUse(ctx, creds.AccessKeyID, "eks", "eu-west-2")
	used, err := s.RoleLastUsed(ctx, r)
	if err != nil || used == nil || !used.Date.Equal(clock.Now()) || used.Region != "eu-west-2" {
		t.Fatalf("the role's last use: %v %+v", err, used)
	}
	// Run writes what was noted before it started.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var stored RoleLastUsed
		if _, err := s.Store.Get(ctx, roleUseKey("node"), &stored); err == nil && stored.RoleID == r.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the role's use was never written")
		}
	}
	// A role made again under the name has not been used.
	must(t, s.DeleteRole(ctx, "node"))
	again, err := s.CreateRole(ctx, Role{Name: "node", AssumeRolePolicy: trustEC2})
	must(t, err)
	if used, err := s.RoleLastUsed(ctx, again); err != nil || used != nil {
		t.Fatalf("a role made again: %v %+v", err, used)
	}
	// A session's key has no last use of its own.
	if _, _, err := s.AccessKeyLastUsed(ctx, creds.AccessKeyID); err == nil {
		t.Error("GetAccessKeyLastUsed answered for a session key")
	}
}

func TestKeyUseMemoryForgetsOldUses(t *testing.T) {
	var r keyUseRecorder
	now := time.Now()
	for i := range maxTrackedUses {
		r.noteKey(strconv.Itoa(i), KeyLastUsed{Date: now})
	}
	if !r.noteKey("new", KeyLastUsed{Date: now.Add(keyUseForgetAfter)}) {
		t.Fatal("a new key's use was not noted")
	}
	if len(r.keys) != 1 {
		t.Fatalf("%d uses kept after forgetting old ones, want 1", len(r.keys))
	}
}
