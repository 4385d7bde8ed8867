package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func testSealer(t *testing.T) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{7}, SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	s := testSealer(t)
	sealed := s.Seal([]byte("private key"), "pki/x#key")
	if !IsSealed(sealed) || strings.Contains(sealed, "private key") {
		t.Fatalf("sealed value %q", sealed)
	}
	if again := s.Seal([]byte("private key"), "pki/x#key"); again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	plain, err := s.Open(sealed, "pki/x#key")
	if err != nil || string(plain) != "private key" {
		t.Fatalf("open: %q, %v", plain, err)
	}
}

// TestSealDetectsTampering: a changed byte, another place, or another key
// does not open.
func TestSealDetectsTampering(t *testing.T) {
	s := testSealer(t)
	sealed := s.Seal([]byte("secret"), "iam/keys/A#secret")
	box, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	box[len(box)-1] ^= 1
	changed := sealedPrefix + base64.RawStdEncoding.EncodeToString(box)
	other, _ := NewSealer(bytes.Repeat([]byte{8}, SealKeySize))
	for name, open := range map[string]func() ([]byte, error){
		"changed byte":  func() ([]byte, error) { return s.Open(changed, "iam/keys/A#secret") },
		"moved":         func() ([]byte, error) { return s.Open(sealed, "iam/keys/B#secret") },
		"another key":   func() ([]byte, error) { return other.Open(sealed, "iam/keys/A#secret") },
		"truncated":     func() ([]byte, error) { return s.Open(sealedPrefix+"AAAA", "iam/keys/A#secret") },
		"not base64":    func() ([]byte, error) { return s.Open(sealedPrefix+"!!", "iam/keys/A#secret") },
		"not sealed at": func() ([]byte, error) { return s.Open("secret", "iam/keys/A#secret") },
	} {
		if plain, err := open(); err == nil {
			t.Errorf("%s: opened to %q", name, plain)
		}
	}
	if _, err := s.Open(changed, "iam/keys/A#secret"); !errors.Is(err, ErrUnsealable) {
		t.Errorf("a changed value's error %v is not ErrUnsealable", err)
	}
}

// TestUnsealReadsOlderPlaintext: fields older keks wrote in the clear read
// as they are, with or without a seal key.
func TestUnsealReadsOlderPlaintext(t *testing.T) {
	st := openTestStore(t)
	for _, sealing := range []bool{false, true} {
		if sealing {
			if err := st.UseSealKey(context.Background(), filepath.Join(t.TempDir(), "seal.key")); err != nil {
				t.Fatal(err)
			}
		}
		if s, err := st.UnsealString("plain secret", "x#secret"); err != nil || s != "plain secret" {
			t.Errorf("sealing %v: string: %q, %v", sealing, s, err)
		}
		b, err := st.UnsealBytes(base64.StdEncoding.EncodeToString([]byte("PEM")), "x#key")
		if err != nil || string(b) != "PEM" {
			t.Errorf("sealing %v: bytes: %q, %v", sealing, b, err)
		}
		// What this store writes, it reads.
		if s, err := st.UnsealString(st.SealString("new", "x#s"), "x#s"); err != nil || s != "new" {
			t.Errorf("sealing %v: string round trip: %q, %v", sealing, s, err)
		}
		if b, err := st.UnsealBytes(st.SealBytes([]byte("new"), "x#b"), "x#b"); err != nil || string(b) != "new" {
			t.Errorf("sealing %v: bytes round trip: %q, %v", sealing, b, err)
		}
		if got := IsSealed(st.SealString("new", "x#s")); got != sealing {
			t.Errorf("sealing %v: SealString sealed: %v", sealing, got)
		}
	}
}

// TestSealKeyFile: made once (0600), kept; a store with sealed values
// refuses a missing key file and another key.
func TestSealKeyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "seal.key")
	st := openTestStore(t)
	if err := st.UseSealKey(ctx, path); err != nil {
		t.Fatal(err)
	}
	assertMode(t, path, 0o600)
	key, _ := os.ReadFile(path)
	sealed := st.SealString("s", "r#f")

	again := New(st.Client(), keyPrefix, nil)
	if err := again.UseSealKey(ctx, path); err != nil {
		t.Fatalf("second start: %v", err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, key) {
		t.Fatal("the key file changed on a second start")
	}
	if s, err := again.UnsealString(sealed, "r#f"); err != nil || s != "s" {
		t.Fatalf("second start reads %q, %v", s, err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err := New(st.Client(), keyPrefix, nil).UseSealKey(ctx, path)
	if !errors.Is(err, ErrSealKeyMissing) || !strings.Contains(err.Error(), path) {
		t.Fatalf("missing key file: %v", err)
	}
	if _, statErr := os.Stat(path); statErr == nil {
		t.Fatal("a new key was made over sealed values")
	}

	if err := os.WriteFile(path, bytes.Repeat([]byte{1}, SealKeySize), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := New(st.Client(), keyPrefix, nil).UseSealKey(ctx, path); err == nil || !strings.Contains(err.Error(), "not the key") {
		t.Fatalf("another key: %v", err)
	}
}

// TestDropHistory: after a plaintext value is sealed over, its old
// revision cannot be read back.
func TestDropHistory(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	if err := st.Put(ctx, "rec", "plaintext"); err != nil {
		t.Fatal(err)
	}
	old, _ := st.Get(ctx, "rec", new(string))
	if err := st.UseSealKey(ctx, filepath.Join(t.TempDir(), "seal.key")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "rec", st.SealString("plaintext", "rec")); err != nil {
		t.Fatal(err)
	}
	if err := st.DropHistory(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, err := st.Client().Get(ctx, keyPrefix+"rec", clientv3.WithRev(old)); err == nil {
		t.Fatalf("revision %d still readable: %s", old, resp.Kvs[0].Value)
	}
}
