package overlay

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/network"
)

// Planner plans hosts' networks from the store: instances, their subnets
// (with VNIs) and the agent hosts' addresses.
type Planner struct {
	EC2 *ec2.Service
	// Hosts lists the agent hosts' reported addresses by host id (from
	// agents.Service.ListHosts); the first is a host's underlay address.
	Hosts func(ctx context.Context) (map[string][]string, error)
	// SourceToward is the address keks's host sends from to addr;
	// nil asks the kernel (network.SourceToward).
	SourceToward func(addr netip.Addr) (netip.Addr, error)
	// ControlPlane are keks's control-plane networks, which agent hosts
	// route to keks's host (HostNetwork.KeksRanges).
	ControlPlane []netip.Prefix
}

// For is host's network among all instances (KeksHost for keks's own),
// or nil when it joins no subnet with another host.
//
// keks's underlay address is the one it sends from toward host; for
// keks's own plan, toward the first agent host (by id) with an active
// instance, which serves every peer on a network with one route to them.
func (p *Planner) For(ctx context.Context, host string, all []ec2.Instance) (*HostNetwork, error) {
	var nodes []Node
	subnets := map[string]Subnet{}
	onAgents := false
	for i := range all {
		in := &all[i]
		if in.State != ec2.StatePending && in.State != ec2.StateRunning && in.State != ec2.StateShutting {
			continue
		}
		addr, err := netip.ParseAddr(in.PrivateIP)
		if err != nil {
			continue
		}
		nodes = append(nodes, Node{Host: in.Host, Subnet: in.SubnetID, Address: addr, PodCIDR: netip.MustParsePrefix(in.PodCIDR())})
		onAgents = onAgents || in.Host != KeksHost
	}
	if !onAgents {
		return nil, nil // every instance on keks's host: no tunnel anywhere
	}
	// Subnets (and their VNIs, given on first use) are read only when a
	// tunnel may be needed: this runs on every node pass and long poll.
	for _, n := range nodes {
		if _, ok := subnets[n.Subnet]; !ok {
			sn, err := p.subnet(ctx, n.Subnet)
			if err != nil {
				return nil, err
			}
			subnets[n.Subnet] = *sn
		}
	}
	hosts, err := p.Hosts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list agent hosts: %w", err)
	}
	underlay := map[string]netip.Addr{}
	for id, addrs := range hosts {
		if len(addrs) > 0 {
			if a, err := netip.ParseAddr(addrs[0]); err == nil {
				underlay[id] = a.Unmap()
			}
		}
	}
	toward := host
	if host == KeksHost {
		toward = ""
		for _, n := range nodes {
			if n.Host != KeksHost && underlay[n.Host].IsValid() && (toward == "" || n.Host < toward) {
				toward = n.Host
			}
		}
	}
	if a, ok := underlay[toward]; ok {
		src := p.SourceToward
		if src == nil {
			src = func(a netip.Addr) (netip.Addr, error) { return network.SourceToward(a.String()) }
		}
		if own, err := src(a); err == nil {
			underlay[KeksHost] = own
		} else {
			return nil, fmt.Errorf("keks's address toward host %s (%s): %w", toward, a, err)
		}
	}
	n := Plan(host, nodes, subnets, underlay)
	if n != nil && host != KeksHost && underlay[KeksHost].IsValid() {
		n.KeksVia = underlay[KeksHost].String()
		for _, r := range p.ControlPlane {
			n.KeksRanges = append(n.KeksRanges, r.String())
		}
	}
	return n, nil
}

func (p *Planner) subnet(ctx context.Context, id string) (*Subnet, error) {
	sn, err := p.EC2.GetSubnet(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("subnet %s of an instance: %w", id, err)
	}
	cidr, err := netip.ParsePrefix(sn.CIDR)
	if err != nil {
		return nil, fmt.Errorf("subnet %s: %w", id, err)
	}
	gw, err := sn.GatewayAddress()
	if err != nil {
		return nil, err
	}
	vni, err := p.EC2.SubnetVNI(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Subnet{ID: id, VPC: sn.VPCID, CIDR: cidr, Gateway: gw, VNI: vni}, nil
}
