package ec2

import (
	"context"
	"encoding/json"
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

// EC2 error codes of route tables and internet gateways.
const (
	CodeInvalidRouteTableNotFound      = "InvalidRouteTableID.NotFound"
	CodeInvalidInternetGatewayNotFound = "InvalidInternetGatewayID.NotFound"
	CodeInvalidGatewayNotFound         = "InvalidGatewayID.NotFound"
	CodeInvalidNatGatewayNotFound      = "InvalidNatGatewayID.NotFound"
	CodeInvalidAssociationNotFound     = "InvalidAssociationID.NotFound"
	CodeInvalidRouteNotFound           = "InvalidRoute.NotFound"
	CodeRouteAlreadyExists             = "RouteAlreadyExists"
	CodeResourceAlreadyAssociated      = "Resource.AlreadyAssociated"
	CodeGatewayNotAttached             = "Gateway.NotAttached"
)

func init() {
	for _, c := range []string{CodeInvalidRouteTableNotFound, CodeInvalidInternetGatewayNotFound, CodeInvalidGatewayNotFound,
		CodeInvalidNatGatewayNotFound, CodeInvalidAssociationNotFound, CodeInvalidRouteNotFound, CodeRouteAlreadyExists,
		CodeResourceAlreadyAssociated, CodeGatewayNotAttached} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// Route states, origins and targets as EC2 names them.
const (
	RouteActive    = "active"
	RouteBlackhole = "blackhole"
	// OriginCreateRouteTable is the origin of the local route every table
	// starts with; OriginCreateRoute that of the routes added to it.
	OriginCreateRouteTable = "CreateRouteTable"
	OriginCreateRoute      = "CreateRoute"
	// GatewayLocal is the target of a table's local route (its VPC).
	GatewayLocal = "local"
	// AssociationAssociated is the state of a route table association.
	AssociationAssociated = "associated"
	// DefaultPrivateRouteTable is the Name of the default VPC's route
	// table for its private subnets.
	DefaultPrivateRouteTable = "keks-default-private"
	// defaultPrivateSubnet begins the Name of the default VPC's private subnets.
	defaultPrivateSubnet = "keks-default-private-"
	// defaultLayoutVersion is the version of the default VPC's layout
	// EnsureDefaultVPC gives it (VPC.DefaultLayout).
	defaultLayoutVersion = 1
	// anywhere is the destination of a default route.
	anywhere = "0.0.0.0/0"
)

const rtbPrefix = "ec2/routetables/"

func rtbKey(id string) string { return rtbPrefix + id }

func rtbNotFound(id string) error {
	return awserr.Errorf(CodeInvalidRouteTableNotFound, "The routeTable ID '%s' does not exist", id)
}

func associationNotFound(id string) error {
	return awserr.Errorf(CodeInvalidAssociationNotFound, "The association ID '%s' does not exist", id)
}

// localRoute is the route to a VPC's own block every table of it has.
func localRoute(v *VPC) Route {
	return Route{DestinationCidrBlock: v.CIDR, GatewayID: GatewayLocal, Origin: OriginCreateRouteTable, State: RouteActive}
}

// newRouteTable is a table of v with only the local route.
func newRouteTable(v *VPC, tags map[string]string) *RouteTable {
	return &RouteTable{ID: newResourceID("rtb"), Region: v.Region, VPCID: v.ID, OwnerID: v.OwnerID, Routes: []Route{localRoute(v)}, Tags: tags}
}

// newMainRouteTable is the main route table a VPC is made with.
func newMainRouteTable(v *VPC) *RouteTable {
	rt := newRouteTable(v, nil)
	rt.Main = true
	rt.Associations = []RouteTableAssociation{{ID: newResourceID("rtbassoc"), Main: true, State: AssociationAssociated}}
	return rt
}

// tableAt is a route table as read, with its revision.
type tableAt struct {
	*RouteTable
	rev int64
}

// routeTablesAt reads every route table with its revision.
func (s *Service) routeTablesAt(ctx context.Context) ([]tableAt, error) {
	raws, err := s.Store.ListRaw(ctx, rtbPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]tableAt, 0, len(raws))
	for _, r := range raws {
		var rt RouteTable
		if err := json.Unmarshal(r.Value, &rt); err != nil {
			return nil, fmt.Errorf("store decode %s: %w", r.Key, err)
		}
		out = append(out, tableAt{&rt, r.Rev})
	}
	return out, nil
}

func (s *Service) routeTableAt(ctx context.Context, id string) (*RouteTable, int64, error) {
	var rt RouteTable
	rev, err := s.Store.Get(ctx, rtbKey(id), &rt)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, rtbNotFound(id)
	} else if err != nil {
		return nil, 0, err
	}
	return &rt, rev, nil
}

