package iam

import (
	"regexp"
	"strings"
	"time"
)

// The AWS managed policies that EKS guides attach; keks accepts any ARN
// under arn:aws:iam::aws:policy/ and describes these few by name.
var awsManaged = []string{
	"AdministratorAccess",
	"AmazonEKSClusterPolicy",
	"AmazonEKSServicePolicy",
	"AmazonEKSVPCResourceController",
	"AmazonEKSWorkerNodePolicy",
	"AmazonEKS_CNI_Policy",
	"AmazonEC2ContainerRegistryReadOnly",
	"AmazonEKSFargatePodExecutionRolePolicy",
	"AmazonSSMManagedInstanceCore",
}

// awsPolicyPrefix starts the ARN of every AWS managed policy.
const awsPolicyPrefix = "arn:aws:iam::aws:policy/"

var policyNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)

func awsManagedPolicy(arn string) (*Policy, bool) {
	rest, ok := strings.CutPrefix(arn, awsPolicyPrefix)
	if !ok {
		return nil, false
	}
	name := rest[strings.LastIndex(rest, "/")+1:]
	if !policyNamePattern.MatchString(name) || !pathPattern.MatchString("/"+strings.TrimSuffix(rest, name)) {
		return nil, false
	}
	return &Policy{Name: name, Path: "/" + strings.TrimSuffix(rest, name), ARN: arn, ID: "ANPAAWSMANAGED" + strings.ToUpper(name[:min(6, len(name))]), CreateDate: time.Date(2018, 5, 27, 0, 0, 0, 0, time.UTC)}, true
}

// AWSManagedPolicies lists the AWS managed policies keks describes.
func AWSManagedPolicies() []Policy {
	out := make([]Policy, 0, len(awsManaged))
	for _, n := range awsManaged {
		p, _ := awsManagedPolicy("arn:aws:iam::aws:policy/" + n)
		out = append(out, *p)
	}
	return out
}
