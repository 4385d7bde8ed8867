package sgfirewall

import (
	"slices"
	"testing"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
)

func TestTheHostIsAMemberOfItsClustersGroupsAndTheDefaultGroup(t *testing.T) {
	groups := []ec2.SecurityGroup{{ID: "sg-def", VPCID: "vpc-1", Name: "default"}, {ID: "sg-def2", VPCID: "vpc-2", Name: "default"}}
	clusters := []eks.Cluster{
		{Name: "a", Region: "us-east-1", Spec: eks.ClusterSpec{SecurityGroupIDs: []string{"sg-extra"}}, Status: eks.Status{ClusterSecurityGroupID: "sg-a"}},
		{Name: "b", Region: "us-east-1", Status: eks.Status{ClusterSecurityGroupID: "sg-b"}},
	}
	node := &ec2.Instance{Region: "us-east-1", VPCID: "vpc-1", Tags: map[string]string{"kubernetes.io/cluster/a": "owned"}}
	if got := hostGroups(node, clusters, groups); !slices.Equal(got, []string{"sg-def", "sg-extra", "sg-a"}) {
		t.Errorf("on a node of cluster a: %v", got)
	}
	plain := &ec2.Instance{Region: "us-east-1", VPCID: "vpc-2"}
	if got := hostGroups(plain, clusters, groups); !slices.Equal(got, []string{"sg-def2"}) {
		t.Errorf("on an instance of no cluster: %v", got)
	}
}

func TestHostSourcesAreTheRoutedRangesAndTheSubnetsGateways(t *testing.T) {
	c := &Controller{}
	got := c.hostSources([]ec2.Subnet{{CIDR: "172.31.0.0/20"}, {CIDR: "bogus"}})
	if !slices.Equal(got, []string{"172.31.0.1/32"}) {
		t.Errorf("host sources: %v", got)
	}
}
