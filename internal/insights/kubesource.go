package insights

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// KubeSource reads a cluster through keks's admin client of it.
type KubeSource struct {
	Client func(clusterUID string) (kubernetes.Interface, error)
}

// DeprecatedAPIs scrapes /metrics of the API server the client reaches. An
// HA control plane's servers each count their own requests; successive
// refreshes reach different ones, and Refresh remembers what any of them
// reported.
func (k KubeSource) DeprecatedAPIs(ctx context.Context, clusterUID string) ([]DeprecatedUse, error) {
	cs, err := k.Client(clusterUID)
	if err != nil {
		return nil, err
	}
	page, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the API server's metrics: %w", err)
	}
	return ParseDeprecatedAPIs(page), nil
}

// Nodes lists the cluster's nodes with their kubelets' versions.
func (k KubeSource) Nodes(ctx context.Context, clusterUID string) ([]Node, error) {
	cs, err := k.Client(clusterUID)
	if err != nil {
		return nil, err
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	out := make([]Node, 0, len(list.Items))
	for _, n := range list.Items {
		out = append(out, Node{Name: n.Name, KubeletVersion: n.Status.NodeInfo.KubeletVersion})
	}
	return out, nil
}
