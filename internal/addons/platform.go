package addons

import (
	"context"
	"fmt"
	"net/url"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/podidentity"
)

// platformKey is where the applied map remembers a cluster's platform
// objects, beside its add-ons.
const platformKey = "eks:platform"

// platformObjects are what every EKS cluster has whatever its add-ons: the
// pod identity webhook's configuration and the RBAC it reads service
// accounts with, and the gp2 StorageClass. The webhook itself runs beside each API server.
func platformObjects(cl *eks.Cluster) ([]object, error) {
	u, err := url.Parse(cl.Status.Endpoint)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("cluster endpoint %q: %v", cl.Status.Endpoint, err)
	}
	return append([]object{
		manifest("ClusterRole", "", "eks:pod-identity-mutating-webhook", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: eks:pod-identity-mutating-webhook
  labels:
    eks.amazonaws.com/component: pod-identity-webhook
rules:
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get, list, watch]`),
		manifest("ClusterRoleBinding", "", "eks:pod-identity-mutating-webhook", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: eks:pod-identity-mutating-webhook
  labels:
    eks.amazonaws.com/component: pod-identity-webhook
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: eks:pod-identity-mutating-webhook
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: `+podidentity.User),
		// As EKS configures it: pods are admitted unmutated if the webhook
		// cannot answer, and a label opts a pod out.
		manifest("MutatingWebhookConfiguration", "", "pod-identity-webhook", fmt.Sprintf(`
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: pod-identity-webhook
  labels:
    eks.amazonaws.com/component: pod-identity-webhook
webhooks:
- name: iam-for-pods.amazonaws.com
  admissionReviewVersions: [v1]
  clientConfig:
    url: %s
    caBundle: %s
  failurePolicy: Ignore
  matchPolicy: Equivalent
  objectSelector:
    matchExpressions:
    - key: eks.amazonaws.com/skip-pod-identity-webhook
      operator: DoesNotExist
  reinvocationPolicy: IfNeeded
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
    scope: "*"
  sideEffects: None
  timeoutSeconds: 10`, podidentity.URL(u.Hostname()), cl.Status.CertificateAuthority)),
	}, append(fargateWebhooks(u.Hostname(), cl.Status.CertificateAuthority), storageClassObjects()[0])...), nil
}

// applyPlatform applies a cluster's platform objects when they changed or
// are due for a resync.
func (c *Controller) applyPlatform(ctx context.Context, cl *eks.Cluster) error {
	objs, err := platformObjects(cl)
	if err != nil {
		return err
	}
	cs, err := c.kube.For(cl.UID)
	if err != nil {
		return err
	}
	return (&install{cs: cs, cluster: cl, applied: c.applied}).applyIfChanged(ctx, appliedKey(cl.UID, platformKey), objs)
}
