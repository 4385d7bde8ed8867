package ec2

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/store/storetest"
)

// routingModel is a model over a real store.
func routingModel(t *testing.T) (context.Context, *Service) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st := storetest.Open(t)
	return ctx, &Service{Store: st}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func must1[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		mustDo(t, err)
		return v
	}
}

// wantPublic checks SubnetIsPublic of each subnet.
func wantPublic(t *testing.T, ctx context.Context, s *Service, what string, want map[string]bool) {
	t.Helper()
	for id, w := range want {
		got, err := s.SubnetIsPublic(ctx, id)
		if err != nil {
			t.Fatalf("%s: SubnetIsPublic(%s): %v", what, id, err)
		}
		if got != w {
			t.Errorf("%s: SubnetIsPublic(%s) = %v, want %v", what, id, got, w)
		}
	}
}

func mainTableOf(t *testing.T, ctx context.Context, s *Service, vpcID string) *RouteTable {
	t.Helper()
	tables := must1[[]RouteTable](t)(s.RouteTables(ctx, testRegion))
	var found *RouteTable
	for i := range tables {
		if tables[i].VPCID == vpcID && tables[i].Main {
			if found != nil {
				t.Fatalf("VPC %s has two main route tables", vpcID)
			}
			found = &tables[i]
		}
	}
	if found == nil {
		t.Fatalf("VPC %s has no main route table", vpcID)
	}
	return found
}

func routeState(rt *RouteTable, dest string) string {
	for _, r := range rt.Routes {
		if r.DestinationCidrBlock == dest {
			return r.State
		}
	}
	return ""
}

