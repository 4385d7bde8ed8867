package eksctl

import (
	"context"
	"fmt"
	"time"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Kube is what a plan needs of the cluster's Kubernetes API and of the
// user's kubeconfig; keks's CLI provides it with the same code as its
// update-kubeconfig and get-token commands.
type Kube interface {
	// WriteKubeconfig adds the cluster to the kubeconfig and returns the file.
	WriteKubeconfig(cl *ekstypes.Cluster) (string, error)
	// Client is a client of the cluster as the caller.
	Client(ctx context.Context, cl *ekstypes.Cluster) (kubernetes.Interface, error)
	// ForgetKubeconfig removes the cluster's entries from the kubeconfig,
	// reporting whether there were any.
	ForgetKubeconfig(clusterARN string) (bool, error)
}

// managedNodeGroupLabel is the label EKS gives a managed group's nodes.
const managedNodeGroupLabel = "eks.amazonaws.com/nodegroup"

// roleARNAnnotation is the annotation IRSA's webhook reads.
const roleARNAnnotation = "eks.amazonaws.com/role-arn"

// applyServiceAccount creates the service account with the role's
// annotation, or annotates the existing one, as eksctl does.
func applyServiceAccount(ctx context.Context, k kubernetes.Interface, sa *ClusterIAMServiceAcct, roleARN string) error {
	ns := sa.Metadata.Namespace
	if _, err := k.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := k.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %q: %w", ns, err)
		}
	}
	client := k.CoreV1().ServiceAccounts(ns)
	existing, err := client.Get(ctx, sa.Metadata.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		obj := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Name: sa.Metadata.Name, Namespace: ns, Labels: withLabel(sa.Metadata.Labels, "app.kubernetes.io/managed-by", "eksctl"),
			Annotations: withLabel(sa.Metadata.Annotations, roleARNAnnotation, roleARN),
		}}
		_, err = client.Create(ctx, obj, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	existing.Annotations = withLabel(existing.Annotations, roleARNAnnotation, roleARN)
	for k, v := range sa.Metadata.Labels {
		existing.Labels = withLabel(existing.Labels, k, v)
	}
	_, err = client.Update(ctx, existing, metav1.UpdateOptions{})
	return err
}

func deleteServiceAccount(ctx context.Context, k kubernetes.Interface, namespace, name string) error {
	err := k.CoreV1().ServiceAccounts(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func withLabel(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// waitForNodes waits until at least count nodes of the group are Ready,
// printing them as eksctl does.
func waitForNodes(ctx context.Context, log *Logger, k kubernetes.Interface, ng string, count int, poll time.Duration) error {
	if count <= 0 {
		return nil
	}
	log.Info("waiting for at least %d node(s) to become ready in %q", count, ng)
	for {
		nodes, err := k.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: managedNodeGroupLabel + "=" + ng})
		if err == nil {
			ready := 0
			for _, n := range nodes.Items {
				for _, c := range n.Status.Conditions {
					if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
						ready++
					}
				}
			}
			if ready >= count {
				log.Info("nodegroup %q has %d node(s)", ng, len(nodes.Items))
				for _, n := range nodes.Items {
					status := "not ready"
					for _, c := range n.Status.Conditions {
						if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
							status = "ready"
						}
					}
					log.Info("node %q is %s", n.Name, status)
				}
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for at least %d nodes to join the cluster and become ready in %q: %w", count, ng, ctx.Err())
		case <-time.After(poll):
		}
	}
}
