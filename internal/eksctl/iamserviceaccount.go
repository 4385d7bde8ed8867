package eksctl

import (
	"slices"
	"strings"
)

// OIDCProvider is a cluster's IAM OIDC identity provider.
type OIDCProvider struct {
	ARN string
	// IssuerHostPath is the issuer URL without "https://", as IAM's
	// condition keys name it ("oidc.eks.../id/ABC:sub").
	IssuerHostPath string
}

// ServiceAccountRoleOutput is the output naming the role's ARN.
const ServiceAccountRoleOutput = "Role1"

// BuildServiceAccountStack is the template of
// "eksctl-<cluster>-addon-iamserviceaccount-<ns>-<name>": Role1, trusted by
// the cluster's OIDC provider for exactly that service account, with the
// policies the config attaches.
func BuildServiceAccountStack(sa *ClusterIAMServiceAcct, oidc OIDCProvider) *Template {
	t := newTemplate("IAM role for serviceaccount \"" + sa.Metadata.Namespace + "/" + sa.Metadata.Name + "\"")
	trust := policyDocument(map[string]any{
		"Action":    []any{"sts:AssumeRoleWithWebIdentity"},
		"Effect":    "Allow",
		"Principal": map[string]any{"Federated": oidc.ARN},
		"Condition": map[string]any{"StringEquals": map[string]any{
			oidc.IssuerHostPath + ":aud": "sts.amazonaws.com",
			oidc.IssuerHostPath + ":sub": "system:serviceaccount:" + sa.Metadata.Namespace + ":" + sa.Metadata.Name,
		}},
	})
	managed := append([]string(nil), sa.AttachPolicyARNs...)
	w := sa.WellKnownPolicies
	if w == nil {
		w = &WellKnownPolicies{}
	}
	if w.ImageBuilder {
		managed = append(managed, awsPolicy("AmazonEC2ContainerRegistryPowerUser"))
	}
	if w.EBSCSIController {
		managed = append(managed, awsPolicy("service-role/AmazonEBSCSIDriverPolicy"))
	}
	if w.EFSCSIController {
		managed = append(managed, awsPolicy("service-role/AmazonEFSCSIDriverPolicy"))
	}
	role := map[string]any{"AssumeRolePolicyDocument": trust}
	if len(managed) > 0 {
		role["ManagedPolicyArns"] = toAny(slices.Compact(managed))
	}
	if sa.RoleName != "" {
		role["RoleName"] = sa.RoleName
	}
	t.add("Role1", "AWS::IAM::Role", role)
	if sa.AttachPolicy != nil {
		t.add("Policy1", "AWS::IAM::Policy", map[string]any{
			"PolicyName": sub("${AWS::StackName}-Policy1"), "PolicyDocument": sa.AttachPolicy, "Roles": []any{ref("Role1")},
		})
	}
	if w.AutoScaler {
		addInlinePolicy(t, "PolicyAutoScaling", "Role1", autoScalerStatements())
	}
	if w.ExternalDNS {
		addInlinePolicy(t, "PolicyExternalDNSChangeSet", "Role1", externalDNSChangeSetStatements())
		addInlinePolicy(t, "PolicyExternalDNSHostedZones", "Role1", externalDNSHostedZonesStatements())
	}
	if w.CertManager {
		addInlinePolicy(t, "PolicyCertManagerChangeSet", "Role1", externalDNSChangeSetStatements())
		addInlinePolicy(t, "PolicyCertManagerHostedZones", "Role1", certManagerHostedZonesStatements())
		addInlinePolicy(t, "PolicyCertManagerGetChange", "Role1", certManagerGetChangeStatements())
	}
	if w.AWSLoadBalancerController {
		addInlinePolicy(t, "PolicyAWSLoadBalancerController", "Role1", loadBalancerControllerStatements())
	}
	t.output(ServiceAccountRoleOutput, getAtt("Role1", "Arn"), false)
	return t
}

// IssuerHostPath strips the scheme from an issuer URL.
func IssuerHostPath(issuer string) string { return strings.TrimPrefix(issuer, "https://") }