func TestSubnetIsPublicFollowsItsRouteTable(t *testing.T) {
	ctx, s := routingModel(t)
	vpc := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil))
	a := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.1.0/24"}))
	b := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.2.0/24"}))

	// A new VPC's main table has the local route only: every subnet is private.
	main := mainTableOf(t, ctx, s, vpc.ID)
	if len(main.Routes) != 1 || main.Routes[0] != (Route{DestinationCidrBlock: "10.0.0.0/16", GatewayID: "local", Origin: "CreateRouteTable", State: "active"}) {
		t.Errorf("main table routes %+v", main.Routes)
	}
	if len(main.Associations) != 1 || !main.Associations[0].Main || main.Associations[0].SubnetID != "" || !strings.HasPrefix(main.Associations[0].ID, "rtbassoc-") {
		t.Errorf("main table associations %+v", main.Associations)
	}
	wantPublic(t, ctx, s, "new VPC", map[string]bool{a.ID: false, b.ID: false})

	igw := must1[*InternetGateway](t)(s.CreateInternetGateway(ctx, testRegion, testAccount, map[string]string{"Name": "gw"}))
	if !strings.HasPrefix(igw.ID, "igw-") || igw.AttachedTo() != "" {
		t.Fatalf("new gateway %+v", igw)
	}
	// A gateway not attached to the table's VPC cannot be a target.
	wantCode(t, "route to a detached gateway", s.CreateRoute(ctx, main.ID, Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID}),
		CodeInvalidParameterValue, "route table "+main.ID+" and network gateway "+igw.ID+" belong to different networks")
	mustDo(t, s.AttachInternetGateway(ctx, igw.ID, vpc.ID))
	mustDo(t, s.CreateRoute(ctx, main.ID, Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID}))
	// Subnets without an association of their own use the main table.
	wantPublic(t, ctx, s, "main table routes to the gateway", map[string]bool{a.ID: true, b.ID: true})

	// An explicit association wins over the main table.
	private := must1[*RouteTable](t)(s.CreateRouteTable(ctx, RouteTable{VPCID: vpc.ID, Tags: map[string]string{"Name": "private"}}))
	if private.Main || len(private.Associations) != 0 || len(private.Routes) != 1 || private.Routes[0].GatewayID != "local" {
		t.Errorf("new table %+v", private)
	}
	assoc := must1[*RouteTableAssociation](t)(s.AssociateRouteTable(ctx, private.ID, b.ID))
	wantPublic(t, ctx, s, "b associated with a private table", map[string]bool{a.ID: true, b.ID: false})
	wantCode(t, "second association of b", func() error { _, err := s.AssociateRouteTable(ctx, main.ID, b.ID); return err }(),
		CodeResourceAlreadyAssociated, "the specified association for route table "+main.ID+" conflicts with an existing association")
	wantCode(t, "delete an associated table", s.DeleteRouteTable(ctx, private.ID),
		CodeDependencyViolation, "The routeTable '"+private.ID+"' has dependencies and cannot be deleted.")

	// Moving b's association to the main table, under a new id.
	moved := must1[*RouteTableAssociation](t)(s.ReplaceRouteTableAssociation(ctx, assoc.ID, main.ID))
	if moved.ID == assoc.ID || moved.SubnetID != b.ID || moved.Main {
		t.Errorf("replaced association %+v (was %+v)", moved, assoc)
	}
	wantPublic(t, ctx, s, "b moved to the main table", map[string]bool{a.ID: true, b.ID: true})
	wantCode(t, "disassociate the old id", s.DisassociateRouteTable(ctx, assoc.ID), CodeInvalidAssociationNotFound, assoc.ID)
	mustDo(t, s.DisassociateRouteTable(ctx, moved.ID))
	wantPublic(t, ctx, s, "b back on the main table implicitly", map[string]bool{a.ID: true, b.ID: true})

	// Making the private table the main one makes every implicit subnet private.
	mainAssoc := mainTableOf(t, ctx, s, vpc.ID).Associations[0]
	wantCode(t, "disassociate main", s.DisassociateRouteTable(ctx, mainAssoc.ID), CodeInvalidParameterValue, "cannot disassociate the main route table association")
	newMain := must1[*RouteTableAssociation](t)(s.ReplaceRouteTableAssociation(ctx, mainAssoc.ID, private.ID))
	if !newMain.Main || newMain.SubnetID != "" {
		t.Errorf("new main association %+v", newMain)
	}
	if got := mainTableOf(t, ctx, s, vpc.ID); got.ID != private.ID {
		t.Errorf("main table is %s, want %s", got.ID, private.ID)
	}
	wantPublic(t, ctx, s, "private table is main", map[string]bool{a.ID: false, b.ID: false})
	must1[*RouteTableAssociation](t)(s.AssociateRouteTable(ctx, main.ID, a.ID))
	wantPublic(t, ctx, s, "a associated with the gateway's table", map[string]bool{a.ID: true, b.ID: false})

	// Detaching the gateway leaves a blackhole; attaching it again revives it.
	mustDo(t, s.DetachInternetGateway(ctx, igw.ID, vpc.ID))
	if got := routeState(must1[*RouteTable](t)(s.GetRouteTable(ctx, main.ID)), "0.0.0.0/0"); got != RouteBlackhole {
		t.Errorf("route to a detached gateway is %q, want blackhole", got)
	}
	wantPublic(t, ctx, s, "gateway detached", map[string]bool{a.ID: false, b.ID: false})
	mustDo(t, s.AttachInternetGateway(ctx, igw.ID, vpc.ID))
	wantPublic(t, ctx, s, "gateway attached again", map[string]bool{a.ID: true, b.ID: false})
	mustDo(t, s.DetachInternetGateway(ctx, igw.ID, vpc.ID))
	mustDo(t, s.DeleteInternetGateway(ctx, igw.ID))
	if got := routeState(must1[*RouteTable](t)(s.GetRouteTable(ctx, main.ID)), "0.0.0.0/0"); got != RouteBlackhole {
		t.Errorf("route to a deleted gateway is %q, want blackhole", got)
	}
	wantPublic(t, ctx, s, "gateway deleted", map[string]bool{a.ID: false, b.ID: false})

	// Deleting a subnet removes its association.
	mustDo(t, s.DeleteSubnet(ctx, a.ID, nil))
	for _, rt := range must1[[]RouteTable](t)(s.RouteTables(ctx, testRegion)) {
		if slices.ContainsFunc(rt.Associations, func(x RouteTableAssociation) bool { return x.SubnetID == a.ID }) {
			t.Errorf("table %s still associated with deleted subnet %s", rt.ID, a.ID)
		}
	}
	mustDo(t, s.DeleteRouteTable(ctx, main.ID)) // no longer main, no longer associated
	_, err := s.SubnetIsPublic(ctx, a.ID)
	wantCode(t, "SubnetIsPublic of a deleted subnet", err, CodeInvalidSubnetNotFound, a.ID)
}

