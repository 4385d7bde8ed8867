package ec2api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// Internet gateways and route tables, in EC2's shapes (InternetGateway,
// RouteTable, Route, RouteTableAssociation of the 2016-11-15 API).

func igwNode(g *ec2.InternetGateway) awsproto.Node {
	var attachments []awsproto.Node
	for _, a := range g.Attachments {
		attachments = append(attachments, awsproto.El("", awsproto.Tx("vpcId", a.VPCID), awsproto.Tx("state", a.State)))
	}
	return awsproto.El("", awsproto.Tx("internetGatewayId", g.ID), awsproto.Tx("ownerId", g.OwnerID),
		awsproto.List("attachmentSet", "item", attachments), tagSet(g.Tags))
}

func routeNode(r *ec2.Route) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("destinationCidrBlock", r.DestinationCidrBlock))
	if r.GatewayID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("gatewayId", r.GatewayID))
	}
	if r.NatGatewayID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("natGatewayId", r.NatGatewayID))
	}
	n.Kids = append(n.Kids, awsproto.Tx("state", r.State), awsproto.Tx("origin", r.Origin))
	return n
}

func associationNode(tableID string, a *ec2.RouteTableAssociation) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("routeTableAssociationId", a.ID), awsproto.Tx("routeTableId", tableID))
	if a.SubnetID != "" {
		n.Kids = append(n.Kids, awsproto.Tx("subnetId", a.SubnetID))
	}
	n.Kids = append(n.Kids, awsproto.Bool("main", a.Main), associationState(a))
	return n
}

func associationState(a *ec2.RouteTableAssociation) awsproto.Node {
	return awsproto.El("associationState", awsproto.Tx("state", a.State))
}

func routeTableNode(rt *ec2.RouteTable) awsproto.Node {
	var routes, associations []awsproto.Node
	for i := range rt.Routes {
		routes = append(routes, routeNode(&rt.Routes[i]))
	}
	for i := range rt.Associations {
		associations = append(associations, associationNode(rt.ID, &rt.Associations[i]))
	}
	return awsproto.El("", awsproto.Tx("routeTableId", rt.ID), awsproto.Tx("vpcId", rt.VPCID), awsproto.Tx("ownerId", rt.OwnerID),
		awsproto.List("routeSet", "item", routes), awsproto.List("associationSet", "item", associations),
		awsproto.El("propagatingVgwSet"), tagSet(rt.Tags))
}

func returnTrue() []awsproto.Node { return []awsproto.Node{awsproto.Bool("return", true)} }

func (h *Handler) createInternetGateway(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	tags, err := tagSpecs(c, "internet-gateway")
	if err != nil {
		return nil, err
	}
	g, err := h.EC2.CreateInternetGateway(r.Context(), c.Region, c.Principal.Account, tags)
	if err != nil {
		return nil, err
	}
	n := igwNode(g)
	n.Name = "internetGateway"
	return []awsproto.Node{n}, nil
}

// gatewayAndVPC reads the InternetGatewayId and VpcId of an attach or detach.
func gatewayAndVPC(c *awsproto.Call) (igw, vpc string, err error) {
	if igw, err = required(c, "InternetGatewayId", "internetGatewayId"); err != nil {
		return "", "", err
	}
	if vpc, err = required(c, "VpcId", "vpcId"); err != nil {
		return "", "", err
	}
	return igw, vpc, nil
}

