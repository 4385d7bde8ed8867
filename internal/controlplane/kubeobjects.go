package controlplane

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/podidentity"
)

// kubeObject is an object keks applies in the management cluster, with
// where its REST path is.
type kubeObject struct {
	object          any
	group, resource string
	namespace, name string
}

// Labels and annotations keks puts on what it makes in the management cluster.
const (
	labelCluster    = "keks.dev/cluster"
	labelClusterUID = "keks.dev/cluster-uid"
	labelApp        = "app.kubernetes.io/name"
	labelMember     = "keks.dev/member"
	labelVersion    = "keks.dev/kubernetes-version"
	annotationHash  = "keks.dev/config-hash"

	appEtcd      = "etcd"
	appAPIServer = "kube-apiserver"

	endpointService = "endpoint"
)

func commonLabels(cluster, uid string) map[string]string {
	return map[string]string{labelCluster: cluster, labelClusterUID: uid, "app.kubernetes.io/managed-by": "keks"}
}

func withLabels(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// frameObjects are a control plane's objects that do not change with its
// bundle or version: the namespace, the endpoint and etcd Services, the
// disruption budgets and the network policies. sources are the clients
// the endpoint's load balancer admits (nil: all, until keks knows its own
// address toward it).
func frameObjects(ns string, cl *eks.Cluster, sources []string) []kubeObject {
	labels := commonLabels(cl.Name, cl.UID)
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	}
	apiSelector := map[string]string{labelApp: appAPIServer}
	etcdSelector := map[string]string{labelApp: appEtcd}
	tcp := func(name string, port int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Protocol: corev1.ProtocolTCP, Port: port, TargetPort: intstr.FromInt32(port)}
	}
	webhookPort, _ := strconv.Atoi(podidentity.Port)
	endpoint := &corev1.Service{TypeMeta: typeMeta("v1", "Service"), ObjectMeta: meta(endpointService), Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, Selector: apiSelector, LoadBalancerSourceRanges: sources,
		Ports: []corev1.ServicePort{tcp("https", 443), tcp("webhooks", int32(webhookPort))},
	}}
	etcd := &corev1.Service{TypeMeta: typeMeta("v1", "Service"), ObjectMeta: meta(etcdService), Spec: corev1.ServiceSpec{
		ClusterIP: corev1.ClusterIPNone, Selector: etcdSelector, PublishNotReadyAddresses: true,
		Ports: []corev1.ServicePort{tcp("client", 2379), tcp("peer", 2380)},
	}}
	one := intstr.FromInt32(1)
	etcdBudget := &policyv1.PodDisruptionBudget{TypeMeta: typeMeta("policy/v1", "PodDisruptionBudget"), ObjectMeta: meta("etcd"),
		Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: etcdSelector}}}
	apiBudget := &policyv1.PodDisruptionBudget{TypeMeta: typeMeta("policy/v1", "PodDisruptionBudget"), ObjectMeta: meta("kube-apiserver"),
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: apiSelector}}}
	port := func(p int) networkingv1.NetworkPolicyPort {
		tcp, v := corev1.ProtocolTCP, intstr.FromInt(p)
		return networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &v}
	}
	pods := func(sel map[string]string) networkingv1.NetworkPolicyPeer {
		return networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: sel}}
	}
	anywhere := networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}
	ingress := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	// etcd: clients are the API servers, peers the other members; its
	// metrics (the database size keks reads) are open to the management
	// cluster. The API servers: their port and the webhooks' from anywhere.
	etcdPolicy := &networkingv1.NetworkPolicy{TypeMeta: typeMeta("networking.k8s.io/v1", "NetworkPolicy"), ObjectMeta: meta("etcd"),
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: etcdSelector}, PolicyTypes: ingress, Ingress: []networkingv1.NetworkPolicyIngressRule{
			{From: []networkingv1.NetworkPolicyPeer{pods(apiSelector), pods(etcdSelector)}, Ports: []networkingv1.NetworkPolicyPort{port(2379)}},
			{From: []networkingv1.NetworkPolicyPeer{pods(etcdSelector)}, Ports: []networkingv1.NetworkPolicyPort{port(2380)}},
			{From: []networkingv1.NetworkPolicyPeer{anywhere}, Ports: []networkingv1.NetworkPolicyPort{port(2381)}},
		}}}
	apiPolicy := &networkingv1.NetworkPolicy{TypeMeta: typeMeta("networking.k8s.io/v1", "NetworkPolicy"), ObjectMeta: meta("kube-apiserver"),
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: apiSelector}, PolicyTypes: ingress, Ingress: []networkingv1.NetworkPolicyIngressRule{
			{From: []networkingv1.NetworkPolicyPeer{anywhere}, Ports: []networkingv1.NetworkPolicyPort{port(443), port(webhookPort)}},
		}}}
	namespace := &corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}}
	return []kubeObject{
		{object: namespace, resource: "namespaces", name: ns},
		{object: endpoint, resource: "services", namespace: ns, name: endpoint.Name},
		{object: etcd, resource: "services", namespace: ns, name: etcd.Name},
		{object: etcdBudget, group: "policy", resource: "poddisruptionbudgets", namespace: ns, name: etcdBudget.Name},
		{object: apiBudget, group: "policy", resource: "poddisruptionbudgets", namespace: ns, name: apiBudget.Name},
		{object: etcdPolicy, group: "networking.k8s.io", resource: "networkpolicies", namespace: ns, name: etcdPolicy.Name},
		{object: apiPolicy, group: "networking.k8s.io", resource: "networkpolicies", namespace: ns, name: apiPolicy.Name},
	}
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// memberGroup is one workload of the kubernetes runtime: an etcd member's
// StatefulSet, or an API server's Deployment with the members beside it
// (same suffix).
type memberGroup struct {
	name    string // etcd-a, apiserver-a
	etcd    bool
	members []Member
}

