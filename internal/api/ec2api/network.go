package ec2api

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

func tagSet(tags map[string]string) awsproto.Node {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var items []awsproto.Node
	for _, k := range keys {
		items = append(items, awsproto.El("", awsproto.Tx("key", k), awsproto.Tx("value", tags[k])))
	}
	return awsproto.List("tagSet", "item", items)
}

func (h *Handler) describeAvailabilityZones(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeAvailabilityZones", false)
	if err != nil {
		return nil, err
	}
	zones := ec2.Zones(c.Region)
	names, ids := listParam(c, "ZoneName"), listParam(c, "ZoneId")
	for _, n := range names {
		if !slices.ContainsFunc(zones, func(z ec2.Zone) bool { return z.Name == n }) {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid availability zone: [%s]", n)
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(zones, func(z ec2.Zone) bool { return z.ID == id }) {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid availability zone id: [%s]", id)
		}
	}
	var items []awsproto.Node
	for _, z := range zones {
		if (len(names) > 0 || len(ids) > 0) && !slices.Contains(names, z.Name) && !slices.Contains(ids, z.ID) {
			continue
		}
		fields := map[string]string{"zone-name": z.Name, "zone-id": z.ID, "region-name": z.Region, "state": "available", "zone-type": "availability-zone",
			"group-name": z.Region, "group-long-name": z.Region, "opt-in-status": "opt-in-not-required"}
		if !matches(fs, fields, nil) {
			continue
		}
		items = append(items, awsproto.El("", awsproto.Tx("zoneName", z.Name), awsproto.Tx("zoneId", z.ID), awsproto.Tx("zoneState", "available"),
			awsproto.Tx("regionName", z.Region), awsproto.Tx("groupName", z.Region), awsproto.Tx("networkBorderGroup", z.Region),
			awsproto.Tx("optInStatus", "opt-in-not-required"), awsproto.Tx("zoneType", "availability-zone"), awsproto.El("messageSet")))
	}
	return []awsproto.Node{awsproto.List("availabilityZoneInfo", "item", items)}, nil
}

func (h *Handler) describeRegions(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeRegions", false)
	if err != nil {
		return nil, err
	}
	// keks serves whichever region a request is signed for: that is the one it lists.
	endpoint := "ec2." + c.Region + ".amazonaws.com"
	for _, n := range listParam(c, "RegionName") {
		if n != c.Region {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Invalid region: %s", n)
		}
	}
	var items []awsproto.Node
	if matches(fs, map[string]string{"region-name": c.Region, "endpoint": endpoint, "opt-in-status": "opt-in-not-required"}, nil) {
		items = append(items, awsproto.El("", awsproto.Tx("regionName", c.Region), awsproto.Tx("regionEndpoint", endpoint), awsproto.Tx("optInStatus", "opt-in-not-required")))
	}
	return []awsproto.Node{awsproto.List("regionInfo", "item", items)}, nil
}

func vpcNode(v *ec2.VPC) awsproto.Node {
	return awsproto.El("", awsproto.Tx("vpcId", v.ID), awsproto.Tx("ownerId", v.OwnerID), awsproto.Tx("state", "available"), awsproto.Tx("cidrBlock", v.CIDR),
		awsproto.List("cidrBlockAssociationSet", "item", []awsproto.Node{awsproto.El("", awsproto.Tx("associationId", cidrAssociationID(v.ID)),
			awsproto.Tx("cidrBlock", v.CIDR), awsproto.El("cidrBlockState", awsproto.Tx("state", "associated")))}),
		awsproto.Tx("dhcpOptionsId", "default"), awsproto.Tx("instanceTenancy", "default"), awsproto.Bool("isDefault", v.IsDefault), tagSet(v.Tags))
}

// cidrAssociationID is the id of a VPC's (only) block association.
func cidrAssociationID(vpcID string) string { return "vpc-cidr-assoc-" + vpcID[len("vpc-"):] }

func (h *Handler) describeVpcs(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeVpcs", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "VpcId")
	vpcs, err := h.EC2.VPCs(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, vpcs, func(v ec2.VPC) string { return v.ID }, ec2.CodeInvalidVpcNotFound, "vpc ID"); err != nil {
		return nil, err
	}
	var found []ec2.VPC
	for _, v := range vpcs {
		if len(ids) > 0 && !slices.Contains(ids, v.ID) {
			continue
		}
		fields := map[string]string{"vpc-id": v.ID, "cidr": v.CIDR, "cidr-block-association.cidr-block": v.CIDR, "cidr-block-association.state": "associated",
			"cidr-block-association.association-id": cidrAssociationID(v.ID), "dhcp-options-id": "default", "is-default": strconv.FormatBool(v.IsDefault),
			"state": "available", "owner-id": v.OwnerID}
		if matches(fs, fields, v.Tags) {
			found = append(found, v)
		}
	}
	found, next := page(found, func(v ec2.VPC) string { return v.ID }, pg)
	var items []awsproto.Node
	for i := range found {
		items = append(items, vpcNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("vpcSet", "item", items)}, nextToken(next)...), nil
}

func allFound[T any](ids []string, have []T, id func(T) string, code, what string) error {
	for _, want := range ids {
		if !slices.ContainsFunc(have, func(t T) bool { return id(t) == want }) {
			return awserr.Errorf(code, "The %s '%s' does not exist", what, want)
		}
	}
	return nil
}

func (h *Handler) createVpc(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	cidr, err := required(c, "CidrBlock", "cidrBlock")
	if err != nil {
		return nil, err
	}
	tags, err := tagSpecs(c, "vpc")
	if err != nil {
		return nil, err
	}
	v, err := h.EC2.CreateVPC(r.Context(), c.Region, c.Principal.Account, cidr, false, tags)
	if err != nil {
		return nil, err
	}
	n := vpcNode(v)
	n.Name = "vpc"
	return []awsproto.Node{n}, nil
}

func (h *Handler) deleteVpc(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "VpcId", "vpcId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DeleteVPC(r.Context(), id); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

func subnetNode(s *ec2.Subnet) awsproto.Node {
	return awsproto.El("", awsproto.Tx("subnetId", s.ID), awsproto.Tx("subnetArn", subnetARN(s)),
		awsproto.Tx("state", "available"), awsproto.Tx("ownerId", s.OwnerID), awsproto.Tx("vpcId", s.VPCID), awsproto.Tx("cidrBlock", s.CIDR),
		awsproto.Int("availableIpAddressCount", availableIPs(s.CIDR)), awsproto.Tx("availabilityZone", s.AvailabilityZone),
		awsproto.Tx("availabilityZoneId", zoneID(s.Region, s.AvailabilityZone)), awsproto.Bool("defaultForAz", s.DefaultForAZ),
		awsproto.Bool("mapPublicIpOnLaunch", s.MapPublicIP), awsproto.Bool("assignIpv6AddressOnCreation", false), tagSet(s.Tags))
}

func subnetARN(s *ec2.Subnet) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", s.Region, s.OwnerID, s.ID)
}

func availableIPs(cidr string) int {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return 0
	}
	return (1 << (32 - p.Bits())) - 5 // AWS reserves five addresses per subnet
}

