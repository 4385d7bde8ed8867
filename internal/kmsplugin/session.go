package kmsplugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Session is the session file: credentials of the cluster's IAM role, as
// EKS calls KMS as that role. keks writes it (mode 0600) and renews it well
// before it expires; when it cannot, it keeps the credentials it had and
// says why in Error, which the plugin reports once those have expired.
type Session struct {
	AccessKeyID     string    `json:"accessKeyId,omitempty"`
	SecretAccessKey string    `json:"secretAccessKey,omitempty"`
	SessionToken    string    `json:"sessionToken,omitempty"`
	Expiration      time.Time `json:"expiration,omitzero"`
	// Error is why keks's last attempt to renew the session failed.
	Error string `json:"error,omitempty"`
	// RetryAt is when keks tries again after a failure.
	RetryAt time.Time `json:"retryAt,omitzero"`
}

// ReadSession reads a session file; a missing file is an empty session.
func ReadSession(path string) (Session, error) {
	var s Session
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read role session: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("parse role session %s: %w", path, err)
	}
	return s, nil
}

// WriteSession replaces a session file atomically, readable by its owner
// only; an unchanged session is not written again.
func WriteSession(path string, s Session) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return writeFileAtomic(path, data, 0o600)
}

// sessionCredentials signs with the session in a file, read again for every
// call: keks renews it in place, and a KMS call is rare enough (a new data
// key, a decrypt on a cache miss, a health check) that reading a small file
// each time costs nothing worth caching.
type sessionCredentials struct {
	path string
	now  func() time.Time
}

func (c sessionCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	s, err := ReadSession(c.path)
	if err != nil {
		return aws.Credentials{}, err
	}
	if s.AccessKeyID == "" || !c.now().Before(s.Expiration) {
		if s.Error != "" {
			return aws.Credentials{}, fmt.Errorf("no valid session of the cluster role: %s", s.Error)
		}
		if s.AccessKeyID == "" {
			return aws.Credentials{}, errors.New("no session of the cluster role yet")
		}
		return aws.Credentials{}, fmt.Errorf("the cluster role's session expired at %s", s.Expiration.Format(time.RFC3339))
	}
	return aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken,
		Source: "keks cluster role session", CanExpire: true, Expires: s.Expiration}, nil
}
