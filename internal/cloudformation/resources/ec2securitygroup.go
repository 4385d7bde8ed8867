package resources

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/keksdev/keks/internal/cloudformation/resource"
)

// AWS::EC2::SecurityGroup: Ref is the group id (its name when the
// template gives no VpcId); GetAtt GroupId and VpcId. Inline SecurityGroupIngress and SecurityGroupEgress rules
// are authorized after the group is made; given egress rules replace the
// allow-all rule EC2 starts a group with, as CloudFormation does. A
// group without GroupName is named <stack>-<logicalId>-<13 random
// characters>, as CloudFormation names it (eksctl finds groups by it).
type securityGroupProvider struct{}

func (securityGroupProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	const typ = "AWS::EC2::SecurityGroup"
	p := ec2Props(req.Properties)
	desc, err := p.required(typ, "GroupDescription")
	if err != nil {
		return resource.Result{}, err
	}
	ingress, err := ec2SGRules(p, "SecurityGroupIngress", false)
	if err != nil {
		return resource.Result{}, err
	}
	egress, err := ec2SGRules(p, "SecurityGroupEgress", true)
	if err != nil {
		return resource.Result{}, err
	}
	tags, err := ec2CfnTags(req.Properties)
	if err != nil {
		return resource.Result{}, err
	}
	name := p.str("GroupName")
	if name == "" {
		name = ec2PhysicalName(req.StackName, req.LogicalID, 255)
	}
	in := &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(desc), TagSpecifications: ec2TagSpec(ec2types.ResourceTypeSecurityGroup, tags)}
	if vpc := p.str("VpcId"); vpc != "" {
		in.VpcId = aws.String(vpc)
	}
	out, err := req.Clients.EC2.CreateSecurityGroup(ctx, in)
	if err != nil {
		return resource.Result{}, fmt.Errorf("create security group %s: %w", name, err)
	}
	id := aws.ToString(out.GroupId)
	if err := ec2Authorize(ctx, req.Clients.EC2, id, ingress, false); err != nil {
		return resource.Result{PhysicalID: id}, err
	}
	if len(egress) > 0 {
		if _, err := req.Clients.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(id),
			IpPermissions: []ec2types.IpPermission{ec2AllowAllEgress()}}); err != nil && !ec2IsGone(err, "InvalidPermission.NotFound") {
			return resource.Result{PhysicalID: id}, fmt.Errorf("revoke the default egress rule of %s: %w", id, err)
		}
		if err := ec2Authorize(ctx, req.Clients.EC2, id, egress, true); err != nil {
			return resource.Result{PhysicalID: id}, err
		}
	}
	return securityGroupResult(ctx, req, id)
}

func ec2AllowAllEgress() ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
}

// securityGroupResult is a group's Ref and attributes: Ref is its id when
// the template names a VpcId, else (a group of the default VPC) its name,
// as AWS's reference says; the id is kept in State either way.
func securityGroupResult(ctx context.Context, req *resource.Request, id string) (resource.Result, error) {
	a, err := securityGroupAttributes(ctx, req, id)
	if err != nil {
		return resource.Result{PhysicalID: id, State: map[string]string{"groupId": id}}, err
	}
	ref := id
	if ec2Props(req.Properties).str("VpcId") == "" {
		ref = a["GroupName"].(string)
	}
	delete(a, "GroupName")
	return resource.Result{PhysicalID: ref, Attributes: a, State: map[string]string{"groupId": id}, Done: true}, nil
}

// securityGroupID is the id of the group a request is about.
func securityGroupID(req *resource.Request) string {
	if id := req.State["groupId"]; id != "" {
		return id
	}
	return req.PhysicalID
}

func securityGroupAttributes(ctx context.Context, req *resource.Request, id string) (map[string]any, error) {
	out, err := req.Clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("describe security group %s: %w", id, err)
	}
	if len(out.SecurityGroups) != 1 {
		return nil, fmt.Errorf("security group %s not found", id)
	}
	g := out.SecurityGroups[0]
	return map[string]any{"GroupId": id, "VpcId": aws.ToString(g.VpcId), "GroupName": aws.ToString(g.GroupName)}, nil
}

// ec2SGRule is one inline rule: its permission and a key to compare rules by.
type ec2SGRule struct {
	key  string
	perm ec2types.IpPermission
}

// ec2SGRules reads the inline rules of a list property.
func ec2SGRules(p ec2Props, name string, egress bool) ([]ec2SGRule, error) {
	list, err := p.objects(name)
	if err != nil {
		return nil, err
	}
	out := make([]ec2SGRule, 0, len(list))
	for _, r := range list {
		perm, err := ec2IPPermission(r, egress)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		key, _ := json.Marshal(r)
		out = append(out, ec2SGRule{string(key), perm})
	}
	return out, nil
}

