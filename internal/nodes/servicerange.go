package nodes

import (
	"slices"
	"strings"

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

// ensureServiceRanges makes the chain refuse each range, and FORWARD jump to it.
func ensureServiceRanges(ranges []string) error {
	if err := iptables("-N", serviceRangeChain); err != nil && !strings.Contains(err.Error(), "exists") {
		return err
	}
	rules, err := network.IPTables("-S", serviceRangeChain)
	if err != nil {
		return err
	}
	var want []string
	for _, r := range ranges {
		want = append(want, "-A "+serviceRangeChain+" -d "+r+" -j REJECT --reject-with icmp-net-unreachable")
	}
	if got := ruleLines(rules, "-A "+serviceRangeChain); !slices.Equal(got, want) {
		if err := iptables("-F", serviceRangeChain); err != nil {
			return err
		}
		for _, r := range ranges {
			if err := iptables("-A", serviceRangeChain, "-d", r, "-j", "REJECT", "--reject-with", "icmp-net-unreachable"); err != nil {
				return err
			}
		}
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

// removeServiceRanges removes the chain and FORWARD's jump to it.
func removeServiceRanges() error {
	forward, err := network.IPTables("-S", "FORWARD")
	if err != nil {
		return err
	}
	if slices.Contains(ruleLines(forward, "-A FORWARD"), "-A FORWARD "+serviceRangeJump) {
		if err := iptables(append([]string{"-D", "FORWARD"}, splitRule(serviceRangeJump)...)...); err != nil {
			return err
		}
	}
	for _, op := range []string{"-F", "-X"} {
		if err := iptables(op, serviceRangeChain); err != nil && !strings.Contains(err.Error(), "No chain") && !strings.Contains(err.Error(), "does not exist") {
			return err
		}
	}
	return nil
}