// putTable adds to t the write of a table read at rev.
func putTable(t *store.Txn, rt *RouteTable, rev int64) {
	t.Unchanged(rtbKey(rt.ID), rev)
	t.Put(rtbKey(rt.ID), rt)
}

// withStates sets the state of each route of tables: a route to an
// internet gateway is active while the gateway is attached to the table's
// VPC, a route to a NAT gateway while the gateway is not deleting or
// deleted; a blackhole otherwise.
func withStates(tables []RouteTable, igws []InternetGateway, nats []NatGateway) []RouteTable {
	attached := map[string]string{}
	for _, g := range igws {
		attached[g.ID] = g.AttachedTo()
	}
	now := time.Now()
	natUp := map[string]bool{}
	for _, g := range nats {
		st := g.StateAt(now)
		natUp[g.ID] = st == NatPending || st == NatAvailable
	}
	for i := range tables {
		rt := &tables[i]
		for j := range rt.Routes {
			r := &rt.Routes[j]
			switch {
			case r.GatewayID == GatewayLocal:
				r.State = RouteActive
			case r.GatewayID != "" && attached[r.GatewayID] == rt.VPCID:
				r.State = RouteActive
			case r.NatGatewayID != "" && natUp[r.NatGatewayID]:
				r.State = RouteActive
			default:
				r.State = RouteBlackhole
			}
		}
	}
	return tables
}

// RouteTables lists the route tables of a region, with their routes' states.
func (s *Service) RouteTables(ctx context.Context, region string) ([]RouteTable, error) {
	all, err := store.List[RouteTable](ctx, s.Store, rtbPrefix)
	if err != nil {
		return nil, err
	}
	igws, err := store.List[InternetGateway](ctx, s.Store, igwPrefix)
	if err != nil {
		return nil, err
	}
	nats, err := store.List[NatGateway](ctx, s.Store, natPrefix)
	if err != nil {
		return nil, err
	}
	return withStates(inRegion(all, region, func(rt RouteTable) string { return rt.Region }), igws, nats), nil
}

// GetRouteTable reads one route table, with its routes' states.
func (s *Service) GetRouteTable(ctx context.Context, id string) (*RouteTable, error) {
	rt, _, err := s.routeTableAt(ctx, id)
	if err != nil {
		return nil, err
	}
	igws, err := store.List[InternetGateway](ctx, s.Store, igwPrefix)
	if err != nil {
		return nil, err
	}
	nats, err := store.List[NatGateway](ctx, s.Store, natPrefix)
	if err != nil {
		return nil, err
	}
	return &withStates([]RouteTable{*rt}, igws, nats)[0], nil
}

// CreateRouteTable adds a route table with only the local route to a VPC
// (rt.VPCID), tagged rt.Tags.
func (s *Service) CreateRouteTable(ctx context.Context, rt RouteTable) (*RouteTable, error) {
	var out *RouteTable
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		// Claiming the VPC orders this create before a DeleteVpc, which
		// then sees the table.
		v, err := s.claimVPC(ctx, t, rt.VPCID)
		if err != nil {
			return err
		}
		out = newRouteTable(v, rt.Tags)
		t.Create(rtbKey(out.ID), out)
		return nil
	})
	return out, err
}

// DeleteRouteTable removes a route table that no subnet uses and that is
// not its VPC's main one.
func (s *Service) DeleteRouteTable(ctx context.Context, id string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		rt, rev, err := s.routeTableAt(ctx, id)
		if err != nil {
			return err
		}
		if len(rt.Associations) > 0 {
			return awserr.Errorf(CodeDependencyViolation, "The routeTable '%s' has dependencies and cannot be deleted.", id)
		}
		t.Unchanged(rtbKey(id), rev)
		t.Delete(rtbKey(id))
		return nil
	})
}