func TestRouteAndGatewayRules(t *testing.T) {
	ctx, s := routingModel(t)
	vpc := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil))
	other := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.1.0.0/16", false, nil))
	otherSubnet := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: other.ID, CIDR: "10.1.1.0/24"}))
	main := mainTableOf(t, ctx, s, vpc.ID)
	igw := must1[*InternetGateway](t)(s.CreateInternetGateway(ctx, testRegion, testAccount, nil))
	igw2 := must1[*InternetGateway](t)(s.CreateInternetGateway(ctx, testRegion, testAccount, nil))

	wantCode(t, "attach unknown gateway", s.AttachInternetGateway(ctx, "igw-00000000000000000", vpc.ID),
		CodeInvalidInternetGatewayNotFound, "The internetGateway ID 'igw-00000000000000000' does not exist")
	wantCode(t, "attach to unknown VPC", s.AttachInternetGateway(ctx, igw.ID, "vpc-00000000000000000"),
		CodeInvalidVpcNotFound, "The vpc ID 'vpc-00000000000000000' does not exist")
	wantCode(t, "detach unattached", s.DetachInternetGateway(ctx, igw.ID, vpc.ID),
		CodeGatewayNotAttached, "resource "+igw.ID+" is not attached to network "+vpc.ID)
	mustDo(t, s.AttachInternetGateway(ctx, igw.ID, vpc.ID))
	wantCode(t, "attach twice", s.AttachInternetGateway(ctx, igw.ID, other.ID),
		CodeResourceAlreadyAssociated, "resource "+igw.ID+" is already attached to network "+vpc.ID)
	wantCode(t, "second gateway of a VPC", s.AttachInternetGateway(ctx, igw2.ID, vpc.ID),
		CodeInvalidParameterValue, "Network "+vpc.ID+" already has an internet gateway attached")
	wantCode(t, "delete attached", s.DeleteInternetGateway(ctx, igw.ID),
		CodeDependencyViolation, "The internetGateway '"+igw.ID+"' has dependencies and cannot be deleted.")

	for _, tc := range []struct {
		what string
		r    Route
		code string
		msg  string
	}{
		{"no destination", Route{GatewayID: igw.ID}, CodeMissingParameter, "destinationCidrBlock"},
		{"bad destination", Route{DestinationCidrBlock: "10.2.0.1/16", GatewayID: igw.ID}, CodeInvalidParameterValue, "Value (10.2.0.1/16) for parameter destinationCidrBlock is invalid."},
		{"no target", Route{DestinationCidrBlock: "0.0.0.0/0"}, CodeMissingParameter, "gatewayId"},
		{"unknown gateway", Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "igw-00000000000000000"}, CodeInvalidGatewayNotFound, "The gateway ID 'igw-00000000000000000' does not exist"},
		{"local as a target", Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: "local"}, CodeInvalidGatewayNotFound, "The gateway ID 'local' does not exist"},
		{"NAT gateway", Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: "nat-00000000000000000"}, CodeInvalidNatGatewayNotFound, "nat-00000000000000000"},
		{"another VPC's gateway", Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw2.ID}, CodeInvalidParameterValue, "belong to different networks"},
		{"the local destination", Route{DestinationCidrBlock: "10.0.0.0/16", GatewayID: igw.ID}, CodeRouteAlreadyExists, "The route identified by 10.0.0.0/16 already exists."},
		{"within the local route", Route{DestinationCidrBlock: "10.0.5.0/24", GatewayID: igw.ID}, CodeInvalidParameterValue, "more specific route"},
	} {
		wantCode(t, "CreateRoute "+tc.what, s.CreateRoute(ctx, main.ID, tc.r), tc.code, tc.msg)
	}
	wantCode(t, "CreateRoute in unknown table", s.CreateRoute(ctx, "rtb-00000000000000000", Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID}),
		CodeInvalidRouteTableNotFound, "The routeTable ID 'rtb-00000000000000000' does not exist")
	mustDo(t, s.CreateRoute(ctx, main.ID, Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID}))
	wantCode(t, "CreateRoute twice", s.CreateRoute(ctx, main.ID, Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID}),
		CodeRouteAlreadyExists, "The route identified by 0.0.0.0/0 already exists.")
	got := must1[*RouteTable](t)(s.GetRouteTable(ctx, main.ID))
	if want := (Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID, Origin: "CreateRoute", State: "active"}); len(got.Routes) != 2 || got.Routes[1] != want {
		t.Errorf("routes %+v, want local and %+v", got.Routes, want)
	}
	mustDo(t, s.ReplaceRoute(ctx, main.ID, Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID}))
	wantCode(t, "ReplaceRoute of no route", s.ReplaceRoute(ctx, main.ID, Route{DestinationCidrBlock: "192.168.0.0/16", GatewayID: igw.ID}),
		CodeInvalidParameterValue, "There is no route defined for '192.168.0.0/16' in the route table. Use CreateRoute instead.")
	wantCode(t, "ReplaceRoute local", s.ReplaceRoute(ctx, main.ID, Route{DestinationCidrBlock: "10.0.0.0/16", GatewayID: igw.ID}),
		CodeInvalidParameterValue, "cannot replace local route")
	wantCode(t, "DeleteRoute local", s.DeleteRoute(ctx, main.ID, "10.0.0.0/16"), CodeInvalidParameterValue, "cannot remove local route 10.0.0.0/16 in route table "+main.ID)
	wantCode(t, "DeleteRoute of no route", s.DeleteRoute(ctx, main.ID, "192.168.0.0/16"),
		CodeInvalidRouteNotFound, "no route with destination-cidr-block 192.168.0.0/16 in route table "+main.ID)
	mustDo(t, s.DeleteRoute(ctx, main.ID, "0.0.0.0/0"))
	if got := must1[*RouteTable](t)(s.GetRouteTable(ctx, main.ID)); len(got.Routes) != 1 {
		t.Errorf("routes after DeleteRoute %+v", got.Routes)
	}

	_, err := s.AssociateRouteTable(ctx, main.ID, otherSubnet.ID)
	wantCode(t, "associate another VPC's subnet", err, CodeInvalidParameterValue, "Route table "+main.ID+" and subnet "+otherSubnet.ID+" belong to different networks")
	_, err = s.AssociateRouteTable(ctx, main.ID, "subnet-00000000000000000")
	wantCode(t, "associate unknown subnet", err, CodeInvalidSubnetNotFound, "subnet-00000000000000000")
	wantCode(t, "disassociate unknown", s.DisassociateRouteTable(ctx, "rtbassoc-00000000000000000"),
		CodeInvalidAssociationNotFound, "The association ID 'rtbassoc-00000000000000000' does not exist")
	wantCode(t, "delete main table", s.DeleteRouteTable(ctx, main.ID), CodeDependencyViolation, "has dependencies")
	_, err = s.ReplaceRouteTableAssociation(ctx, main.Associations[0].ID, mainTableOf(t, ctx, s, other.ID).ID)
	wantCode(t, "main association to another VPC's table", err, CodeInvalidParameterValue, "belong to different networks")

	// Tags on tables and gateways.
	mustDo(t, s.TagResources(ctx, []string{main.ID, igw.ID}, map[string]string{"team": "net"}))
	if got := must1[*RouteTable](t)(s.GetRouteTable(ctx, main.ID)); got.Tags["team"] != "net" {
		t.Errorf("table tags %v", got.Tags)
	}
	mustDo(t, s.UntagResources(ctx, []string{igw.ID}, map[string]*string{"team": nil}))
	if got := must1[*InternetGateway](t)(s.GetInternetGateway(ctx, igw.ID)); len(got.Tags) != 0 {
		t.Errorf("gateway tags after untagging %v", got.Tags)
	}
	wantCode(t, "tag unknown table", s.TagResources(ctx, []string{"rtb-00000000000000000"}, map[string]string{"a": "b"}), CodeInvalidRouteTableNotFound, "rtb-00000000000000000")
}

