package ec2api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// NAT gateways, Elastic IP addresses and the subnet and VPC attributes
// eksctl's templates set, in EC2's shapes (NatGateway, Address of the
// 2016-11-15 API). They register themselves here so that the shared maps
// of handler.go and checks.go stay as they are.
func init() {
	for name, act := range map[string]action{
		"CreateNatGateway":      (*Handler).createNatGateway,
		"DescribeNatGateways":   (*Handler).describeNatGateways,
		"DeleteNatGateway":      (*Handler).deleteNatGateway,
		"AllocateAddress":       (*Handler).allocateAddress,
		"DescribeAddresses":     (*Handler).describeAddresses,
		"ReleaseAddress":        (*Handler).releaseAddress,
		"AssociateAddress":      (*Handler).associateAddress,
		"DisassociateAddress":   (*Handler).disassociateAddress,
		"ModifySubnetAttribute": (*Handler).modifySubnetAttribute,
		"ModifyVpcAttribute":    (*Handler).modifyVpcAttribute,
		"DescribeVpcAttribute":  (*Handler).describeVpcAttribute,
	} {
		actions[name] = act
	}
	for name, describe := range map[string]func(*ec2Call) []awsproto.Check{
		"CreateNatGateway":      (*ec2Call).createNatGateway,
		"DescribeNatGateways":   onAnything("ec2:DescribeNatGateways"),
		"DeleteNatGateway":      (*ec2Call).deleteNatGateway,
		"AllocateAddress":       (*ec2Call).allocateAddress,
		"DescribeAddresses":     onAnything("ec2:DescribeAddresses"),
		"ReleaseAddress":        (*ec2Call).releaseAddress,
		"AssociateAddress":      (*ec2Call).associateAddress,
		"DisassociateAddress":   (*ec2Call).disassociateAddress,
		"ModifySubnetAttribute": (*ec2Call).modifySubnetAttribute,
		"ModifyVpcAttribute":    (*ec2Call).modifyVpcAttribute,
		"DescribeVpcAttribute":  onAnything("ec2:DescribeVpcAttribute"),
	} {
		actionChecks[name] = describe
	}
	idPrefixes["natgateway"], idPrefixes["elastic-ip"] = "nat", "eipalloc"
	filterNames["DescribeNatGateways"] = []string{"nat-gateway-id", "state", "subnet-id", "vpc-id"}
	filterNames["DescribeAddresses"] = []string{"allocation-id", "association-id", "domain", "instance-id", "network-border-group",
		"network-interface-id", "network-interface-owner-id", "private-ip-address", "public-ip"}
}

func natGatewayNode(g *ec2.NatGateway) awsproto.Node {
	n := awsproto.El("", awsproto.Time("createTime", g.CreateTime))
	if !g.DeleteTime.IsZero() {
		n.Kids = append(n.Kids, awsproto.Time("deleteTime", g.DeleteTime))
	}
	address := awsproto.El("", awsproto.Tx("networkInterfaceId", g.NetworkInterface), awsproto.Tx("privateIp", g.PrivateIP))
	if g.AllocationID != "" {
		address.Kids = append(address.Kids, awsproto.Tx("allocationId", g.AllocationID), awsproto.Tx("publicIp", g.PublicIP))
		if g.AssociationID != "" {
			address.Kids = append(address.Kids, awsproto.Tx("associationId", g.AssociationID))
		}
	}
	status := "succeeded"
	switch g.State {
	case ec2.NatPending:
		status = "associating"
	case ec2.NatDeleting, ec2.NatDeleted:
		status = "disassociating"
	}
	address.Kids = append(address.Kids, awsproto.Bool("isPrimary", true), awsproto.Tx("status", status))
	n.Kids = append(n.Kids, awsproto.List("natGatewayAddressSet", "item", []awsproto.Node{address}),
		awsproto.Tx("natGatewayId", g.ID), awsproto.Tx("state", g.State), awsproto.Tx("subnetId", g.SubnetID),
		awsproto.Tx("vpcId", g.VPCID), tagSet(g.Tags), awsproto.Tx("connectivityType", g.ConnectivityType))
	return n
}

