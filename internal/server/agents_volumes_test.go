package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/ebs"
	"github.com/keksdev/keks/internal/ec2"
)

// volumesFixture is the agents listener serving instances and volumes,
// with keks's EBS files in a temporary directory.
type volumesFixture struct {
	*instancesFixture
	dir string
}

func startVolumes(t *testing.T) *volumesFixture {
	t.Helper()
	dir := t.TempDir()
	f := startInstances(t, func(f *instancesFixture, ln *agentsListener) {
		ln.serveVolumes(&agentVolumes{ec2: f.ec2, dir: dir, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	})
	return &volumesFixture{instancesFixture: f, dir: dir}
}

// stream is a sparse stream of a file of size bytes with data at offsets.
func stream(t *testing.T, size int64, data map[int64]string) []byte {
	t.Helper()
	file := filepath.Join(t.TempDir(), "v.img")
	writeSparse(t, file, size, data)
	var b bytes.Buffer
	if err := ebs.SendSparse(&b, file, size); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeSparse(t *testing.T, file string, size int64, data map[int64]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	for off, s := range data {
		if _, err := fh.WriteAt([]byte(s), off); err != nil {
			t.Fatal(err)
		}
	}
	if err := fh.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

// at reads n bytes of file at off.
func at(t *testing.T, file string, off int64, n int) string {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	b := make([]byte, n)
	if _, err := fh.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *volumesFixture) volumeStatus(t *testing.T, c *http.Client, st agents.VolumeStatus) (int, string) {
	t.Helper()
	body, _ := json.Marshal(st)
	status, code, _, _ := call(t, c, http.MethodPost, f.url+agents.VolumeStatusPath, body)
	return status, code
}

func volumesOf(as agents.Assignments) []agents.AssignedVolume { return as.Volumes }

// TestVolumeTravelsToItsAgentHostAndBack: checked out by the attaching
// instance's host only, held once it reports, snapshotted and checked in
// by that host only, with sizes and streams checked, and every step in
// the host's assignments' revision.
func TestVolumeTravelsToItsAgentHostAndBack(t *testing.T) {
	f := startVolumes(t)
	ctx := context.Background()
	f.put(t, ec2.Instance{ID: "i-0a1", Host: f.hostA, State: ec2.StateRunning, PrivateIP: "10.0.1.5"})
	f.put(t, ec2.Instance{ID: "i-0b1", Host: f.hostB, State: ec2.StateRunning, PrivateIP: "10.0.1.6"})
	size := 1
	v, err := f.ec2.CreateVolume(ctx, ec2.CreateVolumeInput{Region: "us-east-1", Account: "111122223333", Zone: "us-east-1a",
		VolumeRequest: ec2.VolumeRequest{Size: &size, Type: "gp3"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ec2.VolumeCreated(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	keksFile := ebs.VolumePath(f.dir, v.ID)
	writeSparse(t, keksFile, 1<<30, map[int64]string{0: "boot", 700 << 20: "middle", 1<<30 - 3: "end"})
	dataURL := f.url + agents.VolumeDataPath + v.ID

	before := f.assignments(t, f.certA, "")
	if status, code, _, _ := call(t, f.certA, http.MethodGet, dataURL, nil); status != http.StatusForbidden || code != codeVolumeNotAssigned {
		t.Fatalf("check-out of an unattached volume: %d %s, want 403", status, code)
	}
	if _, err := f.ec2.AttachVolume(ctx, "us-east-1", v.ID, "i-0a1", "/dev/xvdf"); err != nil {
		t.Fatal(err)
	}
	as := f.assignments(t, f.certA, "")
	want := agents.AssignedVolume{ID: v.ID, Want: agents.WantAttached, SizeBytes: 1 << 30}
	if got := volumesOf(as); len(got) != 1 || got[0].ID != want.ID || got[0].Want != want.Want || got[0].SizeBytes != want.SizeBytes || got[0].Held {
		t.Fatalf("host A's volumes %+v, want %+v", got, want)
	}
	if as.Revision == before.Revision {
		t.Error("an attachment left the assignments' revision as it was: the long poll would not wake")
	}
	if got := volumesOf(f.assignments(t, f.certB, "")); len(got) != 0 {
		t.Errorf("host B is assigned %+v", got)
	}

	// Check-out: only the attaching instance's host, and the bytes whole.
	if status, code, _, _ := call(t, f.certB, http.MethodGet, dataURL, nil); status != http.StatusForbidden || code != codeVolumeNotAssigned {
		t.Errorf("check-out by another host: %d %s, want 403", status, code)
	}
	for _, bad := range []string{"vol-xyz", "..%2f..%2fetc", "vol-0123456789abcdef0123"} {
		if status, _, _, _ := call(t, f.certA, http.MethodGet, f.url+agents.VolumeDataPath+bad, nil); status != http.StatusBadRequest {
			t.Errorf("check-out of %q: %d, want 400", bad, status)
		}
	}
	status, code, body, _ := call(t, f.certA, http.MethodGet, dataURL, nil)
	if status != http.StatusOK {
		t.Fatalf("check-out: %d %s", status, code)
	}
	local := filepath.Join(t.TempDir(), v.ID+".img")
	if n, err := ebs.ReceiveSparse(bytes.NewReader(body), local, func(int64) error { return nil }); err != nil || n != 1<<30 {
		t.Fatalf("the checked-out stream: %d, %v", n, err)
	}
	if at(t, local, 700<<20, 6) != "middle" || at(t, local, 1<<30-3, 3) != "end" {
		t.Fatal("the checked-out bytes differ from keks's")
	}
	if len(body) > 1<<20 {
		t.Errorf("the stream of a mostly empty GiB is %d bytes", len(body))
	}
	if status, code, _, _ := call(t, f.certA, http.MethodPut, dataURL, stream(t, 1<<30, nil)); status != http.StatusForbidden {
		t.Errorf("check-in of a volume the host does not hold yet: %d %s, want 403", status, code)
	}

	// Held: reported by the right host only; keks's copy goes.
	if status, code := f.volumeStatus(t, f.certB, agents.VolumeStatus{ID: v.ID, State: agents.VolumeAttached, SizeBytes: 1 << 30}); status != http.StatusForbidden {
		t.Errorf("attached reported by another host: %d %s, want 403", status, code)
	}
	if status, code := f.volumeStatus(t, f.certA, agents.VolumeStatus{ID: v.ID, State: "mounted", SizeBytes: 1 << 30}); status != http.StatusBadRequest {
		t.Errorf("an unknown state: %d %s, want 400", status, code)
	}
	if status, code := f.volumeStatus(t, f.certA, agents.VolumeStatus{ID: v.ID, State: agents.VolumeAttached, SizeBytes: 1 << 30}); status != http.StatusOK {
		t.Fatalf("attached: %d %s", status, code)
	}
	got, _ := f.ec2.GetVolume(ctx, "", v.ID)
	if got.Host != f.hostA || got.Attachments[0].State != ec2.AttachmentAttached {
		t.Fatalf("held volume: %+v", got)
	}
	if _, err := os.Stat(keksFile); !os.IsNotExist(err) {
		t.Errorf("keks kept its copy of a volume an agent holds: %v", err)
	}
	if status, _, _, _ := call(t, f.certA, http.MethodGet, dataURL, nil); status != http.StatusConflict {
		t.Errorf("check-out of a volume the host holds: %d, want 409", status)
	}

	// A snapshot is the holder's to upload.
	snap, err := f.ec2.CreateSnapshot(ctx, "us-east-1", v.ID, "on the agent", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := volumesOf(f.assignments(t, f.certA, "")); len(got) != 1 || !got[0].Held || len(got[0].Snapshots) != 1 || got[0].Snapshots[0] != snap.ID {
		t.Fatalf("host A's volumes with a pending snapshot: %+v", got)
	}
	snapURL := f.url + agents.SnapshotDataPath + snap.ID
	if status, code, _, _ := call(t, f.certB, http.MethodPut, snapURL, stream(t, 1<<30, nil)); status != http.StatusForbidden {
		t.Errorf("snapshot by another host: %d %s, want 403", status, code)
	}
	if status, code, _, _ := call(t, f.certA, http.MethodPut, snapURL, stream(t, 2<<30, nil)); status != http.StatusBadRequest || code != codeBadVolumeStream {
		t.Errorf("snapshot of the wrong size: %d %s, want 400", status, code)
	}
	if status, code, _, _ := call(t, f.certA, http.MethodPut, snapURL, stream(t, 1<<30, map[int64]string{5: "snap"})); status != http.StatusOK {
		t.Fatalf("snapshot: %d %s", status, code)
	}
	if s, _ := f.ec2.GetSnapshot(ctx, "", snap.ID); s.State != ec2.SnapshotCompleted || at(t, ebs.SnapshotPath(f.dir, snap.ID), 5, 4) != "snap" {
		t.Fatalf("snapshot after upload: %+v", s)
	}

	// Detached: returned, checked in by the holder only, whole and sized.
	if _, err := f.ec2.DetachVolume(ctx, "us-east-1", v.ID, "", "", true); err != nil {
		t.Fatal(err)
	}
	if got := volumesOf(f.assignments(t, f.certA, "")); len(got) != 1 || got[0].Want != agents.WantReturned || !got[0].Force {
		t.Fatalf("host A's volumes after a forced detach: %+v", got)
	}
	good := stream(t, 1<<30, map[int64]string{0: "BOOT", 900 << 20: "written on the agent"})
	if status, _, _, _ := call(t, f.certB, http.MethodPut, dataURL, good); status != http.StatusForbidden {
		t.Errorf("check-in by another host: %d, want 403", status)
	}
	if status, code, _, _ := call(t, f.certA, http.MethodPut, dataURL, stream(t, 1<<29, nil)); status != http.StatusBadRequest || code != codeBadVolumeStream {
		t.Errorf("check-in of the wrong size: %d %s, want 400", status, code)
	}
	if status, code, _, _ := call(t, f.certA, http.MethodPut, dataURL, good[:len(good)-4]); status != http.StatusBadRequest || code != codeBadVolumeStream {
		t.Errorf("check-in cut short: %d %s, want 400", status, code)
	}
	if got, _ := f.ec2.GetVolume(ctx, "", v.ID); got.Host != f.hostA {
		t.Fatalf("a refused check-in moved the volume: %+v", got)
	}
	if status, code, _, _ := call(t, f.certA, http.MethodPut, dataURL, good); status != http.StatusOK {
		t.Fatalf("check-in: %d %s", status, code)
	}
	got, _ = f.ec2.GetVolume(ctx, "", v.ID)
	if got.Host != "" || got.Attachments != nil || got.Status() != ec2.VolumeAvailable {
		t.Fatalf("checked-in volume: %+v", got)
	}
	if at(t, keksFile, 900<<20, 20) != "written on the agent" || at(t, keksFile, 700<<20, 6) != "\x00\x00\x00\x00\x00\x00" {
		t.Error("keks's file is not the checked-in bytes")
	}
	if got := volumesOf(f.assignments(t, f.certA, "")); len(got) != 0 {
		t.Errorf("host A still assigned %+v", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.dir, "incoming")); len(entries) != 0 {
		t.Errorf("uploads left behind: %v", entries)
	}
}

func TestVolumeCallsNeedTheHostsCertificate(t *testing.T) {
	f := startVolumes(t)
	for _, path := range []string{agents.VolumeDataPath + "vol-0123456789abcdef0", agents.SnapshotDataPath + "snap-0123456789abcdef0", agents.VolumeStatusPath} {
		if status, code, _, _ := call(t, f.client(nil), http.MethodPut, f.url+path, nil); status != http.StatusUnauthorized || code != "ClientCertificateRequired" {
			t.Errorf("%s without a certificate: %d %s, want 401", path, status, code)
		}
	}
	if status, _, _, _ := call(t, f.certA, http.MethodDelete, f.url+agents.VolumeDataPath+"vol-0123456789abcdef0", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE volume data: %d, want 405", status)
	}
	if status, code, _, _ := call(t, f.certA, http.MethodGet, f.url+agents.VolumeDataPath+"vol-0123456789abcdef0", nil); status != http.StatusNotFound {
		t.Errorf("an unknown volume: %d %s, want 404", status, code)
	}
}
