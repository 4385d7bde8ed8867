package ec2

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Security group rule error codes, as EC2 names them.
const (
	CodePermissionDuplicate  = "InvalidPermission.Duplicate"
	CodePermissionNotFound   = "InvalidPermission.NotFound"
	CodePermissionMalformed  = "InvalidPermission.Malformed"
	CodeRuleIDNotFound       = "InvalidSecurityGroupRuleId.NotFound"
	CodeRuleIDMalformed      = "InvalidSecurityGroupRuleId.Malformed"
	CodeRulesLimitExceeded   = "RulesPerSecurityGroupLimitExceeded"
	CodeInvalidParameter     = "InvalidParameter"
	CodeGroupsPerENIExceeded = "SecurityGroupsPerInterfaceLimitExceeded"
)

func init() {
	for _, c := range []string{CodePermissionDuplicate, CodePermissionNotFound, CodePermissionMalformed, CodeRuleIDNotFound, CodeRuleIDMalformed,
		CodeRulesLimitExceeded, CodeInvalidParameter, CodeGroupsPerENIExceeded} {
		awserr.RegisterStatus(c, http.StatusBadRequest)
	}
}

// maxRulesPerDirection is EC2's default quota of inbound (and of
// outbound) rules per security group.
const maxRulesPerDirection = 60

// maxGroupsPerInterface is EC2's default quota of security groups per
// network interface.
const maxGroupsPerInterface = 5

// rulesVersion is the version of the rules a new group gets (see
// SecurityGroup.RulesVersion).
const rulesVersion = 1

// ProtocolAll is EC2's protocol "-1": every protocol, every port.
const ProtocolAll = "-1"

