package ec2

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"
)

const (
	testRegion  = "eu-west-1"
	testAccount = "123456789012"
)

// ebsWorld is a model over a real store with a running instance in each of
// two zones (a, b) and a second one in zone a.
type ebsWorld struct {
	t          *testing.T
	ctx        context.Context
	s          *Service
	a, a2, b   string
	keyEnabled bool
}

func newEBSWorld(t *testing.T) *ebsWorld {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st := storetest.Open(t)
	w := &ebsWorld{t: t, ctx: ctx, keyEnabled: true}
	w.s = &Service{Store: st, KMSKey: func(_ context.Context, region, account, keyID string) (string, bool, error) {
		if keyID != "alias/team" {
			return "", false, errNoKey
		}
		return "arn:aws:kms:" + region + ":" + account + ":key/0e6b6c0e-2a4c-4c3a-9a55-3e6e0d8d9a11", w.keyEnabled, nil
	}}
	vpc, err := w.s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil)
	w.must(err)
	var ids []string
	for i, zone := range []string{"a", "a", "b"} {
		sn, err := w.s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: []string{"10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"}[i], AvailabilityZone: testRegion + zone})
		w.must(err)
		in, err := w.s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small"})
		w.must(err)
		_, err = w.s.UpdateInstance(ctx, in.ID, func(i *Instance) error { i.State = StateRunning; return nil })
		w.must(err)
		ids = append(ids, in.ID)
	}
	w.a, w.a2, w.b = ids[0], ids[1], ids[2]
	return w
}

var errNoKey = &keyError{}

type keyError struct{}

func (*keyError) Error() string { return "no such key" }

