package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// storageTeam may make volumes tagged team=storage (the tags at creation
// need ec2:CreateTags with ec2:CreateAction), and attach only those, to
// any instance; it may look at everything.
const storageTeam = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
 {"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"aws:RequestTag/team":"storage"}}},
 {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateVolume"}}},
 {"Effect":"Allow","Action":"ec2:AttachVolume","Resource":"arn:aws:ec2:*:*:instance/*"},
 {"Effect":"Allow","Action":["ec2:AttachVolume","ec2:CreateSnapshot"],"Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"storage"}}},
 {"Effect":"Allow","Action":"ec2:CreateSnapshot","Resource":"arn:aws:ec2:*::snapshot/*"}
]}`

func TestEBSAuthorization(t *testing.T) {
	ctx := context.Background()
	account := testServer.models.Bootstrap.AccountID
	admin := ec2.NewFromConfig(ebsConfig())
	_, subnets := networkIn(t, ebsConfig(), "10.62.0.0/16")
	instance := instancesIn(t, admin, subnets[0])[0]
	u := newUser(t, "ebs-storage-team", nil, storageTeam)
	cfg := u.cfg
	cfg.Region = ebsRegion
	c := ec2.NewFromConfig(cfg)
	zone := aws.String(ebsRegion + "a")
	tagged := func(team string) []ec2types.TagSpecification {
		return []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}}
	}

	_, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(1)})
	denied(t, err, "UnauthorizedOperation", u.arn, "ec2:CreateVolume", "arn:aws:ec2:"+ebsRegion+":"+account+":volume/*", "because no identity-based policy allows")
	_, err = c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(1), TagSpecifications: tagged("web")})
	denied(t, err, "UnauthorizedOperation", u.arn, "ec2:CreateVolume", "arn:aws:ec2:"+ebsRegion+":"+account+":volume/*", "because no identity-based policy allows")
	ours, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(1), TagSpecifications: tagged("storage")})
	if err != nil {
		t.Fatalf("a volume the policy allows: %v", err)
	}
	theirs := available(t, admin, &ec2.CreateVolumeInput{AvailabilityZone: zone, Size: aws.Int32(1), TagSpecifications: tagged("web")})
	if err := testServer.models.EC2.VolumeCreated(ctx, aws.ToString(ours.VolumeId)); err != nil {
		t.Fatal(err)
	}

	// AttachVolume acts on the instance and the volume, each by its ARN.
	_, err = c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: theirs.VolumeId, InstanceId: aws.String(instance), Device: aws.String("/dev/xvdf")})
	denied(t, err, "UnauthorizedOperation", u.arn, "ec2:AttachVolume", "arn:aws:ec2:"+ebsRegion+":"+account+":volume/"+aws.ToString(theirs.VolumeId), "")
	if _, err := c.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: ours.VolumeId, InstanceId: aws.String(instance), Device: aws.String("/dev/xvdf")}); err != nil {
		t.Fatalf("attach a volume the policy allows: %v", err)
	}
	_, err = c.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: ours.VolumeId})
	denied(t, err, "UnauthorizedOperation", u.arn, "ec2:DetachVolume", "arn:aws:ec2:"+ebsRegion+":"+account+":instance/"+instance, "")

	// Snapshots name no account in their ARNs.
	snap, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: ours.VolumeId})
	if err != nil {
		t.Fatalf("a snapshot the policy allows: %v", err)
	}
	_, err = c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: snap.SnapshotId})
	denied(t, err, "UnauthorizedOperation", u.arn, "ec2:DeleteSnapshot", "arn:aws:ec2:"+ebsRegion+"::snapshot/"+aws.ToString(snap.SnapshotId), "")
	_, err = c.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{aws.ToString(ours.VolumeId)}, Tags: []ec2types.Tag{{Key: aws.String("team")}}})
	denied(t, err, "UnauthorizedOperation", u.arn, "ec2:DeleteTags", "arn:aws:ec2:"+ebsRegion+":"+account+":volume/"+aws.ToString(ours.VolumeId), "")
	if v := describeVolume(t, admin, aws.ToString(ours.VolumeId)); tagMap(v.Tags)["team"] != "storage" {
		t.Fatalf("a refused DeleteTags changed the tags: %v", v.Tags)
	}
}
