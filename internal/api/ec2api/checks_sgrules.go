package ec2api

import "github.com/keksdev/keks/internal/awsproto"

// onRuleGroup is a rule action on the group named by GroupId (or by
// GroupName in the default VPC), as the Service Authorization Reference
// lists ec2:RevokeSecurityGroupIngress and its kin: on
// arn:aws:ec2:<region>:<account>:security-group/<id>.
func onRuleGroup(action string) func(*ec2Call) []awsproto.Check {
	return func(e *ec2Call) []awsproto.Check {
		return []awsproto.Check{e.onSecurityGroup(action, e.ruleGroupID())}
	}
}

// authorizingRules is Authorize*: on the group, and, for rules tagged at
// creation, on security-group-rule/* with the tags, and ec2:CreateTags
// there with ec2:CreateAction, as for every create.
func authorizingRules(action string) func(*ec2Call) []awsproto.Check {
	return func(e *ec2Call) []awsproto.Check {
		checks := []awsproto.Check{e.onSecurityGroup(action, e.ruleGroupID())}
		if len(specTags(e.c, "security-group-rule")) > 0 {
			checks = append(checks, e.creating(action[len("ec2:"):], "security-group-rule", nil)...)
		}
		return checks
	}
}

// ruleGroupID is the group a rule action names: GroupId, or GroupName's
// group in the default VPC ("" when unknown: checked as "*").
func (e *ec2Call) ruleGroupID() string {
	if id := e.c.Form.Get("GroupId"); id != "" {
		return id
	}
	if name := e.c.Form.Get("GroupName"); name != "" {
		return e.h.lookupGroupNamed(e.ctx, e.c.Region, e.h.lookupDefaultVPC(e.ctx, e.c.Region), name)
	}
	return ""
}