func (w *ebsWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// volume makes an available volume of zone a, as the host would.
func (w *ebsWorld) volume(in CreateVolumeInput) *Volume {
	w.t.Helper()
	in.Region, in.Account = testRegion, testAccount
	if in.Zone == "" {
		in.Zone = testRegion + "a"
	}
	if in.Size == nil && in.SnapshotID == "" {
		in.Size = ptr(10)
	}
	v, err := w.s.CreateVolume(w.ctx, in)
	w.must(err)
	w.must(w.s.VolumeCreated(w.ctx, v.ID))
	return w.get(v.ID)
}

func (w *ebsWorld) get(id string) *Volume {
	w.t.Helper()
	v, err := w.s.GetVolume(w.ctx, testRegion, id)
	w.must(err)
	return v
}

func TestVolumeStatesFollowTheHost(t *testing.T) {
	w := newEBSWorld(t)
	ctx := w.ctx
	v, err := w.s.CreateVolume(ctx, CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: "euw1-az1", VolumeRequest: VolumeRequest{Size: ptr(8), Type: "gp3"},
		Tags: map[string]string{"Name": "data"}})
	w.must(err)
	if v.State != VolumeCreating || v.Zone != testRegion+"a" || v.Iops != 3000 || v.Throughput != 125 {
		t.Fatalf("new volume: %+v", v)
	}
	_, err = w.s.AttachVolume(ctx, testRegion, v.ID, w.a, "/dev/xvdf")
	wantCode(t, "attach a creating volume", err, CodeIncorrectState, "is not 'available'")
	w.must(w.s.VolumeCreated(ctx, v.ID))

	_, err = w.s.AttachVolume(ctx, testRegion, v.ID, w.b, "/dev/xvdf")
	wantCode(t, "attach across zones", err, CodeInvalidVolumeZoneMismatch, "is not in the same availability zone as instance '"+w.b+"'")
	for _, bad := range []string{"", "sdf", "/dev/sdzzz", "/dev/nvme1n1", "/dev/../etc"} {
		_, err = w.s.AttachVolume(ctx, testRegion, v.ID, w.a, bad)
		wantCode(t, "device "+bad, err, CodeInvalidParameterValue, "is not a valid EBS device name")
	}
	_, err = w.s.AttachVolume(ctx, testRegion, v.ID, "i-0123456789abcdef0", "/dev/xvdf")
	wantCode(t, "attach to no instance", err, CodeInvalidInstanceNotFound, "i-0123456789abcdef0")

	a, err := w.s.AttachVolume(ctx, testRegion, v.ID, w.a, "/dev/xvdf")
	w.must(err)
	if a.State != AttachmentAttaching || w.get(v.ID).Status() != VolumeInUse {
		t.Fatalf("attachment %+v, volume %s", a, w.get(v.ID).Status())
	}
	_, err = w.s.AttachVolume(ctx, testRegion, v.ID, w.a2, "/dev/xvdg")
	wantCode(t, "attach twice", err, CodeVolumeInUse, v.ID+" is already attached to an instance")
	other := w.volume(CreateVolumeInput{})
	_, err = w.s.AttachVolume(ctx, testRegion, other.ID, w.a, "/dev/xvdf")
	wantCode(t, "a device in use", err, CodeInvalidParameterValue, "Attachment point /dev/xvdf is already in use")
	err = w.s.DeleteVolume(ctx, testRegion, v.ID)
	wantCode(t, "delete in use", err, CodeVolumeInUse, "Volume "+v.ID+" is currently attached to "+w.a)

	w.must(w.s.AttachmentMade(ctx, v.ID, w.a))
	_, err = w.s.DetachVolume(ctx, testRegion, v.ID, w.a2, "", false)
	wantCode(t, "detach from another instance", err, CodeInvalidAttachmentNotFound, "because it is not attached")
	_, err = w.s.DetachVolume(ctx, testRegion, v.ID, w.a, "/dev/xvdz", false)
	wantCode(t, "detach another device", err, CodeInvalidAttachmentNotFound, "as device /dev/xvdz")
	d, err := w.s.DetachVolume(ctx, testRegion, v.ID, "", "", false)
	w.must(err)
	if d.State != AttachmentDetaching || d.Force {
		t.Fatalf("detach: %+v", d)
	}
	// Asked again, forced: no error, and the detach is forced now.
	if d, err = w.s.DetachVolume(ctx, testRegion, v.ID, w.a, "", true); err != nil || !d.Force {
		t.Fatalf("forced again: %+v, %v", d, err)
	}
	w.must(w.s.DetachmentDone(ctx, v.ID, w.a))
	got := w.get(v.ID)
	if got.Status() != VolumeAvailable || got.Attachments != nil {
		t.Fatalf("detached volume: %+v", got)
	}
	_, err = w.s.DetachVolume(ctx, testRegion, v.ID, "", "", false)
	wantCode(t, "detach a detached volume", err, CodeIncorrectState, "is in the 'available' state")

	w.must(w.s.DeleteVolume(ctx, testRegion, v.ID))
	w.must(w.s.DeleteVolume(ctx, testRegion, v.ID)) // again while it goes: no error
	if got := w.get(v.ID); got.Status() != VolumeDeleting {
		t.Fatalf("deleted volume is %s", got.Status())
	}
	w.must(w.s.ForgetVolume(ctx, v.ID))
	_, err = w.s.GetVolume(ctx, testRegion, v.ID)
	wantCode(t, "a forgotten volume", err, CodeInvalidVolumeNotFound, "The volume '"+v.ID+"' does not exist.")
	_, err = w.s.GetVolume(ctx, "us-east-1", other.ID)
	wantCode(t, "a volume of another region", err, CodeInvalidVolumeNotFound, other.ID)
	_, err = w.s.GetVolume(ctx, testRegion, "vol-xyz")
	wantCode(t, "a malformed id", err, CodeInvalidVolumeMalformed, `Invalid id: "vol-xyz"`)
}