func (h *Handler) attachInternetGateway(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	igw, vpc, err := gatewayAndVPC(c)
	if err != nil {
		return nil, err
	}
	if err := h.EC2.AttachInternetGateway(r.Context(), igw, vpc); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) detachInternetGateway(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	igw, vpc, err := gatewayAndVPC(c)
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DetachInternetGateway(r.Context(), igw, vpc); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) deleteInternetGateway(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "InternetGatewayId", "internetGatewayId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DeleteInternetGateway(r.Context(), id); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) describeInternetGateways(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeInternetGateways", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "InternetGatewayId")
	igws, err := h.EC2.InternetGateways(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, igws, func(g ec2.InternetGateway) string { return g.ID }, ec2.CodeInvalidInternetGatewayNotFound, "internetGateway ID"); err != nil {
		return nil, err
	}
	var found []ec2.InternetGateway
	for _, g := range igws {
		if len(ids) > 0 && !slices.Contains(ids, g.ID) {
			continue
		}
		fields := map[string][]string{"internet-gateway-id": {g.ID}, "owner-id": {g.OwnerID}}
		for _, a := range g.Attachments {
			fields["attachment.vpc-id"] = append(fields["attachment.vpc-id"], a.VPCID)
			fields["attachment.state"] = append(fields["attachment.state"], a.State)
		}
		if matchesEach(fs, fields, g.Tags) {
			found = append(found, g)
		}
	}
	found, next := page(found, func(g ec2.InternetGateway) string { return g.ID }, pg)
	var items []awsproto.Node
	for i := range found {
		items = append(items, igwNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("internetGatewaySet", "item", items)}, nextToken(next)...), nil
}

func (h *Handler) createRouteTable(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	vpc, err := required(c, "VpcId", "vpcId")
	if err != nil {
		return nil, err
	}
	tags, err := tagSpecs(c, "route-table")
	if err != nil {
		return nil, err
	}
	rt, err := h.EC2.CreateRouteTable(r.Context(), ec2.RouteTable{VPCID: vpc, Tags: tags})
	if err != nil {
		return nil, err
	}
	n := routeTableNode(rt)
	n.Name = "routeTable"
	out := []awsproto.Node{n}
	if token := c.Form.Get("ClientToken"); token != "" {
		out = append(out, awsproto.Tx("clientToken", token))
	}
	return out, nil
}

func (h *Handler) deleteRouteTable(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "RouteTableId", "routeTableId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DeleteRouteTable(r.Context(), id); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) describeRouteTables(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeRouteTables", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "RouteTableId")
	tables, err := h.EC2.RouteTables(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	if err := allFound(ids, tables, func(rt ec2.RouteTable) string { return rt.ID }, ec2.CodeInvalidRouteTableNotFound, "routeTable ID"); err != nil {
		return nil, err
	}
	var found []ec2.RouteTable
	for _, rt := range tables {
		if len(ids) > 0 && !slices.Contains(ids, rt.ID) {
			continue
		}
		if matchesEach(fs, routeTableFields(&rt), rt.Tags) {
			found = append(found, rt)
		}
	}
	found, next := page(found, func(rt ec2.RouteTable) string { return rt.ID }, pg)
	var items []awsproto.Node
	for i := range found {
		items = append(items, routeTableNode(&found[i]))
	}
	return append([]awsproto.Node{awsproto.List("routeTableSet", "item", items)}, nextToken(next)...), nil
}

// routeTableFields are what DescribeRouteTables' filters match: a table
// matches association.* by any of its associations and route.* by any
// of its routes. A table without associations has no association.main,
// so, as on EC2, neither value of it finds one.
func routeTableFields(rt *ec2.RouteTable) map[string][]string {
	f := map[string][]string{"route-table-id": {rt.ID}, "vpc-id": {rt.VPCID}, "owner-id": {rt.OwnerID}}
	add := func(name, value string) {
		if value != "" {
			f[name] = append(f[name], value)
		}
	}
	for _, a := range rt.Associations {
		add("association.route-table-association-id", a.ID)
		add("association.route-table-id", rt.ID)
		add("association.subnet-id", a.SubnetID)
		add("association.main", strconv.FormatBool(a.Main))
	}
	for _, r := range rt.Routes {
		add("route.destination-cidr-block", r.DestinationCidrBlock)
		add("route.gateway-id", r.GatewayID)
		add("route.nat-gateway-id", r.NatGatewayID)
		add("route.origin", r.Origin)
		add("route.state", r.State)
	}
	return f
}