func zoneID(region, name string) string {
	for _, z := range ec2.Zones(region) {
		if z.Name == name {
			return z.ID
		}
	}
	return ""
}

func (h *Handler) describeSubnets(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeSubnets", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "SubnetId")
	subnets, err := h.EC2.Subnets(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, subnets, func(s ec2.Subnet) string { return s.ID }, ec2.CodeInvalidSubnetNotFound, "subnet ID"); err != nil {
		return nil, err
	}
	var found []ec2.Subnet
	for _, s := range subnets {
		if len(ids) > 0 && !slices.Contains(ids, s.ID) {
			continue
		}
		zid, def, public := zoneID(s.Region, s.AvailabilityZone), strconv.FormatBool(s.DefaultForAZ), strconv.FormatBool(s.MapPublicIP)
		fields := map[string]string{"subnet-id": s.ID, "subnet-arn": subnetARN(&s), "vpc-id": s.VPCID, "state": "available", "owner-id": s.OwnerID,
			"availability-zone": s.AvailabilityZone, "availabilityZone": s.AvailabilityZone, "availability-zone-id": zid, "availabilityZoneId": zid,
			"cidr-block": s.CIDR, "cidr": s.CIDR, "cidrBlock": s.CIDR, "default-for-az": def, "defaultForAz": def,
			"map-public-ip-on-launch": public, "available-ip-address-count": strconv.Itoa(availableIPs(s.CIDR)),
			"ipv6-native": "false", "enable-dns64": "false", "map-customer-owned-ip-on-launch": "false"}
		if matches(fs, fields, s.Tags) {
			found = append(found, s)
		}
	}
	found, next := page(found, func(s ec2.Subnet) string { return s.ID }, pg)
	var items []awsproto.Node
	for i := range found {
		items = append(items, subnetNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("subnetSet", "item", items)}, nextToken(next)...), nil
}

func (h *Handler) createSubnet(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	vpc, err := required(c, "VpcId", "vpcId")
	if err != nil {
		return nil, err
	}
	cidr, err := required(c, "CidrBlock", "cidrBlock")
	if err != nil {
		return nil, err
	}
	tags, err := tagSpecs(c, "subnet")
	if err != nil {
		return nil, err
	}
	az := c.Form.Get("AvailabilityZone")
	if az == "" {
		az = c.Form.Get("AvailabilityZoneId")
	}
	s, err := h.EC2.CreateSubnet(r.Context(), ec2.Subnet{VPCID: vpc, CIDR: cidr, AvailabilityZone: az, Tags: tags})
	if err != nil {
		return nil, err
	}
	n := subnetNode(s)
	n.Name = "subnet"
	return []awsproto.Node{n}, nil
}