func TestClientTokenMakesCreateVolumeIdempotent(t *testing.T) {
	w := newEBSWorld(t)
	in := CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: testRegion + "a", VolumeRequest: VolumeRequest{Size: ptr(10), Type: "gp3"},
		Tags: map[string]string{"CSIVolumeName": "pvc-1"}, ClientToken: "pvc-1"}
	first, err := w.s.CreateVolume(w.ctx, in)
	w.must(err)
	// Given or left to the default, the same request is the same.
	again := in
	again.Iops, again.Zone = ptr(3000), "euw1-az1"
	second, err := w.s.CreateVolume(w.ctx, again)
	w.must(err)
	if second.ID != first.ID {
		t.Fatalf("the same token made %s and %s", first.ID, second.ID)
	}
	other := in
	other.Size = ptr(11)
	_, err = w.s.CreateVolume(w.ctx, other)
	wantCode(t, "the token with other parameters", err, CodeIdempotentParameterMismatch, "inconsistent")
	other = in
	other.Tags = map[string]string{"CSIVolumeName": "pvc-2"}
	_, err = w.s.CreateVolume(w.ctx, other)
	wantCode(t, "the token with other tags", err, CodeIdempotentParameterMismatch, "inconsistent")

	// Concurrent requests with one token make one volume.
	in.ClientToken = "pvc-concurrent"
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := w.s.CreateVolume(w.ctx, in)
			if err == nil {
				ids[i] = v.ID
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("concurrent creates with one token: %v", ids)
		}
	}
	// A token whose volume was deleted stays spent.
	w.must(w.s.VolumeCreated(w.ctx, first.ID))
	w.must(w.s.DeleteVolume(w.ctx, testRegion, first.ID))
	w.must(w.s.ForgetVolume(w.ctx, first.ID))
	in.ClientToken = "pvc-1"
	_, err = w.s.CreateVolume(w.ctx, in)
	wantCode(t, "a spent token", err, CodeIdempotentParameterMismatch, "already been deleted")
	_, err = w.s.CreateVolume(w.ctx, CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: testRegion + "a", VolumeRequest: VolumeRequest{Size: ptr(1)},
		ClientToken: string(make([]byte, 65))})
	wantCode(t, "a long token", err, CodeInvalidParameterValue, "clientToken")
	// Tokens are a day's.
	w.must(w.s.PruneClientTokens(w.ctx, 0))
	if _, err := w.s.CreateVolume(w.ctx, in); err != nil {
		t.Fatalf("a pruned token: %v", err)
	}
}

func TestEncryptedVolumesAndTheirKeys(t *testing.T) {
	w := newEBSWorld(t)
	base := CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: testRegion + "a", VolumeRequest: VolumeRequest{Size: ptr(1)}}
	in := base
	in.KMSKeyID = "alias/team"
	_, err := w.s.CreateVolume(w.ctx, in)
	wantCode(t, "a key without Encrypted", err, CodeInvalidParameterDependency, "The parameter KmsKeyId requires the parameter Encrypted to be set.")
	in.Encrypted = true
	v, err := w.s.CreateVolume(w.ctx, in)
	w.must(err)
	if !v.Encrypted || v.KMSKeyID != "arn:aws:kms:eu-west-1:123456789012:key/0e6b6c0e-2a4c-4c3a-9a55-3e6e0d8d9a11" {
		t.Fatalf("encrypted volume: %+v", v)
	}
	in = base
	in.Encrypted = true
	if v, err := w.s.CreateVolume(w.ctx, in); err != nil || v.KMSKeyID != "arn:aws:kms:eu-west-1:123456789012:alias/aws/ebs" {
		t.Fatalf("the default key: %+v, %v", v, err)
	}
	// As EC2 checks keys late, a volume under a key that does not exist
	// (or is disabled) is answered creating and then is gone.
	for _, key := range []string{"alias/nope", "alias/team"} {
		w.keyEnabled = false
		in.KMSKeyID, in.ClientToken = key, "tok-"+key
		v, err := w.s.CreateVolume(w.ctx, in)
		w.must(err)
		if v.State != VolumeCreating {
			t.Fatalf("%s: %+v", key, v)
		}
		_, err = w.s.GetVolume(w.ctx, testRegion, v.ID)
		wantCode(t, "a volume under "+key, err, CodeInvalidVolumeNotFound, v.ID)
		_, err = w.s.CreateVolume(w.ctx, in)
		wantCode(t, "its token", err, CodeIdempotentParameterMismatch, "already been deleted")
	}
}

