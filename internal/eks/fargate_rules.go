package eks

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/iam"
)

// EKS's rules for Fargate profiles. Messages marked "EKS" are the
// service's own, as its callers record them; the rest are keks's words
// where no real message could be found.

// Fargate profile limits (nodes/fargate-profile.adoc; the AWS knowledge
// center's "troubleshoot Fargate profile creation": 10 profiles a cluster,
// 5 selectors a profile, 5 label pairs a selector).
const (
	maxFargateProfilesPerCluster = 10
	maxFargateSelectors          = 5
	maxFargateSelectorLabels     = 5
	// maxFargateNamespaceLen is a Kubernetes namespace's length limit.
	maxFargateNamespaceLen = 63
	// Label keys and values: AWS::EKS::FargateProfile's resource schema
	// bounds them at 1–127 and 1–255 characters.
	maxFargateLabelKeyLen   = 127
	maxFargateLabelValueLen = 255
)

var (
	// fargateProfileNamePattern is the name rule of EKS's other named
	// resources: a letter or digit, then letters, digits, '-' and '_'.
	fargateProfileNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	// fargateNamespacePattern is a namespace name's characters (an RFC 1123
	// label's) with the wildcards "*" and "?": "prod*", "*dev*".
	fargateNamespacePattern = regexp.MustCompile(`^[-a-z0-9*?]+$`)
)

func fargateInvalid(cluster, profile, format string, args ...any) error {
	e := awserr.Errorf(CodeInvalidParameter, format, args...).With("clusterName", cluster)
	if profile != "" {
		e = e.With("fargateProfileName", profile)
	}
	return e
}

// fargateProfileNotFound is EKS's 404 (moto: FARGATE_PROFILE_NOT_FOUND_MSG).
func fargateProfileNotFound(cluster, name string) error {
	return awserr.Errorf(CodeResourceNotFound, "No Fargate Profile found with name: %s.", name).
		With("clusterName", cluster).With("fargateProfileName", name)
}

// fargateProfileExists is EKS's 409 on a duplicate name (moto:
// FARGATE_PROFILE_EXISTS_MSG; eksctl#2591). ResourceInUseException has no
// fargateProfileName member.
func fargateProfileExists(cluster string) error {
	return awserr.Errorf(CodeResourceInUse, "A Fargate Profile already exists with this name in this cluster.").With("clusterName", cluster)
}

// misconfiguredPodExecutionRole is EKS's answer to a pod execution role it
// cannot use: hashicorp/terraform-provider-aws (internal/service/eks/
// fargate_profile.go) retries CreateFargateProfile on "InvalidParameterException:
// Misconfigured PodExecutionRole Trust Policy; Please add the
// eks-fargate-pods.amazonaws.com Service Principal" for IAM's eventual
// consistency, i.e. also while EKS cannot see a just-created role yet;
// keks gives it for a role it does not have, too.
func misconfiguredPodExecutionRole(cluster, profile string) error {
	return fargateInvalid(cluster, profile, "Misconfigured PodExecutionRole Trust Policy; Please add the %s Service Principal", FargatePodsService)
}

func checkFargateProfileName(cluster, name string) error {
	if len(name) < 1 || len(name) > 100 || !fargateProfileNamePattern.MatchString(name) {
		return fargateInvalid(cluster, name, "1 validation error detected: Value '%s' at 'fargateProfileName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z][A-Za-z0-9\\-_]* and have length between 1 and 100", name)
	}
	return nil
}