func TestDeleteVPCRefusesWhileRouted(t *testing.T) {
	ctx, s := routingModel(t)
	vpc := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil))
	main := mainTableOf(t, ctx, s, vpc.ID)
	igw := must1[*InternetGateway](t)(s.CreateInternetGateway(ctx, testRegion, testAccount, nil))
	mustDo(t, s.AttachInternetGateway(ctx, igw.ID, vpc.ID))
	mustDo(t, s.CreateRoute(ctx, main.ID, Route{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igw.ID}))
	wantCode(t, "delete with a gateway", s.DeleteVPC(ctx, vpc.ID), CodeDependencyViolation, "The vpc '"+vpc.ID+"' has dependencies and cannot be deleted.")
	mustDo(t, s.DetachInternetGateway(ctx, igw.ID, vpc.ID))
	rt := must1[*RouteTable](t)(s.CreateRouteTable(ctx, RouteTable{VPCID: vpc.ID}))
	wantCode(t, "delete with a second table", s.DeleteVPC(ctx, vpc.ID), CodeDependencyViolation, "has dependencies")
	mustDo(t, s.DeleteRouteTable(ctx, rt.ID))
	mustDo(t, s.DeleteVPC(ctx, vpc.ID))
	_, err := s.GetRouteTable(ctx, main.ID)
	wantCode(t, "main table after its VPC", err, CodeInvalidRouteTableNotFound, main.ID)
	// The gateway outlives the VPC it was attached to.
	mustDo(t, s.DeleteInternetGateway(ctx, igw.ID))
}

