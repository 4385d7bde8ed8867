package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	keksec2 "github.com/keksdev/keks/internal/ec2"
)

// The EBS tests speak to keks with the SDK's EC2 client as the EBS CSI
// driver does. The package's keks runs no reconcilers: where the host
// would make a volume, attach it or grow it, the tests report it to the
// model as internal/ebs does.

// ebsRegion keeps the EBS tests' volumes apart from everything else.
const ebsRegion = "ca-central-1"

func ebsConfig() aws.Config {
	cfg := awsConfig()
	cfg.Region = ebsRegion
	return cfg
}

// ebsHost stands in for the host: it moves records on as internal/ebs would.
type ebsHost struct {
	t *testing.T
	m *keksec2.Service
}

func newEBSHost(t *testing.T) ebsHost { return ebsHost{t: t, m: testServer.models.EC2} }

func (h ebsHost) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// instancesIn launches a running instance in each of the subnets.
func instancesIn(t *testing.T, c *ec2.Client, subnets ...string) []string {
	t.Helper()
	var ids []string
	for _, sn := range subnets {
		out, err := c.RunInstances(context.Background(), &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(sn),
			InstanceType: ec2types.InstanceTypeT3Small, ImageId: aws.String("ami-0123456789abcdef0")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.Instances[0].InstanceId)
		if _, err := testServer.models.EC2.UpdateInstance(context.Background(), id, func(i *keksec2.Instance) error { i.State = keksec2.StateRunning; return nil }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// available creates a volume and has the host make it.
func available(t *testing.T, c *ec2.Client, in *ec2.CreateVolumeInput) *ec2.CreateVolumeOutput {
	t.Helper()
	out, err := c.CreateVolume(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := testServer.models.EC2.VolumeCreated(context.Background(), aws.ToString(out.VolumeId)); err != nil {
		t.Fatal(err)
	}
	return out
}

func describeVolume(t *testing.T, c *ec2.Client, id string) ec2types.Volume {
	t.Helper()
	out, err := c.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	if err != nil || len(out.Volumes) != 1 {
		t.Fatalf("describe %s: %v %+v", id, err, out)
	}
	return out.Volumes[0]
}

func TestEBSVolumeAsTheCSIDriverUsesIt(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(ebsConfig())
	h := newEBSHost(t)
	_, subnets := networkIn(t, ebsConfig(), "10.61.0.0/16")
	ids := instancesIn(t, c, subnets[0], subnets[0], subnets[1])
	a, a2, b := ids[0], ids[1], ids[2]
	zone := ebsRegion + "a"

	// The driver's CreateDisk: a client token, tags, a zone, gp3.
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String(zone), ClientToken: aws.String("pvc-0001"), Size: aws.Int32(4),
		VolumeType: ec2types.VolumeTypeGp3, Encrypted: aws.Bool(false), MultiAttachEnabled: aws.Bool(false),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume,
			Tags: []ec2types.Tag{{Key: aws.String("CSIVolumeName"), Value: aws.String("pvc-0001")}, {Key: aws.String("ebs.csi.aws.com/cluster"), Value: aws.String("true")}}}}}
	created, err := c.CreateVolume(ctx, in)
	h.must(err)
	id := aws.ToString(created.VolumeId)
	if created.State != ec2types.VolumeStateCreating || aws.ToInt32(created.Size) != 4 || aws.ToInt32(created.Iops) != 3000 ||
		aws.ToInt32(created.Throughput) != 125 || aws.ToString(created.AvailabilityZone) != zone || len(created.Tags) != 2 || aws.ToBool(created.Encrypted) {
		t.Fatalf("created: %+v", created)
	}
	again, err := c.CreateVolume(ctx, in)
	if err != nil || aws.ToString(again.VolumeId) != id {
		t.Fatalf("the same client token made %v, %v", again, err)
	}
	in.Size = aws.Int32(5)
	_, err = c.CreateVolume(ctx, in)
	wantError(t, "the token with another size", err, "IdempotentParameterMismatch", "inconsistent")

	// The driver waits for available, by id and by its name tag.
	waiter := ec2.NewVolumeAvailableWaiter(c, func(o *ec2.VolumeAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 200*time.Millisecond
	})
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = h.m.VolumeCreated(context.Background(), id)
	}()
	h.must(waiter.Wait(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}}, 30*time.Second))
	byName, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("tag:CSIVolumeName"), Values: []string{"pvc-0001"}}}})
	if err != nil || len(byName.Volumes) != 1 || aws.ToString(byName.Volumes[0].VolumeId) != id {
		t.Fatalf("by name: %+v %v", byName, err)
	}

	// AttachDisk: a free device name from the instance's block devices.
	att, err := c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(id), InstanceId: aws.String(a), Device: aws.String("/dev/xvdaa")})
	h.must(err)
	if att.State != ec2types.VolumeAttachmentStateAttaching || aws.ToString(att.Device) != "/dev/xvdaa" || aws.ToString(att.InstanceId) != a {
		t.Fatalf("attach: %+v", att)
	}
	inst, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{a}})
	h.must(err)
	bdm := inst.Reservations[0].Instances[0].BlockDeviceMappings
	if len(bdm) != 1 || aws.ToString(bdm[0].DeviceName) != "/dev/xvdaa" || aws.ToString(bdm[0].Ebs.VolumeId) != id || bdm[0].Ebs.Status != ec2types.AttachmentStatusAttaching {
		t.Fatalf("block device mappings: %+v", bdm)
	}
	byVolume, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("block-device-mapping.volume-id"), Values: []string{id}}}})
	if err != nil || len(byVolume.Reservations) != 1 {
		t.Fatalf("instances by volume: %+v %v", byVolume, err)
	}
	h.must(h.m.AttachmentMade(ctx, id, a))
	v := describeVolume(t, c, id)
	if v.State != ec2types.VolumeStateInUse || len(v.Attachments) != 1 || v.Attachments[0].State != ec2types.VolumeAttachmentStateAttached {
		t.Fatalf("attached: %+v", v)
	}

	other := available(t, c, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(zone), Size: aws.Int32(1)})
	_, err = c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: other.VolumeId, InstanceId: aws.String(a), Device: aws.String("/dev/xvdaa")})
	wantError(t, "a device in use", err, "InvalidParameterValue", "Attachment point /dev/xvdaa is already in use")
	_, err = c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: other.VolumeId, InstanceId: aws.String(b), Device: aws.String("/dev/xvdab")})
	wantError(t, "another zone", err, "InvalidVolume.ZoneMismatch", "is not in the same availability zone as instance '"+b+"'")
	_, err = c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: aws.String(id), InstanceId: aws.String(a2), Device: aws.String("/dev/xvdab")})
	wantError(t, "attached elsewhere", err, "VolumeInUse", id+" is already attached to an instance")
	_, err = c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: other.VolumeId, InstanceId: aws.String(a), Device: aws.String("xvd/../sda")})
	wantError(t, "a bad device", err, "InvalidParameterValue", "is not a valid EBS device name")
	_, err = c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(id)})
	wantError(t, "delete in use", err, "VolumeInUse", fmt.Sprintf("Volume %s is currently attached to %s", id, a))

	// ControllerExpandVolume: ModifyVolume, then the modification's states.
	_, err = c.DescribeVolumesModifications(ctx, &ec2.DescribeVolumesModificationsInput{VolumeIds: []string{id}})
	wantError(t, "never modified", err, "InvalidVolumeModification.NotFound", "Modification for volume '"+id+"' does not exist.")
	mod, err := c.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(id), Size: aws.Int32(8), Iops: aws.Int32(4000)})
	h.must(err)
	if m := mod.VolumeModification; m.ModificationState != ec2types.VolumeModificationStateModifying || aws.ToInt32(m.TargetSize) != 8 ||
		aws.ToInt32(m.OriginalSize) != 4 || aws.ToInt32(m.TargetIops) != 4000 || m.TargetVolumeType != ec2types.VolumeTypeGp3 {
		t.Fatalf("modify: %+v", m)
	}
	_, err = c.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(id), Size: aws.Int32(9)})
	wantError(t, "modify while modifying", err, "IncorrectModificationState", "already being modified")
	h.must(h.m.ModificationOptimizing(ctx, id))
	mods, err := c.DescribeVolumesModifications(ctx, &ec2.DescribeVolumesModificationsInput{VolumeIds: []string{id}})
	if err != nil || len(mods.VolumesModifications) != 1 || mods.VolumesModifications[0].ModificationState != ec2types.VolumeModificationStateOptimizing {
		t.Fatalf("optimizing: %+v %v", mods, err)
	}
	if v := describeVolume(t, c, id); aws.ToInt32(v.Size) != 8 || aws.ToInt32(v.Iops) != 4000 {
		t.Fatalf("an optimizing volume has its new size: %+v", v)
	}
	h.must(h.m.ModificationCompleted(ctx, id))
	mods, err = c.DescribeVolumesModifications(ctx, &ec2.DescribeVolumesModificationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("modification-state"), Values: []string{"completed"}}, {Name: aws.String("volume-id"), Values: []string{id}}}})
	if err != nil || len(mods.VolumesModifications) != 1 || aws.ToInt64(mods.VolumesModifications[0].Progress) != 100 || mods.VolumesModifications[0].EndTime == nil {
		t.Fatalf("completed: %+v %v", mods, err)
	}

	// CreateSnapshot of the attached volume, and a volume from it.
	snap, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(id), Description: aws.String("Created by AWS EBS CSI driver for volume " + id),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: []ec2types.Tag{{Key: aws.String("CSIVolumeSnapshotName"), Value: aws.String("snap-1")}}}}})
	h.must(err)
	snapID := aws.ToString(snap.SnapshotId)
	if snap.State != ec2types.SnapshotStatePending || aws.ToInt32(snap.VolumeSize) != 8 || aws.ToString(snap.VolumeId) != id || snap.StartTime == nil {
		t.Fatalf("snapshot: %+v", snap)
	}
	_, err = c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(zone), SnapshotId: snap.SnapshotId})
	wantError(t, "a volume of a pending snapshot", err, "IncorrectState", "pending")
	h.must(h.m.SnapshotCompleted(ctx, snapID))
	snaps, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("volume-id"), Values: []string{id}}, {Name: aws.String("tag:CSIVolumeSnapshotName"), Values: []string{"snap-1"}}}})
	if err != nil || len(snaps.Snapshots) != 1 || snaps.Snapshots[0].State != ec2types.SnapshotStateCompleted || aws.ToString(snaps.Snapshots[0].Progress) != "100%" ||
		aws.ToString(snaps.Snapshots[0].OwnerId) != testServer.models.Bootstrap.AccountID {
		t.Fatalf("describe snapshots: %+v %v", snaps, err)
	}
	if none, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"amazon"}}); err != nil || len(none.Snapshots) != 0 {
		t.Fatalf("amazon's snapshots: %+v %v", none, err)
	}
	_, err = c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(zone), SnapshotId: snap.SnapshotId, Size: aws.Int32(4)})
	wantError(t, "smaller than the snapshot", err, "InvalidParameterValue", "smaller than snapshot")
	restored := available(t, c, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(ebsRegion + "b"), SnapshotId: snap.SnapshotId, VolumeType: ec2types.VolumeTypeIo2,
		Iops: aws.Int32(1000), MultiAttachEnabled: aws.Bool(true)})
	if aws.ToInt32(restored.Size) != 8 || aws.ToString(restored.SnapshotId) != snapID || !aws.ToBool(restored.MultiAttachEnabled) {
		t.Fatalf("restored: %+v", restored)
	}

	// ControllerUnpublishVolume: DetachVolume, then detached.
	det, err := c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(id), InstanceId: aws.String(a)})
	if err != nil || det.State != ec2types.VolumeAttachmentStateDetaching {
		t.Fatalf("detach: %+v %v", det, err)
	}
	h.must(h.m.DetachmentDone(ctx, id, a))
	if v := describeVolume(t, c, id); v.State != ec2types.VolumeStateAvailable || len(v.Attachments) != 0 {
		t.Fatalf("detached: %+v", v)
	}
	_, err = c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: aws.String(id)})
	wantError(t, "detach a detached volume", err, "IncorrectState", "'available'")

	// DeleteTags and CreateTags on volumes and snapshots.
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id, snapID}, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("db")}}})
	h.must(err)
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{id, snapID}, Tags: []ec2types.Tag{{Key: aws.String("team")}, {Key: aws.String("CSIVolumeName"), Value: aws.String("other")}}})
	h.must(err)
	v = describeVolume(t, c, id)
	if tags := tagMap(v.Tags); len(tags) != 2 || tags["CSIVolumeName"] != "pvc-0001" {
		t.Fatalf("tags after DeleteTags: %v", tags)
	}

	// DeleteDisk and DeleteSnapshot.
	_, err = c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: snap.SnapshotId})
	h.must(err)
	_, err = c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: snap.SnapshotId})
	wantError(t, "a deleted snapshot", err, "InvalidSnapshot.NotFound", "The snapshot '"+snapID+"' does not exist.")
	_, err = c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(id)})
	h.must(err)
	if v := describeVolume(t, c, id); v.State != ec2types.VolumeStateDeleting {
		t.Fatalf("deleting: %+v", v)
	}
	h.must(h.m.ForgetVolume(ctx, id))
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	wantError(t, "a deleted volume", err, "InvalidVolume.NotFound", "The volume '"+id+"' does not exist.")
	_, err = c.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(id)})
	wantError(t, "delete a deleted volume", err, "InvalidVolume.NotFound", id)
}

