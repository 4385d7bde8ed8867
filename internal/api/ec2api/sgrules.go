package ec2api

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// permissionParams reads IpPermissions.N (IpProtocol, FromPort, ToPort,
// IpRanges.M, Groups.M: the UserIdGroupPairs) or, when there are none, the
// legacy flat form (IpProtocol, FromPort, ToPort, CidrIp,
// SourceSecurityGroupName). IPv6 ranges and prefix lists are refused: keks's
// VPCs have neither.
func permissionParams(c *awsproto.Call) ([]ec2.Permission, error) {
	var out []ec2.Permission
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("IpPermissions.%d.", i)
		if !hasPrefixParam(c, prefix) {
			break
		}
		if hasPrefixParam(c, prefix+"Ipv6Ranges.") {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks's VPCs have no IPv6 CIDR blocks; Ipv6Ranges cannot be used")
		}
		if hasPrefixParam(c, prefix+"PrefixListIds.") {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks has no managed prefix lists; PrefixListIds cannot be used")
		}
		p, err := portsOf(c, prefix)
		if err != nil {
			return nil, err
		}
		for j := 1; ; j++ {
			rp := fmt.Sprintf("%sIpRanges.%d.", prefix, j)
			if !hasPrefixParam(c, rp) {
				break
			}
			p.CIDRs = append(p.CIDRs, ec2.PermissionPeer{CIDR: c.Form.Get(rp + "CidrIp"), Description: c.Form.Get(rp + "Description")})
		}
		for j := 1; ; j++ {
			gp := fmt.Sprintf("%sGroups.%d.", prefix, j)
			if !hasPrefixParam(c, gp) {
				break
			}
			p.Groups = append(p.Groups, ec2.PermissionPeer{GroupID: c.Form.Get(gp + "GroupId"), GroupName: c.Form.Get(gp + "GroupName"), Description: c.Form.Get(gp + "Description")})
		}
		out = append(out, p)
	}
	flat := c.Form.Get("IpProtocol") != "" || c.Form.Get("CidrIp") != "" || c.Form.Get("SourceSecurityGroupName") != ""
	if flat && len(out) > 0 {
		return nil, awserr.Errorf(ec2.CodeInvalidParameterCombo, "The parameter 'ipPermissions' may not be used in combination with 'ipProtocol', 'cidrIp', 'fromPort', 'toPort' or 'sourceSecurityGroupName'")
	}
	if flat {
		p, err := portsOf(c, "")
		if err != nil {
			return nil, err
		}
		if cidr := c.Form.Get("CidrIp"); cidr != "" {
			p.CIDRs = append(p.CIDRs, ec2.PermissionPeer{CIDR: cidr})
		}
		if name := c.Form.Get("SourceSecurityGroupName"); name != "" {
			// EC2 takes a group's name here; keks also takes its id.
			peer := ec2.PermissionPeer{GroupName: name}
			if len(name) > 3 && name[:3] == "sg-" {
				peer = ec2.PermissionPeer{GroupID: name}
			}
			p.Groups = append(p.Groups, peer)
		}
		if p.Protocol == "" && (len(p.CIDRs) > 0 || len(p.Groups) > 0) {
			p.Protocol = ec2.ProtocolAll // a source group alone allows everything from it, as EC2 reads it
		}
		out = append(out, p)
	}
	return out, nil
}

// portsOf reads a permission's IpProtocol, FromPort and ToPort.
func portsOf(c *awsproto.Call, prefix string) (ec2.Permission, error) {
	p := ec2.Permission{Protocol: c.Form.Get(prefix + "IpProtocol")}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"FromPort", &p.FromPort}, {"ToPort", &p.ToPort}} {
		n, set, err := intParam(c, prefix+f.name)
		if err != nil {
			return p, err
		}
		if set {
			*f.dst = &n
		}
	}
	return p, nil
}

