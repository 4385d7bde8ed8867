package ec2

import (
	"net/netip"
	"testing"
)

func TestPodNetworkOfHoldsEveryInstancePodCIDR(t *testing.T) {
	for _, c := range []struct{ vpc, want string }{
		{"172.31.0.0/16", "100.64.0.0/10"},
		{"10.0.0.0/8", "100.64.0.0/10"},
		{"10.1.16.0/20", "100.68.0.0/14"},
		{"192.168.5.128/25", "100.65.96.0/19"},
		{"not a cidr", ""},
	} {
		got := PodNetworkOf(c.vpc)
		if got != c.want {
			t.Errorf("PodNetworkOf(%s) = %q, want %q", c.vpc, got, c.want)
			continue
		}
		if got == "" {
			continue
		}
		vpc, pods := netip.MustParsePrefix(c.vpc), netip.MustParsePrefix(got)
		for _, ip := range []netip.Addr{vpc.Addr(), vpc.Addr().Next(), lastOf(vpc)} {
			in := Instance{PrivateIP: ip.String()}
			if p := netip.MustParsePrefix(in.PodCIDR()); !pods.Contains(p.Addr()) || p.Bits() < pods.Bits() {
				t.Errorf("%s: pod CIDR %s of %s is outside %s", c.vpc, p, ip, pods)
			}
		}
	}
}

func lastOf(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
