package controlplane

import (
	"errors"
	"testing"
	"time"
)

func TestReconcileBackoffDoublesUpToAMinute(t *testing.T) {
	c := &Controller{failures: map[string]int{}}
	var got []time.Duration
	for range 9 {
		got = append(got, c.backoff("us-east-1/dev"))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute, time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoffs %v; want %v", got, want)
		}
	}
}

func TestFailedBuildIsTriedAgainLater(t *testing.T) {
	f := buildFailure{err: errors.New("proxy down"), at: time.Now(), attempts: 1}
	if !f.holds() {
		t.Fatal("a build that just failed is tried again at once")
	}
	f.at = time.Now().Add(-6 * time.Minute)
	if f.holds() {
		t.Fatal("a build that failed 6 minutes ago (first failure) is still held")
	}
	f.attempts = 10
	f.at = time.Now().Add(-59 * time.Minute)
	if !f.holds() {
		t.Fatal("after many failures the hold should grow to an hour")
	}
}
