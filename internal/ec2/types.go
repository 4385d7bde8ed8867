package ec2

import (
	"crypto/rand"
	"encoding/hex"
)

// VPC is a virtual network.
type VPC struct {
	ID        string            `json:"id"`
	Region    string            `json:"region"`
	CIDR      string            `json:"cidr"`
	IsDefault bool              `json:"isDefault"`
	OwnerID   string            `json:"ownerId"`
	Tags      map[string]string `json:"tags,omitempty"`
	// DefaultLayout is the version of the default VPC's network layout
	// (internet gateway, route tables) keks has given it; 0 on VPCs made
	// by a keks without route tables, and on every other VPC.
	DefaultLayout int `json:"defaultLayout,omitempty"`
	// DNSSupportOff and DNSHostnames are the VPC's DNS attributes: EC2
	// makes a VPC with DNS support on, and hostnames on only in the
	// default VPC (DNSHostnames nil: as made).
	DNSSupportOff bool  `json:"dnsSupportOff,omitempty"`
	DNSHostnames  *bool `json:"dnsHostnames,omitempty"`
}

// Subnet is a range of a VPC in one availability zone.
type Subnet struct {
	ID               string            `json:"id"`
	Region           string            `json:"region"`
	VPCID            string            `json:"vpcId"`
	CIDR             string            `json:"cidr"`
	AvailabilityZone string            `json:"availabilityZone"`
	MapPublicIP      bool              `json:"mapPublicIp"`
	DefaultForAZ     bool              `json:"defaultForAz"`
	OwnerID          string            `json:"ownerId"`
	Tags             map[string]string `json:"tags,omitempty"`
}

// SecurityGroup is a named set of firewall rules in a VPC.
type SecurityGroup struct {
	ID          string            `json:"id"`
	Region      string            `json:"region"`
	VPCID       string            `json:"vpcId"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	OwnerID     string            `json:"ownerId"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Rules are the group's inbound and outbound rules, one per peer
	// (a CIDR or a group), as EC2's security group rules are.
	Rules []SecurityGroupRule `json:"rules,omitempty"`
	// RulesVersion is the version of the rules keks gives a group when it
	// is made (EC2's default egress rule, a default group's self rule);
	// 0 on groups made by a keks without rules, which get them at start.
	RulesVersion int `json:"rulesVersion,omitempty"`
}

// InternetGateway connects a VPC to the internet; it is attached to at
// most one VPC, and a VPC has at most one.
type InternetGateway struct {
	ID          string                      `json:"id"`
	Region      string                      `json:"region"`
	OwnerID     string                      `json:"ownerId"`
	Attachments []InternetGatewayAttachment `json:"attachments,omitempty"`
	Tags        map[string]string           `json:"tags,omitempty"`
}

// InternetGatewayAttachment is an internet gateway's link to a VPC. EC2
// reports an attached internet gateway's state as "available".
type InternetGatewayAttachment struct {
	VPCID string `json:"vpcId"`
	State string `json:"state"`
}

// AttachedTo is the VPC an internet gateway is attached to, or "".
func (g *InternetGateway) AttachedTo() string {
	for _, a := range g.Attachments {
		if a.State == AttachmentAvailable {
			return a.VPCID
		}
	}
	return ""
}

// RouteTable is a VPC's set of routes, used by the subnets associated
// with it, or, for its VPC's main route table, by every subnet without an
// association of its own.
type RouteTable struct {
	ID           string                  `json:"id"`
	Region       string                  `json:"region"`
	VPCID        string                  `json:"vpcId"`
	OwnerID      string                  `json:"ownerId"`
	Main         bool                    `json:"main,omitempty"`
	Routes       []Route                 `json:"routes"`
	Associations []RouteTableAssociation `json:"associations,omitempty"`
	Tags         map[string]string       `json:"tags,omitempty"`
}

// Route sends a destination to a target: "local" (the VPC) or an internet
// gateway in GatewayID, or a NAT gateway in NatGatewayID.
type Route struct {
	DestinationCidrBlock string `json:"destinationCidrBlock"`
	GatewayID            string `json:"gatewayId,omitempty"`
	NatGatewayID         string `json:"natGatewayId,omitempty"`
	Origin               string `json:"origin"`
	// State is "active", or "blackhole" when the target is gone (an
	// internet gateway deleted or detached from the VPC, a NAT gateway
	// deleting or deleted); it is worked out as routes are read, not stored.
	State string `json:"-"`
}

// RouteTableAssociation links a route table to a subnet, or marks it as
// its VPC's main route table (Main, without a subnet).
type RouteTableAssociation struct {
	ID       string `json:"id"`
	SubnetID string `json:"subnetId,omitempty"`
	Main     bool   `json:"main,omitempty"`
	State    string `json:"state"`
}

// Zone is an availability zone of a region.
type Zone struct {
	Name   string
	ID     string
	Region string
}

// Zones returns the three availability zones keks offers in a region.
func Zones(region string) []Zone {
	short := regionShort(region)
	return []Zone{
		{Name: region + "a", ID: short + "-az1", Region: region},
		{Name: region + "b", ID: short + "-az2", Region: region},
		{Name: region + "c", ID: short + "-az3", Region: region},
	}
}

// regionShort abbreviates a region as zone ids do: us-east-1 -> use1.
func regionShort(region string) string {
	out := []byte{}
	parts := splitDash(region)
	for i, p := range parts {
		if p == "" {
			continue
		}
		if i == len(parts)-1 {
			out = append(out, p...)
		} else {
			out = append(out, p[0])
			if i == 0 && len(p) > 1 {
				out = append(out, p[1])
			}
		}
	}
	return string(out)
}

func splitDash(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func newResourceID(prefix string) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])[:17]
}
