package ec2

import (
	"slices"
	"testing"
	"time"
)

// wantErrCode fails unless err is an AWS error with code.
func wantErrCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if !isCode(err, code) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

// fastNat makes NAT gateways settle quickly for a test.
func fastNat(t *testing.T) {
	old := natSettle
	natSettle = 200 * time.Millisecond
	t.Cleanup(func() { natSettle = old })
}

func TestNatGatewaysAndAddresses(t *testing.T) {
	fastNat(t)
	ctx, s := routingModel(t)
	vpc := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil))
	other := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.1.0.0/16", false, nil))
	public := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.0.0/24"}))
	private := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.1.0/24"}))

	// Elastic IPs: documentation ranges, unique.
	a1 := must1[*Address](t)(s.AllocateAddress(ctx, testRegion, testAccount, nil))
	a2 := must1[*Address](t)(s.AllocateAddress(ctx, testRegion, testAccount, map[string]string{"Name": "two"}))
	if a1.PublicIP == a2.PublicIP || a1.PublicIP != "198.51.100.1" || a1.Domain != DomainVPC {
		t.Fatalf("addresses %+v and %+v", a1, a2)
	}

	_, err := s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, SubnetID: public.ID})
	wantErrCode(t, "a public NAT gateway without an address", err, CodeMissingParameter)
	_, err = s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, SubnetID: public.ID, AllocationID: "eipalloc-0123456789abcdef0"})
	wantErrCode(t, "an unknown allocation", err, CodeInvalidAllocationNotFound)
	_, err = s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, SubnetID: "subnet-0123456789abcdef0", AllocationID: a1.AllocationID})
	wantErrCode(t, "an unknown subnet", err, CodeInvalidSubnetNotFound)
	_, err = s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, SubnetID: public.ID, AllocationID: a1.AllocationID, ConnectivityType: ConnectivityPrivate})
	wantErrCode(t, "a private NAT gateway with an address", err, CodeInvalidParameterCombo)

	nat := must1[*NatGateway](t)(s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, Owner: testAccount, SubnetID: public.ID,
		AllocationID: a1.AllocationID, ClientToken: "tok-1"}))
	if nat.State != NatPending || nat.PublicIP != a1.PublicIP || nat.VPCID != vpc.ID || nat.PrivateIP != "10.0.0.254" {
		t.Fatalf("new NAT gateway %+v", nat)
	}
	again := must1[*NatGateway](t)(s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, Owner: testAccount, SubnetID: public.ID,
		AllocationID: a1.AllocationID, ClientToken: "tok-1"}))
	if again.ID != nat.ID {
		t.Fatalf("a retry with the same client token made %s, not %s", again.ID, nat.ID)
	}
	_, err = s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, SubnetID: private.ID, AllocationID: a1.AllocationID, ClientToken: "tok-1"})
	wantErrCode(t, "the same client token, other parameters", err, CodeIdempotentParameterMismatch)
	_, err = s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, SubnetID: private.ID, AllocationID: a1.AllocationID})
	wantErrCode(t, "an address in use", err, CodeResourceAlreadyAssociated)
	wantErrCode(t, "releasing an address a NAT gateway holds", s.ReleaseAddress(ctx, a1.AllocationID), CodeAuthFailure)
	// EC2 lets a NAT gateway into any subnet: a private one here.
	priv := must1[*NatGateway](t)(s.CreateNatGateway(ctx, NatGatewayInput{Region: testRegion, SubnetID: private.ID, ConnectivityType: ConnectivityPrivate}))

	// Routes to it: only from its VPC's tables; active while it lives.
	rt := must1[*RouteTable](t)(s.CreateRouteTable(ctx, RouteTable{VPCID: vpc.ID}))
	otherRT := must1[*RouteTable](t)(s.CreateRouteTable(ctx, RouteTable{VPCID: other.ID}))
	wantErrCode(t, "a route to a NAT gateway of another VPC", s.CreateRoute(ctx, otherRT.ID, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: nat.ID}), CodeInvalidParameterValue)
	wantErrCode(t, "a route to no NAT gateway", s.CreateRoute(ctx, rt.ID, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: "nat-0123456789abcdef0"}), CodeInvalidNatGatewayNotFound)
	mustDo(t, s.CreateRoute(ctx, rt.ID, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: nat.ID}))
	mustDo(t, s.ReplaceRoute(ctx, rt.ID, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: priv.ID}))
	mustDo(t, s.ReplaceRoute(ctx, rt.ID, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: nat.ID}))
	if got := must1[*RouteTable](t)(s.GetRouteTable(ctx, rt.ID)); got.Routes[1].State != RouteActive || got.Routes[1].NatGatewayID != nat.ID {
		t.Fatalf("route to a NAT gateway: %+v", got.Routes)
	}
	time.Sleep(natSettle + 50*time.Millisecond)
	if g := must1[*NatGateway](t)(s.GetNatGateway(ctx, nat.ID)); g.State != NatAvailable {
		t.Fatalf("after settling, the NAT gateway is %s", g.State)
	}

	// It keeps its subnet and VPC.
	wantErrCode(t, "deleting a subnet with a NAT gateway", s.DeleteSubnet(ctx, public.ID, nil), CodeDependencyViolation)
	wantErrCode(t, "deleting a VPC with a NAT gateway", s.DeleteVPC(ctx, vpc.ID), CodeDependencyViolation)

	mustDo(t, s.DeleteNatGateway(ctx, nat.ID))
	mustDo(t, s.DeleteNatGateway(ctx, nat.ID)) // again: as EC2, no error
	wantErrCode(t, "deleting no NAT gateway", s.DeleteNatGateway(ctx, "nat-0123456789abcdef0"), CodeNatGatewayNotFound)
	if g := must1[*NatGateway](t)(s.GetNatGateway(ctx, nat.ID)); g.State != NatDeleting {
		t.Fatalf("just deleted, the NAT gateway is %s", g.State)
	}
	if got := must1[*RouteTable](t)(s.GetRouteTable(ctx, rt.ID)); got.Routes[1].State != RouteBlackhole {
		t.Fatalf("a route to a deleted NAT gateway is %s", got.Routes[1].State)
	}
	wantErrCode(t, "a new route to a deleting NAT gateway", s.ReplaceRoute(ctx, rt.ID, Route{DestinationCidrBlock: "0.0.0.0/0", NatGatewayID: nat.ID}), CodeInvalidNatGatewayNotFound)
	wantErrCode(t, "deleting a subnet with a deleting NAT gateway", s.DeleteSubnet(ctx, public.ID, nil), CodeDependencyViolation)
	time.Sleep(natSettle + 50*time.Millisecond)
	all := must1[[]NatGateway](t)(s.NatGateways(ctx, testRegion))
	if i := slices.IndexFunc(all, func(g NatGateway) bool { return g.ID == nat.ID }); i < 0 || all[i].State != NatDeleted {
		t.Fatalf("a deleted NAT gateway stays listed as deleted: %+v", all)
	}
	mustDo(t, s.DeleteSubnet(ctx, public.ID, nil))

	// Its address is free again.
	if a := must1[*Address](t)(s.GetAddress(ctx, a1.AllocationID)); a.NatGatewayID != "" || a.AssociationID != "" {
		t.Fatalf("the deleted NAT gateway's address is still associated: %+v", a)
	}
	mustDo(t, s.ReleaseAddress(ctx, a1.AllocationID))
	wantErrCode(t, "releasing it twice", s.ReleaseAddress(ctx, a1.AllocationID), CodeInvalidAllocationNotFound)
	a3 := must1[*Address](t)(s.AllocateAddress(ctx, testRegion, testAccount, nil))
	if a3.PublicIP != a1.PublicIP {
		t.Fatalf("a released address is taken again first: got %s, want %s", a3.PublicIP, a1.PublicIP)
	}

	// Tags.
	mustDo(t, s.TagResources(ctx, []string{priv.ID, a2.AllocationID}, map[string]string{"team": "net"}))
	if g := must1[*NatGateway](t)(s.GetNatGateway(ctx, priv.ID)); g.Tags["team"] != "net" {
		t.Fatalf("tags of a NAT gateway: %v", g.Tags)
	}
	if a := must1[*Address](t)(s.GetAddress(ctx, a2.AllocationID)); a.Tags["team"] != "net" || a.Tags["Name"] != "two" {
		t.Fatalf("tags of an address: %v", a.Tags)
	}
}

