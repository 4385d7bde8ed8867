package addons

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/keksdev/keks/internal/eks"
)

// install is one add-on's objects in one cluster.
type install struct {
	cs       kubernetes.Interface
	cluster  *eks.Cluster
	addon    *eks.Addon
	registry string
	// awsEndpoint and ca are keks's AWS API as pods reach it and the CA its
	// certificate chains to, for the Pod Identity agent.
	awsEndpoint, ca string
	applied         map[string]applied // shared by passes; nil applies every time
}

// object is one manifest with what it takes to apply and delete it.
type object struct {
	kind, namespace, name string
	yaml                  string
}

func (in *install) objects() ([]object, error) {
	switch in.addon.Name {
	case "coredns":
		svc, err := netip.ParsePrefix(in.cluster.Spec.ServiceIPv4CIDR)
		if err != nil {
			return nil, err
		}
		dns := svc.Addr().As4()
		dns[3] += 10
		return coreDNSObjects(in.registry+"/eks/coredns:"+in.addon.Version, netip.AddrFrom4(dns).String()), nil
	case "kube-proxy":
		return kubeProxyObjects(), nil
	case "eks-pod-identity-agent":
		return podIdentityAgentObjects(in.registry+"/eks/eks-pod-identity-agent:"+in.addon.Version, in.cluster.Name, in.cluster.Region, in.awsEndpoint, in.ca), nil
	}
	// vpc-cni: the nodes' CNI configuration is written by the node controller.
	return nil, nil
}

// fieldManager is the server-side apply manager EKS's add-on manager uses.
const fieldManager = "eks"

// apply server-side-applies the add-on's objects and reports whether its
// workload is available.
func (in *install) apply(ctx context.Context) (ready bool, err error) {
	objs, err := in.objects()
	if err != nil {
		return false, err
	}
	if err := in.applyIfChanged(ctx, appliedKey(in.cluster.UID, in.addon.Name), objs); err != nil {
		return false, err
	}
	if in.addon.Name == "eks-pod-identity-agent" {
		return in.daemonSetReady(ctx, "eks-pod-identity-agent")
	}
	if in.addon.Name != "coredns" {
		return true, nil
	}
	d, err := in.cs.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	return d.Status.AvailableReplicas > 0 && d.Status.UpdatedReplicas == d.Status.Replicas, nil
}

// applyIfChanged applies objs unless they were last applied, unchanged,
// within the resync period.
func (in *install) applyIfChanged(ctx context.Context, key string, objs []object) error {
	sum := digest(objs)
	if last, ok := in.applied[key]; ok && last.digest == sum && time.Since(last.at) <= resyncPeriod {
		return nil
	}
	if err := in.applyObjects(ctx, objs); err != nil {
		return err
	}
	if in.applied != nil {
		in.applied[key] = applied{digest: sum, at: time.Now()}
	}
	return nil
}

// applyObjects server-side-applies each object.
func (in *install) applyObjects(ctx context.Context, objs []object) error {
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: ptr(true)}
	for _, o := range objs {
		data, err := yaml.YAMLToJSON([]byte(o.yaml))
		if err != nil {
			return fmt.Errorf("manifest %s/%s: %w", o.kind, o.name, err)
		}
		p := types.ApplyPatchType
		switch o.kind {
		case "ServiceAccount":
			_, err = in.cs.CoreV1().ServiceAccounts(o.namespace).Patch(ctx, o.name, p, data, opts)
		case "ConfigMap":
			_, err = in.cs.CoreV1().ConfigMaps(o.namespace).Patch(ctx, o.name, p, data, opts)
		case "Service":
			_, err = in.cs.CoreV1().Services(o.namespace).Patch(ctx, o.name, p, data, opts)
		case "ClusterRole":
			_, err = in.cs.RbacV1().ClusterRoles().Patch(ctx, o.name, p, data, opts)
		case "ClusterRoleBinding":
			_, err = in.cs.RbacV1().ClusterRoleBindings().Patch(ctx, o.name, p, data, opts)
		case "Deployment":
			_, err = in.cs.AppsV1().Deployments(o.namespace).Patch(ctx, o.name, p, data, opts)
		case "DaemonSet":
			_, err = in.cs.AppsV1().DaemonSets(o.namespace).Patch(ctx, o.name, p, data, opts)
		case "PodDisruptionBudget":
			_, err = in.cs.PolicyV1().PodDisruptionBudgets(o.namespace).Patch(ctx, o.name, p, data, opts)
		case "MutatingWebhookConfiguration":
			_, err = in.cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Patch(ctx, o.name, p, data, opts)
		default:
			return fmt.Errorf("no applier for kind %s", o.kind)
		}
		if err != nil {
			return fmt.Errorf("apply %s %s: %w", o.kind, o.name, err)
		}
	}
	return nil
}

// remove deletes the add-on's objects.
func (in *install) remove(ctx context.Context) error {
	objs, err := in.objects()
	if err != nil {
		return err
	}
	for _, o := range objs {
		var err error
		opts := metav1.DeleteOptions{}
		switch o.kind {
		case "ServiceAccount":
			err = in.cs.CoreV1().ServiceAccounts(o.namespace).Delete(ctx, o.name, opts)
		case "ConfigMap":
			err = in.cs.CoreV1().ConfigMaps(o.namespace).Delete(ctx, o.name, opts)
		case "Service":
			err = in.cs.CoreV1().Services(o.namespace).Delete(ctx, o.name, opts)
		case "ClusterRole":
			err = in.cs.RbacV1().ClusterRoles().Delete(ctx, o.name, opts)
		case "ClusterRoleBinding":
			err = in.cs.RbacV1().ClusterRoleBindings().Delete(ctx, o.name, opts)
		case "Deployment":
			err = in.cs.AppsV1().Deployments(o.namespace).Delete(ctx, o.name, opts)
		case "DaemonSet":
			err = in.cs.AppsV1().DaemonSets(o.namespace).Delete(ctx, o.name, opts)
		case "PodDisruptionBudget":
			err = in.cs.PolicyV1().PodDisruptionBudgets(o.namespace).Delete(ctx, o.name, opts)
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s %s: %w", o.kind, o.name, err)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func manifest(kind, namespace, name, body string) object {
	return object{kind: kind, namespace: namespace, name: name, yaml: strings.TrimSpace(body)}
}