// unroutedTargets are CreateRoute's and ReplaceRoute's targets and
// destinations keks has nothing to route to.
var unroutedTargets = []struct{ param, wire string }{
	{"DestinationIpv6CidrBlock", "destinationIpv6CidrBlock"}, {"DestinationPrefixListId", "destinationPrefixListId"},
	{"InstanceId", "instanceId"}, {"NetworkInterfaceId", "networkInterfaceId"}, {"VpcPeeringConnectionId", "vpcPeeringConnectionId"},
	{"TransitGatewayId", "transitGatewayId"}, {"LocalGatewayId", "localGatewayId"}, {"CarrierGatewayId", "carrierGatewayId"},
	{"EgressOnlyInternetGatewayId", "egressOnlyInternetGatewayId"}, {"VpcEndpointId", "vpcEndpointId"},
	{"CoreNetworkArn", "coreNetworkArn"}, {"OdbNetworkArn", "odbNetworkArn"},
}

// routeParams reads the table and route of CreateRoute or ReplaceRoute.
func routeParams(c *awsproto.Call) (string, ec2.Route, error) {
	table, err := required(c, "RouteTableId", "routeTableId")
	if err != nil {
		return "", ec2.Route{}, err
	}
	for _, t := range unroutedTargets {
		if c.Form.Get(t.param) != "" {
			return "", ec2.Route{}, awserr.Errorf(ec2.CodeInvalidParameterValue,
				"keks routes IPv4 destinations to internet and NAT gateways only; %s is not supported.", t.wire)
		}
	}
	if local, err := boolParam(c, "LocalTarget"); err != nil {
		return "", ec2.Route{}, err
	} else if local {
		return "", ec2.Route{}, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks routes IPv4 destinations to internet and NAT gateways only; localTarget is not supported.")
	}
	return table, ec2.Route{DestinationCidrBlock: c.Form.Get("DestinationCidrBlock"), GatewayID: c.Form.Get("GatewayId"),
		NatGatewayID: c.Form.Get("NatGatewayId")}, nil
}

func (h *Handler) createRoute(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	table, route, err := routeParams(c)
	if err != nil {
		return nil, err
	}
	if err := h.EC2.CreateRoute(r.Context(), table, route); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) replaceRoute(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	table, route, err := routeParams(c)
	if err != nil {
		return nil, err
	}
	if err := h.EC2.ReplaceRoute(r.Context(), table, route); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) deleteRoute(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	table, err := required(c, "RouteTableId", "routeTableId")
	if err != nil {
		return nil, err
	}
	for _, p := range unroutedTargets[:2] {
		if c.Form.Get(p.param) != "" {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks routes IPv4 destinations only; %s is not supported.", p.wire)
		}
	}
	if err := h.EC2.DeleteRoute(r.Context(), table, c.Form.Get("DestinationCidrBlock")); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) associateRouteTable(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	table, err := required(c, "RouteTableId", "routeTableId")
	if err != nil {
		return nil, err
	}
	if c.Form.Get("GatewayId") != "" || c.Form.Get("PublicIpv4Pool") != "" {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks associates route tables with subnets only.")
	}
	subnet, err := required(c, "SubnetId", "subnetId")
	if err != nil {
		return nil, err
	}
	a, err := h.EC2.AssociateRouteTable(r.Context(), table, subnet)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("associationId", a.ID), associationState(a)}, nil
}

func (h *Handler) disassociateRouteTable(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "AssociationId", "associationId")
	if err != nil {
		return nil, err
	}
	if err := h.EC2.DisassociateRouteTable(r.Context(), id); err != nil {
		return nil, err
	}
	return returnTrue(), nil
}

func (h *Handler) replaceRouteTableAssociation(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "AssociationId", "associationId")
	if err != nil {
		return nil, err
	}
	table, err := required(c, "RouteTableId", "routeTableId")
	if err != nil {
		return nil, err
	}
	a, err := h.EC2.ReplaceRouteTableAssociation(r.Context(), id, table)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Tx("newAssociationId", a.ID), associationState(a)}, nil
}