func TestVPCAndSubnetAttributes(t *testing.T) {
	ctx, s := routingModel(t)
	vpc := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil))
	if !vpc.EnableDNSSupport() || vpc.EnableDNSHostnames() {
		t.Fatalf("a new VPC's DNS attributes: support %v, hostnames %v", vpc.EnableDNSSupport(), vpc.EnableDNSHostnames())
	}
	on, off := true, false
	mustDo(t, s.ModifyVPCAttributes(ctx, vpc.ID, VPCAttributes{EnableDNSHostnames: &on}))
	wantErrCode(t, "DNS support off under hostnames", s.ModifyVPCAttributes(ctx, vpc.ID, VPCAttributes{EnableDNSSupport: &off}), CodeInvalidParameterValue)
	if v := must1[*VPC](t)(s.GetVPC(ctx, vpc.ID)); !v.EnableDNSHostnames() || !v.EnableDNSSupport() {
		t.Fatalf("after enabling hostnames: %+v", v)
	}
	sn := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.0.0/24"}))
	mustDo(t, s.SetMapPublicIPOnLaunch(ctx, sn.ID, true))
	if got := must1[*Subnet](t)(s.GetSubnet(ctx, sn.ID)); !got.MapPublicIP {
		t.Fatal("MapPublicIpOnLaunch did not stick")
	}
	wantErrCode(t, "an unknown subnet", s.SetMapPublicIPOnLaunch(ctx, "subnet-0123456789abcdef0", true), CodeInvalidSubnetNotFound)
}