// checkFargateSelectors applies EKS's selector rules and returns the
// selectors as stored: labels copied, an empty label map left out.
func checkFargateSelectors(cluster, profile string, sels []FargateSelector) ([]FargateSelector, error) {
	bad := func(format string, args ...any) error { return fargateInvalid(cluster, profile, format, args...) }
	if len(sels) == 0 {
		return nil, bad("Fargate Profile requires at least one selector.") // EKS (moto)
	}
	if len(sels) > maxFargateSelectors {
		return nil, bad("A Fargate Profile can have at most %d selectors; the request has %d", maxFargateSelectors, len(sels))
	}
	out := make([]FargateSelector, 0, len(sels))
	for _, sel := range sels {
		if sel.Namespace == "" {
			return nil, bad("Fargate Profile must have at least one selector with at least one namespace value.") // EKS (moto)
		}
		if len(sel.Labels) > maxFargateSelectorLabels {
			return nil, bad("Request contains Selector with more than 5 Label pairs") // EKS (moto)
		}
		if len(sel.Namespace) > maxFargateNamespaceLen || !fargateNamespacePattern.MatchString(sel.Namespace) {
			return nil, bad("The selector namespace %q is not a valid Kubernetes namespace name: up to %d lowercase letters, digits and '-', with the wildcards '*' and '?'", sel.Namespace, maxFargateNamespaceLen)
		}
		for _, k := range slices.Sorted(maps.Keys(sel.Labels)) {
			v := sel.Labels[k]
			if len(k) < 1 || len(k) > maxFargateLabelKeyLen || len(v) < 1 || len(v) > maxFargateLabelValueLen {
				return nil, bad("The selector label %s=%s is not valid: keys must have 1 to %d characters and values 1 to %d", k, v, maxFargateLabelKeyLen, maxFargateLabelValueLen)
			}
		}
		s := FargateSelector{Namespace: sel.Namespace}
		if len(sel.Labels) > 0 {
			s.Labels = maps.Clone(sel.Labels)
		}
		out = append(out, s)
	}
	return out, nil
}

// checkPodExecutionRole applies EKS's rules to a pod execution role: an
// IAM role ARN without a path, of a role the cluster's account has, whose
// trust policy lets Fargate's pods assume it.
func (s *Service) checkPodExecutionRole(ctx context.Context, c *Cluster, profile, arn string) error {
	if arn == "" {
		return fargateInvalid(c.Name, profile, "podExecutionRoleArn is required")
	}
	if _, ok := roleAccount(arn); !ok {
		return fargateInvalid(c.Name, profile, "Invalid ARN: %s", arn)
	}
	// The role is mapped (aws-auth, or an access entry) by an ARN without a
	// path, so EKS takes none other than "/" (fargate.md A1; UG
	// pod-execution-role.adoc).
	if name := arn[strings.Index(arn, ":role/")+len(":role/"):]; strings.Contains(name, "/") {
		return fargateInvalid(c.Name, profile, "The pod execution role ARN %s has a path; a Fargate Profile's pod execution role may have no path other than /", arn)
	}
	role, err := s.IAM.RoleByARN(ctx, arn)
	if err != nil {
		if _, known := awserr.AsError(err); known {
			return misconfiguredPodExecutionRole(c.Name, profile)
		}
		return err
	}
	// The trust policy's conditions (aws:SourceArn, as the user guide
	// recommends) are for the moment Fargate assumes the role.
	if !iam.ServiceTrusted(role, FargatePodsService, "sts:AssumeRole") {
		return misconfiguredPodExecutionRole(c.Name, profile)
	}
	return nil
}

// subnetPublic says whether a subnet routes to an internet gateway.
func (s *Service) subnetPublic(ctx context.Context, id string) (bool, error) {
	return subnetIsPublic(ctx, s.EC2, id)
}

// fargateSubnets applies EKS's subnet rules: subnets given must be
// subnets of the cluster's VPC with no route to an internet gateway;
// none given means the cluster's own private subnets.
func (s *Service) fargateSubnets(ctx context.Context, c *Cluster, profile string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		var private []string
		for _, id := range c.Spec.SubnetIDs {
			public, err := s.subnetPublic(ctx, id)
			if err != nil {
				return nil, err
			}
			if !public {
				private = append(private, id)
			}
		}
		if len(private) == 0 {
			return nil, fargateInvalid(c.Name, profile, "The cluster %s has no private subnets for the Fargate Profile; specify private subnets of its VPC %s (subnets with no route to an internet gateway)", c.Name, c.Spec.VPCID)
		}
		return private, nil
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		sn, err := s.EC2.GetSubnet(ctx, id)
		if err != nil {
			if _, known := awserr.AsError(err); known {
				return nil, fargateInvalid(c.Name, profile, "The subnet ID '%s' does not exist (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)", id)
			}
			return nil, err
		}
		if sn.VPCID != c.Spec.VPCID {
			return nil, fargateInvalid(c.Name, profile, "Subnet %s is not in the cluster's VPC %s", id, c.Spec.VPCID)
		}
		public, err := s.subnetPublic(ctx, id)
		if err != nil {
			return nil, err
		}
		if public {
			// EKS (awslabs/eks-perf-tests#195, aws/aws-k8s-tester).
			return nil, fargateInvalid(c.Name, profile, "Subnet %s provided in Fargate Profile is not a private subnet", id)
		}
		out = append(out, id)
	}
	return out, nil
}
