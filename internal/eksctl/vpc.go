package eksctl

import (
	"encoding/binary"
	"fmt"
	"net"
)

// SplitInto8 divides a CIDR into 8 equal subnets, as eksctl (after kops) does.
func SplitInto8(cidr string) ([]string, error) {
	_, parent, err := net.ParseCIDR(cidr)
	if err != nil {
		return nil, err
	}
	ip4 := parent.IP.To4()
	if ip4 == nil {
		return nil, fmt.Errorf("%s is not an IPv4 CIDR", cidr)
	}
	ones, _ := parent.Mask.Size()
	length := ones + 3
	base := binary.BigEndian.Uint32(ip4)
	out := make([]string, 8)
	for i := range out {
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, base+uint32(i)<<uint(32-length))
		out[i] = (&net.IPNet{IP: ip, Mask: net.CIDRMask(length, 32)}).String()
	}
	return out, nil
}

// SetSubnets gives each zone a public and a private subnet of the VPC's
// CIDR, eksctl's split: the i-th eighth public, the (i+zones)-th private.
// It returns eksctl's log lines for them.
func SetSubnets(cfg *ClusterConfig) ([]string, error) {
	if cfg.VPC == nil {
		return nil, fmt.Errorf("vpc.cidr must be set")
	}
	eighths, err := SplitInto8(cfg.VPC.CIDR)
	if err != nil {
		return nil, fmt.Errorf("vpc.cidr: %w", err)
	}
	zones := cfg.AvailabilityZones
	if 2*len(zones) > len(eighths) {
		return nil, fmt.Errorf("insufficient number of subnets (have %d, but need %d) for %d availability zones", len(eighths), 2*len(zones), len(zones))
	}
	cfg.VPC.Subnets = &ClusterSubnets{Public: map[string]Network{}, Private: map[string]Network{}}
	var lines []string
	for i, zone := range zones {
		public, private := eighths[i], eighths[i+len(zones)]
		cfg.VPC.Subnets.Public[zone] = Network{AZ: zone, CIDR: public}
		cfg.VPC.Subnets.Private[zone] = Network{AZ: zone, CIDR: private}
		lines = append(lines, fmt.Sprintf("subnets for %s - public:%s private:%s", zone, public, private))
	}
	return lines, nil
}

// clusterNetwork is what the cluster stack's other resources need of the
// network: the VPC and the subnets, as template values.
type clusterNetwork struct {
	vpc            any
	publicSubnets  []any
	privateSubnets []any
}

