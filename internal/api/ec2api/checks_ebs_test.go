package ec2api

import (
	"context"
	"maps"
	"reflect"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
)

func TestChecksDescribeEBSActions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	zone := testRegion + "b"
	size := 8
	vol, err := w.h.EC2.CreateVolume(ctx, ec2.CreateVolumeInput{Region: testRegion, Account: testAccount, Zone: zone, VolumeRequest: ec2.VolumeRequest{Size: &size, Type: "gp3"},
		Tags: map[string]string{"team": "db"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.h.EC2.VolumeCreated(ctx, vol.ID); err != nil {
		t.Fatal(err)
	}
	snap, err := w.h.EC2.CreateSnapshot(ctx, testRegion, vol.ID, "", map[string]string{"kind": "nightly"})
	if err != nil {
		t.Fatal(err)
	}
	volARN, snapARN, instanceARN := arn("volume", vol.ID), "arn:aws:ec2:"+testRegion+"::snapshot/"+snap.ID, arn("instance", w.instance.ID)
	volKeys := keys("ec2:VolumeID", vol.ID, "ec2:AvailabilityZone", zone, "ec2:Encrypted", "false", "ec2:VolumeSize", "8", "ec2:VolumeType", "gp3",
		"ec2:VolumeIops", "3000", "ec2:VolumeThroughput", "125")
	snapKeys := keys("ec2:SnapshotID", snap.ID, "ec2:Owner", testAccount, "ec2:VolumeSize", "8", "ec2:Encrypted", "false",
		"ec2:SnapshotTime", snap.StartTime.UTC().Format("2006-01-02T15:04:05Z"), "ec2:ParentVolume", volARN)
	instanceKeys := keys("ec2:InstanceID", w.instance.ID, "ec2:InstanceType", "t3.small", "ec2:AvailabilityZone", zone,
		"ec2:Tenancy", "default", "ec2:RootDeviceType", "ebs", "ec2:InstanceProfile", "arn:aws:iam::"+testAccount+":instance-profile/eks/nodes")
	tests := []struct {
		name   string
		params map[string]string
		want   []described
	}{
		{"create with tags from a snapshot", map[string]string{"Action": "CreateVolume", "AvailabilityZone": zone, "Size": "10", "VolumeType": "io2", "Iops": "1000",
			"Encrypted": "true", "KmsKeyId": "alias/db", "SnapshotId": snap.ID,
			"TagSpecification.1.ResourceType": "volume", "TagSpecification.1.Tag.1.Key": "team", "TagSpecification.1.Tag.1.Value": "db"},
			[]described{
				{"ec2:CreateVolume", arn("volume", "*"), keys("ec2:AvailabilityZone", zone, "ec2:VolumeType", "io2", "ec2:Encrypted", "true", "ec2:VolumeSize", "10",
					"ec2:VolumeIops", "1000", "ec2:KmsKeyId", "alias/db", "ec2:ParentSnapshot", snapARN, "aws:RequestTag/team", "db", "aws:TagKeys", "team")},
				{"ec2:CreateTags", arn("volume", "*"), keys("ec2:CreateAction", "CreateVolume", "aws:RequestTag/team", "db", "aws:TagKeys", "team")},
				{"ec2:CreateVolume", snapARN, snapKeys},
			}},
		{"create takes a zone by id and the snapshot's size", map[string]string{"Action": "CreateVolume", "AvailabilityZoneId": "use1-az1", "SnapshotId": snap.ID},
			[]described{
				{"ec2:CreateVolume", arn("volume", "*"), keys("ec2:AvailabilityZone", testRegion+"a", "ec2:VolumeType", "gp2", "ec2:Encrypted", "false",
					"ec2:VolumeSize", "8", "ec2:ParentSnapshot", snapARN)},
				{"ec2:CreateVolume", snapARN, snapKeys},
			}},
		{"attach acts on the instance and the volume", map[string]string{"Action": "AttachVolume", "VolumeId": vol.ID, "InstanceId": w.instance.ID, "Device": "/dev/xvdf"},
			[]described{{"ec2:AttachVolume", instanceARN, instanceKeys}, {"ec2:AttachVolume", volARN, volKeys}}},
		{"modify", map[string]string{"Action": "ModifyVolume", "VolumeId": vol.ID, "Size": "20"}, []described{{"ec2:ModifyVolume", volARN, volKeys}}},
		{"delete", map[string]string{"Action": "DeleteVolume", "VolumeId": vol.ID}, []described{{"ec2:DeleteVolume", volARN, volKeys}}},
		{"snapshot acts on the new snapshot and its volume", map[string]string{"Action": "CreateSnapshot", "VolumeId": vol.ID,
			"TagSpecification.1.ResourceType": "snapshot", "TagSpecification.1.Tag.1.Key": "kind", "TagSpecification.1.Tag.1.Value": "adhoc"},
			[]described{
				{"ec2:CreateSnapshot", "arn:aws:ec2:" + testRegion + "::snapshot/*", keys("ec2:ParentVolume", volARN, "ec2:VolumeSize", "8", "ec2:Encrypted", "false",
					"aws:RequestTag/kind", "adhoc", "aws:TagKeys", "kind")},
				{"ec2:CreateTags", "arn:aws:ec2:" + testRegion + "::snapshot/*", keys("ec2:CreateAction", "CreateSnapshot", "aws:RequestTag/kind", "adhoc", "aws:TagKeys", "kind")},
				{"ec2:CreateSnapshot", volARN, volKeys},
			}},
		{"delete snapshot names no account", map[string]string{"Action": "DeleteSnapshot", "SnapshotId": snap.ID}, []described{{"ec2:DeleteSnapshot", snapARN, snapKeys}}},
		{"delete tags with the keys it removes", map[string]string{"Action": "DeleteTags", "ResourceId.1": vol.ID, "ResourceId.2": snap.ID,
			"Tag.1.Key": "team", "Tag.2.Key": "kind", "Tag.2.Value": "nightly"},
			[]described{
				{"ec2:DeleteTags", volARN, withKeys(volKeys, "aws:TagKeys", []string{"kind", "team"}, "aws:RequestTag/kind", []string{"nightly"})},
				{"ec2:DeleteTags", snapARN, withKeys(snapKeys, "aws:TagKeys", []string{"kind", "team"}, "aws:RequestTag/kind", []string{"nightly"})},
			}},
		{"describe takes no resource", map[string]string{"Action": "DescribeVolumesModifications"}, []described{{"ec2:DescribeVolumesModifications", "*", keys()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describe(checksOf(w.h, tt.params))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// Detach without an instance acts on the one the volume is attached to.
	if _, err := w.h.EC2.UpdateInstance(ctx, w.instance.ID, func(i *ec2.Instance) error { i.State = ec2.StateRunning; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.h.EC2.AttachVolume(ctx, testRegion, vol.ID, w.instance.ID, "/dev/xvdf"); err != nil {
		t.Fatal(err)
	}
	got := describe(checksOf(w.h, map[string]string{"Action": "DetachVolume", "VolumeId": vol.ID}))
	if len(got) != 2 || got[0].Resource != instanceARN || got[1].Resource != volARN {
		t.Errorf("detach: %+v", got)
	}
	// The resources' tags are looked up when a condition asks.
	for _, ch := range checksOf(w.h, map[string]string{"Action": "DeleteTags", "ResourceId.1": vol.ID, "ResourceId.2": snap.ID, "Tag.1.Key": "x"}) {
		want := map[string]string{"team": "db"}
		if ch.Resource == snapARN {
			want = map[string]string{"kind": "nightly"}
		}
		if got := ch.ResourceTags(ctx); !maps.Equal(got, want) {
			t.Errorf("%s: tags %v, want %v", ch.Resource, got, want)
		}
	}
}

// withKeys is a copy of a context with more keys.
func withKeys(base map[string][]string, kv ...any) map[string][]string {
	out := maps.Clone(base)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1].([]string)
	}
	return out
}
