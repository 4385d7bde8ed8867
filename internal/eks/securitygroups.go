package eks

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store"
)

// clusterSecurityGroupRules are the rules EKS gives the cluster security
// group besides EC2's default egress: all traffic in from the group's own
// members (the control plane's network interfaces, managed nodes, Fargate
// pods).
func clusterSecurityGroupRules() []ec2.SecurityGroupRule {
	return []ec2.SecurityGroupRule{ec2.SelfRule(ec2.SelfGroup)}
}

// remoteAccessDescription is the description EKS gives the security group
// it makes for a node group's remoteAccess.
const remoteAccessDescription = "Security group for all nodes in the nodeGroup to allow SSH access"

// addRemoteAccessGroup makes, in t, the group EKS makes for a node group
// with remoteAccess and no launch template: eks-remoteAccess-<uuid>,
// allowing SSH (TCP 22) from the given source groups, or from anywhere
// when there are none.
func (s *Service) addRemoteAccessGroup(ctx context.Context, t *store.Txn, c *Cluster, ng *Nodegroup) (string, error) {
	var rules []ec2.SecurityGroupRule
	for _, id := range ng.RemoteAccess.SourceSecurityGroupIDs {
		g, err := s.EC2.GetSecurityGroup(ctx, id)
		if err != nil || g.Region != c.Region {
			return "", awserr.Errorf(CodeInvalidParameter, "The security group '%s' does not exist", id).With("clusterName", c.Name).With("nodegroupName", ng.Name)
		}
		rules = append(rules, ec2.SecurityGroupRule{Protocol: "tcp", FromPort: 22, ToPort: 22, GroupID: id})
	}
	if len(rules) == 0 {
		rules = []ec2.SecurityGroupRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}}
	}
	g, err := s.EC2.AddSecurityGroup(ctx, t, ec2.SecurityGroup{VPCID: c.Spec.VPCID, Name: "eks-remoteAccess-" + uuid.NewString(), Description: remoteAccessDescription,
		Rules: rules, Tags: map[string]string{"eks": c.Name + "-" + ng.Name, "eks:cluster-name": c.Name, "eks:nodegroup-name": ng.Name}})
	if err != nil {
		return "", fmt.Errorf("create the remote access security group: %w", err)
	}
	return g.ID, nil
}

// InstanceSecurityGroups are the groups EKS gives a managed node group's
// instances (without a launch template): the cluster security group, and
// the group made for its remoteAccess.
func InstanceSecurityGroups(c *Cluster, ng *Nodegroup) []string {
	var out []string
	if c.Status.ClusterSecurityGroupID != "" {
		out = append(out, c.Status.ClusterSecurityGroupID)
	}
	if ng != nil && ng.RemoteAccessSecurityGroup != "" {
		out = append(out, ng.RemoteAccessSecurityGroup)
	}
	return out
}

// removeRemoteAccessGroup deletes a node group's remote access group once
// its instances are gone; one already gone is fine.
func (s *Service) removeRemoteAccessGroup(ctx context.Context, ng *Nodegroup) error {
	if ng.RemoteAccessSecurityGroup == "" {
		return nil
	}
	err := s.EC2.RemoveSecurityGroup(ctx, ng.RemoteAccessSecurityGroup)
	var e *awserr.Error
	if err != nil && (!errors.As(err, &e) || e.Code != ec2.CodeInvalidGroupNotFound) {
		return fmt.Errorf("delete the remote access security group of %s: %w", ng.Name, err)
	}
	return nil
}
