// Package sgfirewall enforces EC2 security groups on keks's instances: the
// rules of an instance's groups become iptables chains in the instance's
// network namespace, kept converged by a small reconciler.
//
// The model, as on EC2 (stateful): a packet that arrives on the instance's
// interface (eth0) for the node itself (INPUT) or for a pod behind it
// (FORWARD: the host routes each node's pod range to the node) is accepted
// when it belongs to a connection already allowed (ESTABLISHED, RELATED),
// or when an inbound rule of one of the instance's groups allows its
// protocol, port and source; every other packet is dropped, so a refused
// connection times out as it does on EC2. Traffic the instance sends is
// filtered the same way by its outbound rules (instance.FirewallEgress, for what leaves
// on eth0; EC2's default outbound rule allows all), except to the instance
// metadata service, which EC2 never filters.
//
// Sources: a CIDR rule matches by address. A group rule matches the
// addresses of the instances carrying that group and the pod ranges behind
// them (on EKS, pods take their node's groups; Fargate pods run on
// instances of their own that carry the cluster security group). The host
// plays EKS's control plane (API servers, keks lb's load balancers, the
// registry and the metadata service, all in the slot's control-plane,
// load-balancer and service ranges, or reaching instances from a subnet
// bridge's gateway address): EKS's control-plane network interfaces carry
// the cluster security group and the cluster's resourcesVpcConfig groups,
// so on a cluster's instances the host counts as a member of those groups;
// (seen with real traffic, TestSecurityGroups' chain counters: the API
// server's connections to a kubelet and an nc from the host both come
// from the subnet bridge's gateway address, the kernel's choice for the
// bridge's route; keks lb dials without a local address, so the same);
// on every instance it also counts as a member of the VPC's default group
// (standing in for the rule an operator, or a self-managed node's control
// plane, is given); and CIDR rules match it by its addresses.
package sgfirewall

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/instance"
)

// metadataAddress is the instance metadata service, which EC2 never
// filters by security group.
const metadataAddress = "169.254.169.254/32"

// View is what deciding one instance's rules needs.
type View struct {
	// Groups are the region's security groups by ID.
	Groups map[string]*ec2.SecurityGroup
	// Members are, per group ID, the sources its members send from: each
	// instance's address and pod range.
	Members map[string][]string
	// HostSources are the host's addresses as instances see them.
	HostSources []string
	// HostGroups are the groups the host is a member of on this instance.
	HostGroups []string
}

// MembersOf maps each group to the sources of the live instances carrying it.
func MembersOf(instances []ec2.Instance) map[string][]string {
	out := map[string][]string{}
	for _, in := range instances {
		if in.State == ec2.StateTerminated || in.PrivateIP == "" {
			continue
		}
		for _, g := range in.SecurityGroupIDs {
			out[g] = append(out[g], in.PrivateIP+"/32", in.PodCIDR())
		}
	}
	return out
}

// Rules is the iptables-restore input (table filter, to be restored with
// --noflush) that replaces the instance's chains with its rules: one
// transaction, so a change takes effect at once and never half-applied.
// An instance without groups (made by a keks without them) allows all.
func Rules(in *ec2.Instance, v *View) string {
	var b strings.Builder
	b.WriteString("*filter\n:" + instance.FirewallIngress + " - [0:0]\n:" + instance.FirewallEgress + " - [0:0]\n")
	if len(in.SecurityGroupIDs) == 0 {
		b.WriteString("-A " + instance.FirewallIngress + " -j ACCEPT\n-A " + instance.FirewallEgress + " -j ACCEPT\nCOMMIT\n")
		return b.String()
	}
	for _, egress := range []bool{false, true} {
		chain := instance.FirewallIngress
		if egress {
			chain = instance.FirewallEgress
		}
		b.WriteString("-A " + chain + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n")
		if egress {
			b.WriteString("-A " + chain + " -d " + metadataAddress + " -j ACCEPT\n")
		}
		seen := map[string]bool{}
		for _, gid := range in.SecurityGroupIDs {
			g := v.Groups[gid]
			if g == nil {
				continue
			}
			for _, r := range g.Rules {
				if r.Egress != egress {
					continue
				}
				for _, peer := range peersOf(&r, v) {
					line := ruleLine(&r, peer)
					if line != "" && !seen[line] {
						seen[line] = true
						b.WriteString(line)
					}
				}
			}
		}
		b.WriteString("-A " + chain + " -j DROP\n")
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// peersOf are the prefixes a rule allows traffic from (ingress) or to
// (egress): its CIDR, or its group's members (and the host, when it
// counts as one).
func peersOf(r *ec2.SecurityGroupRule, v *View) []string {
	if r.CIDR != "" {
		return []string{r.CIDR}
	}
	out := slices.Clone(v.Members[r.GroupID])
	if slices.Contains(v.HostGroups, r.GroupID) {
		out = append(out, v.HostSources...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ruleLine is one ACCEPT of rule r for peer (the source of an inbound
// rule, the destination of an outbound one), commented with the rule's ID
// so that `iptables -S` says which rule let a packet through; "" for a
// peer that is not an IPv4 prefix, which must allow nothing.
func ruleLine(r *ec2.SecurityGroupRule, peer string) string {
	p, err := netip.ParsePrefix(peer)
	if err != nil || !p.Addr().Is4() {
		return ""
	}
	var b strings.Builder
	chain, flag := instance.FirewallIngress, " -s "
	if r.Egress {
		chain, flag = instance.FirewallEgress, " -d "
	}
	b.WriteString("-A " + chain)
	if p.Bits() > 0 {
		b.WriteString(flag + p.Masked().String())
	}
	switch r.Protocol {
	case ec2.ProtocolAll:
	case "tcp", "udp":
		fmt.Fprintf(&b, " -p %s -m %s --dport %d:%d", r.Protocol, r.Protocol, r.FromPort, r.ToPort)
	case "icmp":
		b.WriteString(" -p icmp")
		switch {
		case r.FromPort >= 0 && r.ToPort >= 0:
			fmt.Fprintf(&b, " -m icmp --icmp-type %d/%d", r.FromPort, r.ToPort)
		case r.FromPort >= 0:
			fmt.Fprintf(&b, " -m icmp --icmp-type %d", r.FromPort)
		}
	default:
		b.WriteString(" -p " + r.Protocol)
	}
	b.WriteString(" -m comment --comment " + r.ID + " -j ACCEPT\n")
	return b.String()
}
