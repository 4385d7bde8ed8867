package eks

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
)

func TestClusterAndRemoteAccessSecurityGroups(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.cluster(t, "sg", AuthModeAPI, false, f.alice)
	csg, err := f.s.EC2.GetSecurityGroup(ctx, c.Status.ClusterSecurityGroupID)
	if err != nil {
		t.Fatal(err)
	}
	in := slices.IndexFunc(csg.Rules, func(r ec2.SecurityGroupRule) bool { return !r.Egress && r.GroupID == csg.ID && r.Protocol == "-1" })
	out := slices.IndexFunc(csg.Rules, func(r ec2.SecurityGroupRule) bool { return r.Egress && r.CIDR == "0.0.0.0/0" && r.Protocol == "-1" })
	if len(csg.Rules) != 2 || in < 0 || out < 0 {
		t.Fatalf("cluster security group rules: %+v", csg.Rules)
	}

	plain, err := f.s.CreateNodegroup(ctx, CreateNodegroupInput{ClusterName: "sg", Name: "plain", Region: testRegion, Account: f.account, Subnets: f.subnets, NodeRole: f.node})
	if err != nil {
		t.Fatal(err)
	}
	if got := InstanceSecurityGroups(c, plain); !slices.Equal(got, []string{csg.ID}) {
		t.Errorf("a node group's instances' groups: %v", got)
	}
	if _, _, err := f.s.EC2.CreateKeyPair(ctx, testRegion, "ops", "ed25519", nil); err != nil {
		t.Fatal(err)
	}
	ssh, err := f.s.CreateNodegroup(ctx, CreateNodegroupInput{ClusterName: "sg", Name: "ssh", Region: testRegion, Account: f.account, Subnets: f.subnets, NodeRole: f.node,
		RemoteAccess: &RemoteAccess{EC2SSHKey: "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	ra, err := f.s.EC2.GetSecurityGroup(ctx, ssh.RemoteAccessSecurityGroup)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ra.Name, "eks-remoteAccess-") || ra.Description != remoteAccessDescription || ra.VPCID != c.Spec.VPCID ||
		!slices.ContainsFunc(ra.Rules, func(r ec2.SecurityGroupRule) bool {
			return !r.Egress && r.Protocol == "tcp" && r.FromPort == 22 && r.CIDR == "0.0.0.0/0"
		}) {
		t.Fatalf("remote access group: %+v", ra)
	}
	if got := InstanceSecurityGroups(c, ssh); !slices.Equal(got, []string{csg.ID, ra.ID}) {
		t.Errorf("a remote access node group's instances' groups: %v", got)
	}
	from, err := f.s.CreateNodegroup(ctx, CreateNodegroupInput{ClusterName: "sg", Name: "from", Region: testRegion, Account: f.account, Subnets: f.subnets, NodeRole: f.node,
		RemoteAccess: &RemoteAccess{EC2SSHKey: "ops", SourceSecurityGroupIDs: []string{csg.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	ra2, err := f.s.EC2.GetSecurityGroup(ctx, from.RemoteAccessSecurityGroup)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(ra2.Rules, func(r ec2.SecurityGroupRule) bool { return r.CIDR == "0.0.0.0/0" && !r.Egress }) ||
		!slices.ContainsFunc(ra2.Rules, func(r ec2.SecurityGroupRule) bool { return !r.Egress && r.FromPort == 22 && r.GroupID == csg.ID }) {
		t.Fatalf("SSH only from the source groups: %+v", ra2.Rules)
	}
	if err := f.s.ForgetNodegroup(ctx, ssh); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.EC2.GetSecurityGroup(ctx, ra.ID); err == nil {
		t.Errorf("the remote access group outlived its node group")
	}
}
