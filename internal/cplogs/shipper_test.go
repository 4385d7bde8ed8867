package cplogs

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/cwlogs"
	"github.com/keksdev/keks/internal/eks"
)

type memSink struct{ streams map[string][]string }

func (m *memSink) EnsureLogStream(_ context.Context, account, region, group, stream string) error {
	if m.streams == nil {
		m.streams = map[string][]string{}
	}
	return nil
}

func (m *memSink) Append(_ context.Context, account, region, group, stream string, events []cwlogs.Event) error {
	for _, e := range events {
		m.streams[group+" "+stream] = append(m.streams[group+" "+stream], e.Message)
	}
	return nil
}

func (m *memSink) lines() []string {
	var out []string
	for k, v := range m.streams {
		for _, l := range v {
			out = append(out, k+": "+l)
		}
	}
	return out
}

// TestShipsWhatEnabledTypesWriteFromThenOn: an enabled type ships the
// lines written after it was enabled, whole lines only, into EKS's group
// and stream; a restarted shipper goes on where it stopped; a disabled
// type ships nothing, and enabled again ships only what comes after.
func TestShipsWhatEnabledTypesWriteFromThenOn(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "clusters", "uid1", "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	api := filepath.Join(logs, "kube-apiserver-a.log")
	write := func(s string) {
		f, err := os.OpenFile(api, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	write("I1205 10:00:00.000000       1 before.go:1] written before logging was enabled\n")
	cluster := eks.Cluster{Name: "demo", UID: "uid1", Account: "111122223333", Region: "us-east-1"}
	cluster.Status.Phase = eks.StatusActive
	cluster.Spec.Logging = map[string]bool{"api": true}
	clusters := func(context.Context) ([]eks.Cluster, error) { return []eks.Cluster{cluster}, nil }
	sink := &memSink{}
	state := filepath.Join(dir, "places.json")
	newShipper := func() *Shipper {
		s := New(clusters, sink, func(_ context.Context, uid string) (string, error) {
			return filepath.Join(dir, "clusters", uid, "logs"), nil
		}, state, slog.New(slog.NewTextHandler(io.Discard, nil)))
		s.places = s.loadPlaces()
		return s
	}
	ctx := context.Background()
	s := newShipper()
	if !s.pass(ctx) {
		t.Fatal("a cluster with api logging on is not active")
	}
	write("I1205 10:00:01.000000       1 a.go:1] first\nI1205 10:00:02.000000       1 a.go:2] half")
	s.pass(ctx)
	stream := "/aws/eks/demo/cluster kube-apiserver-" + instanceID("uid1", "a")
	want := []string{stream + ": I1205 10:00:01.000000       1 a.go:1] first"}
	if got := sink.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("shipped %q, want %q", got, want)
	}
	write(" written\n")
	s = newShipper() // a keks restart
	s.pass(ctx)
	want = append(want, stream+": I1205 10:00:02.000000       1 a.go:2] half written")
	if got := sink.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after a restart, shipped %q, want %q", got, want)
	}

	cluster.Spec.Logging = map[string]bool{}
	if s.pass(ctx) {
		t.Error("no type enabled, yet the shipper keeps polling")
	}
	write("I1205 10:00:03.000000       1 a.go:3] while disabled\n")
	s.pass(ctx)
	cluster.Spec.Logging = map[string]bool{"api": true}
	s.pass(ctx)
	write("I1205 10:00:04.000000       1 a.go:4] enabled again\n")
	s.pass(ctx)
	want = append(want, stream+": I1205 10:00:04.000000       1 a.go:4] enabled again")
	if got := sink.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("shipped %q, want %q", got, want)
	}

	// A file that appears while its type is on (a new instance, or the
	// kubernetes runtime's mirror, which writes only then) ships whole,
	// even if it was written before the shipper saw it; after a restart too.
	other := filepath.Join(logs, "kube-apiserver-b.log")
	if err := os.WriteFile(other, []byte("I1205 10:00:05.000000       1 b.go:1] new instance's first line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = newShipper()
	s.pass(ctx)
	streamB := "/aws/eks/demo/cluster kube-apiserver-" + instanceID("uid1", "b")
	want = append(want, streamB+": I1205 10:00:05.000000       1 b.go:1] new instance's first line")
	// Streams are listed in their names' order, which hashes decide.
	got := sink.lines()
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("a file that appeared while its type was on: shipped %q, want %q", got, want)
	}
}

func TestTimestampOf(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		typ, line string
		want      time.Time
	}{
		{"api", "I1205 11:59:58.123456       1 x.go:1] hi", time.Date(2026, 12, 5, 11, 59, 58, 123456000, time.UTC)},
		{"api", "E1231 23:59:59.000000       1 x.go:1] last year", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"audit", `{"kind":"Event","stageTimestamp":"2026-12-05T11:00:00.5Z"}`, time.Date(2026, 12, 5, 11, 0, 0, 500000000, time.UTC)},
		{"api", "no header", now},
		{"audit", "not json", now},
	} {
		if got := timestampOf(c.typ, []byte(c.line), now); !got.Equal(c.want) {
			t.Errorf("timestampOf(%s, %q) = %s, want %s", c.typ, c.line, got, c.want)
		}
	}
}

func TestSourcesNameEKSStreams(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"kube-apiserver-a.log", "audit-a.log", "authenticator-b.log", "kube-controller-manager-a.log", "kube-scheduler-b.log", "etcd-a.log", "endpoint.log", "kube-apiserver-a.log.1"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := map[string]bool{"api": true, "audit": true, "authenticator": true, "controllerManager": true, "scheduler": true}
	got := map[string]string{}
	for _, s := range sources("u", dir, all) {
		got[filepath.Base(s.path)] = s.stream
	}
	want := map[string]string{
		"kube-apiserver-a.log": "kube-apiserver-" + instanceID("u", "a"), "audit-a.log": "kube-apiserver-audit-" + instanceID("u", "a"),
		"authenticator-b.log": "authenticator-" + instanceID("u", "b"), "kube-controller-manager-a.log": "kube-controller-manager-" + instanceID("u", "a"),
		"kube-scheduler-b.log": "kube-scheduler-" + instanceID("u", "b"),
	}
	if len(got) != len(want) {
		t.Fatalf("sources %v, want %v", got, want)
	}
	for f, s := range want {
		if got[f] != s || len(instanceID("u", "a")) != 32 {
			t.Errorf("%s ships to %q, want %q", f, got[f], s)
		}
	}
}