// hasPrefixParam says whether the request has a parameter under prefix.
func hasPrefixParam(c *awsproto.Call, prefix string) bool {
	for k := range c.Form {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

// ruleGroup is the group a rule action acts on: GroupId, or GroupName in
// the default VPC (ingress only, as EC2 allows).
func (h *Handler) ruleGroup(r *http.Request, c *awsproto.Call, byName bool) (string, error) {
	if id := c.Form.Get("GroupId"); id != "" {
		return id, nil
	}
	name := c.Form.Get("GroupName")
	if name == "" || !byName {
		return "", awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter groupId")
	}
	vpc, err := h.defaultVPC(r, c)
	if err != nil {
		return "", err
	}
	groups, err := h.EC2.SecurityGroups(r.Context(), c.Region)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(groups, func(g ec2.SecurityGroup) bool { return g.VPCID == vpc && g.Name == name })
	if i < 0 {
		return "", awserr.Errorf(ec2.CodeInvalidGroupNotFound, "The security group '%s' does not exist in default VPC '%s'", name, vpc)
	}
	return groups[i].ID, nil
}

func (h *Handler) authorizeSecurityGroupIngress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return h.authorizeRules(r, c, false)
}

func (h *Handler) authorizeSecurityGroupEgress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return h.authorizeRules(r, c, true)
}

func (h *Handler) authorizeRules(r *http.Request, c *awsproto.Call, egress bool) ([]awsproto.Node, error) {
	id, err := h.ruleGroup(r, c, !egress)
	if err != nil {
		return nil, err
	}
	perms, err := permissionParams(c)
	if err != nil {
		return nil, err
	}
	tags, err := tagSpecs(c, "security-group-rule")
	if err != nil {
		return nil, err
	}
	rules, err := h.EC2.AuthorizeSecurityGroupRules(r.Context(), id, egress, perms, tags)
	if err != nil {
		return nil, err
	}
	g, err := h.EC2.GetSecurityGroup(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true), rulesNode("securityGroupRuleSet", g, rules)}, nil
}

func (h *Handler) revokeSecurityGroupIngress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return h.revokeRules(r, c, false)
}

func (h *Handler) revokeSecurityGroupEgress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return h.revokeRules(r, c, true)
}

func (h *Handler) revokeRules(r *http.Request, c *awsproto.Call, egress bool) ([]awsproto.Node, error) {
	id, err := h.ruleGroup(r, c, !egress)
	if err != nil {
		return nil, err
	}
	perms, err := permissionParams(c)
	if err != nil {
		return nil, err
	}
	ruleIDs := listParam(c, "SecurityGroupRuleId")
	if len(perms) == 0 && len(ruleIDs) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter ipPermissions or securityGroupRuleIds")
	}
	removed, err := h.EC2.RevokeSecurityGroupRules(r.Context(), id, egress, perms, ruleIDs)
	if err != nil {
		return nil, err
	}
	items := make([]awsproto.Node, 0, len(removed))
	for _, rule := range removed {
		n := awsproto.El("", awsproto.Tx("securityGroupRuleId", rule.ID), awsproto.Tx("groupId", id), awsproto.Bool("isEgress", rule.Egress),
			awsproto.Tx("ipProtocol", rule.Protocol), awsproto.Int("fromPort", rule.FromPort), awsproto.Int("toPort", rule.ToPort))
		if rule.CIDR != "" {
			n.Kids = append(n.Kids, awsproto.Tx("cidrIpv4", rule.CIDR))
		}
		if rule.GroupID != "" {
			n.Kids = append(n.Kids, awsproto.Tx("referencedGroupId", rule.GroupID))
		}
		if rule.Description != "" {
			n.Kids = append(n.Kids, awsproto.Tx("description", rule.Description))
		}
		items = append(items, n)
	}
	return []awsproto.Node{awsproto.Bool("return", true), awsproto.List("revokedSecurityGroupRuleSet", "item", items)}, nil
}

func (h *Handler) updateSecurityGroupRuleDescriptionsIngress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return h.updateRuleDescriptions(r, c, false)
}

func (h *Handler) updateSecurityGroupRuleDescriptionsEgress(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	return h.updateRuleDescriptions(r, c, true)
}

func (h *Handler) updateRuleDescriptions(r *http.Request, c *awsproto.Call, egress bool) ([]awsproto.Node, error) {
	id, err := h.ruleGroup(r, c, true)
	if err != nil {
		return nil, err
	}
	perms, err := permissionParams(c)
	if err != nil {
		return nil, err
	}
	byID := map[string]string{}
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("SecurityGroupRuleDescription.%d.", i)
		if !hasPrefixParam(c, prefix) {
			break
		}
		byID[c.Form.Get(prefix+"SecurityGroupRuleId")] = c.Form.Get(prefix + "Description")
	}
	if len(perms) == 0 && len(byID) == 0 {
		return nil, awserr.Errorf(ec2.CodeMissingParameter, "The request must contain the parameter ipPermissions or securityGroupRuleDescriptions")
	}
	if err := h.EC2.UpdateSecurityGroupRuleDescriptions(r.Context(), id, egress, perms, byID); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}