// checkDefaultLayout checks the default VPC as AWS lays one out, with
// keks's private subnets on a route table of their own.
func checkDefaultLayout(t *testing.T, ctx context.Context, s *Service, v *VPC) {
	t.Helper()
	if !v.IsDefault || v.DefaultLayout != defaultLayoutVersion {
		t.Errorf("default VPC %+v", v)
	}
	var igws []InternetGateway
	for _, g := range must1[[]InternetGateway](t)(s.InternetGateways(ctx, testRegion)) {
		if g.AttachedTo() == v.ID {
			igws = append(igws, g)
		}
	}
	if len(igws) != 1 {
		t.Fatalf("default VPC has %d internet gateways attached, want 1", len(igws))
	}
	var mains, privates []RouteTable
	for _, rt := range must1[[]RouteTable](t)(s.RouteTables(ctx, testRegion)) {
		switch {
		case rt.VPCID != v.ID:
		case rt.Main:
			mains = append(mains, rt)
		case rt.Tags["Name"] == DefaultPrivateRouteTable:
			privates = append(privates, rt)
		default:
			t.Errorf("unexpected table %+v", rt)
		}
	}
	if len(mains) != 1 || len(privates) != 1 {
		t.Fatalf("default VPC has %d main and %d private tables, want 1 each", len(mains), len(privates))
	}
	if got, want := mains[0].Routes, []Route{
		{DestinationCidrBlock: "172.31.0.0/16", GatewayID: "local", Origin: "CreateRouteTable", State: "active"},
		{DestinationCidrBlock: "0.0.0.0/0", GatewayID: igws[0].ID, Origin: "CreateRoute", State: "active"},
	}; !slices.Equal(got, want) {
		t.Errorf("main routes %+v, want %+v", got, want)
	}
	if got := privates[0].Routes; len(got) != 1 || got[0].GatewayID != "local" {
		t.Errorf("private routes %+v", got)
	}
	if len(mains[0].Associations) != 1 || !mains[0].Associations[0].Main {
		t.Errorf("main associations %+v", mains[0].Associations)
	}
	public := map[string]bool{}
	private := 0
	for _, sn := range must1[[]Subnet](t)(s.Subnets(ctx, testRegion)) {
		if sn.VPCID != v.ID {
			continue
		}
		isPrivate := strings.HasPrefix(sn.Tags["Name"], "keks-default-private-")
		public[sn.ID] = !isPrivate
		if isPrivate {
			private++
			if !slices.ContainsFunc(privates[0].Associations, func(a RouteTableAssociation) bool { return a.SubnetID == sn.ID }) {
				t.Errorf("private subnet %s not associated with %s", sn.ID, privates[0].ID)
			}
		}
	}
	if len(public) != 6 || private != 3 || len(privates[0].Associations) != 3 {
		t.Errorf("%d subnets, %d private, %d private associations; want 6, 3, 3", len(public), private, len(privates[0].Associations))
	}
	wantPublic(t, ctx, s, "default VPC", public)
}