// ec2IPPermission turns a rule's properties (an inline rule, or an
// AWS::EC2::SecurityGroupIngress/Egress) into EC2's IpPermission.
func ec2IPPermission(r ec2Props, egress bool) (ec2types.IpPermission, error) {
	proto := r.str("IpProtocol")
	if proto == "" {
		return ec2types.IpPermission{}, fmt.Errorf("property IpProtocol is required")
	}
	perm := ec2types.IpPermission{IpProtocol: aws.String(proto)}
	if proto != "-1" && !strings.EqualFold(proto, "all") {
		from, fromSet, err := r.integer("FromPort")
		if err != nil {
			return perm, err
		}
		to, toSet, err := r.integer("ToPort")
		if err != nil {
			return perm, err
		}
		if fromSet {
			perm.FromPort = aws.Int32(from)
		}
		if toSet {
			perm.ToPort = aws.Int32(to)
		}
	}
	var desc *string
	if d := r.str("Description"); d != "" {
		desc = aws.String(d)
	}
	peer, peerOwner, prefixList := "SourceSecurityGroupId", "SourceSecurityGroupOwnerId", "SourcePrefixListId"
	if egress {
		peer, peerOwner, prefixList = "DestinationSecurityGroupId", "", "DestinationPrefixListId"
	}
	if c := r.str("CidrIp"); c != "" {
		perm.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(c), Description: desc}}
	}
	if c := r.str("CidrIpv6"); c != "" {
		perm.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: aws.String(c), Description: desc}}
	}
	if g := r.str(peer); g != "" {
		pair := ec2types.UserIdGroupPair{GroupId: aws.String(g), Description: desc}
		if o := r.str(peerOwner); peerOwner != "" && o != "" {
			pair.UserId = aws.String(o)
		}
		perm.UserIdGroupPairs = []ec2types.UserIdGroupPair{pair}
	} else if g := r.str("SourceSecurityGroupName"); g != "" && !egress {
		perm.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupName: aws.String(g), Description: desc}}
	}
	if pl := r.str(prefixList); pl != "" {
		perm.PrefixListIds = []ec2types.PrefixListId{{PrefixListId: aws.String(pl), Description: desc}}
	}
	if perm.IpRanges == nil && perm.Ipv6Ranges == nil && perm.UserIdGroupPairs == nil && perm.PrefixListIds == nil {
		return perm, fmt.Errorf("a rule needs one of CidrIp, CidrIpv6, a security group or a prefix list")
	}
	return perm, nil
}

// ec2Authorize adds rules to a group, in one call.
func ec2Authorize(ctx context.Context, c *ec2.Client, groupID string, rules []ec2SGRule, egress bool) error {
	if len(rules) == 0 {
		return nil
	}
	perms := make([]ec2types.IpPermission, 0, len(rules))
	for _, r := range rules {
		perms = append(perms, r.perm)
	}
	var err error
	if egress {
		_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(groupID), IpPermissions: perms})
	} else {
		_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: perms})
	}
	if err != nil {
		return fmt.Errorf("authorize rules of %s: %w", groupID, err)
	}
	return nil
}

// ec2Revoke removes rules from a group; rules already gone are not an error.
func ec2Revoke(ctx context.Context, c *ec2.Client, groupID string, rules []ec2SGRule, egress bool) error {
	for _, r := range rules {
		var err error
		if egress {
			_, err = c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(groupID), IpPermissions: []ec2types.IpPermission{r.perm}})
		} else {
			_, err = c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: []ec2types.IpPermission{r.perm}})
		}
		if err != nil && !ec2IsGone(err, "InvalidPermission.NotFound") {
			return fmt.Errorf("revoke a rule of %s: %w", groupID, err)
		}
	}
	return nil
}

// ec2RulesWithout is the rules of a that b does not have.
func ec2RulesWithout(a, b []ec2SGRule) []ec2SGRule {
	return slices.DeleteFunc(slices.Clone(a), func(r ec2SGRule) bool {
		return slices.ContainsFunc(b, func(o ec2SGRule) bool { return o.key == r.key })
	})
}