// groupsOf splits a control plane's members into workloads; the endpoint
// is the Service, not a workload.
func groupsOf(members []Member) []memberGroup {
	var out []memberGroup
	index := map[string]int{}
	for _, m := range members {
		var name string
		switch m.role {
		case RoleEndpoint:
			continue
		case RoleEtcd:
			name = m.name
		default:
			name = "apiserver-" + m.name[len(m.name)-1:]
		}
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, memberGroup{name: name, etcd: m.role == RoleEtcd})
		}
		out[i].members = append(out[i].members, m)
	}
	return out
}

// groupOf is the workload a member runs in.
func groupOf(m Member) string {
	if m.role == RoleEtcd {
		return m.name
	}
	return "apiserver-" + m.name[len(m.name)-1:]
}

// podTemplate is a group's pods, from image; its hash (of everything
// in it) is the configuration every member of the group runs with.
func podTemplate(cl *eks.Cluster, g memberGroup, image string, docs []string) (corev1.PodTemplateSpec, string) {
	app := appAPIServer
	if g.etcd {
		app = appEtcd
	}
	labels := withLabels(commonLabels(cl.Name, cl.UID), labelApp, app, labelMember, g.name, labelVersion, g.members[0].Version.Patch)
	items := make([]corev1.KeyToPath, 0, len(docs))
	for _, d := range docs {
		items = append(items, corev1.KeyToPath{Key: secretKey(d), Path: d})
	}
	mode := int32(0o600)
	volumes := []corev1.Volume{
		{Name: "documents", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: bundleSecret, Items: items, DefaultMode: &mode}}},
		{Name: "logs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	mounts := []corev1.VolumeMount{{Name: "documents", MountPath: kubeDocs, ReadOnly: true}, {Name: "logs", MountPath: kubeLogs}}
	if g.etcd {
		mounts = append(mounts, corev1.VolumeMount{Name: "data", MountPath: kubeEtcdDir})
	} else {
		volumes = append(volumes, corev1.Volume{Name: "run", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		mounts = append(mounts, corev1.VolumeMount{Name: "run", MountPath: kubeRun})
	}
	var containers []corev1.Container
	for _, m := range g.members {
		containers = append(containers, container(m, image, mounts, cl.Spec.Tier()))
	}
	// Spread over zones and nodes, as EKS spreads its instances; preferred,
	// so that a small management cluster still runs them all.
	spread := func(key string, weight int32) corev1.WeightedPodAffinityTerm {
		return corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: key,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: app, labelClusterUID: cl.UID}}}}
	}
	grace := int64(30)
	spec := corev1.PodSpec{
		Containers: containers, Volumes: volumes, TerminationGracePeriodSeconds: &grace,
		EnableServiceLinks: new(bool), AutomountServiceAccountToken: new(bool),
		Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
			spread("topology.kubernetes.io/zone", 100), spread("kubernetes.io/hostname", 50)}}},
	}
	t := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
	data, _ := json.Marshal(t)
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])[:16]
	t.Annotations = map[string]string{annotationHash: hash}
	return t, hash
}

