package eksctl

import (
	"context"
	"fmt"
)

// AddonStackName is the stack of the IAM role eksctl makes for an
// add-on's service account when the add-on attaches policies.
func AddonStackName(cluster, addon string) string { return "eksctl-" + cluster + "-addon-" + addon }

// addonServiceAccounts are the service accounts of the EKS add-ons whose
// pods call AWS, which their IRSA roles must trust.
var addonServiceAccounts = map[string]ObjectMeta{
	"vpc-cni":                         {Namespace: "kube-system", Name: "aws-node"},
	"aws-ebs-csi-driver":              {Namespace: "kube-system", Name: "ebs-csi-controller-sa"},
	"aws-efs-csi-driver":              {Namespace: "kube-system", Name: "efs-csi-controller-sa"},
	"amazon-cloudwatch-observability": {Namespace: "amazon-cloudwatch", Name: "cloudwatch-agent"},
	"adot":                            {Namespace: "opentelemetry-operator-system", Name: "opentelemetry-operator"},
}

// addonRole deploys the IAM role of an add-on that attaches policies
// (trusted through the cluster's OIDC provider by the add-on's service
// account) and returns its ARN.
func (m *Manager) addonRole(ctx context.Context, cfg *ClusterConfig, a *Addon, oidc OIDCProvider) (string, error) {
	sa, known := addonServiceAccounts[a.Name]
	if !known {
		return "", fmt.Errorf("addon %q: keks does not know its service account, so it cannot make a role for attachPolicyARNs/attachPolicy; set serviceAccountRoleARN", a.Name)
	}
	if oidc.ARN == "" {
		return "", fmt.Errorf("addon %q: attachPolicyARNs/attachPolicy need an IAM OIDC provider (iam.withOIDC: true, or 'keks utils associate-iam-oidc-provider --cluster=%s --approve')", a.Name, cfg.Metadata.Name)
	}
	stackName := AddonStackName(cfg.Metadata.Name, a.Name)
	m.Log.Info("creating role using provided policies for addon %s", a.Name)
	role := &ClusterIAMServiceAcct{Metadata: sa, AttachPolicyARNs: a.AttachPolicyARNs, AttachPolicy: a.AttachPolicy}
	if err := m.stacks().Deploy(ctx, stackName, BuildServiceAccountStack(role, oidc), clusterStackTags(cfg, map[string]string{"alpha.eksctl.io/addon-name": a.Name})); err != nil {
		return "", err
	}
	outputs, err := m.stacks().Outputs(ctx, stackName)
	if err != nil {
		return "", err
	}
	return outputs[ServiceAccountRoleOutput], nil
}

// oidcProviderOf finds the cluster's IAM OIDC provider, if associated.
func (m *Manager) oidcProviderOf(ctx context.Context, cluster string) (OIDCProvider, error) {
	cl, err := m.describeCluster(ctx, cluster)
	if err != nil {
		return OIDCProvider{}, err
	}
	issuer := issuerOf(cl)
	arn, err := m.findOIDCProvider(ctx, issuer)
	return OIDCProvider{ARN: arn, IssuerHostPath: IssuerHostPath(issuer)}, err
}