// Update changes inline rules and tags in place; a new name, description
// or VPC is a new group.
func (securityGroupProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	if ec2Changed(req.OldProperties, req.Properties, "GroupName", "GroupDescription", "VpcId") {
		return resource.Result{}, resource.ErrReplace
	}
	id := securityGroupID(req)
	for _, egress := range []bool{false, true} {
		name := "SecurityGroupIngress"
		if egress {
			name = "SecurityGroupEgress"
		}
		old, err := ec2SGRules(ec2Props(req.OldProperties), name, egress)
		if err != nil {
			return resource.Result{}, err
		}
		cur, err := ec2SGRules(ec2Props(req.Properties), name, egress)
		if err != nil {
			return resource.Result{}, err
		}
		if egress && len(old) == 0 && len(cur) > 0 {
			old = []ec2SGRule{{key: "default", perm: ec2AllowAllEgress()}}
		}
		if egress && len(old) > 0 && len(cur) == 0 {
			cur = []ec2SGRule{{key: "default", perm: ec2AllowAllEgress()}}
		}
		if err := ec2Revoke(ctx, req.Clients.EC2, id, ec2RulesWithout(old, cur), egress); err != nil {
			return resource.Result{}, err
		}
		if err := ec2Authorize(ctx, req.Clients.EC2, id, ec2RulesWithout(cur, old), egress); err != nil {
			return resource.Result{}, err
		}
	}
	if err := ec2Retag(ctx, req.Clients.EC2, id, req.OldProperties, req.Properties); err != nil {
		return resource.Result{}, err
	}
	return securityGroupResult(ctx, req, id)
}

func (securityGroupProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return ec2DeleteWithRetry(req, func() error {
		_, err := req.Clients.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(securityGroupID(req))})
		return err
	}, "InvalidGroup.NotFound", "InvalidGroupId.Malformed")
}

func (g securityGroupProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	if op == "Delete" {
		return g.Delete(ctx, req)
	}
	return securityGroupResult(ctx, req, securityGroupID(req))
}

// AWS::EC2::SecurityGroupIngress and AWS::EC2::SecurityGroupEgress: one
// rule of a group. Ref is the rule's id (sgr-...) when EC2 returns one;
// the group and rule are kept in State for the revoke.
type securityGroupRuleProvider struct{ egress bool }

func (p securityGroupRuleProvider) typ() string {
	if p.egress {
		return "AWS::EC2::SecurityGroupEgress"
	}
	return "AWS::EC2::SecurityGroupIngress"
}

func (p securityGroupRuleProvider) Create(ctx context.Context, req *resource.Request) (resource.Result, error) {
	props := ec2Props(req.Properties)
	group := props.str("GroupId")
	if group == "" {
		return resource.Result{}, fmt.Errorf("%s: property GroupId is required (keks does not look groups up by GroupName)", p.typ())
	}
	perm, err := ec2IPPermission(props, p.egress)
	if err != nil {
		return resource.Result{}, fmt.Errorf("%s: %w", p.typ(), err)
	}
	var ruleID string
	if p.egress {
		out, err := req.Clients.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(group), IpPermissions: []ec2types.IpPermission{perm}})
		if err != nil {
			return resource.Result{}, fmt.Errorf("authorize egress of %s: %w", group, err)
		}
		if len(out.SecurityGroupRules) > 0 {
			ruleID = aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
		}
	} else {
		out, err := req.Clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(group), IpPermissions: []ec2types.IpPermission{perm}})
		if err != nil {
			return resource.Result{}, fmt.Errorf("authorize ingress of %s: %w", group, err)
		}
		if len(out.SecurityGroupRules) > 0 {
			ruleID = aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
		}
	}
	rule, _ := json.Marshal(req.Properties)
	if ruleID == "" {
		ruleID = group + "|" + req.LogicalID
	}
	return resource.Result{PhysicalID: ruleID, Attributes: ec2IDAttribute("Id", ruleID),
		State: map[string]string{"groupId": group, "rule": string(rule)}, Done: true}, nil
}

// Update replaces the rule: EC2 changes only a rule's description in
// place, and a rule is cheap to make again.
func (p securityGroupRuleProvider) Update(ctx context.Context, req *resource.Request) (resource.Result, error) {
	return resource.Result{}, resource.ErrReplace
}

func (p securityGroupRuleProvider) Delete(ctx context.Context, req *resource.Request) (resource.Result, error) {
	props, group := ec2Props(req.Properties), req.State["groupId"]
	if r := req.State["rule"]; r != "" {
		var stored map[string]any
		if err := json.Unmarshal([]byte(r), &stored); err == nil {
			props = stored
		}
	}
	if group == "" {
		group = props.str("GroupId")
	}
	perm, err := ec2IPPermission(props, p.egress)
	if group == "" || err != nil {
		return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil // never made
	}
	if err := ec2Revoke(ctx, req.Clients.EC2, group, []ec2SGRule{{perm: perm}}, p.egress); err != nil && !ec2IsGone(err, "InvalidGroup.NotFound") {
		return resource.Result{}, err
	}
	return resource.Result{PhysicalID: req.PhysicalID, Done: true}, nil
}

func (p securityGroupRuleProvider) Wait(ctx context.Context, op string, req *resource.Request) (resource.Result, error) {
	return resource.Result{PhysicalID: req.PhysicalID, Attributes: ec2IDAttribute("Id", req.PhysicalID), Done: true}, nil
}