// rulesNode lists rules of g as EC2's SecurityGroupRule shapes.
func rulesNode(name string, g *ec2.SecurityGroup, rules []ec2.SecurityGroupRule) awsproto.Node {
	items := make([]awsproto.Node, 0, len(rules))
	for _, rule := range rules {
		items = append(items, ruleNode(g, &rule))
	}
	return awsproto.List(name, "item", items)
}

func ruleNode(g *ec2.SecurityGroup, rule *ec2.SecurityGroupRule) awsproto.Node {
	n := awsproto.El("", awsproto.Tx("securityGroupRuleId", rule.ID), awsproto.Tx("groupId", g.ID), awsproto.Tx("groupOwnerId", g.OwnerID),
		awsproto.Bool("isEgress", rule.Egress), awsproto.Tx("ipProtocol", rule.Protocol), awsproto.Int("fromPort", rule.FromPort), awsproto.Int("toPort", rule.ToPort))
	if rule.CIDR != "" {
		n.Kids = append(n.Kids, awsproto.Tx("cidrIpv4", rule.CIDR))
	}
	if rule.GroupID != "" {
		n.Kids = append(n.Kids, awsproto.El("referencedGroupInfo", awsproto.Tx("groupId", rule.GroupID), awsproto.Tx("userId", g.OwnerID)))
	}
	if rule.Description != "" {
		n.Kids = append(n.Kids, awsproto.Tx("description", rule.Description))
	}
	n.Kids = append(n.Kids, tagSet(rule.Tags),
		awsproto.Tx("securityGroupRuleArn", fmt.Sprintf("arn:aws:ec2:%s:%s:security-group-rule/%s", g.Region, g.OwnerID, rule.ID)))
	return n
}

// describeSecurityGroupRules lists rules across a region's groups, by
// SecurityGroupRuleId.N and filters group-id, security-group-rule-id and
// tags, paged in rule ID order.
func (h *Handler) describeSecurityGroupRules(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	fs, err := filters(c, "DescribeSecurityGroupRules", true)
	if err != nil {
		return nil, err
	}
	pg, err := pageParams(c, "", "")
	if err != nil {
		return nil, err
	}
	ids := listParam(c, "SecurityGroupRuleId")
	groups, err := h.EC2.SecurityGroups(r.Context(), c.Region)
	if err != nil {
		return nil, err
	}
	type ruleOf struct {
		g    *ec2.SecurityGroup
		rule ec2.SecurityGroupRule
	}
	var all []ruleOf
	for i := range groups {
		for _, rule := range groups[i].Rules {
			all = append(all, ruleOf{&groups[i], rule})
		}
	}
	for _, want := range ids {
		if !slices.ContainsFunc(all, func(x ruleOf) bool { return x.rule.ID == want }) {
			return nil, awserr.Errorf(ec2.CodeRuleIDNotFound, "The security group rule ID '%s' does not exist", want)
		}
	}
	var found []ruleOf
	for _, x := range all {
		if len(ids) > 0 && !slices.Contains(ids, x.rule.ID) {
			continue
		}
		if matches(fs, map[string]string{"group-id": x.g.ID, "security-group-rule-id": x.rule.ID}, x.rule.Tags) {
			found = append(found, x)
		}
	}
	slices.SortFunc(found, func(a, b ruleOf) int { return cmp.Compare(a.rule.ID, b.rule.ID) })
	found, next := page(found, func(x ruleOf) string { return x.rule.ID }, pg)
	items := make([]awsproto.Node, 0, len(found))
	for _, x := range found {
		items = append(items, ruleNode(x.g, &x.rule))
	}
	return append([]awsproto.Node{awsproto.List("securityGroupRuleSet", "item", items)}, nextToken(next)...), nil
}

