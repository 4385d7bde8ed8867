package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/fargate"
	"github.com/keksdev/keks/internal/store"
)

// RuntimeKubernetes runs control planes as pods of a management cluster.
const RuntimeKubernetes = "kubernetes"

// KubernetesConfig is the kubernetes runtime's part of Config.
type KubernetesConfig struct {
	// Management is keks's client configuration of the management cluster.
	Management *rest.Config
	// Images is the repository (registry host/path) the control-plane
	// images are pushed to, which the management cluster's nodes pull from.
	Images string
	// ImagesCAFile holds CAs trusted for that registry beside the system's
	// and keks's own (operator-given; may be empty).
	ImagesCAFile string
	// StorageClass is the etcd members' volumes' (empty: the management
	// cluster's default).
	StorageClass string
	// EgressProxy is the URL of keks's egress proxy as the management
	// cluster's pods reach it (egress.Proxy): the API servers' way to the
	// cluster's kubelets, pods and webhooks.
	EgressProxy string
}

// kubeRuntime runs each control plane in a namespace of its own in a
// management cluster, as Kamaji and HyperShift do: its bundle as a Secret;
// each etcd member a StatefulSet of one pod with a volume, named through a
// headless Service; each API server a Deployment of one pod holding the
// authenticator, kube-apiserver, the controller manager and the scheduler
// (and the KMS plugin), rolled surge first; PodDisruptionBudgets that never
// let an eviction take the last API server or a second etcd member; a
// LoadBalancer Service as the endpoint; NetworkPolicies admitting only
// what must reach the members. Objects are server-side applied by field
// manager keks. Kubernetes restarts and reschedules the pods; keks decides,
// as for the host, what each member runs and when a changed one rolls.
type kubeRuntime struct {
	cfg    Config
	kcfg   KubernetesConfig
	client kubernetes.Interface
	store  *store.Store
	log    *slog.Logger
	images *controlPlaneImages

	mirror *logMirror

	mu        sync.Mutex
	logging   map[string]bool              // cluster uid -> whether it ships any control-plane log
	published map[string]map[string][]byte // cluster uid -> its Secret's data, as last applied or read
	hashes    map[string]string            // cluster uid/workload -> its pod template's hash, as Converge last made it
	applied   map[string]string            // cluster uid/workload -> the hash its workload carries in the management cluster
}

func newKubeRuntime(cfg Config, s *store.Store, log *slog.Logger) (*kubeRuntime, error) {
	k := cfg.Kubernetes
	if k.Management == nil {
		return nil, fmt.Errorf("control-plane runtime %q needs a management cluster (--management-kubeconfig)", RuntimeKubernetes)
	}
	if k.Images == "" {
		return nil, fmt.Errorf("control-plane runtime %q needs a repository for its images (--control-plane-images)", RuntimeKubernetes)
	}
	rc := rest.CopyConfig(k.Management)
	rc.QPS, rc.Burst = 50, 100
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("client of the management cluster: %w", err)
	}
	images, err := newControlPlaneImages(cfg, log)
	if err != nil {
		return nil, err
	}
	kr := &kubeRuntime{cfg: cfg, kcfg: k, client: client, store: s, log: log, images: images,
		logging: map[string]bool{}, published: map[string]map[string][]byte{}, hashes: map[string]string{}, applied: map[string]string{}}
	kr.mirror = &logMirror{client: client, dir: kr.logDir, log: log, clusters: map[string]*mirroredCluster{}}
	return kr, nil
}

func (k *kubeRuntime) Name() string { return RuntimeKubernetes }

// namespaceOf is the management cluster's namespace of a control plane.
func namespaceOf(clusterUID string) string { return "keks-" + clusterUID }

// Allocate: a namespace is all a control plane takes, named by its cluster.
func (k *kubeRuntime) Allocate(context.Context, *State) error { return nil }

func (k *kubeRuntime) Placement(st *State) Placement { return k.placement(st) }

func (k *kubeRuntime) placement(st *State) kubePlacement {
	return kubePlacement{namespace: namespaceOf(st.ClusterUID), endpoint: st.Endpoint, egress: k.kcfg.EgressProxy, apiServers: st.apiServerInstances()}
}