func tagMap(tags []ec2types.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// TestEBSRulesOnTheWire holds CreateVolume and the Describe calls to EC2's
// rules and error codes.
func TestEBSRulesOnTheWire(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(ebsConfig())
	zone := aws.String(ebsRegion + "a")
	for _, tc := range []struct {
		in        ec2.CreateVolumeInput
		code, msg string
	}{
		{ec2.CreateVolumeInput{Size: aws.Int32(1)}, "MissingParameter", "availabilityZone"},
		{ec2.CreateVolumeInput{AvailabilityZone: aws.String("ca-central-1z"), Size: aws.Int32(1)}, "InvalidZone.NotFound", "The zone 'ca-central-1z' does not exist."},
		{ec2.CreateVolumeInput{AvailabilityZone: zone}, "MissingParameter", "size"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(16385)}, "InvalidParameterValue", "maximum is 16384GiB"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), VolumeType: "io1"}, "InvalidParameterCombination", "iops must be specified"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), VolumeType: "io1", Iops: aws.Int32(1000)}, "InvalidParameterValue", "Iops to volume size ratio of 100.000000 is too high"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), VolumeType: "gp3", Throughput: aws.Int32(800)}, "InvalidParameterValue", "Throughput (MiBps) to iops ratio"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), VolumeType: "gp2", Iops: aws.Int32(300)}, "InvalidParameterCombination", "iops is not supported for gp2"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), VolumeType: "gp4"}, "UnknownVolumeType", "gp4"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), KmsKeyId: aws.String("alias/x")}, "InvalidParameterDependency", "requires the parameter Encrypted"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), SnapshotId: aws.String("snap-0123456789abcdef0")}, "InvalidSnapshot.NotFound", "snap-0123456789abcdef0"},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), SnapshotId: aws.String("snapshot")}, "InvalidSnapshotID.Malformed", `Invalid id: "snapshot"`},
		{ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(10), TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}}}, "InvalidParameterValue", "'instance' is not a valid taggable resource type"},
	} {
		_, err := c.CreateVolume(ctx, &tc.in)
		wantError(t, fmt.Sprintf("CreateVolume %+v", tc.in), err, tc.code, tc.msg)
	}

	// Paging: the driver pages until NextToken is empty.
	var made []string
	for i := range 7 {
		out := available(t, c, &ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(int32(i + 1)), VolumeType: ec2types.VolumeTypeGp2,
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: []ec2types.Tag{{Key: aws.String("paging"), Value: aws.String("yes")}}}}})
		made = append(made, aws.ToString(out.VolumeId))
	}
	_ = made
	var seen []string
	pages := ec2.NewDescribeVolumesPaginator(c, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5), Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"paging"}}}})
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range p.Volumes {
			seen = append(seen, aws.ToString(v.VolumeId))
		}
	}
	slices.Sort(made)
	if !slices.Equal(seen, made) {
		t.Fatalf("paged %v, made %v", seen, made)
	}
	_, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(4)})
	wantError(t, "a page too small", err, "InvalidParameterValue", "maxResults")
	if out, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5000)}); err != nil || len(out.Volumes) == 0 {
		t.Fatalf("a page larger than 500 answers 500 at most: %v", err)
	}
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5), VolumeIds: made[:1]})
	wantError(t, "ids and a page", err, "InvalidParameterCombination", "maxResults")
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-0123456789abcdef0"}})
	wantError(t, "an unknown volume", err, "InvalidVolume.NotFound", "The volume 'vol-0123456789abcdef0' does not exist.")
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{"disk-1"}})
	wantError(t, "a malformed id", err, "InvalidVolumeID.Malformed", `Invalid id: "disk-1"`)
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}})
	wantError(t, "an unknown filter", err, "InvalidParameterValue", "The filter 'colour' is invalid")

	for _, f := range []ec2types.Filter{
		{Name: aws.String("volume-type"), Values: []string{"gp2"}},
		{Name: aws.String("size"), Values: []string{"3"}},
		{Name: aws.String("status"), Values: []string{"available"}},
		{Name: aws.String("availability-zone"), Values: []string{ebsRegion + "a"}},
		{Name: aws.String("encrypted"), Values: []string{"false"}},
		{Name: aws.String("tag-value"), Values: []string{"yes"}},
		{Name: aws.String("volume-id"), Values: []string{made[2]}},
	} {
		out, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{f, {Name: aws.String("tag:paging"), Values: []string{"yes"}}}})
		if err != nil || len(out.Volumes) == 0 {
			t.Errorf("filter %s=%v: %v", aws.ToString(f.Name), f.Values, err)
		}
	}
	if out, err := c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{"i-*"}},
		{Name: aws.String("tag:paging"), Values: []string{"yes"}}}}); err != nil || len(out.Volumes) != 0 {
		t.Errorf("attachment filter on detached volumes: %+v %v", out, err)
	}
}