func (h *Handler) createNatGateway(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	subnet, err := required(c, "SubnetId", "subnetId")
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"PrivateIpAddress", "SecondaryAllocationId.1", "SecondaryPrivateIpAddress.1", "SecondaryPrivateIpAddressCount"} {
		if c.Form.Get(p) != "" {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks's NAT gateways take one address of their own choosing; %s is not supported.", p)
		}
	}
	tags, err := tagSpecs(c, "natgateway")
	if err != nil {
		return nil, err
	}
	g, err := h.EC2.CreateNatGateway(r.Context(), ec2.NatGatewayInput{Region: c.Region, Owner: c.Principal.Account, SubnetID: subnet,
		AllocationID: c.Form.Get("AllocationId"), ConnectivityType: c.Form.Get("ConnectivityType"), ClientToken: c.Form.Get("ClientToken"), Tags: tags})
	if err != nil {
		return nil, err
	}
	n := natGatewayNode(g)
	n.Name = "natGateway"
	out := []awsproto.Node{n}
	if token := c.Form.Get("ClientToken"); token != "" {
		out = append([]awsproto.Node{awsproto.Tx("clientToken", token)}, out...)
	}
	return out, nil
}

func (h *Handler) describeNatGateways(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeNatGateways", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "NatGatewayId")
	all, err := h.EC2.NatGateways(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(g ec2.NatGateway) bool { return g.ID == id }) {
			return nil, awserr.Errorf(ec2.CodeNatGatewayNotFound, "The Nat Gateway %s was not found", id)
		}
	}
	var found []ec2.NatGateway
	for _, g := range all {
		if len(ids) > 0 && !slices.Contains(ids, g.ID) {
			continue
		}
		fields := map[string]string{"nat-gateway-id": g.ID, "state": g.State, "subnet-id": g.SubnetID, "vpc-id": g.VPCID}
		if matches(fs, fields, g.Tags) {
			found = append(found, g)
		}
	}
	found, next := page(found, func(g ec2.NatGateway) string { return g.ID }, pg)
	var items []awsproto.Node
	for i := range found {
		items = append(items, natGatewayNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("natGatewaySet", "item", items)}, nextToken(next)...), nil
}

func (h *Handler) deleteNatGateway(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "NatGatewayId", "natGatewayId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DeleteNatGateway(r.Context(), id); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("natGatewayId", id)}, nil
}

func addressNode(a *ec2.Address) awsproto.Node {
	n := awsproto.El("")
	if a.InstanceID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("instanceId", a.InstanceID))
	}
	n.Kids = append(n.Kids, awsproto.Tx("publicIp", a.PublicIP), awsproto.Tx("allocationId", a.AllocationID))
	if a.AssociationID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("associationId", a.AssociationID))
	}
	n.Kids = append(n.Kids, awsproto.Tx("domain", a.Domain))
	if a.NetworkInterfaceID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("networkInterfaceId", a.NetworkInterfaceID), awsproto.Tx("networkInterfaceOwnerId", a.OwnerID),
			awsproto.Tx("privateIpAddress", a.PrivateIP))
	}
	if a.InstanceID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("privateIpAddress", a.PrivateIP))
	}
	n.Kids = append(n.Kids, tagSet(a.Tags), awsproto.Tx("publicIpv4Pool", "amazon"), awsproto.Tx("networkBorderGroup", a.Region))
	return n
}