func TestAddressAssociations(t *testing.T) {
	ctx, s := routingModel(t)
	vpc := must1[*VPC](t)(s.CreateVPC(ctx, testRegion, testAccount, "10.0.0.0/16", false, nil))
	sn := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: vpc.ID, CIDR: "10.0.0.0/24"}))
	one := must1[*Instance](t)(s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small"}))
	two := must1[*Instance](t)(s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small"}))
	a := must1[*Address](t)(s.AllocateAddress(ctx, testRegion, testAccount, nil))
	b := must1[*Address](t)(s.AllocateAddress(ctx, testRegion, testAccount, nil))

	assoc := must1[string](t)(s.AssociateAddress(ctx, testRegion, a.AllocationID, one.ID, false))
	if got := must1[*Address](t)(s.GetAddress(ctx, a.AllocationID)); got.InstanceID != one.ID || got.AssociationID != assoc || got.PrivateIP != one.PrivateIP {
		t.Fatalf("associated address %+v", got)
	}
	_, err := s.AssociateAddress(ctx, testRegion, a.AllocationID, two.ID, false)
	wantErrCode(t, "moving an address without AllowReassociation", err, CodeResourceAlreadyAssociated)
	wantErrCode(t, "releasing an associated address", s.ReleaseAddress(ctx, a.AllocationID), CodeInvalidIPAddressInUse)
	_, err = s.AssociateAddress(ctx, testRegion, a.AllocationID, "i-0123456789abcdef0", true)
	wantErrCode(t, "an unknown instance", err, CodeInvalidInstanceNotFound)
	_, err = s.AssociateAddress(ctx, "us-west-2", a.AllocationID, one.ID, true)
	wantErrCode(t, "an address of another region", err, CodeInvalidAllocationNotFound)

	// An instance has one address: a second one takes its place.
	must1[string](t)(s.AssociateAddress(ctx, testRegion, b.AllocationID, one.ID, false))
	if got := must1[*Address](t)(s.GetAddress(ctx, a.AllocationID)); got.InstanceID != "" || got.AssociationID != "" {
		t.Fatalf("the instance's former address is still associated: %+v", got)
	}
	moved := must1[string](t)(s.AssociateAddress(ctx, testRegion, b.AllocationID, two.ID, true))
	wantErrCode(t, "an old association", s.DisassociateAddress(ctx, testRegion, assoc), CodeInvalidAssociationNotFound)
	mustDo(t, s.DisassociateAddress(ctx, testRegion, moved))

	// A terminated instance lets go of its address.
	must1[string](t)(s.AssociateAddress(ctx, testRegion, a.AllocationID, two.ID, false))
	_, _, err = s.TerminateInstance(ctx, two.ID)
	mustDo(t, err)
	_, err = s.UpdateInstance(ctx, two.ID, func(in *Instance) error { in.State = StateTerminated; return nil })
	mustDo(t, err)
	if got := must1[[]Address](t)(s.Addresses(ctx, testRegion)); got[0].InstanceID != "" || got[1].InstanceID != "" {
		t.Fatalf("addresses of a terminated instance: %+v", got)
	}
	mustDo(t, s.ReleaseAddress(ctx, a.AllocationID))
}
