package awsproto

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKey    = "AKIATESTTESTTESTTEST"
	testSecret = "secretsecretsecretsecretsecretsecret0000"
)

func lookup(id string) (string, string, error) {
	if id != testKey {
		return "", "", errUnknown
	}
	return testSecret, "", nil
}

var errUnknown = &struct{ error }{}

// sign signs a request with aws-sdk-go-v2's signer, as every SDK client does.
func sign(t *testing.T, method, url string, body []byte, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(body)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(h[:]))
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(h[:]), "eks", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestVerifyAcceptsSDKSignatures(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct{ method, url string }{
		{"GET", "https://127.0.0.1:4577/clusters?maxResults=2&nextToken=abc%3D"},
		// ARNs in paths are percent-encoded once by the client and again for signing.
		{"GET", "https://127.0.0.1:4577/tags/arn%3Aaws%3Aeks%3Aus-east-1%3A111122223333%3Acluster%2Fdemo"},
		{"DELETE", "https://127.0.0.1:4577/tags/arn%3Aaws%3Aeks%3Aus-east-1%3A1%3Acluster%2Fx?tagKeys=a&tagKeys=b%20c"},
		{"POST", "https://127.0.0.1:4577/clusters"},
	} {
		req := sign(t, tc.method, tc.url, []byte(`{"name":"x"}`), now)
		if _, err := VerifyRequest(req, now, FromSecrets(lookup)); err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.url, err)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Now()
	body := []byte(`{"name":"x"}`)

	req := sign(t, "POST", "https://127.0.0.1:4577/clusters", body, now)
	req.Body = http.NoBody
	req.Header.Set("X-Amz-Content-Sha256", "")
	if _, err := VerifyRequest(req, now, FromSecrets(lookup)); err == nil {
		t.Error("a request whose body was changed was accepted")
	}

	req = sign(t, "GET", "https://127.0.0.1:4577/clusters", nil, now)
	req.URL.RawQuery = "maxResults=100"
	if _, err := VerifyRequest(req, now, FromSecrets(lookup)); err == nil {
		t.Error("a request whose query was changed was accepted")
	}

	req = sign(t, "GET", "https://127.0.0.1:4577/clusters", nil, now.Add(-16*time.Minute))
	if _, err := VerifyRequest(req, now, FromSecrets(lookup)); err == nil {
		t.Error("a 16-minute-old signature was accepted")
	}

	req, _ = http.NewRequest("GET", "https://127.0.0.1:4577/clusters", nil)
	if _, err := VerifyRequest(req, now, FromSecrets(lookup)); err == nil {
		t.Error("an unsigned request was accepted")
	}

	req, _ = http.NewRequest("GET", "https://127.0.0.1:4577/clusters", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
	if _, err := VerifyRequest(req, now, FromSecrets(lookup)); err == nil {
		t.Error("a malformed Authorization header was accepted")
	}
}

func TestURIEncode(t *testing.T) {
	for in, want := range map[string]string{
		"/tags/arn%3Aaws": "/tags/arn%253Aaws",
		"a b":             "a%20b",
		"~._-":            "~._-",
	} {
		if got := uriEncode(in, false); got != want {
			t.Errorf("uriEncode(%q) = %q, want %q", in, got, want)
		}
	}
}
