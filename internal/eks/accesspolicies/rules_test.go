package accesspolicies

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestRulesAreWellFormed(t *testing.T) {
	for _, p := range All() {
		for i, r := range p.Rules {
			if len(r.Verbs) == 0 {
				t.Errorf("%s rule %d: no verbs", p.Name, i)
			}
			hasResources := len(r.Resources) > 0
			hasURLs := len(r.NonResourceURLs) > 0
			if hasResources == hasURLs {
				t.Errorf("%s rule %d: must name either resources or non-resource URLs: %+v", p.Name, i, r)
			}
			if hasResources && len(r.APIGroups) == 0 {
				t.Errorf("%s rule %d: resources without API groups", p.Name, i)
			}
			if hasURLs && (len(r.APIGroups) > 0 || len(r.ResourceNames) > 0) {
				t.Errorf("%s rule %d: non-resource URLs with API groups or names", p.Name, i)
			}
			for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames, r.NonResourceURLs} {
				for _, s := range list {
					if s != strings.TrimSpace(s) {
						t.Errorf("%s rule %d: %q has stray spaces", p.Name, i, s)
					}
				}
			}
		}
	}
}

func TestClusterAdminAllowsEverything(t *testing.T) {
	p, _ := Lookup(ARNFor("AmazonEKSClusterAdminPolicy"))
	want := []Rule{
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
		{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
	}
	if fmt.Sprint(p.Rules) != fmt.Sprint(want) {
		t.Errorf("AmazonEKSClusterAdminPolicy rules = %+v", p.Rules)
	}
}

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection", "impersonate", "*"}

func TestViewPoliciesOnlyRead(t *testing.T) {
	for _, name := range []string{"AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy"} {
		p, _ := Lookup(ARNFor(name))
		for _, r := range p.Rules {
			for _, v := range r.Verbs {
				if slices.Contains(writeVerbs, v) {
					t.Errorf("%s grants %q on %v", name, v, r.Resources)
				}
			}
		}
	}
}

func TestViewPolicyHidesSecrets(t *testing.T) {
	p, _ := Lookup(ARNFor("AmazonEKSViewPolicy"))
	for _, r := range p.Rules {
		if slices.Contains(r.Resources, "secrets") || slices.Contains(r.Resources, "*") {
			t.Errorf("AmazonEKSViewPolicy can read secrets: %+v", r)
		}
	}
}

// Like Kubernetes' view, edit and admin roles, each policy includes the one
// below it: view ⊂ edit ⊂ admin.
func TestUserFacingPoliciesNest(t *testing.T) {
	for _, pair := range [][2]string{
		{"AmazonEKSViewPolicy", "AmazonEKSEditPolicy"},
		{"AmazonEKSEditPolicy", "AmazonEKSAdminPolicy"},
	} {
		smaller, _ := Lookup(ARNFor(pair[0]))
		larger, _ := Lookup(ARNFor(pair[1]))
		for _, r := range smaller.Rules {
			if !containsRule(larger.Rules, r) {
				t.Errorf("%s rule %+v is not in %s", pair[0], r, pair[1])
			}
		}
	}
}

func containsRule(rules []Rule, want Rule) bool {
	return slices.ContainsFunc(rules, func(r Rule) bool { return fmt.Sprint(r) == fmt.Sprint(want) })
}

func TestHybridPolicyListsNodes(t *testing.T) {
	p, _ := Lookup(ARNFor("AmazonEKSHybridPolicy"))
	want := Rule{APIGroups: []string{"*"}, Resources: []string{"nodes"}, Verbs: []string{"list"}}
	if len(p.Rules) != 1 || fmt.Sprint(p.Rules[0]) != fmt.Sprint(want) {
		t.Errorf("AmazonEKSHybridPolicy rules = %+v", p.Rules)
	}
}
