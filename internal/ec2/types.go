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
