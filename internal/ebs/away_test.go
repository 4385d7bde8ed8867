package ebs

import (
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
)

// TestVolumesOfAgentHosts: keks's host makes no device for an attachment
// of an agent host's instance, ends such a detach itself while the bytes
// are home, and leaves a volume the agent holds (its snapshots too) to the
// agent.
func TestVolumesOfAgentHosts(t *testing.T) {
	needRoot(t)
	h := newHost(t)
	ctx := h.ctx
	_, err := h.ec2.UpdateInstance(ctx, h.a, func(in *ec2.Instance) error { in.Host = "host-1"; return nil })
	h.must(err)
	v, err := h.ec2.CreateVolume(ctx, ec2.CreateVolumeInput{Region: h.region, Account: "123456789012", Zone: h.zone,
		VolumeRequest: ec2.VolumeRequest{Size: ptr(1), Type: "gp3"}})
	h.must(err)
	t.Cleanup(func() { h.cleanUp(v.ID) })
	h.converge()
	noDevice := func(when string) {
		t.Helper()
		for _, what := range h.ours() {
			if !strings.HasPrefix(what, "file ") {
				t.Fatalf("%s: keks's host has %s", when, what)
			}
		}
	}

	// Attached and detached before the agent took the bytes: all at home.
	_, err = h.ec2.AttachVolume(ctx, h.region, v.ID, h.a, "/dev/xvdf")
	h.must(err)
	h.converge()
	if a := h.volume(v.ID).AttachmentTo(h.a); a == nil || a.State != ec2.AttachmentAttaching {
		t.Fatalf("attachment to an agent's instance: %+v", a)
	}
	noDevice("attaching to an agent's instance")
	_, err = h.ec2.DetachVolume(ctx, h.region, v.ID, "", "", false)
	h.must(err)
	h.converge()
	if got := h.volume(v.ID); got.Attachments != nil {
		t.Fatalf("a detach with the bytes home did not end: %+v", got.Attachments)
	}

	// Held by the agent: its snapshot and its detach are the agent's.
	_, err = h.ec2.AttachVolume(ctx, h.region, v.ID, h.a, "/dev/xvdf")
	h.must(err)
	_, err = h.ec2.VolumeHeld(ctx, v.ID, "host-1", 1<<30)
	h.must(err)
	snap, err := h.ec2.CreateSnapshot(ctx, h.region, v.ID, "away", nil)
	h.must(err)
	_, err = h.ec2.DetachVolume(ctx, h.region, v.ID, "", "", false)
	h.must(err)
	h.converge()
	noDevice("held by an agent")
	if got := h.volume(v.ID); len(got.Attachments) != 1 || got.Attachments[0].State != ec2.AttachmentDetaching {
		t.Fatalf("keks's host ended the detach of an away volume: %+v", got.Attachments)
	}
	s, err := h.ec2.GetSnapshot(ctx, h.region, snap.ID)
	h.must(err)
	if s.State != ec2.SnapshotPending {
		t.Fatalf("keks's host took the snapshot of an away volume: %s", s.State)
	}
}

func ptr[T any](v T) *T { return &v }