// destinationBlock reads a route's IPv4 destination in its canonical form.
func destinationBlock(cidr string) (netip.Prefix, error) {
	if cidr == "" {
		return netip.Prefix{}, awserr.Errorf(CodeMissingParameter,
			"The request must contain exactly one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId")
	}
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return netip.Prefix{}, awserr.Errorf(CodeInvalidParameterValue, "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	return p, nil
}

// checkTarget checks a route's target for table rt and makes t depend on
// it: an internet gateway attached to the table's VPC, or a NAT gateway of
// that VPC that is not deleted (keks has no other gateways).
func (s *Service) checkTarget(ctx context.Context, t *store.Txn, rt *RouteTable, r Route) error {
	switch {
	case r.GatewayID != "" && r.NatGatewayID != "":
		return awserr.Errorf(CodeInvalidParameterCombo, "The parameter gatewayId cannot be used with the parameter natGatewayId")
	case r.NatGatewayID != "":
		return s.checkNatTarget(ctx, t, rt, r.NatGatewayID)
	case r.GatewayID == "":
		return awserr.Errorf(CodeMissingParameter, "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, "+
			"vpcPeeringConnectionId, transitGatewayId, localGatewayId, carrierGatewayId, coreNetworkArn or instanceId")
	case !strings.HasPrefix(r.GatewayID, "igw-"):
		return awserr.Errorf(CodeInvalidGatewayNotFound, "The gateway ID '%s' does not exist", r.GatewayID)
	}
	g, rev, err := s.igwAt(ctx, r.GatewayID)
	var notFound *awserr.Error
	if errors.As(err, &notFound) && notFound.Code == CodeInvalidInternetGatewayNotFound {
		return awserr.Errorf(CodeInvalidGatewayNotFound, "The gateway ID '%s' does not exist", r.GatewayID)
	} else if err != nil {
		return err
	}
	if g.AttachedTo() != rt.VPCID {
		return awserr.Errorf(CodeInvalidParameterValue, "route table %s and network gateway %s belong to different networks", rt.ID, g.ID)
	}
	t.Unchanged(igwKey(g.ID), rev)
	return nil
}

// localBlock is the destination of a table's local route.
func (rt *RouteTable) localBlock() (netip.Prefix, bool) {
	for _, r := range rt.Routes {
		if r.GatewayID == GatewayLocal {
			p, err := netip.ParsePrefix(r.DestinationCidrBlock)
			return p, err == nil
		}
	}
	return netip.Prefix{}, false
}

func (rt *RouteTable) routeTo(dest netip.Prefix) int {
	return slices.IndexFunc(rt.Routes, func(r Route) bool { return r.DestinationCidrBlock == dest.String() })
}

// CreateRoute adds a route to a table: r.DestinationCidrBlock to
// r.GatewayID (an internet gateway attached to the table's VPC) or
// r.NatGatewayID (a NAT gateway of the table's VPC).
func (s *Service) CreateRoute(ctx context.Context, tableID string, r Route) error {
	dest, err := destinationBlock(r.DestinationCidrBlock)
	if err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		rt, rev, err := s.routeTableAt(ctx, tableID)
		if err != nil {
			return err
		}
		if err := s.checkTarget(ctx, t, rt, r); err != nil {
			return err
		}
		if rt.routeTo(dest) >= 0 {
			return awserr.Errorf(CodeRouteAlreadyExists, "The route identified by %s already exists.", dest)
		}
		if local, ok := rt.localBlock(); ok && local.Bits() < dest.Bits() && local.Contains(dest.Addr()) {
			return awserr.Errorf(CodeInvalidParameterValue, "cannot create a more specific route for %s than local route %s in route table %s", dest, local, tableID)
		}
		rt.Routes = append(rt.Routes, Route{DestinationCidrBlock: dest.String(), GatewayID: r.GatewayID, NatGatewayID: r.NatGatewayID, Origin: OriginCreateRoute})
		putTable(t, rt, rev)
		return nil
	})
}

// ReplaceRoute changes the target of a table's route to r.DestinationCidrBlock.
func (s *Service) ReplaceRoute(ctx context.Context, tableID string, r Route) error {
	return s.editRoute(ctx, tableID, r.DestinationCidrBlock, "replace", func(dest netip.Prefix) error {
		return awserr.Errorf(CodeInvalidParameterValue, "There is no route defined for '%s' in the route table. Use CreateRoute instead.", dest)
	}, func(t *store.Txn, rt *RouteTable, i int) error {
		if err := s.checkTarget(ctx, t, rt, r); err != nil {
			return err
		}
		rt.Routes[i].GatewayID, rt.Routes[i].NatGatewayID = r.GatewayID, r.NatGatewayID
		return nil
	})
}

