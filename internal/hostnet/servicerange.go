package hostnet

import (
	"slices"

	"github.com/keksdev/keks/internal/network"
)

// serviceRangeChain refuses what instances and pods send to a cluster's
// Service range that no kube-proxy rule took (a port the Service does not
// have, a ClusterIP no longer in use). On EKS such a packet leaves the node
// for the VPC's router, which has no route for it; here it would leave the
// host through its default route, and whatever answers there (a proxy on
// the host's own network) could reply as if the Service had the port.
const serviceRangeChain = "KEKS-SERVICE-RANGES"

const serviceRangeJump = `-m comment --comment "keks service ranges" -j ` + serviceRangeChain

// EnsureServiceRanges makes the chain refuse each range, and FORWARD jump to it.
func EnsureServiceRanges(ranges []string) error {
	var rules [][]string
	for _, r := range ranges {
		rules = append(rules, []string{"-d", r, "-j", "REJECT", "--reject-with", "icmp-net-unreachable"})
	}
	if err := syncChain("filter", serviceRangeChain, rules); err != nil {
		return err
	}
	forward, err := network.IPTables("-S", "FORWARD")
	if err != nil {
		return err
	}
	if !slices.Contains(ruleLines(forward, "-A FORWARD"), "-A FORWARD "+serviceRangeJump) {
		return iptables(append([]string{"-I", "FORWARD", "1"}, splitRule(serviceRangeJump)...)...)
	}
	return nil
}

// RemoveServiceRanges removes the chain and FORWARD's jump to it.
func RemoveServiceRanges() error {
	forward, err := network.IPTables("-S", "FORWARD")
	if err != nil {
		return err
	}
	if slices.Contains(ruleLines(forward, "-A FORWARD"), "-A FORWARD "+serviceRangeJump) {
		if err := iptables(append([]string{"-D", "FORWARD"}, splitRule(serviceRangeJump)...)...); err != nil {
			return err
		}
	}
	return deleteChain("filter", serviceRangeChain)
}
