package podidentity

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/amazon-eks-pod-identity-webhook/pkg/cache"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Port is where the webhook listens, EKS's port for it.
const Port = "23443"

// User is the Kubernetes user the webhooks read service accounts as; the
// cluster's RBAC (internal/addons) lets it.
const User = "eks:pod-identity-mutating-webhook"

// URL is where a cluster's API servers call the webhook: the cluster's
// endpoint, which balances over the webhooks beside both API servers.
func URL(endpointAddress string) string {
	return "https://" + net.JoinHostPort(endpointAddress, Port) + "/mutate"
}

// Config is the webhook's part of the authenticator's configuration.
type Config struct {
	Listen     string `json:"listen"`
	Kubeconfig string `json:"kubeconfig"` // reads service accounts from the API server beside it
	Region     string `json:"region"`
	// Endpoint is keks's AWS API as pods reach it; CAFile the CA its
	// certificate chains to.
	Endpoint string `json:"endpoint"`
	CAFile   string `json:"caFile"`
	// Associations is the file of Pod Identity associations (upstream's
	// {"identities":[{"namespace","serviceAccount"}]}), kept current by keks.
	Associations string `json:"associations,omitempty"`
}

// What EKS's webhook runs with: the annotation prefix, the audience of IRSA
// tokens, regional STS endpoints and day-long tokens unless a service
// account asks otherwise.
const (
	annotationPrefix = "eks.amazonaws.com"
	irsaAudience     = "sts.amazonaws.com"
	tokenExpiration  = 86400
	resyncPeriod     = time.Minute
)

// Handler is the webhook's HTTP handler (POST /mutate, GET /healthz), for
// the authenticator beside the API server to serve; its service-account
// informer and associations watcher run until ctx ends.
func Handler(ctx context.Context, cfg Config, log *slog.Logger) (http.Handler, error) {
	ca, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read the AWS endpoint's CA: %w", err)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("load the webhook's kubeconfig: %w", err)
	}
	rc.UserAgent = "keks-pod-identity-webhook"
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	factory := informers.NewSharedInformerFactory(cs, resyncPeriod)
	sas := factory.Core().V1().ServiceAccounts()
	if err := sas.Informer().SetTransform(stripServiceAccount); err != nil {
		return nil, err
	}
	saCache := cache.New(irsaAudience, annotationPrefix, true, tokenExpiration, sas, nil, cache.ComposeRoleArn{}, cs.CoreV1())
	stop := make(chan struct{})
	go func() { <-ctx.Done(); close(stop) }()
	factory.Start(stop)
	saCache.Start(stop)

	modifier, identities := NewModifier(saCache, cfg.Region)
	if cfg.Associations != "" {
		// Upstream's watcher loads the file at once, then on each change,
		// until ctx ends.
		if err := identities.StartWatcher(ctx, cfg.Associations); err != nil {
			log.Warn("pod identity associations not watched", "err", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("POST /mutate", &Mutator{Modifier: modifier, Endpoint: cfg.Endpoint, CA: string(ca)})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	return mux, nil
}

// stripServiceAccount keeps of a service account only what the webhook
// reads, so that a cluster's many service accounts cost little memory.
func stripServiceAccount(obj any) (any, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return obj, nil
	}
	var keep map[string]string
	for k, v := range m.GetAnnotations() {
		if strings.HasPrefix(k, annotationPrefix+"/") {
			if keep == nil {
				keep = map[string]string{}
			}
			keep[k] = v
		}
	}
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(),
		ResourceVersion: m.GetResourceVersion(), Annotations: keep}}, nil
}

// Identity is a service account with a Pod Identity association.
type Identity struct {
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
}