// DeleteRoute removes a table's route to destination; the local route stays.
func (s *Service) DeleteRoute(ctx context.Context, tableID, destination string) error {
	return s.editRoute(ctx, tableID, destination, "remove", func(dest netip.Prefix) error {
		return awserr.Errorf(CodeInvalidRouteNotFound, "no route with destination-cidr-block %s in route table %s", dest, tableID)
	}, func(_ *store.Txn, rt *RouteTable, i int) error {
		rt.Routes = slices.Delete(rt.Routes, i, i+1)
		return nil
	})
}

// editRoute changes, by edit, a table's route to destination other than
// the local one (which verb, as EC2's message says, cannot touch).
func (s *Service) editRoute(ctx context.Context, tableID, destination, verb string, missing func(netip.Prefix) error, edit func(*store.Txn, *RouteTable, int) error) error {
	dest, err := destinationBlock(destination)
	if err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		rt, rev, err := s.routeTableAt(ctx, tableID)
		if err != nil {
			return err
		}
		i := rt.routeTo(dest)
		if i < 0 {
			return missing(dest)
		}
		if rt.Routes[i].GatewayID == GatewayLocal {
			return awserr.Errorf(CodeInvalidParameterValue, "cannot %s local route %s in route table %s", verb, dest, tableID)
		}
		if err := edit(t, rt, i); err != nil {
			return err
		}
		putTable(t, rt, rev)
		return nil
	})
}

// explicitTable is the table of tables a subnet is explicitly associated
// with, or nil.
func explicitTable(tables []tableAt, subnetID string) *tableAt {
	for i := range tables {
		if slices.ContainsFunc(tables[i].Associations, func(a RouteTableAssociation) bool { return a.SubnetID == subnetID }) {
			return &tables[i]
		}
	}
	return nil
}

// AssociateRouteTable makes a subnet use a table of its VPC; a subnet has
// one explicit association at most.
func (s *Service) AssociateRouteTable(ctx context.Context, tableID, subnetID string) (*RouteTableAssociation, error) {
	var out RouteTableAssociation
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		rt, rev, err := s.routeTableAt(ctx, tableID)
		if err != nil {
			return err
		}
		sn, snRev, err := s.subnetAt(ctx, subnetID)
		if err != nil {
			return err
		}
		if sn.VPCID != rt.VPCID {
			return awserr.Errorf(CodeInvalidParameterValue, "Route table %s and subnet %s belong to different networks", tableID, subnetID)
		}
		tables, err := s.routeTablesAt(ctx)
		if err != nil {
			return err
		}
		if explicitTable(tables, subnetID) != nil {
			return awserr.Errorf(CodeResourceAlreadyAssociated, "the specified association for route table %s conflicts with an existing association", tableID)
		}
		out = RouteTableAssociation{ID: newResourceID("rtbassoc"), SubnetID: subnetID, State: AssociationAssociated}
		rt.Associations = append(rt.Associations, out)
		putTable(t, rt, rev)
		// Claiming the subnet orders this association with any other of
		// it, and before a DeleteSubnet, which then removes it.
		t.Unchanged(subnetKey(subnetID), snRev)
		t.Put(subnetKey(subnetID), sn)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// findAssociation is the table holding an association, and its index there.
func findAssociation(tables []tableAt, id string) (*tableAt, int) {
	for i := range tables {
		if j := slices.IndexFunc(tables[i].Associations, func(a RouteTableAssociation) bool { return a.ID == id }); j >= 0 {
			return &tables[i], j
		}
	}
	return nil, -1
}

// DisassociateRouteTable ends a subnet's explicit association: it then
// uses its VPC's main route table. The main association cannot end.
func (s *Service) DisassociateRouteTable(ctx context.Context, associationID string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		tables, err := s.routeTablesAt(ctx)
		if err != nil {
			return err
		}
		rt, i := findAssociation(tables, associationID)
		if rt == nil {
			return associationNotFound(associationID)
		}
		if rt.Associations[i].Main {
			return awserr.Errorf(CodeInvalidParameterValue, "cannot disassociate the main route table association %s", associationID)
		}
		rt.Associations = slices.Delete(rt.Associations, i, i+1)
		putTable(t, rt.RouteTable, rt.rev)
		return nil
	})
}

