package ec2api

import (
	"context"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// launchGroupIDs reads the security groups RunInstances names:
// SecurityGroupId.N (or on the first network interface), and
// SecurityGroup.N by name in the subnet's VPC. None leaves the choice of
// the VPC's default group to the model.
func (h *Handler) launchGroupIDs(ctx context.Context, c *awsproto.Call, subnetID string) ([]string, error) {
	ids := append(listParam(c, "SecurityGroupId"), listParam(c, "NetworkInterface.1.SecurityGroupId")...)
	names := listParam(c, "SecurityGroup")
	if len(names) == 0 {
		return ids, nil
	}
	sn, err := h.EC2.GetSubnet(ctx, subnetID)
	if err != nil {
		return nil, err
	}
	groups, err := h.EC2.SecurityGroups(ctx, c.Region)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		found := false
		for _, g := range groups {
			if g.VPCID == sn.VPCID && g.Name == name {
				ids, found = append(ids, g.ID), true
				break
			}
		}
		if !found {
			return nil, awserr.Errorf(ec2.CodeInvalidGroupNotFound, "The security group '%s' does not exist in VPC '%s'", name, sn.VPCID)
		}
	}
	return ids, nil
}

// withGroupSet adds an instance's groupSet (id and name of each group) to
// its node.
func (h *Handler) withGroupSet(ctx context.Context, n awsproto.Node, in *ec2.Instance) awsproto.Node {
	items := make([]awsproto.Node, 0, len(in.SecurityGroupIDs))
	for _, id := range in.SecurityGroupIDs {
		name := ""
		if g, err := h.EC2.GetSecurityGroup(ctx, id); err == nil {
			name = g.Name
		}
		items = append(items, awsproto.El("", awsproto.Tx("groupId", id), awsproto.Tx("groupName", name)))
	}
	n.Kids = append(n.Kids, awsproto.List("groupSet", "item", items))
	return n
}

// withGroupFields adds an instance's groups to its filterable fields
// (instance.group-id, group-id and their names).
func (h *Handler) withGroupFields(ctx context.Context, f map[string][]string, in *ec2.Instance) map[string][]string {
	for _, id := range in.SecurityGroupIDs {
		f["instance.group-id"] = append(f["instance.group-id"], id)
		f["group-id"] = append(f["group-id"], id)
		if g, err := h.EC2.GetSecurityGroup(ctx, id); err == nil {
			f["instance.group-name"] = append(f["instance.group-name"], g.Name)
			f["group-name"] = append(f["group-name"], g.Name)
		}
	}
	return f
}