// SecurityGroupRule is one rule of a security group: traffic of one
// protocol and port range from (ingress) or to (egress) one peer, a CIDR
// or the members of a security group. FromPort and ToPort are -1 where the
// protocol has no ports; for ICMP they are the type and code.
type SecurityGroupRule struct {
	ID          string            `json:"id"`
	Egress      bool              `json:"egress,omitempty"`
	Protocol    string            `json:"protocol"`
	FromPort    int               `json:"fromPort"`
	ToPort      int               `json:"toPort"`
	CIDR        string            `json:"cidr,omitempty"`
	GroupID     string            `json:"groupId,omitempty"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// Permission is EC2's IpPermission: one protocol and port range for
// several peers, each of which becomes a rule.
type Permission struct {
	Protocol string
	FromPort *int
	ToPort   *int
	CIDRs    []PermissionPeer
	Groups   []PermissionPeer // by ID, or by Name in the group's VPC
}

// PermissionPeer is a CIDR or a group of a Permission, with its description.
type PermissionPeer struct {
	CIDR        string
	GroupID     string
	GroupName   string
	Description string
}

// sameTraffic says whether two rules of one group allow the same traffic
// of the same peer (their descriptions and tags aside).
func (r SecurityGroupRule) sameTraffic(o SecurityGroupRule) bool {
	return r.Egress == o.Egress && r.Protocol == o.Protocol && r.FromPort == o.FromPort && r.ToPort == o.ToPort &&
		r.CIDR == o.CIDR && r.GroupID == o.GroupID
}

// text describes a rule as EC2's InvalidPermission.Duplicate does.
func (r *SecurityGroupRule) text() string {
	peer := r.CIDR
	if r.GroupID != "" {
		peer = r.GroupID
	}
	var what string
	switch r.Protocol {
	case ProtocolAll:
		what = "ALL"
	case "tcp", "udp":
		what = fmt.Sprintf("%s, from port: %d, to port: %d", strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
	case "icmp":
		what = fmt.Sprintf("ICMP, type: %d, code: %d", r.FromPort, r.ToPort)
	default:
		what = r.Protocol
	}
	return fmt.Sprintf("peer: %s, %s, ALLOW", peer, what)
}

// HasPorts says whether the rule's protocol has ports (TCP, UDP).
func (r *SecurityGroupRule) HasPorts() bool { return r.Protocol == "tcp" || r.Protocol == "udp" }

// normalProtocol is EC2's spelling of an IpProtocol: tcp, udp, icmp by
// name (also given by number), -1 for all, others by number.
func normalProtocol(p string) (string, error) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "-1", "all":
		return ProtocolAll, nil
	case "":
		return "", awserr.Errorf(CodeMissingParameter, "The request must contain the parameter ipProtocol")
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return strconv.Itoa(n), nil
	}
	return "", awserr.Errorf(CodeInvalidParameterValue, "Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

// ports checks a permission's ports for its protocol and gives those its
// rules keep.
func ports(proto string, from, to *int) (int, int, error) {
	switch proto {
	case "tcp", "udp":
		if from == nil || to == nil {
			return 0, 0, awserr.Errorf(CodeInvalidParameterValue, "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
		}
		if *from < 0 || *to > 65535 || *from > *to {
			return 0, 0, awserr.Errorf(CodeInvalidParameterValue, "Invalid TCP/UDP port range (%d - %d).", *from, *to)
		}
		return *from, *to, nil
	case "icmp":
		t, c := -1, -1
		if from != nil {
			t = *from
		}
		if to != nil {
			c = *to
		}
		if t < -1 || t > 255 || c < -1 || c > 255 {
			return 0, 0, awserr.Errorf(CodeInvalidParameterValue, "ICMP type %d or code %d is invalid.", t, c)
		}
		if t == -1 && c != -1 {
			return 0, 0, awserr.Errorf(CodeInvalidParameterValue, "ICMP code (%d) must be -1 when the type is -1.", c)
		}
		return t, c, nil
	}
	return -1, -1, nil
}

// normalCIDR checks an IPv4 CIDR as EC2 does and returns it as given:
// EC2 keeps host bits (10.0.0.5/24 stays), so only validity is checked.
func normalCIDR(c string) (string, error) {
	p, err := netip.ParsePrefix(c)
	if err != nil || !p.Addr().Is4() {
		return "", awserr.Errorf(CodeInvalidParameterValue, "CIDR block %s is malformed", c)
	}
	return p.Masked().String(), nil
}

// checkDescription applies EC2's rule description rules.
func checkDescription(d string) error {
	if len(d) > 255 {
		return awserr.Errorf(CodeInvalidParameterValue, "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	if strings.ContainsFunc(d, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return awserr.Errorf(CodeInvalidParameterValue, "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	return nil
}

// rulesOf turns permissions into the rules they make in group g, resolving
// peer groups (their existence guarded in t).
func (s *Service) rulesOf(ctx context.Context, t *store.Txn, g *SecurityGroup, egress bool, perms []Permission) ([]SecurityGroupRule, error) {
	if len(perms) == 0 {
		return nil, awserr.Errorf(CodeMissingParameter, "The request must contain the parameter ipPermissions")
	}
	var out []SecurityGroupRule
	for _, p := range perms {
		proto, err := normalProtocol(p.Protocol)
		if err != nil {
			return nil, err
		}
		from, to, err := ports(proto, p.FromPort, p.ToPort)
		if err != nil {
			return nil, err
		}
		if len(p.CIDRs)+len(p.Groups) == 0 {
			return nil, awserr.Errorf(CodePermissionMalformed, "The security group rule must specify a peer: a CIDR block (IpRanges) or a security group (UserIdGroupPairs).")
		}
		for _, c := range p.CIDRs {
			cidr, err := normalCIDR(c.CIDR)
			if err != nil {
				return nil, err
			}
			if err := checkDescription(c.Description); err != nil {
				return nil, err
			}
			out = append(out, SecurityGroupRule{Egress: egress, Protocol: proto, FromPort: from, ToPort: to, CIDR: cidr, Description: c.Description})
		}
		for _, pg := range p.Groups {
			if err := checkDescription(pg.Description); err != nil {
				return nil, err
			}
			id, err := s.peerGroup(ctx, t, g, pg)
			if err != nil {
				return nil, err
			}
			out = append(out, SecurityGroupRule{Egress: egress, Protocol: proto, FromPort: from, ToPort: to, GroupID: id, Description: pg.Description})
		}
	}
	return out, nil
}

// peerGroup resolves a rule's peer group (by ID, or by name in g's VPC)
// and makes t depend on it, so that it cannot be deleted under the rule.
func (s *Service) peerGroup(ctx context.Context, t *store.Txn, g *SecurityGroup, p PermissionPeer) (string, error) {
	id := p.GroupID
	if id == "" {
		if p.GroupName == "" {
			return "", awserr.Errorf(CodePermissionMalformed, "A security group peer must name its group by GroupId or GroupName.")
		}
		all, err := store.List[SecurityGroup](ctx, s.Store, sgPrefix)
		if err != nil {
			return "", err
		}
		i := slices.IndexFunc(all, func(o SecurityGroup) bool { return o.VPCID == g.VPCID && o.Name == p.GroupName })
		if i < 0 {
			return "", awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist in VPC '%s'", p.GroupName, g.VPCID)
		}
		id = all[i].ID
	}
	if id == g.ID {
		return id, nil
	}
	var peer SecurityGroup
	rev, err := s.Store.Get(ctx, sgKey(id), &peer)
	if errors.Is(err, store.ErrNotFound) || (err == nil && peer.Region != g.Region) {
		return "", awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist", id)
	} else if err != nil {
		return "", err
	}
	t.Unchanged(sgKey(id), rev)
	return id, nil
}

// groupAt reads a security group with its revision.
func (s *Service) groupAt(ctx context.Context, id string) (*SecurityGroup, int64, error) {
	var g SecurityGroup
	rev, err := s.Store.Get(ctx, sgKey(id), &g)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist", id)
	} else if err != nil {
		return nil, 0, err
	}
	return &g, rev, nil
}

// AuthorizeSecurityGroupRules adds the rules permissions make to a group's
// inbound (or outbound) rules: all of them, or, if one already exists or
// is invalid, none; each gets tags.
func (s *Service) AuthorizeSecurityGroupRules(ctx context.Context, groupID string, egress bool, perms []Permission, tags map[string]string) ([]SecurityGroupRule, error) {
	var added []SecurityGroupRule
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		added = nil
		g, rev, err := s.groupAt(ctx, groupID)
		if err != nil {
			return err
		}
		t.Unchanged(sgKey(g.ID), rev)
		rules, err := s.rulesOf(ctx, t, g, egress, perms)
		if err != nil {
			return err
		}
		for i := range rules {
			r := &rules[i]
			if slices.ContainsFunc(g.Rules, r.sameTraffic) || slices.ContainsFunc(rules[:i], r.sameTraffic) {
				return awserr.Errorf(CodePermissionDuplicate, "the specified rule \"%s\" already exists", r.text())
			}
		}
		if n := len(rules) + countRules(g.Rules, egress); n > maxRulesPerDirection {
			return awserr.Errorf(CodeRulesLimitExceeded, "The maximum number of rules per security group has been reached.")
		}
		for i := range rules {
			rules[i].ID = newResourceID("sgr")
			if len(tags) > 0 {
				rules[i].Tags = tags
			}
		}
		g.Rules = append(g.Rules, rules...)
		t.Put(sgKey(g.ID), g)
		added = rules
		return nil
	})
	return added, err
}

func countRules(rules []SecurityGroupRule, egress bool) int {
	n := 0
	for _, r := range rules {
		if r.Egress == egress {
			n++
		}
	}
	return n
}

// RevokeSecurityGroupRules removes a group's inbound (or outbound) rules
// named by permissions or by rule IDs: all of them, or, if one does not
// exist, none.
func (s *Service) RevokeSecurityGroupRules(ctx context.Context, groupID string, egress bool, perms []Permission, ruleIDs []string) ([]SecurityGroupRule, error) {
	if len(perms) > 0 && len(ruleIDs) > 0 {
		return nil, awserr.Errorf(CodeInvalidParameterCombo, "The parameter IpPermissions cannot be used with the parameter SecurityGroupRuleIds")
	}
	var removed []SecurityGroupRule
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		removed = nil
		g, rev, err := s.groupAt(ctx, groupID)
		if err != nil {
			return err
		}
		t.Unchanged(sgKey(g.ID), rev)
		gone := map[string]bool{}
		if len(ruleIDs) > 0 {
			for _, id := range ruleIDs {
				if !strings.HasPrefix(id, "sgr-") {
					return awserr.Errorf(CodeRuleIDMalformed, "The security group rule ID '%s' is malformed", id)
				}
				i := slices.IndexFunc(g.Rules, func(r SecurityGroupRule) bool { return r.ID == id && r.Egress == egress })
				if i < 0 {
					return awserr.Errorf(CodeRuleIDNotFound, "The security group rule ID '%s' does not exist", id)
				}
				gone[id] = true
			}
		} else {
			rules, err := s.rulesOf(ctx, t, g, egress, perms)
			if err != nil {
				return err
			}
			for i := range rules {
				j := slices.IndexFunc(g.Rules, rules[i].sameTraffic)
				if j < 0 {
					return awserr.Errorf(CodePermissionNotFound, "The specified rule does not exist in this security group.")
				}
				gone[g.Rules[j].ID] = true
			}
		}
		kept := g.Rules[:0:0]
		for _, r := range g.Rules {
			if gone[r.ID] {
				removed = append(removed, r)
			} else {
				kept = append(kept, r)
			}
		}
		g.Rules = kept
		t.Put(sgKey(g.ID), g)
		return nil
	})
	return removed, err
}

// UpdateSecurityGroupRuleDescriptions sets descriptions of a group's rules:
// each named by ID, or by its traffic (a Permission whose peers carry the
// new descriptions).
func (s *Service) UpdateSecurityGroupRuleDescriptions(ctx context.Context, groupID string, egress bool, perms []Permission, byID map[string]string) error {
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.groupAt(ctx, groupID)
		if err != nil {
			return err
		}
		t.Unchanged(sgKey(g.ID), rev)
		for id, d := range byID {
			if err := checkDescription(d); err != nil {
				return err
			}
			i := slices.IndexFunc(g.Rules, func(r SecurityGroupRule) bool { return r.ID == id && r.Egress == egress })
			if i < 0 {
				return awserr.Errorf(CodeRuleIDNotFound, "The security group rule ID '%s' does not exist", id)
			}
			g.Rules[i].Description = d
		}
		if len(perms) > 0 {
			rules, err := s.rulesOf(ctx, t, g, egress, perms)
			if err != nil {
				return err
			}
			for _, r := range rules {
				i := slices.IndexFunc(g.Rules, r.sameTraffic)
				if i < 0 {
					return awserr.Errorf(CodePermissionNotFound, "The specified rule does not exist in this security group.")
				}
				g.Rules[i].Description = r.Description
			}
		}
		t.Put(sgKey(g.ID), g)
		return nil
	})
}

// initialRules are the rules EC2 gives a new group: all traffic out to
// 0.0.0.0/0, and, for a VPC's default group, all traffic in from itself.
func initialRules(g *SecurityGroup) []SecurityGroupRule {
	rules := []SecurityGroupRule{{ID: newResourceID("sgr"), Egress: true, Protocol: ProtocolAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}}
	if g.Name == "default" {
		rules = append(rules, SelfRule(g.ID))
	}
	return rules
}

// SelfGroup stands, in the rules given to AddSecurityGroup, for the group
// being made, whose ID is not known yet.
const SelfGroup = "self"

// SelfRule is an inbound rule allowing all traffic from the group's own
// members: a default group's, and EKS's cluster security group's.
func SelfRule(groupID string) SecurityGroupRule {
	return SecurityGroupRule{ID: newResourceID("sgr"), Protocol: ProtocolAll, FromPort: -1, ToPort: -1, GroupID: groupID}
}

// EnsureSecurityGroupRules gives every group made by a keks without
// security group rules the rules it would have been made with (EC2's
// default egress, a default group's self rule, EKS's cluster security
// group's self rule); a group that has them is left alone.
func (s *Service) EnsureSecurityGroupRules(ctx context.Context) error {
	groups, err := store.List[SecurityGroup](ctx, s.Store, sgPrefix)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.RulesVersion >= rulesVersion {
			continue
		}
		_, err := store.Mutate(ctx, s.Store, sgKey(g.ID), func(g *SecurityGroup) error {
			if g.RulesVersion >= rulesVersion {
				return nil
			}
			for _, r := range initialRules(g) {
				if !slices.ContainsFunc(g.Rules, r.sameTraffic) {
					g.Rules = append(g.Rules, r)
				}
			}
			if strings.HasPrefix(g.Name, "eks-cluster-sg-") && g.Tags["aws:eks:cluster-name"] != "" {
				if self := SelfRule(g.ID); !slices.ContainsFunc(g.Rules, self.sameTraffic) {
					g.Rules = append(g.Rules, self)
				}
			}
			g.RulesVersion = rulesVersion
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("give security group %s its rules: %w", g.ID, err)
		}
	}
	return nil
}

// securityGroupsOf resolves the groups of a new network interface in vpc:
// those named (each once, all in vpc, at most 5), else vpc's default
// group; t depends on each.
func (s *Service) securityGroupsOf(ctx context.Context, t *store.Txn, vpcID, subnetID string, ids []string) ([]string, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		all, err := store.List[SecurityGroup](ctx, s.Store, sgPrefix)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(all, func(g SecurityGroup) bool { return g.VPCID == vpcID && g.Name == "default" })
		if i < 0 {
			return nil, nil // a VPC without its default group: an instance without groups
		}
		ids = []string{all[i].ID}
	}
	if len(ids) > maxGroupsPerInterface {
		return nil, awserr.Errorf(CodeGroupsPerENIExceeded, "The maximum number of security groups per interface has been reached.")
	}
	for _, id := range ids {
		g, rev, err := s.groupAt(ctx, id)
		if err != nil {
			return nil, awserr.Errorf(CodeInvalidGroupNotFound, "The security group '%s' does not exist in VPC '%s'", id, vpcID)
		}
		if g.VPCID != vpcID {
			return nil, awserr.Errorf(CodeInvalidParameter, "Security group %s and subnet %s belong to different networks.", id, subnetID)
		}
		t.Unchanged(sgKey(id), rev)
	}
	return ids, nil
}

// AllSecurityGroups lists the security groups of every region.
func (s *Service) AllSecurityGroups(ctx context.Context) ([]SecurityGroup, error) {
	return store.List[SecurityGroup](ctx, s.Store, sgPrefix)
}

// AllSubnets lists the subnets of every region.
func (s *Service) AllSubnets(ctx context.Context) ([]Subnet, error) {
	return store.List[Subnet](ctx, s.Store, subnetPrefix)
}

// RuleUpdate is ModifySecurityGroupRules' new content of one rule: a
// protocol and ports with one peer (CIDRs or Groups holding one entry).
type RuleUpdate struct {
	RuleID     string
	Permission Permission
}

// ModifySecurityGroupRules replaces the content of rules of a group, each
// keeping its ID and direction: all of them, or none.
func (s *Service) ModifySecurityGroupRules(ctx context.Context, groupID string, updates []RuleUpdate) error {
	if len(updates) == 0 {
		return awserr.Errorf(CodeMissingParameter, "The request must contain the parameter SecurityGroupRules")
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		g, rev, err := s.groupAt(ctx, groupID)
		if err != nil {
			return err
		}
		t.Unchanged(sgKey(g.ID), rev)
		for _, u := range updates {
			i := slices.IndexFunc(g.Rules, func(r SecurityGroupRule) bool { return r.ID == u.RuleID })
			if i < 0 {
				return awserr.Errorf(CodeRuleIDNotFound, "The security group rule ID '%s' does not exist", u.RuleID)
			}
			if len(u.Permission.CIDRs)+len(u.Permission.Groups) != 1 {
				return awserr.Errorf(CodeInvalidParameterCombo, "A security group rule must have exactly one of CidrIpv4 and ReferencedGroupId")
			}
			rules, err := s.rulesOf(ctx, t, g, g.Rules[i].Egress, []Permission{u.Permission})
			if err != nil {
				return err
			}
			r := rules[0]
			r.ID, r.Tags = g.Rules[i].ID, g.Rules[i].Tags
			if j := slices.IndexFunc(g.Rules, r.sameTraffic); j >= 0 && j != i {
				return awserr.Errorf(CodePermissionDuplicate, "the specified rule \"%s\" already exists", r.text())
			}
			g.Rules[i] = r
		}
		t.Put(sgKey(g.ID), g)
		return nil
	})
}
