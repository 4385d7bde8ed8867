package accesspolicies

import (
	"slices"
	"strings"
	"testing"
)

func TestEveryPolicyHasNameARNAndRules(t *testing.T) {
	all := All()
	if len(all) == 0 {
		t.Fatal("no policies")
	}
	for _, p := range all {
		if p.Name == "" {
			t.Errorf("policy without a name: %+v", p)
		}
		if p.ARN != ARNFor(p.Name) {
			t.Errorf("%s: ARN %q, want %q", p.Name, p.ARN, ARNFor(p.Name))
		}
		if len(p.Rules) == 0 {
			t.Errorf("%s: no rules", p.Name)
		}
	}
}

func TestAllIsInListAccessPoliciesOrder(t *testing.T) {
	var names []string
	for _, p := range All() {
		names = append(names, p.Name)
	}
	// EKS lists the policies sorted by name, byte by byte: for example
	// AmazonARCRegionSwitchScalingPolicy before AmazonEKSAdminPolicy, and
	// AmazonEKSAdminPolicy before AmazonEKSAdminViewPolicy.
	if !slices.IsSorted(names) {
		t.Errorf("All is not sorted by name: %v", names)
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("a policy appears twice: %v", names)
	}
}

func TestExpectedPoliciesArePresent(t *testing.T) {
	for _, name := range []string{
		"AmazonARCRegionSwitchScalingPolicy",
		"AmazonEKSAdminPolicy",
		"AmazonEKSAdminViewPolicy",
		"AmazonEKSClusterAdminPolicy",
		"AmazonEKSEditPolicy",
		"AmazonEKSHybridPolicy",
		"AmazonEKSViewPolicy",
	} {
		if _, ok := Lookup(ARNFor(name)); !ok {
			t.Errorf("%s missing", name)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, want := range All() {
		got, ok := Lookup(want.ARN)
		if !ok || got.Name != want.Name || len(got.Rules) != len(want.Rules) {
			t.Errorf("Lookup(%s) = %s, %v", want.ARN, got.Name, ok)
		}
	}
	for _, arn := range []string{
		"",
		"AmazonEKSClusterAdminPolicy",
		"arn:aws:eks::aws:cluster-access-policy/amazoneksclusteradminpolicy",
		"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy/",
		"arn:aws:iam::aws:policy/AmazonEKSClusterAdminPolicy",
	} {
		if p, ok := Lookup(arn); ok {
			t.Errorf("Lookup(%q) found %s", arn, p.Name)
		}
	}
}

func TestCallersCannotChangeTheCatalog(t *testing.T) {
	arn := ARNFor("AmazonEKSViewPolicy")
	p, _ := Lookup(arn)
	p.Rules[0].Verbs[0] = "delete"
	all := All()
	all[0].Rules[0].Resources[0] = "changed"
	again, _ := Lookup(arn)
	if again.Rules[0].Verbs[0] == "delete" {
		t.Error("changing a looked-up policy changed the catalog")
	}
	if All()[0].Rules[0].Resources[0] == "changed" {
		t.Error("changing a policy from All changed the catalog")
	}
}

func TestDataFilesRecordTheirSource(t *testing.T) {
	files, err := readFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Source, "https://docs.aws.amazon.com/") {
			t.Errorf("%s: source %q is not a published AWS page", f.Name, f.Source)
		}
	}
}