// Prepare makes the namespace and what does not depend on the bundle
// (Services, disruption budgets, network policies), then records the
// endpoint's address once the management cluster has given it one.
func (k *kubeRuntime) Prepare(ctx context.Context, cl *eks.Cluster, st *State) error {
	ns := namespaceOf(st.ClusterUID)
	for _, obj := range frameObjects(ns, cl, k.endpointSources(cl, st)) {
		if err := k.apply(ctx, obj); err != nil {
			return err
		}
	}
	if st.Endpoint != "" {
		return nil
	}
	svc, err := k.client.CoreV1().Services(ns).Get(ctx, endpointService, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read the endpoint Service of %s: %w", cl.Name, err)
	}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			st.Endpoint = in.IP
			return nil
		}
	}
	return nil // not yet: the reconcile waits, saying so
}

// apply server-side-applies obj (a typed object with its kind set) as keks.
func (k *kubeRuntime) apply(ctx context.Context, obj kubeObject) error {
	data, err := json.Marshal(obj.object)
	if err != nil {
		return err
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: fieldManagerKeks, Force: &force}
	rc := k.client.CoreV1().RESTClient()
	if obj.group != "" {
		rc = k.restFor(obj.group)
	}
	req := rc.Patch(types.ApplyPatchType).Body(data).VersionedParams(&opts, metav1.ParameterCodec)
	if obj.namespace != "" {
		req = req.Namespace(obj.namespace)
	}
	if err := req.Resource(obj.resource).Name(obj.name).Do(ctx).Error(); err != nil {
		return fmt.Errorf("apply %s %s/%s in the management cluster: %w", obj.resource, obj.namespace, obj.name, err)
	}
	return nil
}

func (k *kubeRuntime) restFor(group string) rest.Interface {
	switch group {
	case "apps":
		return k.client.AppsV1().RESTClient()
	case "policy":
		return k.client.PolicyV1().RESTClient()
	case "networking.k8s.io":
		return k.client.NetworkingV1().RESTClient()
	}
	return k.client.CoreV1().RESTClient()
}

// fieldManagerKeks owns what keks applies in the management cluster.
const fieldManagerKeks = "keks"

// Published reads back the Secret a control plane was given.
func (k *kubeRuntime) Published(st *State) Published {
	return func(name string) ([]byte, error) {
		data, err := k.secretData(context.Background(), st.ClusterUID)
		if err != nil {
			return nil, err
		}
		v, ok := data[secretKey(name)]
		if !ok {
			return nil, fmt.Errorf("%s: not published", name)
		}
		return v, nil
	}
}

// secretData is the control plane's Secret as keks last applied it, or as
// the management cluster has it when keks has not applied it since it started.
func (k *kubeRuntime) secretData(ctx context.Context, uid string) (map[string][]byte, error) {
	k.mu.Lock()
	data, ok := k.published[uid]
	k.mu.Unlock()
	if ok {
		return data, nil
	}
	sec, err := k.client.CoreV1().Secrets(namespaceOf(uid)).Get(ctx, bundleSecret, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the control-plane Secret of %s: %w", uid, err)
	}
	k.mu.Lock()
	k.published[uid] = sec.Data
	k.mu.Unlock()
	return sec.Data, nil
}

// Publish applies the bundle as the control plane's Secret: a leaf is
// issued again only when the published one no longer fits its request.
func (k *kubeRuntime) Publish(ctx context.Context, st *State, b *Bundle) error {
	old, err := k.secretData(ctx, st.ClusterUID)
	if err != nil {
		return err
	}
	data := map[string][]byte{}
	for _, l := range b.Leaves {
		crt, key := secretKey(pkiDoc(l.Name+".crt")), secretKey(pkiDoc(l.Name+".key"))
		if old[key] != nil && l.CA.Fits(old[crt], l.Leaf) {
			data[crt], data[key] = old[crt], old[key]
			continue
		}
		c, pk, err := l.CA.Issue(l.Leaf)
		if err != nil {
			return fmt.Errorf("issue %s: %w", l.Name, err)
		}
		data[crt], data[key] = c, pk
	}
	for name, d := range b.Documents {
		data[secretKey(name)] = d.Data
	}
	if mapsEqual(old, data) {
		return nil
	}
	sec := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: bundleSecret, Namespace: namespaceOf(st.ClusterUID), Labels: commonLabels(st.ClusterName, st.ClusterUID)},
		Type:       corev1.SecretTypeOpaque, Data: data}
	if err := k.apply(ctx, kubeObject{object: sec, resource: "secrets", namespace: sec.Namespace, name: sec.Name}); err != nil {
		return err
	}
	k.mu.Lock()
	k.published[st.ClusterUID] = data
	k.mu.Unlock()
	return nil
}

func mapsEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for key, v := range a {
		if w, ok := b[key]; !ok || string(v) != string(w) {
			return false
		}
	}
	return true
}

// bundleSecret holds a control plane's bundle.
const bundleSecret = "control-plane"

// secretKey is a bundle document's key in the Secret: keys cannot hold a
// "/", and no document name holds "__".
func secretKey(name string) string { return strings.ReplaceAll(name, "/", "__") }

// documentName is the bundle document a Secret key holds.
func documentName(key string) string { return strings.ReplaceAll(key, "__", "/") }

// ProfilesServed: the webhooks are given the Secret's profiles; Kubernetes
// brings a changed Secret to the pods' volume within about a minute.
func (k *kubeRuntime) ProfilesServed(st *State, profile string) bool {
	data, err := k.secretData(context.Background(), st.ClusterUID)
	if err != nil {
		return false
	}
	got, err := fargate.ParseProfiles(data[secretKey(fargateProfilesDoc)])
	return err == nil && slices.ContainsFunc(got, func(p fargate.Profile) bool { return p.Name == profile })
}

// LogDir is where keks mirrors the API server pods' output (logMirror),
// in the files the host runtime's members write.
func (k *kubeRuntime) LogDir(st *State) string { return k.logDir(st.ClusterUID) }

func (k *kubeRuntime) logDir(clusterUID string) string {
	return filepath.Join(k.cfg.DataDir, clusterUID, "logs")
}

// AdminConfig is the keks-admin leaf, through the endpoint.
func (k *kubeRuntime) AdminConfig(st *State) (*rest.Config, error) {
	if st.Endpoint == "" {
		return nil, fmt.Errorf("the endpoint of cluster %s has no address yet", st.ClusterName)
	}
	data, err := k.secretData(context.Background(), st.ClusterUID)
	if err != nil {
		return nil, err
	}
	crt, key, ca := data[secretKey(pkiDoc("keks-admin.crt"))], data[secretKey(pkiDoc("keks-admin.key"))], data[secretKey(pkiDoc("ca.crt"))]
	if crt == nil || key == nil || ca == nil {
		return nil, fmt.Errorf("the control plane of %s has no keks-admin certificate yet", st.ClusterName)
	}
	return &rest.Config{Host: "https://" + st.Endpoint + ":443", TLSClientConfig: rest.TLSClientConfig{CertData: crt, KeyData: key, CAData: ca}, Timeout: 30 * time.Second}, nil
}

// Teardown deletes the control plane's namespace, and with it every
// object and volume claim, and waits until the management cluster has
// removed them all.
func (k *kubeRuntime) Teardown(ctx context.Context, cl *eks.Cluster, st *State) error {
	ns := namespaceOf(cl.UID)
	policy := metav1.DeletePropagationForeground
	err := k.client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{PropagationPolicy: &policy})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete namespace %s of %s: %w", ns, cl.Name, err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		_, err := k.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s of %s is still being deleted", ns, cl.Name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if err := k.mirror.forget(cl.UID); err != nil {
		return err
	}
	k.mu.Lock()
	delete(k.published, cl.UID)
	delete(k.logging, cl.UID)
	for _, m := range []map[string]string{k.hashes, k.applied} {
		for key := range m {
			if strings.HasPrefix(key, cl.UID+"/") {
				delete(m, key)
			}
		}
	}
	k.mu.Unlock()
	return nil
}
