package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// NatGateway is a NAT gateway in a subnet: public (with an Elastic IP) or
// private. keks's instances already leave the host through the host's
// NAT (internal/nodes), so a NAT gateway changes no packet: it is the
// record routes name, with EC2's rules and states.
type NatGateway struct {
	ID               string            `json:"id"`
	Region           string            `json:"region"`
	OwnerID          string            `json:"ownerId"`
	SubnetID         string            `json:"subnetId"`
	VPCID            string            `json:"vpcId"`
	ConnectivityType string            `json:"connectivityType"`
	AllocationID     string            `json:"allocationId,omitempty"`
	PublicIP         string            `json:"publicIp,omitempty"`
	AssociationID    string            `json:"associationId,omitempty"`
	PrivateIP        string            `json:"privateIp"`
	NetworkInterface string            `json:"networkInterfaceId"`
	ClientToken      string            `json:"clientToken,omitempty"`
	CreateTime       time.Time         `json:"createTime"`
	DeleteTime       time.Time         `json:"deleteTime,omitzero"`
	Tags             map[string]string `json:"tags,omitempty"`
	// State is worked out as the gateway is read (StateAt), not stored.
	State string `json:"-"`
}

// NAT gateway states and connectivity types, as EC2 names them.
const (
	NatPending   = "pending"
	NatAvailable = "available"
	NatDeleting  = "deleting"
	NatDeleted   = "deleted"

	ConnectivityPublic  = "public"
	ConnectivityPrivate = "private"
)

// EC2 error codes of NAT gateways.
const (
	CodeNatGatewayNotFound  = "NatGatewayNotFound"
	CodeNatGatewayMalformed = "InvalidNatGatewayID.Malformed"
)

