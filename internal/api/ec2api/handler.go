// Package ec2api is the Query-protocol wire layer of the EC2 actions EKS
// needs: availability zones, VPCs, subnets, security groups and tags.
package ec2api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// Handler serves EC2 actions.
type Handler struct {
	EC2 *ec2.Service
	// SubnetInUse reports whether a cluster or instance uses a subnet.
	SubnetInUse func(subnetID string) (bool, error)
	// RoleARN resolves an instance profile (named after its role) to the role's ARN.
	RoleARN func(ctx context.Context, name string) (string, error)
	// InstancesChanged wakes the instance controller.
	InstancesChanged func()
}

// Service returns the front door's entry for EC2.
func (h *Handler) Service() *awsproto.Service {
	return &awsproto.Service{Name: "ec2", Query: true, EC2: true, Handle: h.handle}
}

type action func(h *Handler, r *http.Request, c *awsproto.Call) ([]awsproto.Node, error)

var actions = map[string]action{
	"DescribeAvailabilityZones": (*Handler).describeAvailabilityZones,
	"DescribeRegions":           (*Handler).describeRegions,
	"DescribeVpcs":              (*Handler).describeVpcs,
	"CreateVpc":                 (*Handler).createVpc,
	"DeleteVpc":                 (*Handler).deleteVpc,
	"DescribeSubnets":           (*Handler).describeSubnets,
	"CreateSubnet":              (*Handler).createSubnet,
	"DeleteSubnet":              (*Handler).deleteSubnet,
	"DescribeSecurityGroups":    (*Handler).describeSecurityGroups,
	"CreateSecurityGroup":       (*Handler).createSecurityGroup,
	"DeleteSecurityGroup":       (*Handler).deleteSecurityGroup,
	"CreateTags":                (*Handler).createTags,
	"RunInstances":              (*Handler).runInstances,
	"DescribeInstances":         (*Handler).describeInstances,
	"TerminateInstances":        (*Handler).terminateInstances,
}

func (h *Handler) handle(w http.ResponseWriter, r *http.Request, c *awsproto.Call) error {
	name := c.Form.Get("Action")
	act, ok := actions[name]
	if !ok {
		return awserr.Errorf(awserr.CodeInvalidAction, "The action %s is not valid for this web service.", name)
	}
	out, err := act(h, r, c)
	if err != nil {
		return err
	}
	awsproto.WriteEC2Result(w, c.RequestID, name, out...)
	return nil
}

// listParam reads Name.1, Name.2, ...
func listParam(c *awsproto.Call, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := c.Form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

type filter struct {
	name   string
	values []string
}

func filters(c *awsproto.Call) []filter {
	var out []filter
	for i := 1; ; i++ {
		n := c.Form.Get(fmt.Sprintf("Filter.%d.Name", i))
		if n == "" {
			return out
		}
		out = append(out, filter{n, listParam(c, fmt.Sprintf("Filter.%d.Value", i))})
	}
}

// matches applies filters to a resource described by its filterable fields.
func matches(fs []filter, fields map[string]string, tags map[string]string) bool {
	for _, f := range fs {
		var have []string
		switch {
		case strings.HasPrefix(f.name, "tag:"):
			if v, ok := tags[f.name[4:]]; ok {
				have = []string{v}
			}
		case f.name == "tag-key":
			for k := range tags {
				have = append(have, k)
			}
		default:
			v, ok := fields[f.name]
			if !ok {
				return false
			}
			have = []string{v}
		}
		if !slices.ContainsFunc(have, func(h string) bool {
			return slices.ContainsFunc(f.values, func(w string) bool { return wildcard(w, h) })
		}) {
			return false
		}
	}
	return true
}

// wildcard matches EC2 filter values, where * and ? are wildcards.
func wildcard(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcard(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcard(pattern[1:], s[1:])
	default:
		return s != "" && s[0] == pattern[0] && wildcard(pattern[1:], s[1:])
	}
}

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

func tagSpecs(c *awsproto.Call) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		k, ok := c.Form[fmt.Sprintf("TagSpecification.1.Tag.%d.Key", i)]
		if !ok {
			break
		}
		out[k[0]] = c.Form.Get(fmt.Sprintf("TagSpecification.1.Tag.%d.Value", i))
	}
	return out
}