func TestSnapshotsAndVolumesFromThem(t *testing.T) {
	w := newEBSWorld(t)
	v := w.volume(CreateVolumeInput{VolumeRequest: VolumeRequest{Size: ptr(8), Type: "gp3"}, Encrypted: true})
	s, err := w.s.CreateSnapshot(w.ctx, testRegion, v.ID, "nightly", map[string]string{"team": "db"})
	w.must(err)
	if s.State != SnapshotPending || s.VolumeSize != 8 || !s.Encrypted || s.OwnerID != testAccount || s.ARN() != "arn:aws:ec2:eu-west-1::snapshot/"+s.ID {
		t.Fatalf("snapshot: %+v", s)
	}
	_, err = w.s.CreateVolume(w.ctx, CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: testRegion + "b", SnapshotID: s.ID})
	wantCode(t, "a volume of a pending snapshot", err, CodeIncorrectState, "pending")
	w.must(w.s.SnapshotCompleted(w.ctx, s.ID))
	_, err = w.s.CreateVolume(w.ctx, CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: testRegion + "b", SnapshotID: s.ID, VolumeRequest: VolumeRequest{Size: ptr(4)}})
	wantCode(t, "smaller than its snapshot", err, CodeInvalidParameterValue, "smaller than snapshot '"+s.ID+"'")
	restored, err := w.s.CreateVolume(w.ctx, CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: testRegion + "b", SnapshotID: s.ID})
	w.must(err)
	if restored.Size != 8 || restored.SnapshotID != s.ID || !restored.Encrypted {
		t.Fatalf("restored: %+v", restored)
	}
	_, err = w.s.CreateSnapshot(w.ctx, testRegion, restored.ID, "", nil)
	wantCode(t, "a snapshot of a creating volume", err, CodeIncorrectState, "creating")
	_, err = w.s.CreateVolume(w.ctx, CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: testRegion + "a", SnapshotID: "snap-0123456789abcdef0"})
	wantCode(t, "an unknown snapshot", err, CodeInvalidSnapshotNotFound, "The snapshot 'snap-0123456789abcdef0' does not exist.")
	w.must(w.s.DeleteSnapshot(w.ctx, testRegion, s.ID))
	err = w.s.DeleteSnapshot(w.ctx, testRegion, s.ID)
	wantCode(t, "delete twice", err, CodeInvalidSnapshotNotFound, s.ID)
}

func TestModifyVolumeGoesThroughItsStates(t *testing.T) {
	w := newEBSWorld(t)
	v := w.volume(CreateVolumeInput{VolumeRequest: VolumeRequest{Size: ptr(10), Type: "gp2"}})
	m, err := w.s.ModifyVolume(w.ctx, testRegion, v.ID, VolumeRequest{Size: ptr(20), Type: "gp3"})
	w.must(err)
	if m.State != ModificationModifying || m.Original.Size != 10 || m.Target != (VolumeSpec{Size: 20, Type: "gp3", Iops: 3000, Throughput: 125}) {
		t.Fatalf("modification: %+v", m)
	}
	if got := w.get(v.ID); got.Size != 10 || got.Type != "gp2" {
		t.Fatalf("the volume changed before the host grew it: %+v", got)
	}
	_, err = w.s.ModifyVolume(w.ctx, testRegion, v.ID, VolumeRequest{Size: ptr(30)})
	wantCode(t, "modify while modifying", err, CodeIncorrectModificationState, "already being modified")
	w.must(w.s.ModificationOptimizing(w.ctx, v.ID))
	if got := w.get(v.ID); got.Size != 20 || got.Type != "gp3" || got.Iops != 3000 || got.Modification.Progress != 50 {
		t.Fatalf("optimizing: %+v %+v", got, got.Modification)
	}
	w.must(w.s.ModificationCompleted(w.ctx, v.ID))
	if got := w.get(v.ID).Modification; got.State != ModificationCompleted || got.Progress != 100 || got.EndTime.IsZero() {
		t.Fatalf("completed: %+v", got)
	}
	_, err = w.s.ModifyVolume(w.ctx, testRegion, v.ID, VolumeRequest{Size: ptr(5)})
	wantCode(t, "shrink", err, CodeInvalidParameterValue, "New size cannot be smaller than existing size")
	_, err = w.s.ModifyVolume(w.ctx, testRegion, v.ID, VolumeRequest{})
	wantCode(t, "nothing", err, CodeMissingParameter, "at least one")
}