// permissionsNode groups a group's rules of one direction as EC2's
// IpPermissions do: one permission per protocol and port range, with its
// CIDRs (ipRanges) and groups (groups) in the order they were added.
func permissionsNode(name string, g *ec2.SecurityGroup, egress bool) awsproto.Node {
	type key struct {
		proto    string
		from, to int
	}
	var order []key
	ranges, pairs := map[key][]awsproto.Node{}, map[key][]awsproto.Node{}
	for _, rule := range g.Rules {
		if rule.Egress != egress {
			continue
		}
		k := key{rule.Protocol, rule.FromPort, rule.ToPort}
		if _, seen := ranges[k]; !seen {
			if _, seen := pairs[k]; !seen {
				order = append(order, k)
			}
		}
		if rule.CIDR != "" {
			n := awsproto.El("", awsproto.Tx("cidrIp", rule.CIDR))
			if rule.Description != "" {
				n.Kids = append(n.Kids, awsproto.Tx("description", rule.Description))
			}
			ranges[k] = append(ranges[k], n)
		} else {
			n := awsproto.El("", awsproto.Tx("groupId", rule.GroupID), awsproto.Tx("userId", g.OwnerID))
			if rule.Description != "" {
				n.Kids = append(n.Kids, awsproto.Tx("description", rule.Description))
			}
			pairs[k] = append(pairs[k], n)
		}
	}
	items := make([]awsproto.Node, 0, len(order))
	for _, k := range order {
		n := awsproto.El("", awsproto.Tx("ipProtocol", k.proto))
		if k.proto != ec2.ProtocolAll && (k.from != -1 || k.proto == "icmp") {
			n.Kids = append(n.Kids, awsproto.Int("fromPort", k.from), awsproto.Int("toPort", k.to))
		}
		n.Kids = append(n.Kids, awsproto.List("groups", "item", pairs[k]), awsproto.List("ipRanges", "item", ranges[k]),
			awsproto.El("ipv6Ranges"), awsproto.El("prefixListIds"))
		items = append(items, n)
	}
	return awsproto.List(name, "item", items)
}

// permissionFields are a group's values for DescribeSecurityGroups'
// ip-permission.* (or egress.ip-permission.*) filters: a filter matches
// when any rule of that direction has the value.
func permissionFields(fields map[string][]string, g *ec2.SecurityGroup, nameOf map[string]string) {
	for _, rule := range g.Rules {
		prefix := "ip-permission."
		if rule.Egress {
			prefix = "egress.ip-permission."
		}
		add := func(k, v string) { fields[prefix+k] = append(fields[prefix+k], v) }
		add("protocol", rule.Protocol)
		add("from-port", strconv.Itoa(rule.FromPort))
		add("to-port", strconv.Itoa(rule.ToPort))
		if rule.CIDR != "" {
			add("cidr", rule.CIDR)
		}
		if rule.GroupID != "" {
			add("group-id", rule.GroupID)
			add("group-name", nameOf[rule.GroupID])
			add("user-id", g.OwnerID)
		}
	}
}

// modifySecurityGroupRules reads SecurityGroupRule.N: each rule's ID and
// its new content (SecurityGroupRule.N.SecurityGroupRule.*).
func (h *Handler) modifySecurityGroupRules(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	id, err := required(c, "GroupId", "GroupId")
	if err != nil {
		return nil, err
	}
	var updates []ec2.RuleUpdate
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("SecurityGroupRule.%d.", i)
		if !hasPrefixParam(c, prefix) {
			break
		}
		p, err := portsOf(c, prefix+"SecurityGroupRule.")
		if err != nil {
			return nil, err
		}
		if cidr := c.Form.Get(prefix + "SecurityGroupRule.CidrIpv4"); cidr != "" {
			p.CIDRs = []ec2.PermissionPeer{{CIDR: cidr, Description: c.Form.Get(prefix + "SecurityGroupRule.Description")}}
		}
		if g := c.Form.Get(prefix + "SecurityGroupRule.ReferencedGroupId"); g != "" {
			p.Groups = []ec2.PermissionPeer{{GroupID: g, Description: c.Form.Get(prefix + "SecurityGroupRule.Description")}}
		}
		if c.Form.Get(prefix+"SecurityGroupRule.CidrIpv6") != "" || c.Form.Get(prefix+"SecurityGroupRule.PrefixListId") != "" {
			return nil, awserr.Errorf(ec2.CodeInvalidParameterValue, "keks's VPCs have no IPv6 CIDR blocks or managed prefix lists")
		}
		updates = append(updates, ec2.RuleUpdate{RuleID: c.Form.Get(prefix + "SecurityGroupRuleId"), Permission: p})
	}
	if err := h.EC2.ModifySecurityGroupRules(r.Context(), id, updates); err != nil {
		return nil, err
	}
	return []awsproto.Node{awsproto.Bool("return", true)}, nil
}