func init() {
	for _, c := range []string{CodeNatGatewayNotFound, CodeNatGatewayMalformed} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// How long a NAT gateway is pending, deleting, and then still listed as
// deleted (EC2 shows a deleted one for about an hour).
var (
	natSettle      = 2 * time.Second
	natDeletedKept = time.Hour
)

const natPrefix = "ec2/natgateways/"

func natKey(id string) string { return natPrefix + id }

func natNotFound(id string) error {
	return awserr.Errorf(CodeNatGatewayNotFound, "The Nat Gateway %s was not found", id)
}

// StateAt is the gateway's state at now: pending for a moment after it is
// made, then available; deleting for a moment after DeleteNatGateway, then
// deleted. Derived from its times, so no reconciler has to move it.
func (g *NatGateway) StateAt(now time.Time) string {
	switch {
	case !g.DeleteTime.IsZero() && now.Sub(g.DeleteTime) < natSettle:
		return NatDeleting
	case !g.DeleteTime.IsZero():
		return NatDeleted
	case now.Sub(g.CreateTime) < natSettle:
		return NatPending
	}
	return NatAvailable
}

// gone reports whether the gateway is past being listed.
func (g *NatGateway) gone(now time.Time) bool {
	return !g.DeleteTime.IsZero() && now.Sub(g.DeleteTime) > natSettle+natDeletedKept
}

// NatGatewayInput is what CreateNatGateway asks for.
type NatGatewayInput struct {
	Region, Owner    string
	SubnetID         string
	AllocationID     string
	ConnectivityType string
	ClientToken      string
	Tags             map[string]string
}

// CreateNatGateway makes a NAT gateway in a subnet. A public one takes an
// Elastic IP that nothing else uses; a private one takes none. EC2 lets a
// NAT gateway into any subnet of the account (a public one in a private
// subnet just cannot reach the internet), and so does keks. A retry with
// the same ClientToken returns the gateway the first call made.
func (s *Service) CreateNatGateway(ctx context.Context, in NatGatewayInput) (*NatGateway, error) {
	if in.ConnectivityType == "" {
		in.ConnectivityType = ConnectivityPublic
	}
	switch in.ConnectivityType {
	case ConnectivityPublic:
		if in.AllocationID == "" {
			return nil, awserr.Errorf(CodeMissingParameter, "Public NAT gateways require an Elastic IP address (AllocationId).")
		}
	case ConnectivityPrivate:
		if in.AllocationID != "" {
			return nil, awserr.Errorf(CodeInvalidParameterCombo, "Private NAT gateways cannot be associated with an Elastic IP address.")
		}
	default:
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter connectivityType is invalid. Valid values: public, private.", in.ConnectivityType)
	}
	if len(in.ClientToken) > 64 {
		return nil, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter clientToken is invalid. The client token must be 64 characters or fewer.", in.ClientToken)
	}
	var out *NatGateway
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		all, err := store.List[NatGateway](ctx, s.Store, natPrefix)
		if err != nil {
			return err
		}
		if in.ClientToken != "" {
			if i := slices.IndexFunc(all, func(g NatGateway) bool { return g.ClientToken == in.ClientToken && g.Region == in.Region }); i >= 0 {
				g := all[i]
				if g.SubnetID != in.SubnetID || g.AllocationID != in.AllocationID || g.ConnectivityType != in.ConnectivityType {
					return awserr.Errorf(CodeIdempotentParameterMismatch, "Client token %s was already used with different parameters.", in.ClientToken)
				}
				out = &g
				return nil
			}
		}
		sn, snRev, err := s.subnetAt(ctx, in.SubnetID)
		if err != nil || sn.Region != in.Region {
			return awserr.Errorf(CodeInvalidSubnetNotFound, "The subnet ID '%s' does not exist", in.SubnetID)
		}
		// Claiming the subnet orders this create before a DeleteSubnet
		// (which then sees the gateway) and after other users of its addresses.
		t.Unchanged(subnetKey(sn.ID), snRev)
		t.Put(subnetKey(sn.ID), sn)
		g := &NatGateway{ID: newResourceID("nat"), Region: sn.Region, OwnerID: sn.OwnerID, SubnetID: sn.ID, VPCID: sn.VPCID,
			ConnectivityType: in.ConnectivityType, ClientToken: in.ClientToken, CreateTime: time.Now().UTC(), Tags: in.Tags,
			NetworkInterface: newResourceID("eni")}
		if g.PrivateIP, err = natAddress(sn, all); err != nil {
			return err
		}
		if in.AllocationID != "" {
			a, rev, err := s.addressAt(ctx, in.AllocationID)
			if err != nil || a.Region != sn.Region {
				return allocationNotFound(in.AllocationID)
			}
			if a.AssociationID != "" || a.NatGatewayID != "" {
				return awserr.Errorf(CodeResourceAlreadyAssociated, "Elastic IP address [%s] is already associated", in.AllocationID)
			}
			a.AssociationID, a.NatGatewayID = newResourceID("eipassoc"), g.ID
			a.NetworkInterfaceID, a.PrivateIP = g.NetworkInterface, g.PrivateIP
			g.AllocationID, g.PublicIP, g.AssociationID = a.AllocationID, a.PublicIP, a.AssociationID
			t.Unchanged(addressKey(a.AllocationID), rev)
			t.Put(addressKey(a.AllocationID), a)
		}
		// Gateways deleted long ago go as this one comes.
		for _, o := range all {
			if o.gone(time.Now()) {
				t.Delete(natKey(o.ID))
			}
		}
		t.Create(natKey(g.ID), g)
		out = g
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.State = out.StateAt(time.Now())
	return out, nil
}

// natAddress is the private address a NAT gateway takes in its subnet:
// the highest free one (instances take the lowest), below the address
// AWS reserves at the end.
func natAddress(sn *Subnet, gateways []NatGateway) (string, error) {
	p, err := netip.ParsePrefix(sn.CIDR)
	if err != nil {
		return "", fmt.Errorf("subnet %s block %q: %w", sn.ID, sn.CIDR, err)
	}
	used := map[string]bool{}
	for _, g := range gateways {
		if g.SubnetID == sn.ID && g.DeleteTime.IsZero() {
			used[g.PrivateIP] = true
		}
	}
	last := p.Addr()
	for n := 0; n < (1<<(32-p.Bits()))-1; n++ {
		last = last.Next()
	}
	for ip := last.Prev(); p.Contains(ip) && ip.Compare(p.Addr().Next().Next().Next()) > 0; ip = ip.Prev() {
		if !used[ip.String()] {
			return ip.String(), nil
		}
	}
	return "", awserr.Errorf(CodeInsufficientAddresses, "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", sn.ID)
}

// NatGateways lists a region's NAT gateways (deleted ones for a while),
// with their states.
func (s *Service) NatGateways(ctx context.Context, region string) ([]NatGateway, error) {
	all, err := store.List[NatGateway](ctx, s.Store, natPrefix)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := all[:0]
	for _, g := range inRegion(all, region, func(g NatGateway) string { return g.Region }) {
		if !g.gone(now) {
			g.State = g.StateAt(now)
			out = append(out, g)
		}
	}
	return out, nil
}

// GetNatGateway reads one NAT gateway with its state.
func (s *Service) GetNatGateway(ctx context.Context, id string) (*NatGateway, error) {
	g, _, err := s.natAt(ctx, id)
	if err != nil {
		return nil, err
	}
	g.State = g.StateAt(time.Now())
	return g, nil
}

func (s *Service) natAt(ctx context.Context, id string) (*NatGateway, int64, error) {
	var g NatGateway
	rev, err := s.Store.Get(ctx, natKey(id), &g)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, natNotFound(id)
	} else if err != nil {
		return nil, 0, err
	}
	if g.gone(time.Now()) {
		return nil, 0, natNotFound(id)
	}
	return &g, rev, nil
}