func TestTerminatingAnInstanceDetachesItsVolumes(t *testing.T) {
	w := newEBSWorld(t)
	kept := w.volume(CreateVolumeInput{})
	gone := w.volume(CreateVolumeInput{})
	elsewhere := w.volume(CreateVolumeInput{})
	for id, dev := range map[string]string{kept.ID: "/dev/xvdf", gone.ID: "/dev/xvdg"} {
		_, err := w.s.AttachVolume(w.ctx, testRegion, id, w.a, dev)
		w.must(err)
	}
	_, err := w.s.AttachVolume(w.ctx, testRegion, elsewhere.ID, w.a2, "/dev/xvdf")
	w.must(err)
	// DeleteOnTermination comes with an instance's own volumes; keks sets it by hand here.
	_, err = w.s.UpdateVolume(w.ctx, testRegion, gone.ID, func(v *Volume) error { v.Attachments[0].DeleteOnTermination = true; return nil })
	w.must(err)
	_, err = w.s.TerminateInstances(w.ctx, []string{w.a})
	w.must(err)
	for _, id := range []string{kept.ID, gone.ID} {
		if a := w.get(id).AttachmentTo(w.a); a == nil || a.State != AttachmentDetaching || !a.Force {
			t.Fatalf("%s after terminating its instance: %+v", id, a)
		}
		w.must(w.s.DetachmentDone(w.ctx, id, w.a))
	}
	if got := w.get(kept.ID).Status(); got != VolumeAvailable {
		t.Errorf("kept volume is %s", got)
	}
	if got := w.get(gone.ID).Status(); got != VolumeDeleting {
		t.Errorf("volume with DeleteOnTermination is %s", got)
	}
	if got := w.get(elsewhere.ID).AttachmentTo(w.a2); got == nil || got.State != AttachmentAttaching {
		t.Errorf("another instance's volume: %+v", got)
	}
	_, err = w.s.AttachVolume(w.ctx, testRegion, kept.ID, w.a, "/dev/xvdh")
	wantCode(t, "attach to a terminating instance", err, CodeIncorrectInstanceState, "is not 'running'")
}

func TestTagsOfVolumesAndSnapshots(t *testing.T) {
	w := newEBSWorld(t)
	v := w.volume(CreateVolumeInput{Tags: map[string]string{"a": "1", "b": "2", "c": "3"}})
	s, err := w.s.CreateSnapshot(w.ctx, testRegion, v.ID, "", nil)
	w.must(err)
	w.must(w.s.TagResources(w.ctx, []string{v.ID, s.ID}, map[string]string{"d": "4"}))
	one, empty := "1", ""
	w.must(w.s.UntagResources(w.ctx, []string{v.ID}, map[string]*string{"a": &one, "b": &empty, "c": nil}))
	if got := w.get(v.ID).Tags; !maps.Equal(got, map[string]string{"b": "2", "d": "4"}) {
		t.Errorf("volume tags %v", got)
	}
	w.must(w.s.UntagResources(w.ctx, []string{s.ID}, nil))
	if got, _ := w.s.GetSnapshot(w.ctx, testRegion, s.ID); got.Tags != nil {
		t.Errorf("snapshot tags after removing all: %v", got.Tags)
	}
	err = w.s.TagResources(w.ctx, []string{v.ID, "vol-0123456789abcdef0"}, map[string]string{"e": "5"})
	wantCode(t, "tag a missing volume", err, CodeInvalidVolumeNotFound, "vol-0123456789abcdef0")
	if _, ok := w.get(v.ID).Tags["e"]; ok {
		t.Error("a failed CreateTags tagged the volume that exists")
	}
}

// Attachments to one instance are decided one after another: of volumes
// attached at once under one device name, one gets it.
func TestConcurrentAttachmentsShareNoDevice(t *testing.T) {
	w := newEBSWorld(t)
	var vols []string
	for range 6 {
		vols = append(vols, w.volume(CreateVolumeInput{}).ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(vols))
	for i, id := range vols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.s.AttachVolume(w.ctx, testRegion, id, w.a, "/dev/xvdba")
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			wantCode(t, "a device taken", err, CodeInvalidParameterValue, "already in use")
		}
	}
	if won != 1 {
		t.Fatalf("%d volumes got /dev/xvdba", won)
	}
}
