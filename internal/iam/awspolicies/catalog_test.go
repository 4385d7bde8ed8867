package awspolicies

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// wantPolicies are the managed policies keks is expected to know.
var wantPolicies = []string{
	"AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "ViewOnlyAccess",
	"IAMFullAccess", "IAMReadOnlyAccess", "IAMUserChangePassword",
	"AmazonEKSClusterPolicy", "AmazonEKSServicePolicy", "AmazonEKSWorkerNodePolicy",
	"AmazonEKSWorkerNodeMinimalPolicy", "AmazonEKS_CNI_Policy", "AmazonEKSVPCResourceController",
	"AmazonEKSFargatePodExecutionRolePolicy", "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
	"AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy",
	"AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPowerUser",
	"AmazonEC2ContainerRegistryFullAccess", "AmazonEC2ContainerRegistryPullOnly",
	"AmazonEBSCSIDriverPolicy", "AmazonEC2FullAccess", "AmazonEC2ReadOnlyAccess",
	"AmazonVPCFullAccess", "AmazonVPCReadOnlyAccess", "AmazonSSMManagedInstanceCore",
	"AWSKeyManagementServicePowerUser", "CloudWatchAgentServerPolicy",
	"AmazonS3ReadOnlyAccess", "AmazonS3FullAccess",
}

func TestAllHoldsEveryExpectedPolicy(t *testing.T) {
	var names []string
	for _, p := range All() {
		names = append(names, p.Name)
	}
	for _, want := range wantPolicies {
		if !slices.Contains(names, want) {
			t.Errorf("policy %s missing", want)
		}
	}
}

func TestAllIsSortedByName(t *testing.T) {
	all := All()
	if !slices.IsSortedFunc(all, func(a, b Policy) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatal("All is not sorted by Name")
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].Name == all[i].Name {
			t.Errorf("policy %s appears twice", all[i].Name)
		}
	}
}

func TestAllReturnsACopy(t *testing.T) {
	first := All()
	first[0].Name = "changed"
	if All()[0].Name == "changed" {
		t.Fatal("changing the slice All returned changed the catalog")
	}
}

var (
	versionIDPattern = regexp.MustCompile(`^v[1-9][0-9]*$`)
	policyIDPattern  = regexp.MustCompile(`^ANPA[A-Z0-9]{17}$`)
)

func TestMetadataIsConsistent(t *testing.T) {
	for _, p := range All() {
		if p.ARN != ARNFor(p.Path, p.Name) {
			t.Errorf("%s: ARN %s does not match path %q", p.Name, p.ARN, p.Path)
		}
		if !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/") {
			t.Errorf("%s: path %q must start and end with /", p.Name, p.Path)
		}
		if !policyIDPattern.MatchString(p.ID) {
			t.Errorf("%s: policy id %q is not an ANPA id", p.Name, p.ID)
		}
		if !versionIDPattern.MatchString(p.DefaultVersionID) {
			t.Errorf("%s: default version %q", p.Name, p.DefaultVersionID)
		}
		if p.Description == "" {
			t.Errorf("%s: no description", p.Name)
		}
		if p.CreateDate.IsZero() || p.UpdateDate.Before(p.CreateDate) {
			t.Errorf("%s: created %v, updated %v", p.Name, p.CreateDate, p.UpdateDate)
		}
	}
}

func TestPathsOfPoliciesOutsideTheRoot(t *testing.T) {
	for arn, name := range map[string]string{
		"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy": "AmazonEBSCSIDriverPolicy",
		"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess":           "ViewOnlyAccess",
	} {
		p, ok := Lookup(arn)
		if !ok || p.Name != name {
			t.Errorf("Lookup(%s) = %s, %v", arn, p.Name, ok)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, want := range All() {
		got, ok := Lookup(want.ARN)
		if !ok || got.Name != want.Name || got.Document != want.Document {
			t.Errorf("Lookup(%s) = %s, %v", want.ARN, got.Name, ok)
		}
	}
	admin, ok := Lookup("arn:aws:iam::aws:policy/AdministratorAccess")
	if !ok || admin.ID != "ANPAIWMBCKSKIEE64ZLYK" || admin.DefaultVersionID != "v1" {
		t.Errorf("AdministratorAccess = %+v, %v", admin, ok)
	}
	for _, arn := range []string{
		"",
		"AdministratorAccess",
		"arn:aws:iam::aws:policy/administratoraccess",
		"arn:aws:iam::aws:policy/AdministratorAccess/",
		"arn:aws:iam::aws:policy/ViewOnlyAccess",               // lives under /job-function/
		"arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy",     // lives under /service-role/
		"arn:aws:iam::123456789012:policy/AdministratorAccess", // not AWS's
	} {
		if p, ok := Lookup(arn); ok {
			t.Errorf("Lookup(%q) found %s", arn, p.Name)
		}
	}
}