// ReplaceRouteTableAssociation moves an association to another table of
// the same VPC under a new id: a subnet's, or the main association, which
// makes that table the VPC's main route table.
func (s *Service) ReplaceRouteTableAssociation(ctx context.Context, associationID, tableID string) (*RouteTableAssociation, error) {
	var out RouteTableAssociation
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		tables, err := s.routeTablesAt(ctx)
		if err != nil {
			return err
		}
		from, i := findAssociation(tables, associationID)
		if from == nil {
			return associationNotFound(associationID)
		}
		j := slices.IndexFunc(tables, func(rt tableAt) bool { return rt.ID == tableID })
		if j < 0 {
			return rtbNotFound(tableID)
		}
		to := &tables[j]
		old := from.Associations[i]
		if to.VPCID != from.VPCID {
			if old.Main {
				return awserr.Errorf(CodeInvalidParameterValue, "Route table %s and network %s belong to different networks", tableID, from.VPCID)
			}
			return awserr.Errorf(CodeInvalidParameterValue, "Route table %s and subnet %s belong to different networks", tableID, old.SubnetID)
		}
		out = RouteTableAssociation{ID: newResourceID("rtbassoc"), SubnetID: old.SubnetID, Main: old.Main, State: AssociationAssociated}
		from.Associations = slices.Delete(from.Associations, i, i+1)
		if old.Main {
			from.Main, to.Main = false, true
		}
		to.Associations = append(to.Associations, out)
		putTable(t, to.RouteTable, to.rev)
		if from != to {
			putTable(t, from.RouteTable, from.rev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// dropAssociations adds to t the removal of a subnet's explicit
// association, as deleting the subnet does.
func (s *Service) dropAssociations(ctx context.Context, t *store.Txn, subnetID string) error {
	tables, err := s.routeTablesAt(ctx)
	if err != nil {
		return err
	}
	for _, rt := range tables {
		kept := slices.DeleteFunc(slices.Clone(rt.Associations), func(a RouteTableAssociation) bool { return a.SubnetID == subnetID })
		if len(kept) != len(rt.Associations) {
			rt.Associations = kept
			putTable(t, rt.RouteTable, rt.rev)
		}
	}
	return nil
}

// SubnetRouteTable is the route table a subnet uses, with its routes'
// states: the one it is associated with, else its VPC's main route table;
// nil if its VPC has neither.
func (s *Service) SubnetRouteTable(ctx context.Context, subnetID string) (*RouteTable, error) {
	sn, err := s.GetSubnet(ctx, subnetID)
	if err != nil {
		return nil, err
	}
	tables, err := s.RouteTables(ctx, sn.Region)
	if err != nil {
		return nil, err
	}
	var main *RouteTable
	for i := range tables {
		rt := &tables[i]
		if rt.VPCID != sn.VPCID {
			continue
		}
		if slices.ContainsFunc(rt.Associations, func(a RouteTableAssociation) bool { return a.SubnetID == subnetID }) {
			return rt, nil
		}
		if rt.Main {
			main = rt
		}
	}
	return main, nil
}

// SubnetIsPublic reports whether a subnet is public as EC2 and EKS mean
// it: the route table it uses has an active route to an internet gateway.
func (s *Service) SubnetIsPublic(ctx context.Context, subnetID string) (bool, error) {
	rt, err := s.SubnetRouteTable(ctx, subnetID)
	if err != nil || rt == nil {
		return false, err
	}
	return slices.ContainsFunc(rt.Routes, func(r Route) bool {
		return strings.HasPrefix(r.GatewayID, "igw-") && r.State == RouteActive
	}), nil
}

// EnsureRouteTables gives every VPC without a main route table (VPCs made
// by a keks without route tables) one with the local route.
func (s *Service) EnsureRouteTables(ctx context.Context) error {
	vpcs, err := store.List[VPC](ctx, s.Store, vpcPrefix)
	if err != nil {
		return err
	}
	tables, err := store.List[RouteTable](ctx, s.Store, rtbPrefix)
	if err != nil {
		return err
	}
	for _, v := range vpcs {
		if slices.ContainsFunc(tables, func(rt RouteTable) bool { return rt.VPCID == v.ID && rt.Main }) {
			continue
		}
		err := s.Store.Transact(ctx, func(t *store.Txn) error {
			cur, err := s.claimVPC(ctx, t, v.ID)
			if err != nil {
				return err
			}
			all, err := store.List[RouteTable](ctx, s.Store, rtbPrefix)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(all, func(rt RouteTable) bool { return rt.VPCID == cur.ID && rt.Main }) {
				return nil
			}
			main := newMainRouteTable(cur)
			t.Create(rtbKey(main.ID), main)
			return nil
		})
		var notFound *awserr.Error
		if errors.As(err, &notFound) && notFound.Code == CodeInvalidVpcNotFound {
			continue // deleted meanwhile
		} else if err != nil {
			return fmt.Errorf("main route table of %s: %w", v.ID, err)
		}
	}
	return nil
}

// layDefaultVPC gives the default VPC AWS's layout, as one write: an
// internet gateway attached to it, the main route table (made if missing)
// with a default route to the gateway, so the subnets without an
// association of their own (the public ones) are public, and a route table
// named keks-default-private with only the local route, associated with
// the private subnets. What it finds already there (a gateway, the
// private table, associations) it keeps; done, it marks the VPC with the
// layout's version, so it never lays it again.
func (s *Service) layDefaultVPC(ctx context.Context, vpcID string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		v, rev, err := s.vpcAt(ctx, vpcID)
		if err != nil {
			return err
		}
		if v.DefaultLayout >= defaultLayoutVersion {
			return nil
		}
		t.Unchanged(vpcKey(vpcID), rev)
		igws, err := store.List[InternetGateway](ctx, s.Store, igwPrefix)
		if err != nil {
			return err
		}
		igwID := ""
		if i := slices.IndexFunc(igws, func(g InternetGateway) bool { return g.AttachedTo() == vpcID }); i >= 0 {
			igwID = igws[i].ID
		} else {
			g := &InternetGateway{ID: newResourceID("igw"), Region: v.Region, OwnerID: v.OwnerID,
				Attachments: []InternetGatewayAttachment{{VPCID: vpcID, State: AttachmentAvailable}}}
			t.Create(igwKey(g.ID), g)
			igwID = g.ID
		}
		all, err := s.routeTablesAt(ctx)
		if err != nil {
			return err
		}
		tables := slices.DeleteFunc(all, func(rt tableAt) bool { return rt.VPCID != vpcID })

		var main tableAt
		if i := slices.IndexFunc(tables, func(rt tableAt) bool { return rt.Main }); i >= 0 {
			main = tables[i]
		} else {
			main = tableAt{newMainRouteTable(v), 0} // rev 0: must still be absent
		}
		if main.routeTo(netip.MustParsePrefix(anywhere)) < 0 {
			main.Routes = append(main.Routes, Route{DestinationCidrBlock: anywhere, GatewayID: igwID, Origin: OriginCreateRoute})
		}
		putTable(t, main.RouteTable, main.rev)

		var private tableAt
		if i := slices.IndexFunc(tables, func(rt tableAt) bool { return !rt.Main && rt.Tags["Name"] == DefaultPrivateRouteTable }); i >= 0 {
			private = tables[i]
		} else {
			private = tableAt{newRouteTable(v, map[string]string{"Name": DefaultPrivateRouteTable}), 0}
		}
		subnets, err := store.List[Subnet](ctx, s.Store, subnetPrefix)
		if err != nil {
			return err
		}
		for _, sn := range subnets {
			if sn.VPCID != vpcID || !strings.HasPrefix(sn.Tags["Name"], defaultPrivateSubnet) || explicitTable(tables, sn.ID) != nil {
				continue
			}
			// Claimed as AssociateRouteTable claims a subnet.
			cur, snRev, err := s.subnetAt(ctx, sn.ID)
			if err != nil {
				return err
			}
			t.Unchanged(subnetKey(sn.ID), snRev)
			t.Put(subnetKey(sn.ID), cur)
			private.Associations = append(private.Associations, RouteTableAssociation{ID: newResourceID("rtbassoc"), SubnetID: sn.ID, State: AssociationAssociated})
		}
		putTable(t, private.RouteTable, private.rev)

		v.DefaultLayout = defaultLayoutVersion
		t.Put(vpcKey(vpcID), v)
		return nil
	})
}
