package addons

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/k8sbuild"
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
	snapshotCRDs    []string           // the snapshot API's CRD files
	karpenterCRDs   []string           // Karpenter's CRD files
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
		cfg, err := eks.ParseCoreDNSConfig(in.addon.ConfigurationValues)
		if err != nil {
			return nil, err
		}
		return coreDNSObjects(in.registry+"/eks/coredns:"+in.addon.Version, netip.AddrFrom4(dns).String(), cfg), nil
	case "kube-proxy":
		return kubeProxyObjects(), nil
	case "eks-pod-identity-agent":
		return podIdentityAgentObjects(in.registry+"/eks/eks-pod-identity-agent:"+in.addon.Version, in.cluster.Name, in.cluster.Region, in.awsEndpoint, in.ca), nil
	case "metrics-server":
		return metricsServerObjects(in.registry + "/eks/metrics-server:" + in.addon.Version), nil
	case "aws-ebs-csi-driver":
		return append(ebsCSIObjects(ebsCSI{driver: in.registry + "/" + k8sbuild.EBSCSIDriver.Image(), attacher: in.registry + "/" + k8sbuild.CSIAttacher.Image(),
			snapshotter: in.registry + "/" + k8sbuild.CSISnapshotter.Image(), sidecars: in.registry + "/keks/csi-sidecars:latest",
			region: in.cluster.Region, awsEndpoint: in.awsEndpoint, ca: in.ca, roleARN: in.addon.ServiceAccountRoleARN}), storageClassObjects()[1]), nil
	case "snapshot-controller":
		return snapshotControllerObjects(in.registry+"/"+k8sbuild.SnapshotController.Image(), in.snapshotCRDs)
	case "karpenter":
		return karpenterObjects(karpenter{image: in.registry + "/" + k8sbuild.Karpenter.Image(), crdFiles: in.karpenterCRDs, cluster: in.cluster.Name,
			region: in.cluster.Region, awsEndpoint: in.awsEndpoint, ca: in.ca, roleARN: in.addon.ServiceAccountRoleARN})
	}
	// vpc-cni: the nodes' CNI configuration is written by the node controller.
	return nil, nil
}

// addonDeployments are the Deployments whose availability makes an add-on ACTIVE.
var addonDeployments = map[string]string{
	"coredns": "coredns", "metrics-server": "metrics-server", "aws-ebs-csi-driver": "ebs-csi-controller", "snapshot-controller": "snapshot-controller",
	"karpenter": "karpenter",
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
	if in.addon.Name == "aws-ebs-csi-driver" {
		if ready, err := in.daemonSetReady(ctx, "ebs-csi-node"); !ready || err != nil {
			return ready, err
		}
	}
	deployment, ok := addonDeployments[in.addon.Name]
	if !ok {
		return true, nil
	}
	d, err := in.cs.AppsV1().Deployments("kube-system").Get(ctx, deployment, metav1.GetOptions{})
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

// applyObjects server-side-applies each object, whatever its kind (the
// REST path comes from the manifest's apiVersion and kind), so an add-on's
// APIService, StorageClass or CRD needs no client of its own.
func (in *install) applyObjects(ctx context.Context, objs []object) error {
	for _, o := range objs {
		data, err := yaml.YAMLToJSON([]byte(o.yaml))
		if err != nil {
			return fmt.Errorf("manifest %s/%s: %w", o.kind, o.name, err)
		}
		path, err := o.path(data)
		if err != nil {
			return err
		}
		err = in.cs.Discovery().RESTClient().Patch(types.ApplyPatchType).AbsPath(path).
			Param("fieldManager", fieldManager).Param("force", "true").Body(data).Do(ctx).Error()
		if err != nil {
			return fmt.Errorf("apply %s %s: %w", o.kind, o.name, err)
		}
	}
	return nil
}

// remove deletes the add-on's objects, the last applied first (a
// Deployment before the ServiceAccount it runs as, CRDs last).
func (in *install) remove(ctx context.Context) error {
	objs, err := in.objects()
	if err != nil {
		return err
	}
	for _, o := range slices.Backward(objs) {
		data, err := yaml.YAMLToJSON([]byte(o.yaml))
		if err != nil {
			return fmt.Errorf("manifest %s/%s: %w", o.kind, o.name, err)
		}
		path, err := o.path(data)
		if err != nil {
			return err
		}
		err = in.cs.Discovery().RESTClient().Delete().AbsPath(path).Do(ctx).Error()
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s %s: %w", o.kind, o.name, err)
		}
	}
	return nil
}

// path is the object's REST path: /api/v1 or /apis/<group>/<version>, its
// namespace if it has one, and its resource, the kind's plural as the API
// names every kind an add-on applies.
func (o object) path(manifest []byte) (string, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(manifest, &head); err != nil || head.APIVersion == "" {
		return "", fmt.Errorf("manifest %s/%s has no apiVersion", o.kind, o.name)
	}
	p := "/apis/" + head.APIVersion
	if head.APIVersion == "v1" {
		p = "/api/v1"
	}
	if o.namespace != "" {
		p += "/namespaces/" + o.namespace
	}
	return p + "/" + plural(o.kind) + "/" + o.name, nil
}

// plural is a kind's resource name: StorageClass -> storageclasses,
// NetworkPolicy -> networkpolicies, Deployment -> deployments.
func plural(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "s"):
		return k + "es"
	case strings.HasSuffix(k, "y"):
		return strings.TrimSuffix(k, "y") + "ies"
	}
	return k + "s"
}

func ptr[T any](v T) *T { return &v }

func manifest(kind, namespace, name, body string) object {
	return object{kind: kind, namespace: namespace, name: name, yaml: strings.TrimSpace(body)}
}
