package server

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// trustDir is where Debian's update-ca-certificates picks up local CAs.
const trustDir = "/usr/local/share/ca-certificates"

// installCA adds keks's CA to the system trust store, as mkcert -install does,
// so that clients which trust the system bundle (the AWS CLI when
// AWS_CA_BUNDLE points at it, curl, Go programs) trust keks's endpoint.
// It does nothing when the CA is already installed.
func installCA(caPEM []byte, name string) (bool, error) {
	if _, err := exec.LookPath("update-ca-certificates"); err != nil {
		return false, nil
	}
	if _, err := os.Stat(trustDir); err != nil {
		return false, nil
	}
	path := filepath.Join(trustDir, name+".crt")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, caPEM) {
		return false, nil
	}
	if err := os.WriteFile(path, caPEM, 0o644); err != nil {
		return false, fmt.Errorf("install CA in %s: %w", trustDir, err)
	}
	if out, err := exec.Command("update-ca-certificates").CombinedOutput(); err != nil {
		return false, fmt.Errorf("update-ca-certificates: %w: %s", err, out)
	}
	return true, nil
}
