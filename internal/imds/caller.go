package imds

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/keksdev/keks/internal/ec2"
)

var (
	// ErrUnknownCaller: no instance, nor any instance's pod, has the address.
	ErrUnknownCaller   = errors.New("no instance has this address")
	errAmbiguousCaller = errors.New("more than one instance has this address")
)

// CallerAt finds the instance a request comes from: the one whose private
// address it is or, failing that, the one whose pod range holds it (a pod
// asks for its node's metadata). An instance that is terminated has no
// metadata. When two instances claim the address (subnets of different
// VPCs may overlap) nobody is answered: the wrong one's credentials must
// not be handed out.
func CallerAt(all []ec2.Instance, addr netip.Addr) (*ec2.Instance, error) {
	var own, pods []*ec2.Instance
	for i := range all {
		in := &all[i]
		ip, err := netip.ParseAddr(in.PrivateIP)
		if in.State == ec2.StateTerminated || err != nil || !ip.Is4() {
			continue // PodCIDR needs an IPv4 address
		}
		if ip == addr {
			own = append(own, in)
			continue
		}
		if p, err := netip.ParsePrefix(in.PodCIDR()); err == nil && p.Contains(addr) {
			pods = append(pods, in)
		}
	}
	for _, found := range [][]*ec2.Instance{own, pods} {
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			return nil, fmt.Errorf("%s: %w (%s and %s)", addr, errAmbiguousCaller, found[0].ID, found[1].ID)
		}
	}
	return nil, fmt.Errorf("%s: %w", addr, ErrUnknownCaller)
}
