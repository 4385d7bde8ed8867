package ec2

import (
	"testing"

	"github.com/keksdev/keks/internal/store"
)

// onHost moves an instance of the world to an agent host.
func (w *ebsWorld) onHost(instanceID, host string) {
	w.t.Helper()
	_, err := w.s.UpdateInstance(w.ctx, instanceID, func(in *Instance) error { in.Host = host; return nil })
	w.must(err)
}

func TestVolumesOfAgentHosts(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, w *ebsWorld)
	}{
		{"attach to an agent host's instance stays attaching until the host holds the bytes", func(t *testing.T, w *ebsWorld) {
			w.onHost(w.a, "host-1")
			v := w.volume(CreateVolumeInput{})
			a, err := w.s.AttachVolume(w.ctx, testRegion, v.ID, w.a, "/dev/xvdf")
			w.must(err)
			if a.State != AttachmentAttaching || w.get(v.ID).Host != "" {
				t.Fatalf("attachment %+v, host %q", a, w.get(v.ID).Host)
			}
			_, err = w.s.VolumeHeld(w.ctx, v.ID, "host-2", 10<<30)
			wantCode(t, "another host holds", err, CodeIncorrectState, "not attached to an instance of host host-2")
			got, err := w.s.VolumeHeld(w.ctx, v.ID, "host-1", 10<<30)
			w.must(err)
			if got.Host != "host-1" || got.Attachments[0].State != AttachmentAttached {
				t.Fatalf("held: %+v", got)
			}
			err = w.s.VolumeReturned(w.ctx, v.ID, "host-1")
			wantCode(t, "returned while attached", err, CodeIncorrectState, "still attached")
			// keks's own controller cannot end the detach: the bytes are away.
			_, err = w.s.DetachVolume(w.ctx, testRegion, v.ID, "", "", false)
			w.must(err)
			w.must(w.s.DetachmentDone(w.ctx, v.ID, w.a))
			if got := w.get(v.ID); len(got.Attachments) != 1 {
				t.Fatalf("DetachmentDone of an away volume removed its attachment: %+v", got)
			}
			err = w.s.DeleteVolume(w.ctx, testRegion, v.ID)
			wantCode(t, "delete while away", err, CodeVolumeInUse, "currently attached")
			err = w.s.VolumeReturned(w.ctx, v.ID, "host-2")
			wantCode(t, "returned by another host", err, CodeIncorrectState, "not held by host host-2")
			w.must(w.s.VolumeReturned(w.ctx, v.ID, "host-1"))
			if got := w.get(v.ID); got.Host != "" || got.Attachments != nil || got.Status() != VolumeAvailable {
				t.Fatalf("returned: %+v", got)
			}
			w.must(w.s.DeleteVolume(w.ctx, testRegion, v.ID))
		}},
		{"multi-attach across hosts is refused, on one agent host allowed", func(t *testing.T, w *ebsWorld) {
			w.onHost(w.a, "host-1")
			v := w.volume(CreateVolumeInput{VolumeRequest: VolumeRequest{Type: "io2", Iops: ptr(1000), MultiAttach: ptr(true)}})
			_, err := w.s.AttachVolume(w.ctx, testRegion, v.ID, w.a2, "/dev/xvdf")
			w.must(err)
			_, err = w.s.AttachVolume(w.ctx, testRegion, v.ID, w.a, "/dev/xvdf")
			wantCode(t, "keks's host, then an agent's", err, CodeUnsupportedOperation, "one host at a time")
			w.onHost(w.a2, "host-1")
			_, err = w.s.AttachVolume(w.ctx, testRegion, v.ID, w.a, "/dev/xvdf")
			w.must(err)
		}},
		{"a volume held by a host attaches to no other host's instance", func(t *testing.T, w *ebsWorld) {
			w.onHost(w.a, "host-1")
			v := w.volume(CreateVolumeInput{VolumeRequest: VolumeRequest{Type: "io2", Iops: ptr(1000), MultiAttach: ptr(true)}})
			_, err := w.s.AttachVolume(w.ctx, testRegion, v.ID, w.a, "/dev/xvdf")
			w.must(err)
			_, err = w.s.VolumeHeld(w.ctx, v.ID, "host-1", 10<<30)
			w.must(err)
			_, err = w.s.DetachVolume(w.ctx, testRegion, v.ID, w.a, "", false)
			w.must(err)
			_, err = w.s.AttachVolume(w.ctx, testRegion, v.ID, w.a2, "/dev/xvdf")
			wantCode(t, "bytes on host-1", err, CodeUnsupportedOperation, "held by host host-1")
		}},
		{"a modification the host made moves on when it reports the size", func(t *testing.T, w *ebsWorld) {
			w.onHost(w.a, "host-1")
			v := w.volume(CreateVolumeInput{})
			_, err := w.s.AttachVolume(w.ctx, testRegion, v.ID, w.a, "/dev/xvdf")
			w.must(err)
			_, err = w.s.VolumeHeld(w.ctx, v.ID, "host-1", 10<<30)
			w.must(err)
			_, err = w.s.ModifyVolume(w.ctx, testRegion, v.ID, VolumeRequest{Size: ptr(20)})
			w.must(err)
			got, err := w.s.VolumeHeld(w.ctx, v.ID, "host-1", 10<<30)
			w.must(err)
			if got.Modification.State != ModificationModifying {
				t.Fatalf("not grown yet, modification %s", got.Modification.State)
			}
			got, err = w.s.VolumeHeld(w.ctx, v.ID, "host-1", 20<<30)
			w.must(err)
			if got.Modification.State != ModificationOptimizing || got.Size != 20 {
				t.Fatalf("grown: modification %s, size %d", got.Modification.State, got.Size)
			}
		}},
		{"a removed host's volumes are lost with its instances, in one transaction", func(t *testing.T, w *ebsWorld) {
			w.onHost(w.a, "host-1")
			held := w.volume(CreateVolumeInput{})
			_, err := w.s.AttachVolume(w.ctx, testRegion, held.ID, w.a, "/dev/xvdf")
			w.must(err)
			_, err = w.s.VolumeHeld(w.ctx, held.ID, "host-1", 10<<30)
			w.must(err)
			home := w.volume(CreateVolumeInput{})
			_, err = w.s.AttachVolume(w.ctx, testRegion, home.ID, w.a2, "/dev/xvdf")
			w.must(err)
			more := false
			w.must(w.s.Store.Transact(w.ctx, func(txn *store.Txn) error {
				var err error
				more, err = w.s.EndInstancesOn(w.ctx, txn, "host-1", "host removed", store.MaxTxnOps-1)
				return err
			}))
			if more {
				t.Fatal("records left for another transaction")
			}
			if got := w.get(held.ID); got.State != VolumeError || got.Host != "" || got.Attachments != nil {
				t.Fatalf("held by the removed host: %+v", got)
			}
			if got := w.get(home.ID); got.State != VolumeAvailable || len(got.Attachments) != 1 {
				t.Fatalf("a volume of keks's host changed: %+v", got)
			}
			w.must(w.s.DeleteVolume(w.ctx, testRegion, held.ID))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newEBSWorld(t)
			tt.run(t, w)
		})
	}
}
