package fargate

import (
	"maps"
	"net/netip"
	"testing"
)

func TestNodeName(t *testing.T) {
	for _, tc := range []struct {
		ip, region, node, hostname string
	}{
		{"10.7.94.68", "eu-central-1", "fargate-ip-10-7-94-68.eu-central-1.compute.internal", "ip-10-7-94-68.eu-central-1.compute.internal"},
		{"10.0.8.190", "us-east-2", "fargate-ip-10-0-8-190.us-east-2.compute.internal", "ip-10-0-8-190.us-east-2.compute.internal"},
		{"192.168.1.5", "us-east-1", "fargate-ip-192-168-1-5.ec2.internal", "ip-192-168-1-5.ec2.internal"},
		{"::ffff:10.1.2.3", "eu-west-3", "fargate-ip-10-1-2-3.eu-west-3.compute.internal", "ip-10-1-2-3.eu-west-3.compute.internal"},
		{"2600:1f18::1", "us-east-1", "fargate-ip-2600-1f18-0000-0000-0000-0000-0000-0001.ec2.internal", "ip-2600-1f18-0000-0000-0000-0000-0000-0001.ec2.internal"},
	} {
		ip := netip.MustParseAddr(tc.ip)
		if got := NodeName(ip, tc.region); got != tc.node {
			t.Errorf("NodeName(%s, %s) = %q, want %q", tc.ip, tc.region, got, tc.node)
		}
		if got := HostnameLabel(ip, tc.region); got != tc.hostname {
			t.Errorf("HostnameLabel(%s, %s) = %q, want %q", tc.ip, tc.region, got, tc.hostname)
		}
	}
}

func TestNodeLabels(t *testing.T) {
	got := NodeLabels(netip.MustParseAddr("10.7.94.68"), "eu-central-1", "eu-central-1a")
	want := map[string]string{
		"eks.amazonaws.com/compute-type":           "fargate",
		"kubernetes.io/hostname":                   "ip-10-7-94-68.eu-central-1.compute.internal",
		"topology.kubernetes.io/region":            "eu-central-1",
		"topology.kubernetes.io/zone":              "eu-central-1a",
		"failure-domain.beta.kubernetes.io/region": "eu-central-1",
		"failure-domain.beta.kubernetes.io/zone":   "eu-central-1a",
	}
	if !maps.Equal(got, want) {
		t.Errorf("NodeLabels = %v, want %v", got, want)
	}
}

func TestConstants(t *testing.T) {
	if Taint != "eks.amazonaws.com/compute-type=fargate:NoSchedule" {
		t.Errorf("Taint = %q", Taint)
	}
}
