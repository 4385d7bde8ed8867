package controlplane

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A restarted keks mirrors what the API servers wrote while it was down,
// and nothing twice: the follower skips lines up to its recorded place.
func TestLogMirrorGoesOnWhereItStopped(t *testing.T) {
	dir := t.TempDir()
	m := &logMirror{dir: func(string) string { return dir }, log: slog.New(slog.DiscardHandler), clusters: map[string]*mirroredCluster{}}
	enabled := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	at := func(s int) string { return enabled.Add(time.Duration(s) * time.Second).Format(time.RFC3339Nano) }
	newCluster := func() *mirroredCluster {
		places, err := loadPlaces(dir, enabled)
		if err != nil {
			t.Fatal(err)
		}
		mc := &mirroredCluster{ctx: context.Background(), cancel: func() {}, files: map[string]*os.File{}, places: places}
		t.Cleanup(func() {
			for _, f := range mc.files {
				_ = f.Close()
			}
		})
		return mc
	}
	const key = "pod-1/" + RoleAPIServer
	mc := newCluster()
	first := strings.Join([]string{
		at(1) + " I1206 started",
		at(2) + ` {"kind":"Event","auditID":"1"}`,
		"a line without a timestamp",
		at(3) + " I1206 serving",
	}, "\n")
	if err := m.copyLines(mc, "u", strings.NewReader(first), key, RoleAPIServer, "a", mc.places.from(key)); err != nil {
		t.Fatal(err)
	}
	m.savePlaces(mc, "u", true)

	// keks restarts: the log comes again from the second of the place
	// (SinceTime's precision), with what was written meanwhile.
	mc = newCluster()
	since := mc.places.from(key)
	if want, _ := time.Parse(time.RFC3339Nano, at(3)); !since.Equal(want) {
		t.Fatalf("place after a restart: %v, want %v", since, want)
	}
	again := strings.Join([]string{
		at(3) + " I1206 serving",
		at(4) + " I1206 written while keks was down",
		at(5) + ` {"kind":"Event","auditID":"2"}`,
	}, "\n")
	if err := m.copyLines(mc, "u", strings.NewReader(again), key, RoleAPIServer, "a", since); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "kube-apiserver-a.log"))
	if want := "I1206 started\na line without a timestamp\nI1206 serving\nI1206 written while keks was down\n"; string(got) != want {
		t.Errorf("kube-apiserver-a.log:\n%s\nwant:\n%s", got, want)
	}
	audit, _ := os.ReadFile(filepath.Join(dir, "audit-a.log"))
	if want := `{"kind":"Event","auditID":"1"}` + "\n" + `{"kind":"Event","auditID":"2"}` + "\n"; string(audit) != want {
		t.Errorf("audit-a.log:\n%s", audit)
	}

	// A pod first seen is mirrored from when logging was turned on; a pod
	// gone loses its place.
	if got := mc.places.from("pod-2/" + RoleAPIServer); !got.Equal(enabled) {
		t.Errorf("a new pod's place: %v, want %v", got, enabled)
	}
	if !mc.places.keepOnly(map[string]bool{"pod-2/" + RoleAPIServer: true}) || len(mc.places.Last) != 0 {
		t.Errorf("places after pod-1 went: %v", mc.places.Last)
	}
}

func TestLogMirrorPlacesFileIsForgivingAndForgottenWhenLoggingStops(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	if err := os.WriteFile(filepath.Join(dir, placesFile), []byte("{torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := loadPlaces(dir, now)
	if err != nil || !p.EnabledAt.Equal(now) || p.Last == nil {
		t.Fatalf("a torn places file: %+v %v, want a fresh start from now", p, err)
	}
	m := &logMirror{dir: func(string) string { return dir }, log: slog.New(slog.DiscardHandler), clusters: map[string]*mirroredCluster{}}
	mc := &mirroredCluster{ctx: context.Background(), cancel: func() {}, files: map[string]*os.File{}, places: p}
	m.clusters["u"] = mc
	m.savePlaces(mc, "u", true)
	m.stop("u")
	if _, err := os.Stat(filepath.Join(dir, placesFile)); !os.IsNotExist(err) {
		t.Errorf("places kept after logging was turned off: %v", err)
	}
	m.savePlaces(mc, "u", true)
	if _, err := os.Stat(filepath.Join(dir, placesFile)); !os.IsNotExist(err) {
		t.Error("a stopped follower saved its places again")
	}
	if _, _, ok := timestamped([]byte("2026-12-06T10:00:00Z")); ok {
		t.Error("a timestamp alone taken for a line")
	}
}