// addVPC adds the VPC eksctl makes when no subnets are given: a subnet
// per zone and kind, the internet gateway and public route, a NAT gateway
// (Single: one, in the first public subnet; HighlyAvailable: one per zone)
// and each zone's private route table.
func addVPC(t *Template, cfg *ClusterConfig) clusterNetwork {
	var n clusterNetwork
	n.vpc = t.add("VPC", "AWS::EC2::VPC", map[string]any{
		"CidrBlock": cfg.VPC.CIDR, "EnableDnsHostnames": true, "EnableDnsSupport": true, "Tags": nameTag("VPC"),
	})
	igw := t.add("InternetGateway", "AWS::EC2::InternetGateway", map[string]any{"Tags": nameTag("InternetGateway")})
	t.add("VPCGatewayAttachment", "AWS::EC2::VPCGatewayAttachment", map[string]any{"InternetGatewayId": igw, "VpcId": n.vpc})
	publicTable := t.add("PublicRouteTable", "AWS::EC2::RouteTable", map[string]any{"VpcId": n.vpc, "Tags": nameTag("PublicRouteTable")})
	t.add("PublicSubnetRoute", "AWS::EC2::Route", map[string]any{
		"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "RouteTableId": publicTable,
	}, "VPCGatewayAttachment")

	publicByZone := map[string]any{}
	for _, zone := range sortedKeys(cfg.VPC.Subnets.Public) {
		s := cfg.VPC.Subnets.Public[zone]
		id := "SubnetPublic" + logicalZone(zone)
		subnet := t.add(id, "AWS::EC2::Subnet", map[string]any{
			"AvailabilityZone": zone, "CidrBlock": s.CIDR, "MapPublicIpOnLaunch": true, "VpcId": n.vpc,
			"Tags": append([]any{map[string]any{"Key": "kubernetes.io/role/elb", "Value": "1"}}, nameTag(id)...),
		})
		t.add("RouteTableAssociationPublic"+logicalZone(zone), "AWS::EC2::SubnetRouteTableAssociation", map[string]any{
			"RouteTableId": publicTable, "SubnetId": subnet,
		})
		publicByZone[zone] = subnet
		n.publicSubnets = append(n.publicSubnets, subnet)
	}

	mode := cfg.VPC.NAT.Gateway
	natFor := func(zone string) any { return nil }
	switch mode {
	case "Single":
		first := sortedKeys(cfg.VPC.Subnets.Public)[0]
		t.add("NATIP", "AWS::EC2::EIP", map[string]any{"Domain": "vpc", "Tags": nameTag("NATIP")}, "VPCGatewayAttachment")
		nat := t.add("NATGateway", "AWS::EC2::NatGateway", map[string]any{
			"AllocationId": getAtt("NATIP", "AllocationId"), "SubnetId": publicByZone[first], "Tags": nameTag("NATGateway"),
		})
		natFor = func(string) any { return nat }
	case "HighlyAvailable":
		nats := map[string]any{}
		for _, zone := range sortedKeys(cfg.VPC.Subnets.Public) {
			z := logicalZone(zone)
			t.add("NATIP"+z, "AWS::EC2::EIP", map[string]any{"Domain": "vpc", "Tags": nameTag("NATIP" + z)}, "VPCGatewayAttachment")
			nats[zone] = t.add("NATGateway"+z, "AWS::EC2::NatGateway", map[string]any{
				"AllocationId": getAtt("NATIP"+z, "AllocationId"), "SubnetId": publicByZone[zone], "Tags": nameTag("NATGateway" + z),
			})
		}
		natFor = func(zone string) any { return nats[zone] }
	}

	for _, zone := range sortedKeys(cfg.VPC.Subnets.Private) {
		s := cfg.VPC.Subnets.Private[zone]
		z := logicalZone(zone)
		id := "SubnetPrivate" + z
		subnet := t.add(id, "AWS::EC2::Subnet", map[string]any{
			"AvailabilityZone": zone, "CidrBlock": s.CIDR, "VpcId": n.vpc,
			"Tags": append([]any{map[string]any{"Key": "kubernetes.io/role/internal-elb", "Value": "1"}}, nameTag(id)...),
		})
		table := t.add("PrivateRouteTable"+z, "AWS::EC2::RouteTable", map[string]any{"VpcId": n.vpc, "Tags": nameTag("PrivateRouteTable" + z)})
		t.add("RouteTableAssociationPrivate"+z, "AWS::EC2::SubnetRouteTableAssociation", map[string]any{
			"RouteTableId": table, "SubnetId": subnet,
		})
		if nat := natFor(zone); nat != nil {
			t.add("NATPrivateSubnetRoute"+z, "AWS::EC2::Route", map[string]any{
				"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat, "RouteTableId": table,
			})
		}
		n.privateSubnets = append(n.privateSubnets, subnet)
	}
	return n
}

// importedNetwork is the network of a cluster on existing subnets.
func importedNetwork(cfg *ClusterConfig) clusterNetwork {
	n := clusterNetwork{vpc: cfg.VPC.ID}
	for _, k := range sortedKeys(cfg.VPC.Subnets.Public) {
		n.publicSubnets = append(n.publicSubnets, cfg.VPC.Subnets.Public[k].ID)
	}
	for _, k := range sortedKeys(cfg.VPC.Subnets.Private) {
		n.privateSubnets = append(n.privateSubnets, cfg.VPC.Subnets.Private[k].ID)
	}
	return n
}
