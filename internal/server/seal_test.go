package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store"
)

// TestOlderDataDirIsSealedAtStart: a data directory whose store an older
// keks wrote in the clear (no seal key) opens, its secrets are sealed once
// and still read; without its seal key it no longer opens.
func TestOlderDataDirIsSealedAtStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dataDir := t.TempDir()

	// An older keks: the same records, no seal key.
	older, err := store.OpenEmbedded(ctx, filepath.Join(dataDir, "store"), log)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := (&iam.Service{Store: older, Now: time.Now}).Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := serverTLS(ctx, older, dataDir); err != nil {
		t.Fatal(err)
	}
	assertInStore(t, ctx, older, boot.SecretAccessKey, true)
	assertInStore(t, ctx, older, plainKeyPEM, true)
	older.Close()

	st, err := openStore(ctx, Config{}, dataDir, log)
	if err != nil {
		t.Fatal(err)
	}
	assertInStore(t, ctx, st, boot.SecretAccessKey, false)
	assertInStore(t, ctx, st, plainKeyPEM, false)
	if fi, err := os.Stat(sealKeyFile(dataDir)); err != nil || fi.Mode() != 0o600 {
		t.Fatalf("seal key file: %v, %v", fi, err)
	}
	again, err := (&iam.Service{Store: st, Now: time.Now}).Bootstrap(ctx)
	if err != nil || again.SecretAccessKey != boot.SecretAccessKey {
		t.Fatalf("the admin key after sealing: %v", err)
	}
	if _, _, err := serverTLS(ctx, st, dataDir); err != nil {
		t.Fatalf("keks's CA after sealing: %v", err)
	}
	st.Close()

	if err := os.Rename(sealKeyFile(dataDir), sealKeyFile(dataDir)+".away"); err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(ctx, Config{}, dataDir, log); !errors.Is(err, store.ErrSealKeyMissing) {
		t.Fatalf("without its seal key: %v", err)
	}
}

// plainKeyPEM is how a PEM private key starts in a stored []byte field
// (base64 of "-----BEGIN PRIVATE", 18 bytes, so no padding).
var plainKeyPEM = base64.StdEncoding.EncodeToString([]byte("-----BEGIN PRIVATE"))

// assertInStore checks whether text appears in any raw value of the store.
func assertInStore(t *testing.T, ctx context.Context, st *store.Store, text string, want bool) {
	t.Helper()
	raws, err := st.ListRaw(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range raws {
		found = found || bytes.Contains(r.Value, []byte(text))
	}
	if found != want {
		t.Fatalf("%.20q in the store: %v, want %v", text, found, want)
	}
}
