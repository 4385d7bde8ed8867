package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type fakeAuth struct {
	calls int
	creds credentials
	err   error
}

func (f *fakeAuth) assume(context.Context, string) (*credentials, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	c := f.creds
	return &c, nil
}

func get(t *testing.T, a *agent, token string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("GET", "/v1/credentials", nil)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	rec := httptest.NewRecorder()
	a.credentials(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

// TestAgentAnswersAsContainerCredentials: the SDKs' container provider
// reads AccessKeyId, SecretAccessKey, Token and Expiration; a token's
// credentials are reused until they near expiry; refusals keep EKS Auth's
// status and code.
func TestAgentAnswersAsContainerCredentials(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	auth := &fakeAuth{creds: credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", Token: "t", AccountID: "111122223333", Expiration: now.Add(6 * time.Hour)}}
	a := &agent{auth: auth, cache: newCredentialCache(2), now: func() time.Time { return now }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	status, out := get(t, a, "tok-1")
	if status != http.StatusOK || out["AccessKeyId"] != "ASIA1" || out["Token"] != "t" || out["Expiration"] != "2026-12-05T16:00:00Z" {
		t.Fatalf("%d %v", status, out)
	}
	get(t, a, "tok-1")
	if auth.calls != 1 {
		t.Errorf("EKS Auth called %d times for one token, want 1", auth.calls)
	}
	now = now.Add(5*time.Hour + 50*time.Minute) // within refreshBefore of expiry
	get(t, a, "tok-1")
	if auth.calls != 2 {
		t.Errorf("credentials near expiry were served from the cache")
	}

	if status, out := get(t, a, ""); status != http.StatusBadRequest || out["code"] != "InvalidParameterException" {
		t.Errorf("no token: %d %v", status, out)
	}
	auth.err = &authError{status: http.StatusNotFound, code: "ResourceNotFoundException", error: "no association"}
	if status, out := get(t, a, "tok-2"); status != http.StatusNotFound || out["code"] != "ResourceNotFoundException" {
		t.Errorf("refused: %d %v", status, out)
	}
}

func TestCredentialCacheIsBounded(t *testing.T) {
	now := time.Now()
	c := newCredentialCache(2)
	for i, tok := range []string{"a", "b", "c"} {
		c.put(tok, &credentials{Expiration: now.Add(time.Hour)}, now.Add(time.Duration(i)*time.Second))
	}
	if len(c.entries) != 2 {
		t.Fatalf("%d entries, want 2", len(c.entries))
	}
	if _, ok := c.get("a", now); ok {
		t.Errorf("the oldest entry was kept")
	}
}