func (h *Handler) describeAvailabilityZones(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs := filters(c)
	names := listParam(c, "ZoneName")
	var items []awsproto.Node
	for _, z := range ec2.Zones(c.Region) {
		if len(names) > 0 && !slices.Contains(names, z.Name) {
			continue
		}
		if !matches(fs, map[string]string{"zone-name": z.Name, "zone-id": z.ID, "region-name": z.Region, "state": "available", "zone-type": "availability-zone"}, nil) {
			continue
		}
		items = append(items, awsproto.El("", awsproto.Tx("zoneName", z.Name), awsproto.Tx("zoneId", z.ID), awsproto.Tx("zoneState", "available"),
			awsproto.Tx("regionName", z.Region), awsproto.Tx("groupName", z.Region), awsproto.Tx("networkBorderGroup", z.Region),
			awsproto.Tx("optInStatus", "opt-in-not-required"), awsproto.Tx("zoneType", "availability-zone"), awsproto.El("messageSet")))
	}
	return []awsproto.Node{awsproto.List("availabilityZoneInfo", "item", items)}, nil
}

func (h *Handler) describeRegions(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return []awsproto.Node{awsproto.List("regionInfo", "item", []awsproto.Node{awsproto.El("", awsproto.Tx("regionName", c.Region),
		awsproto.Tx("regionEndpoint", "ec2."+c.Region+".amazonaws.com"), awsproto.Tx("optInStatus", "opt-in-not-required"))})}, nil
}

func vpcNode(v *ec2.VPC) awsproto.Node {
	return awsproto.El("", awsproto.Tx("vpcId", v.ID), awsproto.Tx("ownerId", v.OwnerID), awsproto.Tx("state", "available"), awsproto.Tx("cidrBlock", v.CIDR),
		awsproto.List("cidrBlockAssociationSet", "item", []awsproto.Node{awsproto.El("", awsproto.Tx("cidrBlock", v.CIDR), awsproto.El("cidrBlockState", awsproto.Tx("state", "associated")))}),
		awsproto.Tx("dhcpOptionsId", "default"), awsproto.Tx("instanceTenancy", "default"), awsproto.Bool("isDefault", v.IsDefault), tagSet(v.Tags))
}

func (h *Handler) describeVpcs(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	ids := listParam(c, "VpcId")
	vpcs, err := h.EC2.VPCs(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, vpcs, func(v ec2.VPC) string { return v.ID }, ec2.CodeInvalidVpcNotFound, "vpc ID"); err != nil {
		return nil, err
	}
	fs := filters(c)
	var items []awsproto.Node
	for i, v := range vpcs {
		if len(ids) > 0 && !slices.Contains(ids, v.ID) {
			continue
		}
		if matches(fs, map[string]string{"vpc-id": v.ID, "cidr": v.CIDR, "cidr-block-association.cidr-block": v.CIDR, "is-default": strconv.FormatBool(v.IsDefault), "state": "available", "owner-id": v.OwnerID}, v.Tags) {
			items = append(items, vpcNode(&vpcs[i]))
		}
	}
	return []awsproto.Node{awsproto.List("vpcSet", "item", items)}, nil
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
	if c.Form.Get("CidrBlock") == "" {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter cidrBlock")
	}
	v, err := h.EC2.CreateVPC(r.Context(), c.Region, c.Principal.Account, c.Form.Get("CidrBlock"), false, tagSpecs(c))
	if err != nil {
		return nil, err
	}
	n := vpcNode(v)
	n.Name = "vpc"
	return []awsproto.Node{n}, nil
}