func TestDefaultVPCLayout(t *testing.T) {
	ctx, s := routingModel(t)
	v := must1[*VPC](t)(s.EnsureDefaultVPC(ctx, testRegion, testAccount))
	checkDefaultLayout(t, ctx, s, v)
	tables := len(must1[[]RouteTable](t)(s.RouteTables(ctx, testRegion)))
	// Again, as at every start: nothing changes.
	again := must1[*VPC](t)(s.EnsureDefaultVPC(ctx, testRegion, testAccount))
	if again.ID != v.ID {
		t.Fatalf("second default VPC %s", again.ID)
	}
	checkDefaultLayout(t, ctx, s, again)
	if n := len(must1[[]RouteTable](t)(s.RouteTables(ctx, testRegion))); n != tables {
		t.Errorf("%d route tables after a second start, want %d", n, tables)
	}
}

// A store made by a keks without route tables: a default VPC with its six
// subnets and another VPC, and none of them with a route table.
func TestDefaultVPCOfAnOlderKeksIsLaidOut(t *testing.T) {
	ctx, s := routingModel(t)
	v := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "172.31.0.0/16", true, map[string]string{"Name": "keks-default"}))
	for i, z := range Zones(testRegion) {
		must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: v.ID, CIDR: []string{"172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"}[i],
			AvailabilityZone: z.Name, MapPublicIP: true, DefaultForAZ: true, Tags: map[string]string{"Name": "keks-default-public-" + z.Name}}))
		must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: v.ID, CIDR: []string{"172.31.48.0/20", "172.31.64.0/20", "172.31.80.0/20"}[i],
			AvailabilityZone: z.Name, Tags: map[string]string{"Name": "keks-default-private-" + z.Name}}))
	}
	other := must1[*VPC](t)(s.CreateVPC(ctx, "us-west-2", testAccount, "10.0.0.0/16", false, nil))
	otherSubnet := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: other.ID, CIDR: "10.0.1.0/24", AvailabilityZone: "us-west-2a"}))
	mustDo(t, s.Store.DeletePrefix(ctx, rtbPrefix))
	if got, err := s.SubnetIsPublic(ctx, otherSubnet.ID); err != nil || got {
		t.Errorf("subnet of a VPC without route tables: public %v, %v", got, err)
	}

	laid := must1[*VPC](t)(s.EnsureDefaultVPC(ctx, testRegion, testAccount))
	if laid.ID != v.ID {
		t.Fatalf("EnsureDefaultVPC made a new default VPC %s beside %s", laid.ID, v.ID)
	}
	checkDefaultLayout(t, ctx, s, laid)
	tables := must1[[]RouteTable](t)(s.RouteTables(ctx, "us-west-2"))
	if len(tables) != 1 || tables[0].VPCID != other.ID || !tables[0].Main || len(tables[0].Routes) != 1 {
		t.Errorf("the other VPC's tables %+v, want its main table", tables)
	}
	wantPublic(t, ctx, s, "other VPC", map[string]bool{otherSubnet.ID: false})

	// Restarting changes nothing.
	before := len(must1[[]RouteTable](t)(s.RouteTables(ctx, testRegion)))
	checkDefaultLayout(t, ctx, s, must1[*VPC](t)(s.EnsureDefaultVPC(ctx, testRegion, testAccount)))
	if n := len(must1[[]RouteTable](t)(s.RouteTables(ctx, testRegion))); n != before {
		t.Errorf("%d route tables after a restart, want %d", n, before)
	}
	if n := len(must1[[]InternetGateway](t)(s.InternetGateways(ctx, testRegion))); n != 1 {
		t.Errorf("%d internet gateways after a restart, want 1", n)
	}
}
