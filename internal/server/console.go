package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/keksdev/keks/internal/console"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store"
)

// newConsole is the web console, served under /console on the listen
// address, a client of keks's own AWS APIs there.
func newConsole(st *store.Store, iamSvc *iam.Service, listen, caFile, region string, now func() time.Time, log *slog.Logger) (http.Handler, error) {
	hc, err := clientTrusting(caFile)
	if err != nil {
		return nil, err
	}
	hc.Timeout = 30 * time.Second
	// A page makes its calls several at a time (the cluster list one per
	// cluster): connections are kept for them, not set up again each time.
	if tr, ok := hc.Transport.(*http.Transport); ok {
		tr.MaxIdleConnsPerHost = 32
	}
	c := &console.Console{Endpoint: selfEndpoint(listen), HTTP: hc, Region: region, Store: st, Identity: iamSvc, Passwords: iamSvc, Now: now, Log: log}
	return c.Handler(), nil
}

// adminPasswordFile holds the admin user's first console password.
const adminPasswordFile = "admin-console-password"

// ensureAdminPassword gives the admin user a console password on keks's
// first start, written to a file only root reads, as the AWS CLI profile
// holds its key. Once the file exists keks never makes one again: an
// administrator who deletes the login profile or changes the password
// keeps it so.
func ensureAdminPassword(ctx context.Context, iamSvc *iam.Service, dataDir string) (string, error) {
	path := filepath.Join(dataDir, adminPasswordFile)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if _, err := iamSvc.GetLoginProfile(ctx, iam.AdminUserName); err == nil {
		return "", nil // made some other way: none to tell
	}
	password := randomPassword()
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the admin's console password: %w", err)
	}
	if _, err := iamSvc.CreateLoginProfile(ctx, iam.AdminUserName, password, false); err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("console password of %s: %w", iam.AdminUserName, err)
	}
	return path, nil
}

// randomPassword meets IAM's default password policy: 20 characters of
// all four kinds.
func randomPassword() string {
	const lower, upper, digits, symbols = "abcdefghijkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "-_.+!"
	all := lower + upper + digits + symbols
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	out := make([]byte, len(b))
	for i, v := range b {
		set := all
		switch i {
		case 0:
			set = upper
		case 1:
			set = lower
		case 2:
			set = digits
		case 3:
			set = symbols
		}
		out[i] = set[int(v)%len(set)]
	}
	return string(out)
}
