package addons

import (
	"fmt"
	"net"

	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/podidentity"
)

// fargateWebhooks are EKS's Fargate mutating webhook, which hands pods a
// profile selects to the fargate-scheduler, and keks's check that keeps the
// default scheduler's bindings off Fargate nodes. Both are served beside
// each API server, on the pod identity webhook's port, through the endpoint.
func fargateWebhooks(endpointHost, caBundle string) []object {
	base := "https://" + net.JoinHostPort(endpointHost, podidentity.Port)
	return []object{
		// As EKS configures it: pods only, on CREATE, admitted unmutated when
		// the webhook cannot answer.
		manifest("MutatingWebhookConfiguration", "", fargate.WebhookName, fmt.Sprintf(`
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: %[1]s
  labels:
    eks.amazonaws.com/component: fargate
webhooks:
- name: %[1]s
  admissionReviewVersions: [v1]
  clientConfig:
    url: %[2]s
    caBundle: %[3]s
  failurePolicy: Ignore
  matchPolicy: Equivalent
  reinvocationPolicy: Never
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods]
    scope: Namespaced
  sideEffects: None
  timeoutSeconds: 10`, fargate.WebhookName, base+fargate.MutatePath, caBundle)),
		manifest("ValidatingWebhookConfiguration", "", "keks-fargate-bindings", fmt.Sprintf(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: keks-fargate-bindings
  labels:
    eks.amazonaws.com/component: fargate
webhooks:
- name: bindings.fargate.keks.dev
  admissionReviewVersions: [v1]
  clientConfig:
    url: %s
    caBundle: %s
  failurePolicy: Ignore
  matchPolicy: Equivalent
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [pods/binding]
    scope: Namespaced
  sideEffects: None
  timeoutSeconds: 5`, base+fargate.BindingPath, caBundle)),
	}
}