func (h *Handler) deleteSubnet(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "SubnetId", "subnetId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DeleteSubnet(r.Context(), id, h.SubnetInUse); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

func sgNode(g *ec2.SecurityGroup) awsproto.Node {
	return awsproto.El("", awsproto.Tx("ownerId", g.OwnerID), awsproto.Tx("groupId", g.ID), awsproto.Tx("groupName", g.Name),
		awsproto.Tx("groupDescription", g.Description), awsproto.Tx("vpcId", g.VPCID), permissionsNode("ipPermissions", g, false),
		permissionsNode("ipPermissionsEgress", g, true), tagSet(g.Tags),
		awsproto.Tx("securityGroupArn", "arn:aws:ec2:"+g.Region+":"+g.OwnerID+":security-group/"+g.ID))
}

func (h *Handler) describeSecurityGroups(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeSecurityGroups", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	ids, names := listParam(c, "GroupId"), listParam(c, "GroupName")
	groups, err := h.EC2.SecurityGroups(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, groups, func(g ec2.SecurityGroup) string { return g.ID }, ec2.CodeInvalidGroupNotFound, "security group"); err != nil {
		return nil, err
	}
	if err := allFound(names, groups, func(g ec2.SecurityGroup) string { return g.Name }, ec2.CodeInvalidGroupNotFound, "security group"); err != nil {
		return nil, err
	}
	nameOf := make(map[string]string, len(groups))
	for _, g := range groups {
		nameOf[g.ID] = g.Name
	}
	var found []ec2.SecurityGroup
	for _, g := range groups {
		if (len(ids) > 0 && !slices.Contains(ids, g.ID)) || (len(names) > 0 && !slices.Contains(names, g.Name)) {
			continue
		}
		fields := map[string][]string{"group-id": {g.ID}, "group-name": {g.Name}, "vpc-id": {g.VPCID}, "description": {g.Description}, "owner-id": {g.OwnerID}}
		permissionFields(fields, &g, nameOf)
		if matchesEach(fs, fields, g.Tags) {
			found = append(found, g)
		}
	}
	found, next := page(found, func(g ec2.SecurityGroup) string { return g.ID }, pg)
	var items []awsproto.Node
	for i := range found {
		items = append(items, sgNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("securityGroupInfo", "item", items)}, nextToken(next)...), nil
}

// defaultVPC is the region's default VPC, where actions without a VpcId act.
func (h *Handler) defaultVPC(r *http.Request, c *awsproto.Call) (string, error) {
	vpcs, err := h.EC2.VPCs(r.Context(), c.Region)
	if err != nil {
		return "", err
	}
	for _, v := range vpcs {
		if v.IsDefault {
			return v.ID, nil
		}
	}
	return "", awserr.Errorf("VPCIdNotSpecified", "No default VPC for this user")
}

func (h *Handler) createSecurityGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	tags, err := tagSpecs(c, "security-group")
	if err != nil {
		return nil, err
	}
	vpc := c.Form.Get("VpcId")
	if vpc == "" {
		if vpc, err = h.defaultVPC(r, c); err != nil {
			return nil, err
		}
	}
	g, err := h.EC2.CreateSecurityGroup(r.Context(), ec2.SecurityGroup{VPCID: vpc, Name: c.Form.Get("GroupName"), Description: c.Form.Get("GroupDescription"), Tags: tags})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true), awsproto.Tx("groupId", g.ID)}, nil
}

func (h *Handler) deleteSecurityGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, name := c.Form.Get("GroupId"), c.Form.Get("GroupName")
	switch {
	case id == "" && name == "":
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter groupName or groupId")
	case id == "":
		// A name means a group of the default VPC.
		vpc, err := h.defaultVPC(r, c)
		if err != nil {
			return nil, err
		}
		groups, err := h.EC2.SecurityGroups(r.Context(), c.Region)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(groups, func(g ec2.SecurityGroup) bool { return g.VPCID == vpc && g.Name == name })
		if i < 0 {
			return nil, awserr.Errorf(ec2.CodeInvalidGroupNotFound, "The security group '%s' does not exist in default VPC '%s'", name, vpc)
		}
		id = groups[i].ID
	}
	if err := h.EC2.DeleteSecurityGroup(r.Context(), id); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

func (h *Handler) createTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	ids := listParam(c, "ResourceId")
	if len(ids) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter resourceIdSet")
	}
	tags := tagParams(c, "")
	if len(tags) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter tagSet")
	}
	if err := h.EC2.TagResources(r.Context(), ids, tags); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}
