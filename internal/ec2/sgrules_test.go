package ec2

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

func codeOfErr(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func port(n int) *int { return &n }

func TestSecurityGroupRules(t *testing.T) {
	ctx, s := routingModel(t)
	v := must1[*VPC](t)(s.CreateVPC(ctx, "us-east-1", "111122223333", "10.0.0.0/16", false, nil))
	groups := must1[[]SecurityGroup](t)(s.SecurityGroups(ctx, "us-east-1"))
	if len(groups) != 1 || groups[0].Name != "default" || len(groups[0].Rules) != 2 {
		t.Fatalf("a new VPC's groups: %+v", groups)
	}
	def := groups[0]
	if !def.Rules[0].Egress || def.Rules[0].CIDR != "0.0.0.0/0" || def.Rules[1].GroupID != def.ID || def.Rules[1].Protocol != "-1" {
		t.Fatalf("default group's rules: %+v", def.Rules)
	}
	web := must1[*SecurityGroup](t)(s.CreateSecurityGroup(ctx, SecurityGroup{VPCID: v.ID, Name: "web", Description: "web"}))
	if len(web.Rules) != 1 || !web.Rules[0].Egress || !strings.HasPrefix(web.Rules[0].ID, "sgr-") {
		t.Fatalf("a new group gets EC2's default egress only: %+v", web.Rules)
	}

	ssh := Permission{Protocol: "tcp", FromPort: port(22), ToPort: port(22), CIDRs: []PermissionPeer{{CIDR: "0.0.0.0/0", Description: "ssh"}}}
	added := must1[[]SecurityGroupRule](t)(s.AuthorizeSecurityGroupRules(ctx, web.ID, false, []Permission{ssh,
		{Protocol: "6", FromPort: port(8080), ToPort: port(8090), Groups: []PermissionPeer{{GroupID: def.ID}, {GroupName: "web"}}}}, map[string]string{"k": "v"}))
	if len(added) != 3 || added[1].Protocol != "tcp" || added[1].GroupID != def.ID || added[2].GroupID != web.ID || added[0].Tags["k"] != "v" {
		t.Fatalf("authorized: %+v", added)
	}
	_, err := s.AuthorizeSecurityGroupRules(ctx, web.ID, false, []Permission{ssh}, nil)
	if codeOfErr(err) != CodePermissionDuplicate || !strings.Contains(err.Error(), `the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists`) {
		t.Fatalf("duplicate: %v", err)
	}
	for _, c := range []struct {
		p    Permission
		code string
	}{
		{Permission{Protocol: "tcp", CIDRs: []PermissionPeer{{CIDR: "10.0.0.0/8"}}}, CodeInvalidParameterValue},
		{Permission{Protocol: "tcp", FromPort: port(90), ToPort: port(80), CIDRs: []PermissionPeer{{CIDR: "10.0.0.0/8"}}}, CodeInvalidParameterValue},
		{Permission{Protocol: "tcp", FromPort: port(1), ToPort: port(70000), CIDRs: []PermissionPeer{{CIDR: "10.0.0.0/8"}}}, CodeInvalidParameterValue},
		{Permission{Protocol: "bogus", CIDRs: []PermissionPeer{{CIDR: "10.0.0.0/8"}}}, CodeInvalidParameterValue},
		{Permission{Protocol: "-1", CIDRs: []PermissionPeer{{CIDR: "10.0.0.0/33"}}}, CodeInvalidParameterValue},
		{Permission{Protocol: "-1"}, CodePermissionMalformed},
		{Permission{Protocol: "-1", Groups: []PermissionPeer{{GroupID: "sg-0000000000000000"}}}, CodeInvalidGroupNotFound},
	} {
		if _, err := s.AuthorizeSecurityGroupRules(ctx, web.ID, false, []Permission{c.p}, nil); codeOfErr(err) != c.code {
			t.Errorf("authorize %+v: %v, want %s", c.p, err, c.code)
		}
	}
	if _, err := s.AuthorizeSecurityGroupRules(ctx, "sg-0000000000000000", false, []Permission{ssh}, nil); codeOfErr(err) != CodeInvalidGroupNotFound {
		t.Errorf("authorize on a missing group: %v", err)
	}

	// 60 inbound rules at most.
	var many []PermissionPeer
	for i := range 58 {
		many = append(many, PermissionPeer{CIDR: "10.1." + itoa(i) + ".0/24"})
	}
	if _, err := s.AuthorizeSecurityGroupRules(ctx, web.ID, false, []Permission{{Protocol: "-1", CIDRs: many}}, nil); codeOfErr(err) != CodeRulesLimitExceeded {
		t.Fatalf("61 inbound rules: %v", err)
	}
	mustDo(t, ignore(s.AuthorizeSecurityGroupRules(ctx, web.ID, true, []Permission{{Protocol: "-1", CIDRs: many[:57]}}, nil))) // outbound counts apart

	// A group that a rule of another group names, or an instance carries, stays.
	if err := s.DeleteSecurityGroup(ctx, def.ID); codeOfErr(err) != CodeCannotDelete {
		t.Fatalf("delete the default group: %v", err)
	}
	api := must1[*SecurityGroup](t)(s.CreateSecurityGroup(ctx, SecurityGroup{VPCID: v.ID, Name: "api", Description: "api"}))
	mustDo(t, ignore(s.AuthorizeSecurityGroupRules(ctx, web.ID, false, []Permission{{Protocol: "-1", Groups: []PermissionPeer{{GroupID: api.ID}}}}, nil)))
	if err := s.DeleteSecurityGroup(ctx, api.ID); codeOfErr(err) != CodeDependencyViolation || !strings.Contains(err.Error(), "resource "+api.ID+" has a dependent object") {
		t.Fatalf("delete a group another group's rule names: %v", err)
	}
	removed := must1[[]SecurityGroupRule](t)(s.RevokeSecurityGroupRules(ctx, web.ID, false, []Permission{{Protocol: "-1", Groups: []PermissionPeer{{GroupID: api.ID}}}}, nil))
	if len(removed) != 1 {
		t.Fatalf("revoked %+v", removed)
	}
	if _, err := s.RevokeSecurityGroupRules(ctx, web.ID, false, []Permission{{Protocol: "-1", Groups: []PermissionPeer{{GroupID: api.ID}}}}, nil); codeOfErr(err) != CodePermissionNotFound {
		t.Fatalf("revoke a missing rule: %v", err)
	}
	must1[[]SecurityGroupRule](t)(s.RevokeSecurityGroupRules(ctx, web.ID, false, nil, []string{added[0].ID}))
	if _, err := s.RevokeSecurityGroupRules(ctx, web.ID, false, nil, []string{added[0].ID}); codeOfErr(err) != CodeRuleIDNotFound {
		t.Fatalf("revoke a missing rule id: %v", err)
	}

	sn := must1[*Subnet](t)(s.CreateSubnet(ctx, Subnet{VPCID: v.ID, CIDR: "10.0.0.0/24", AvailabilityZone: "us-east-1a"}))
	in := must1[*Instance](t)(s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small"}))
	if len(in.SecurityGroupIDs) != 1 || in.SecurityGroupIDs[0] != def.ID {
		t.Fatalf("an instance without groups gets its VPC's default: %v", in.SecurityGroupIDs)
	}
	in2 := must1[*Instance](t)(s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small", SecurityGroupIDs: []string{api.ID}}))
	if err := s.DeleteSecurityGroup(ctx, api.ID); codeOfErr(err) != CodeDependencyViolation {
		t.Fatalf("delete a group an instance carries: %v", err)
	}
	must1[[]Termination](t)(s.TerminateInstances(ctx, []string{in2.ID}))
	mustDo(t, s.Store.Transact(ctx, func(tx *store.Txn) error {
		in2.State = StateTerminated
		tx.Put(instanceKey(in2.ID), in2)
		return nil
	}))
	mustDo(t, s.DeleteSecurityGroup(ctx, api.ID))
	other := must1[*VPC](t)(s.CreateVPC(ctx, "us-east-1", "111122223333", "10.1.0.0/16", false, nil))
	foreign := must1[*SecurityGroup](t)(s.CreateSecurityGroup(ctx, SecurityGroup{VPCID: other.ID, Name: "x", Description: "x"}))
	if _, err := s.RunInstance(ctx, Instance{SubnetID: sn.ID, InstanceType: "t3.small", SecurityGroupIDs: []string{foreign.ID}}); codeOfErr(err) != CodeInvalidParameter {
		t.Fatalf("an instance in a group of another VPC: %v", err)
	}
}

func TestEnsureSecurityGroupRulesUpgradesOldGroupsOnce(t *testing.T) {
	ctx, s := routingModel(t)
	v := must1[*VPC](t)(s.CreateVPC(ctx, "us-east-1", "111122223333", "10.0.0.0/16", false, nil))
	old := []SecurityGroup{
		{ID: "sg-00000000000000001", Region: "us-east-1", VPCID: v.ID, Name: "default", Description: "d"},
		{ID: "sg-00000000000000002", Region: "us-east-1", VPCID: v.ID, Name: "eks-cluster-sg-a-1", Description: "d", Tags: map[string]string{"aws:eks:cluster-name": "a"}},
		{ID: "sg-00000000000000003", Region: "us-east-1", VPCID: v.ID, Name: "mine", Description: "d"},
	}
	for i := range old {
		mustDo(t, s.Store.Transact(ctx, func(tx *store.Txn) error { tx.Put(sgKey(old[i].ID), &old[i]); return nil }))
	}
	for range 2 {
		mustDo(t, s.EnsureSecurityGroupRules(ctx))
	}
	want := map[string]int{"sg-00000000000000001": 2, "sg-00000000000000002": 2, "sg-00000000000000003": 1}
	for id, n := range want {
		g := must1[*SecurityGroup](t)(s.GetSecurityGroup(ctx, id))
		if len(g.Rules) != n || g.RulesVersion != rulesVersion {
			t.Errorf("%s (%s) rules after upgrade: %+v", id, g.Name, g.Rules)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func ignore[T any](_ T, err error) error { return err }

func TestModifySecurityGroupRulesKeepsIDsAndDirection(t *testing.T) {
	ctx, s := routingModel(t)
	v := must1[*VPC](t)(s.CreateVPC(ctx, "us-east-1", "111122223333", "10.0.0.0/16", false, nil))
	g := must1[*SecurityGroup](t)(s.CreateSecurityGroup(ctx, SecurityGroup{VPCID: v.ID, Name: "g", Description: "g"}))
	egress := g.Rules[0]
	mustDo(t, s.ModifySecurityGroupRules(ctx, g.ID, []RuleUpdate{{RuleID: egress.ID,
		Permission: Permission{Protocol: "tcp", FromPort: port(443), ToPort: port(443), CIDRs: []PermissionPeer{{CIDR: "10.0.0.0/8", Description: "https"}}}}}))
	got := must1[*SecurityGroup](t)(s.GetSecurityGroup(ctx, g.ID)).Rules[0]
	if got.ID != egress.ID || !got.Egress || got.Protocol != "tcp" || got.FromPort != 443 || got.CIDR != "10.0.0.0/8" || got.Description != "https" {
		t.Fatalf("modified rule: %+v", got)
	}
	if err := s.ModifySecurityGroupRules(ctx, g.ID, []RuleUpdate{{RuleID: "sgr-00000000000000000", Permission: Permission{Protocol: "-1", CIDRs: []PermissionPeer{{CIDR: "0.0.0.0/0"}}}}}); codeOfErr(err) != CodeRuleIDNotFound {
		t.Fatalf("modify a missing rule: %v", err)
	}
}