// container runs member m from the control-plane image.
func container(m Member, image string, mounts []corev1.VolumeMount, tier eks.ScalingTier) corev1.Container {
	command := []string{"/usr/local/bin/" + m.Component}
	args := append(append([]string(nil), m.Command...), sortedFlags(m.Flags)...)
	if m.role == RoleEtcd {
		// A member whose volume was lost joins its cluster again (keks etcd-member).
		command = []string{"/usr/local/bin/keks", "etcd-member", "--", command[0]}
	}
	var env []corev1.EnvVar
	for _, kv := range m.Env {
		k, v, _ := cutEnv(kv)
		env = append(env, corev1.EnvVar{Name: k, Value: v})
	}
	c := corev1.Container{Name: m.role, Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: command, Args: args, Env: env, VolumeMounts: mounts,
		Resources: corev1.ResourceRequirements{Requests: requests(m.role, tier)}}
	probe := func(scheme corev1.URIScheme, port int, path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Scheme: scheme, Port: intstr.FromInt(port), Path: path}},
			PeriodSeconds: 2, TimeoutSeconds: 2, FailureThreshold: 3}
	}
	live := func(p *corev1.Probe) *corev1.Probe {
		q := *p
		q.PeriodSeconds, q.FailureThreshold, q.InitialDelaySeconds = 5, 3, 0
		return &q
	}
	// A container has startupGrace to answer first, as on the host; the
	// kubelet's probes take no query string, so an API server's readiness
	// is the whole /readyz.
	startup := func(p *corev1.Probe) *corev1.Probe {
		q := *p
		q.PeriodSeconds, q.FailureThreshold = 2, int32(startupGrace.Seconds()/2)
		return &q
	}
	var ready, alive *corev1.Probe
	switch m.role {
	case RoleEtcd:
		ready = probe(corev1.URISchemeHTTP, 2381, "/readyz")
		c.Ports = []corev1.ContainerPort{{Name: "client", ContainerPort: 2379}, {Name: "peer", ContainerPort: 2380}, {Name: "metrics", ContainerPort: 2381}}
	case RoleAPIServer:
		ready, alive = probe(corev1.URISchemeHTTPS, 443, "/readyz"), live(probe(corev1.URISchemeHTTPS, 443, "/livez"))
		c.Ports = []corev1.ContainerPort{{Name: "https", ContainerPort: 443}}
	case RoleControllerManager:
		alive = live(probe(corev1.URISchemeHTTPS, 10257, "/healthz"))
	case RoleScheduler:
		alive = live(probe(corev1.URISchemeHTTPS, 10259, "/healthz"))
	case RoleAuthenticator:
		// The authenticator's own port is the pod's loopback; its webhooks' is open.
		wp, _ := strconv.Atoi(podidentity.Port)
		ready = probe(corev1.URISchemeHTTPS, wp, "/healthz")
		c.Ports = []corev1.ContainerPort{{Name: "webhooks", ContainerPort: int32(wp)}}
	}
	c.ReadinessProbe, c.LivenessProbe = ready, alive
	if first := cmp.Or(ready, alive); first != nil {
		c.StartupProbe = startup(first)
	}
	if m.role == RoleAuthenticator || m.role == RoleKMSPlugin {
		// Every container of a pod being deleted is told to stop at once,
		// while kube-apiserver keeps serving for its shutdown delay and the
		// requests in flight: what it asks of these must still answer
		// (seen: a token refused with 401 during a roll).
		c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: sidecarStopDelay}}}
	}
	return c
}

// sidecarStopDelay is how long the authenticator and KMS plugin outlive
// their pod's deletion: kube-apiserver's shutdown delay and time for the
// requests it still serves.
const sidecarStopDelay = int64(apiServerShutdownDelay/time.Second) + 10

func cutEnv(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

// workload is a group's StatefulSet (etcd) or Deployment, from its template.
func workload(ns string, cl *eks.Cluster, g memberGroup, t corev1.PodTemplateSpec, storageClass string) kubeObject {
	labels := commonLabels(cl.Name, cl.UID)
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{labelMember: g.name, labelClusterUID: cl.UID}}
	one := int32(1)
	meta := metav1.ObjectMeta{Name: g.name, Namespace: ns, Labels: labels, Annotations: map[string]string{annotationHash: t.Annotations[annotationHash]}}
	if g.etcd {
		claim := corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(etcdVolumeSize(cl))}},
		}}
		if storageClass != "" {
			claim.Spec.StorageClassName = &storageClass
		}
		ss := &appsv1.StatefulSet{TypeMeta: typeMeta("apps/v1", "StatefulSet"), ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{
			Replicas: &one, ServiceName: etcdService, Selector: selector, Template: t, PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{claim},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType, WhenScaled: appsv1.RetainPersistentVolumeClaimRetentionPolicyType},
		}}
		return kubeObject{object: ss, group: "apps", resource: "statefulsets", namespace: ns, name: g.name}
	}
	// Surge first: the new pod serves before the old one stops.
	zero, surge := intstr.FromInt32(0), intstr.FromInt32(1)
	d := &appsv1.Deployment{TypeMeta: typeMeta("apps/v1", "Deployment"), ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
		Replicas: &one, Selector: selector, Template: t,
		Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &zero, MaxSurge: &surge}},
	}}
	return kubeObject{object: d, group: "apps", resource: "deployments", namespace: ns, name: g.name}
}

// etcdVolumeSize holds the largest tier's database quota twice over, with
// room to compact: a StatefulSet's claims cannot change once made, and
// the tier can.
func etcdVolumeSize(*eks.Cluster) string { return "32Gi" }

// documentNames lists a bundle's documents and leaves as the Secret holds them.
func documentNames(b *Bundle) []string {
	var out []string
	for name := range b.Documents {
		out = append(out, name)
	}
	for _, l := range b.Leaves {
		out = append(out, pkiDoc(l.Name+".crt"), pkiDoc(l.Name+".key"))
	}
	sort.Strings(out)
	return out
}