func (h *Handler) deleteVpc(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := h.EC2.DeleteVPC(r.Context(), c.Form.Get("VpcId")); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

func subnetNode(s *ec2.Subnet) awsproto.Node {
	return awsproto.El("", awsproto.Tx("subnetId", s.ID), awsproto.Tx("subnetArn", fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", s.Region, s.OwnerID, s.ID)),
		awsproto.Tx("state", "available"), awsproto.Tx("ownerId", s.OwnerID), awsproto.Tx("vpcId", s.VPCID), awsproto.Tx("cidrBlock", s.CIDR),
		awsproto.Int("availableIpAddressCount", availableIPs(s.CIDR)), awsproto.Tx("availabilityZone", s.AvailabilityZone),
		awsproto.Tx("availabilityZoneId", zoneID(s.Region, s.AvailabilityZone)), awsproto.Bool("defaultForAz", s.DefaultForAZ),
		awsproto.Bool("mapPublicIpOnLaunch", s.MapPublicIP), awsproto.Bool("assignIpv6AddressOnCreation", false), tagSet(s.Tags))
}

func availableIPs(cidr string) int {
	var a, b, cc, d, bits int
	if _, err := fmt.Sscanf(cidr, "%d.%d.%d.%d/%d", &a, &b, &cc, &d, &bits); err != nil {
		return 0
	}
	return (1 << (32 - bits)) - 5 // AWS reserves five addresses per subnet
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
	ids := listParam(c, "SubnetId")
	subnets, err := h.EC2.Subnets(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, subnets, func(s ec2.Subnet) string { return s.ID }, ec2.CodeInvalidSubnetNotFound, "subnet ID"); err != nil {
		return nil, err
	}
	fs := filters(c)
	var items []awsproto.Node
	for i, s := range subnets {
		if len(ids) > 0 && !slices.Contains(ids, s.ID) {
			continue
		}
		fields := map[string]string{"subnet-id": s.ID, "vpc-id": s.VPCID, "availability-zone": s.AvailabilityZone, "availability-zone-id": zoneID(s.Region, s.AvailabilityZone),
			"cidr-block": s.CIDR, "cidr": s.CIDR, "default-for-az": strconv.FormatBool(s.DefaultForAZ), "map-public-ip-on-launch": strconv.FormatBool(s.MapPublicIP), "state": "available", "owner-id": s.OwnerID}
		if matches(fs, fields, s.Tags) {
			items = append(items, subnetNode(&subnets[i]))
		}
	}
	return []awsproto.Node{awsproto.List("subnetSet", "item", items)}, nil
}

func (h *Handler) createSubnet(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if c.Form.Get("VpcId") == "" || c.Form.Get("CidrBlock") == "" {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameters vpcId and cidrBlock")
	}
	az := c.Form.Get("AvailabilityZone")
	if az == "" {
		az = c.Form.Get("AvailabilityZoneId")
	}
	s, err := h.EC2.CreateSubnet(r.Context(), ec2.Subnet{VPCID: c.Form.Get("VpcId"), CIDR: c.Form.Get("CidrBlock"), AvailabilityZone: az, Tags: tagSpecs(c)})
	if err != nil {
		return nil, err
	}
	n := subnetNode(s)
	n.Name = "subnet"
	return []awsproto.Node{n}, nil
}

func (h *Handler) deleteSubnet(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := h.EC2.DeleteSubnet(r.Context(), c.Form.Get("SubnetId"), h.SubnetInUse); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

func sgNode(g *ec2.SecurityGroup) awsproto.Node {
	return awsproto.El("", awsproto.Tx("ownerId", g.OwnerID), awsproto.Tx("groupId", g.ID), awsproto.Tx("groupName", g.Name),
		awsproto.Tx("groupDescription", g.Description), awsproto.Tx("vpcId", g.VPCID), awsproto.El("ipPermissions"),
		awsproto.List("ipPermissionsEgress", "item", []awsproto.Node{awsproto.El("", awsproto.Tx("ipProtocol", "-1"),
			awsproto.List("ipRanges", "item", []awsproto.Node{awsproto.El("", awsproto.Tx("cidrIp", "0.0.0.0/0"))}))}), tagSet(g.Tags))
}

func (h *Handler) describeSecurityGroups(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	ids := listParam(c, "GroupId")
	names := listParam(c, "GroupName")
	groups, err := h.EC2.SecurityGroups(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, groups, func(g ec2.SecurityGroup) string { return g.ID }, ec2.CodeInvalidGroupNotFound, "security group"); err != nil {
		return nil, err
	}
	fs := filters(c)
	var items []awsproto.Node
	for i, g := range groups {
		if (len(ids) > 0 && !slices.Contains(ids, g.ID)) || (len(names) > 0 && !slices.Contains(names, g.Name)) {
			continue
		}
		if matches(fs, map[string]string{"group-id": g.ID, "group-name": g.Name, "vpc-id": g.VPCID, "description": g.Description, "owner-id": g.OwnerID}, g.Tags) {
			items = append(items, sgNode(&groups[i]))
		}
	}
	return []awsproto.Node{awsproto.List("securityGroupInfo", "item", items)}, nil
}

func (h *Handler) createSecurityGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	vpc := c.Form.Get("VpcId")
	if vpc == "" {
		vpcs, err := h.EC2.VPCs(r.Context(), c.Region)
		if err != nil {
			return nil, err
		}
		for _, v := range vpcs {
			if v.IsDefault {
				vpc = v.ID
			}
		}
	}
	g, err := h.EC2.CreateSecurityGroup(r.Context(), ec2.SecurityGroup{VPCID: vpc, Name: c.Form.Get("GroupName"), Description: c.Form.Get("GroupDescription"), Tags: tagSpecs(c)})
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true), awsproto.Tx("groupId", g.ID)}, nil
}

func (h *Handler) deleteSecurityGroup(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := h.EC2.DeleteSecurityGroup(r.Context(), c.Form.Get("GroupId")); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

func (h *Handler) createTags(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	tags := map[string]string{}
	for i := 1; ; i++ {
		k, ok := c.Form[fmt.Sprintf("Tag.%d.Key", i)]
		if !ok {
			break
		}
		tags[k[0]] = c.Form.Get(fmt.Sprintf("Tag.%d.Value", i))
	}
	for _, id := range listParam(c, "ResourceId") {
		if err := h.EC2.TagResource(r.Context(), id, tags); err != nil {
			return nil, err
		}
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}