func (h *Handler) allocateAddress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if d := c.Form.Get("Domain"); d != "" && d != ec2.DomainVPC {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter domain is invalid. Valid values: vpc.", d)
	}
	for _, p := range []string{"Address", "CustomerOwnedIpv4Pool", "IpamPoolId"} {
		if c.Form.Get(p) != "" {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks allocates addresses from its own pool; %s is not supported.", p)
		}
	}
	if p := c.Form.Get("PublicIpv4Pool"); p != "" && p != "amazon" {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks allocates addresses from its own pool; %s is not supported.", "PublicIpv4Pool")
	}
	if g := c.Form.Get("NetworkBorderGroup"); g != "" && g != c.Region {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter networkBorderGroup is invalid.", g)
	}
	tags, err := tagSpecs(c, "elastic-ip")
	if err != nil {
		return nil, err
	}
	a, err := h.EC2.AllocateAddress(r.Context(), c.Region, c.Principal.Account, tags)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("publicIp", a.PublicIP), awsproto.Tx("allocationId", a.AllocationID),
		awsproto.Tx("publicIpv4Pool", "amazon"), awsproto.Tx("networkBorderGroup", a.Region), awsproto.Tx("domain", a.Domain)}, nil
}

func (h *Handler) describeAddresses(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeAddresses", true)
	if err != nil {
		return nil, err
	}
	ids, ips := listParam(c, "AllocationId"), listParam(c, "PublicIp")
	all, err := h.EC2.Addresses(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(a ec2.Address) bool { return a.AllocationID == id }) {
			return nil, awserr.Errorf(ec2.CodeInvalidAllocationNotFound, "The allocation ID '%s' does not exist", id)
		}
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(all, func(a ec2.Address) bool { return a.PublicIP == ip }) {
			return nil, awserr.Errorf(ec2.CodeInvalidAddressNotFound, "Address '%s' not found.", ip)
		}
	}
	slices.SortFunc(all, func(a, b ec2.Address) int { return strings.Compare(a.AllocationID, b.AllocationID) })
	var items []awsproto.Node
	for i := range all {
		a := &all[i]
		if (len(ids) > 0 && !slices.Contains(ids, a.AllocationID)) || (len(ips) > 0 && !slices.Contains(ips, a.PublicIP)) {
			continue
		}
		fields := map[string]string{"allocation-id": a.AllocationID, "public-ip": a.PublicIP, "domain": a.Domain, "network-border-group": a.Region,
			"association-id": a.AssociationID, "network-interface-id": a.NetworkInterfaceID, "private-ip-address": a.PrivateIP, "instance-id": a.InstanceID}
		if a.NetworkInterfaceID != "" {
			fields["network-interface-owner-id"] = a.OwnerID
		}
		if matches(fs, fields, a.Tags) {
			items = append(items, addressNode(a))
		}
	}
	return []awsproto.Node{awsproto.List("addressesSet", "item", items)}, nil
}

// releaseAddress releases by AllocationId or, as EC2 also takes, PublicIp.
func (h *Handler) releaseAddress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, ip := c.Form.Get("AllocationId"), c.Form.Get("PublicIp")
	switch {
	case id == "" && ip == "":
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "Either public IP or allocation id must be specified")
	case id != "" && ip != "":
		return nil, awserr.Errorf(ec2.CodeInvalidParameterCombo, "You may specify public IP or allocation id, but not both in the same call")
	case id == "":
		a, err := h.EC2.AddressByIP(r.Context(), c.Region, ip)
		if err != nil {
			return nil, err
		}
		id = a.AllocationID
	}
	if err := h.EC2.ReleaseAddress(r.Context(), id); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

// allocationParam is the allocation an association call names, by
// AllocationId or PublicIp.
func (h *Handler) allocationParam(r *http.Request, c *awsproto.Call) (string, error) {
	id, ip := c.Form.Get("AllocationId"), c.Form.Get("PublicIp")
	switch {
	case id != "":
		return id, nil
	case ip != "":
		a, err := h.EC2.AddressByIP(r.Context(), c.Region, ip)
		if err != nil {
			return "", err
		}
		return a.AllocationID, nil
	}
	return "", awserr.Errorf(ec2.CodeMissingParameter, "Either public IP or allocation id must be specified")
}