// TestEBSEncryption: a volume under a KMS key names the key's ARN; one
// under a key that does not exist is answered creating and then is gone,
// as EC2 checks keys late.
func TestEBSEncryption(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(ebsConfig())
	k, err := kms.NewFromConfig(ebsConfig()).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(ebsRegion + "a"), Size: aws.Int32(1), Encrypted: aws.Bool(true), KmsKeyId: k.KeyMetadata.KeyId})
	if err != nil || !aws.ToBool(v.Encrypted) || aws.ToString(v.KmsKeyId) != aws.ToString(k.KeyMetadata.Arn) {
		t.Fatalf("encrypted: %+v %v", v, err)
	}
	gone, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(ebsRegion + "a"), Size: aws.Int32(1), Encrypted: aws.Bool(true),
		KmsKeyId: aws.String("arn:aws:kms:" + ebsRegion + ":" + testServer.models.Bootstrap.AccountID + ":key/00000000-0000-0000-0000-000000000000")})
	if err != nil || gone.State != ec2types.VolumeStateCreating {
		t.Fatalf("under a missing key: %+v %v", gone, err)
	}
	_, err = c.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{aws.ToString(gone.VolumeId)}})
	wantError(t, "a volume under a missing key", err, "InvalidVolume.NotFound", aws.ToString(gone.VolumeId))
}
