package insights

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// KubeSource reads a cluster through keks's admin client of it.
type KubeSource struct {
	Client func(clusterUID string) (kubernetes.Interface, error)
	// APIServers, if set, is an admin configuration per API server: each
	// counts its own requests, so each is scraped. nil scrapes the one
	// Client reaches (Refresh remembers what any scrape saw).
	APIServers func(ctx context.Context, clusterUID string) ([]*rest.Config, error)
}

// DeprecatedAPIs scrapes /metrics of the cluster's API servers and returns
// the union of what they report; it fails only when no server answers.
func (k KubeSource) DeprecatedAPIs(ctx context.Context, clusterUID string) ([]DeprecatedUse, error) {
	if k.APIServers == nil {
		cs, err := k.Client(clusterUID)
		if err != nil {
			return nil, err
		}
		return scrape(ctx, cs.CoreV1().RESTClient())
	}
	configs, err := k.APIServers(ctx, clusterUID)
	if err != nil {
		return nil, err
	}
	seen := map[DeprecatedUse]bool{}
	var out []DeprecatedUse
	var errs []error
	for _, rc := range configs {
		uses, err := scrapeWith(ctx, rc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rc.Host, err))
			continue
		}
		for _, u := range uses {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	if len(errs) == len(configs) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// scrapeWith reads one API server's metrics over a client of its own,
// closed after: refreshes are minutes apart.
func scrapeWith(ctx context.Context, rc *rest.Config) ([]DeprecatedUse, error) {
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, err
	}
	defer hc.CloseIdleConnections()
	cs, err := kubernetes.NewForConfigAndClient(rc, hc)
	if err != nil {
		return nil, err
	}
	return scrape(ctx, cs.CoreV1().RESTClient())
}

func scrape(ctx context.Context, c rest.Interface) ([]DeprecatedUse, error) {
	page, err := c.Get().AbsPath("/metrics").DoRaw(ctx)
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