// associateAddress associates an address with an instance (keks's
// instances have one interface: NetworkInterfaceId is not taken).
func (h *Handler) associateAddress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	for _, p := range []string{"NetworkInterfaceId", "PrivateIpAddress"} {
		if c.Form.Get(p) != "" {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks associates addresses with instances only; %s is not supported.", p)
		}
	}
	id, err := h.allocationParam(r, c)
	if err != nil {
		return nil, err
	}
	instance, err := required(c, "InstanceId", "instanceId")
	if err != nil {
		return nil, err
	}
	reassociate, err := boolParam(c, "AllowReassociation")
	if err != nil {
		return nil, err
	}
	assoc, err := h.EC2.AssociateAddress(r.Context(), c.Region, id, instance, reassociate)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true), awsproto.Tx("associationId", assoc)}, nil
}

// disassociateAddress ends an association named by AssociationId, or by
// the address's PublicIp.
func (h *Handler) disassociateAddress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	assoc := c.Form.Get("AssociationId")
	if assoc == "" {
		ip, err := required(c, "PublicIp", "associationId")
		if err != nil {
			return nil, err
		}
		a, err := h.EC2.AddressByIP(r.Context(), c.Region, ip)
		if err != nil {
			return nil, err
		}
		if a.AssociationID == "" {
			return nil, awserr.Errorf(ec2.CodeInvalidAssociationNotFound, "The address '%s' is not associated", ip)
		}
		assoc = a.AssociationID
	}
	if err := h.EC2.DisassociateAddress(r.Context(), c.Region, assoc); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

// attributeValue reads an AttributeBooleanValue (Name.Value); set is
// false when the request leaves it out.
func attributeValue(c *awsproto.Call, name string) (value *bool, err error) {
	if _, ok := c.Form[name+".Value"]; !ok {
		return nil, nil
	}
	v, err := boolParam(c, name+".Value")
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// modifySubnetAttribute changes one attribute a call: keks keeps
// MapPublicIpOnLaunch; the IPv6 and DNS-name ones it has no use for.
func (h *Handler) modifySubnetAttribute(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "SubnetId", "subnetId")
	if err != nil {
		return nil, err
	}
	v, err := attributeValue(c, "MapPublicIpOnLaunch")
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks changes only the mapPublicIpOnLaunch attribute of a subnet.")
	}
	if err := h.EC2.SetMapPublicIPOnLaunch(r.Context(), id, *v); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

// modifyVpcAttribute changes one attribute a call, as EC2 requires.
func (h *Handler) modifyVpcAttribute(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "VpcId", "vpcId")
	if err != nil {
		return nil, err
	}
	var in ec2.VPCAttributes
	if in.EnableDNSSupport, err = attributeValue(c, "EnableDnsSupport"); err != nil {
		return nil, err
	}
	if in.EnableDNSHostnames, err = attributeValue(c, "EnableDnsHostnames"); err != nil {
		return nil, err
	}
	metrics, err := attributeValue(c, "EnableNetworkAddressUsageMetrics")
	if err != nil {
		return nil, err
	}
	given := 0
	for _, set := range []bool{in.EnableDNSSupport != nil, in.EnableDNSHostnames != nil, metrics != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterCombo, "Only one attribute may be modified at a time, and one must be given.")
	}
	if metrics != nil && *metrics {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks has no network address usage metrics.")
	}
	if err := h.EC2.ModifyVPCAttributes(r.Context(), id, in); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) describeVpcAttribute(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "VpcId", "vpcId")
	if err != nil {
		return nil, err
	}
	attr, err := required(c, "Attribute", "attribute")
	if err != nil {
		return nil, err
	}
	v, err := h.EC2.GetVPC(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if v.Region != c.Region {
		return nil, awserr.Errorf(ec2.CodeInvalidVpcNotFound, "The vpc ID '%s' does not exist", id)
	}
	var value bool
	switch attr {
	case "enableDnsSupport":
		value = v.EnableDNSSupport()
	case "enableDnsHostnames":
		value = v.EnableDNSHostnames()
	case "enableNetworkAddressUsageMetrics":
	default:
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Unknown attribute.", attr)
	}
	return []awsproto.Node{awsproto.Tx("vpcId", id), awsproto.El(attr, awsproto.Bool("value", value))}, nil
}
