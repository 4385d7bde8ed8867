package server

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// tempTrust is a trust store in a temporary directory that counts its updates.
func tempTrust(t *testing.T) (hostTrust, *int) {
	updates := new(int)
	return hostTrust{dir: t.TempDir(), update: func() error { *updates++; return nil }}, updates
}

func trustFiles(t *testing.T, h hostTrust) []string {
	t.Helper()
	entries, err := os.ReadDir(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestTrustKeksCAInstallsOnceAndRemoves(t *testing.T) {
	h, updates := tempTrust(t)
	other := filepath.Join(h.dir, "someone-else.crt")
	if err := os.WriteFile(other, []byte("other"), 0o644); err != nil {
		t.Fatal(err)
	}
	const dataDir, account = "/var/lib/keks", "123456789012"
	step := func(trust bool, ca string, wantInstalled, wantRemoved bool, wantUpdates int) {
		t.Helper()
		installed, removed, err := h.trustKeksCA(trust, []byte(ca), dataDir, account)
		if err != nil || installed != wantInstalled || removed != wantRemoved || *updates != wantUpdates {
			t.Fatalf("trust %v: installed %v removed %v updates %d err %v; want %v %v %d",
				trust, installed, removed, *updates, err, wantInstalled, wantRemoved, wantUpdates)
		}
	}
	step(true, "CA 1", true, false, 1)
	step(true, "CA 1", false, false, 1) // each start: no change, no update
	if got, _ := os.ReadFile(h.keksTrustFile(dataDir)); string(got) != "CA 1" {
		t.Fatalf("installed %q", got)
	}
	step(true, "CA 2", true, false, 2) // a new store in the same data directory: replaced
	if n := len(trustFiles(t, h)); n != 2 {
		t.Fatalf("files %v: want keks's and the other one", trustFiles(t, h))
	}
	step(false, "CA 2", false, true, 3) // --trust-ca=false takes it back
	step(false, "CA 2", false, false, 3)
	if names := trustFiles(t, h); !slices.Equal(names, []string{"someone-else.crt"}) {
		t.Fatalf("left %v", names)
	}
}

// TestTrustKeksCARemovesLegacyFile: the file an older keks named by account
// goes, whether the CA is installed again under its new name or not at all.
func TestTrustKeksCARemovesLegacyFile(t *testing.T) {
	for _, trust := range []bool{true, false} {
		h, updates := tempTrust(t)
		legacy := h.legacyTrustFile("123456789012")
		if err := os.WriteFile(legacy, []byte("CA"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.trustKeksCA(trust, []byte("CA"), "/data", "123456789012"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(legacy); err == nil {
			t.Errorf("trust %v: the legacy file stayed", trust)
		}
		want := []string(nil)
		if trust {
			want = []string{filepath.Base(h.keksTrustFile("/data"))}
		}
		if names := trustFiles(t, h); !slices.Equal(names, want) || *updates != 1 {
			t.Errorf("trust %v: files %v after %d updates; want %v after 1", trust, names, *updates, want)
		}
	}
}

// TestTrustFilePerDataDir: two data directories, two files.
func TestTrustFilePerDataDir(t *testing.T) {
	h, _ := tempTrust(t)
	if h.keksTrustFile("/a") == h.keksTrustFile("/b") {
		t.Fatal("two data directories share a trust file")
	}
}
