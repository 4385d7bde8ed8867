package conformance

import (
	"regexp"
	"strings"
)

// Quick names a few conformance tests of every SIG, chosen for what each
// needs of the cluster: webhooks, CRD conversion and an aggregated API
// reached from the API servers; service-account issuer discovery from a
// pod; DNS, ClusterIP session affinity, hostPort and the API server's
// proxy; the kubelet's security contexts, in-place resize and tmpfs;
// ClusterTrustBundle projection; a rolling update; kubectl; one [Serial]
// scheduler test. A run takes a few minutes: `keks conformance --quick`,
// and make test runs it. Each is a fragment of one test's full name.
var Quick = []string{
	"[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] should be able to deny pod and configmap creation",
	"[sig-api-machinery] CustomResourceConversionWebhook [Privileged:ClusterAdmin] should be able to convert from CR v1 to CR v2",
	"[sig-api-machinery] Aggregator Should be able to support the 1.17 Sample API Server using the current Aggregator",
	"[sig-apps] Deployment RollingUpdateDeployment should delete old pods and create new ones",
	"[sig-architecture] Conformance Tests should have at least two untainted nodes",
	"[sig-auth] ServiceAccounts ServiceAccountIssuerDiscovery should support OIDC discovery of service account issuer",
	"should be able to mount a single ClusterTrustBundle by name",
	"[sig-cli] Kubectl client Update Demo should create and stop a replication controller",
	"[sig-instrumentation] Events should manage the lifecycle of an event",
	"[sig-network] DNS should provide DNS for services",
	"[sig-network] Services should have session affinity work for service with type clusterIP",
	"[sig-network] HostPort validates that there is no conflict between pods with same hostPort but different hostIP and protocol",
	"[sig-network] Proxy version v1 A set of valid responses are returned for both pod and service ProxyWithPath",
	"[sig-node] Security Context When creating a pod with privileged should run the container as unprivileged when false",
	"[sig-node] Security Context when creating containers with AllowPrivilegeEscalation should not allow privilege escalation when false",
	"[sig-node] Pod InPlace Resize Container resize pod via the replace endpoint",
	"[sig-scheduling] SchedulerPredicates validates that NodeSelector is respected if matching",
	"[sig-storage] EmptyDir volumes should support (root,0644,tmpfs)",
}

// QuickFocus is the focus expression that picks Quick's tests.
func QuickFocus() string {
	parts := make([]string, len(Quick))
	for i, q := range Quick {
		parts[i] = regexp.QuoteMeta(q)
	}
	return strings.Join(parts, "|")
}
