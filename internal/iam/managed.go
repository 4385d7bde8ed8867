package iam

import (
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

func awsManagedPolicy(arn string) (*Policy, bool) {
	const prefix = "arn:aws:iam::aws:policy/"
	if !strings.HasPrefix(arn, prefix) || len(arn) == len(prefix) {
		return nil, false
	}
	rest := arn[len(prefix):]
	name := rest[strings.LastIndex(rest, "/")+1:]
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
