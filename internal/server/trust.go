package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
)

// What keks puts in the host's trust store: its own CA (never a cluster's:
// kubeconfigs carry their cluster's CA), at each start of a server with
// --trust-ca, as mkcert -install does, so that clients which trust the
// system bundle (the AWS CLI when AWS_CA_BUNDLE points at it, curl, Go
// programs) trust keks's endpoint. It stays while the server is stopped:
// clusters outlive keks's restarts, and so do the clients that reach keks.
// It goes when it no longer applies: a start with --trust-ca=false removes
// it, and a new CA in the same data directory (a new store) replaces it.

// hostTrust is a trust store of local CAs as Debian keeps them: PEM files
// in dir, made into the system bundle by update. Tests use a temporary one.
type hostTrust struct {
	dir    string
	update func() error
}

// systemTrustDir is where Debian's update-ca-certificates picks up local CAs.
const systemTrustDir = "/usr/local/share/ca-certificates"

// systemTrust is the host's trust store; ok is false on a host without
// update-ca-certificates, where keks installs nothing.
func systemTrust() (h hostTrust, ok bool) {
	if _, err := exec.LookPath("update-ca-certificates"); err != nil {
		return hostTrust{}, false
	}
	if _, err := os.Stat(systemTrustDir); err != nil {
		return hostTrust{}, false
	}
	return hostTrust{dir: systemTrustDir, update: func() error {
		if out, err := exec.Command("update-ca-certificates").CombinedOutput(); err != nil {
			return fmt.Errorf("update-ca-certificates: %w: %s", err, out)
		}
		return nil
	}}, true
}

// keksTrustFile is the file of the keks whose data directory is dataDir:
// one per data directory, so that a new CA made there replaces the old one
// rather than piling up beside it, and two keks servers of one host keep
// theirs apart.
func (h hostTrust) keksTrustFile(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join(h.dir, "keks-"+hex.EncodeToString(sum[:6])+".crt")
}

// legacyTrustFile is where keks put its CA before files were named by data
// directory: by account, which a new store changes, leaving the old one.
func (h hostTrust) legacyTrustFile(accountID string) string {
	return filepath.Join(h.dir, "keks-"+accountID+".crt")
}

// trustKeksCA installs keks's CA (with trust) or removes the one an
// earlier start installed (without), and the file an older keks installed
// under its former name either way. It reports what it did.
func (h hostTrust) trustKeksCA(trust bool, caPEM []byte, dataDir, accountID string) (installed, removed bool, err error) {
	if removed, err = removeFile(h.legacyTrustFile(accountID)); err != nil {
		return false, false, err
	}
	path := h.keksTrustFile(dataDir)
	if trust {
		if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, caPEM) {
			if err := os.WriteFile(path, caPEM, 0o644); err != nil {
				return false, removed, fmt.Errorf("install keks's CA in %s: %w", h.dir, err)
			}
			installed = true
		}
	} else {
		gone, err := removeFile(path)
		if err != nil {
			return false, removed, err
		}
		removed = removed || gone
	}
	if installed || removed {
		if err := h.update(); err != nil {
			return installed, removed, err
		}
	}
	return installed, removed, nil
}

func removeFile(path string) (bool, error) {
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("remove %s from the trust store: %w", path, err)
	}
	return true, nil
}

// trustKeksCA brings the host's trust store in line with --trust-ca.
// Failing is not fatal: clients can still be given keks's CA bundle.
func trustKeksCA(trust bool, caFile, dataDir, accountID string, log *slog.Logger) {
	h, ok := systemTrust()
	if !ok {
		return
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		log.Warn("could not read keks's CA for the system trust store", "ca", caFile, "err", err)
		return
	}
	installed, removed, err := h.trustKeksCA(trust, caPEM, dataDir, accountID)
	switch {
	case err != nil:
		log.Warn("could not bring the system trust store in line with --trust-ca; clients need keks's CA bundle", "ca", caFile, "err", err)
	case installed:
		log.Info("added keks's CA to the system trust store", "ca", caFile, "file", h.keksTrustFile(dataDir))
	case removed:
		log.Info("removed keks's CA from the system trust store", "trust-ca", trust)
	}
}
