package ec2

import (
	"net/netip"

	"github.com/keksdev/keks/internal/awserr"
)

// EC2's limits on IPv4 blocks: a VPC or subnet is a /16 to a /28.
const (
	widestBlock    = 16
	narrowestBlock = 28
)

// parseBlock reads an IPv4 CIDR block in its canonical form, as EC2
// requires of cidrBlock.
func parseBlock(cidr string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return netip.Prefix{}, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	return p, nil
}

// vpcBlock checks a CreateVpc block.
func vpcBlock(cidr string) (netip.Prefix, error) {
	p, err := parseBlock(cidr)
	if err != nil {
		return p, err
	}
	if p.Bits() < widestBlock || p.Bits() > narrowestBlock {
		return p, awserr.Errorf(CodeInvalidVpcRange, "The CIDR '%s' is invalid.", cidr)
	}
	return p, nil
}

// subnetBlock checks a CreateSubnet block against its VPC's: it must lie
// within it and be a /16 to a /28.
func subnetBlock(vpc netip.Prefix, cidr string) (netip.Prefix, error) {
	p, err := parseBlock(cidr)
	if err != nil {
		return p, err
	}
	if p.Bits() < widestBlock || p.Bits() > narrowestBlock || p.Bits() < vpc.Bits() || !vpc.Contains(p.Addr()) {
		return p, awserr.Errorf(CodeInvalidSubnetRange, "The CIDR '%s' is invalid.", cidr)
	}
	return p, nil
}