// DeleteNatGateway starts deleting a NAT gateway: deleting, then deleted;
// its Elastic IP is free again. Deleting one already deleting or deleted
// answers as EC2 does, with the gateway's id.
func (s *Service) DeleteNatGateway(ctx context.Context, id string) error {
	if !strings.HasPrefix(id, "nat-") {
		return awserr.Errorf(CodeNatGatewayMalformed, "The natGateway ID '%s' is malformed", id)
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.natAt(ctx, id)
		if err != nil {
			return err
		}
		if !g.DeleteTime.IsZero() {
			return nil
		}
		if g.AllocationID != "" {
			a, arev, err := s.addressAt(ctx, g.AllocationID)
			if err == nil && a.NatGatewayID == g.ID {
				a.AssociationID, a.NatGatewayID, a.NetworkInterfaceID, a.PrivateIP = "", "", "", ""
				t.Unchanged(addressKey(a.AllocationID), arev)
				t.Put(addressKey(a.AllocationID), a)
			} else if err != nil && !isCode(err, CodeInvalidAllocationNotFound) {
				return err
			}
		}
		g.DeleteTime = time.Now().UTC()
		t.Unchanged(natKey(id), rev)
		t.Put(natKey(id), g)
		return nil
	})
}

// natGatewaysIn reports whether a live (not deleted) NAT gateway is in the
// subnet or VPC, as what keeps them from being deleted.
func (s *Service) natGatewayIn(ctx context.Context, match func(*NatGateway) bool) (bool, error) {
	all, err := store.List[NatGateway](ctx, s.Store, natPrefix)
	if err != nil {
		return false, err
	}
	now := time.Now()
	return slices.ContainsFunc(all, func(g NatGateway) bool {
		st := g.StateAt(now)
		return st != NatDeleted && match(&g)
	}), nil
}

// isCode reports whether err is an AWS error with that code.
func isCode(err error, code string) bool {
	var e *awserr.Error
	return errors.As(err, &e) && e.Code == code
}

// checkNatTarget checks a NAT gateway a route of table rt would target:
// one of the table's VPC, not deleting or deleted; t depends on it.
func (s *Service) checkNatTarget(ctx context.Context, t *store.Txn, rt *RouteTable, id string) error {
	g, rev, err := s.natAt(ctx, id)
	if isCode(err, CodeNatGatewayNotFound) || (err == nil && g.Region != rt.Region) {
		return awserr.Errorf(CodeInvalidNatGatewayNotFound, "The natGateway ID '%s' does not exist", id)
	} else if err != nil {
		return err
	}
	if st := g.StateAt(time.Now()); st == NatDeleting || st == NatDeleted {
		return awserr.Errorf(CodeInvalidNatGatewayNotFound, "The natGateway ID '%s' does not exist", id)
	}
	if g.VPCID != rt.VPCID {
		return awserr.Errorf(CodeInvalidParameterValue, "route table %s and network gateway %s belong to different networks", rt.ID, id)
	}
	t.Unchanged(natKey(id), rev)
	return nil
}
