package provisioner

import (
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// kubeClients are the API clients the sidecar uses.
type kubeClients struct {
	kube kubernetes.Interface
	// leaderElection has its own rate limiter: lease renewals must not
	// queue behind a busy controller's calls.
	leaderElection kubernetes.Interface
	dynamic        dynamic.Interface
}

// restConfig is the shared client configuration, except that $KUBECONFIG
// overrides --kubeconfig: upstream's provisioner (alone) lets the
// environment win, for local debugging.
func restConfig(o *options) (*rest.Config, error) {
	flags := o.kube
	if env := os.Getenv("KUBECONFIG"); env != "" {
		flags.Kubeconfig = env
	}
	return flags.RESTConfig()
}

func newKubeClients(config *rest.Config) (kubeClients, error) {
	core := rest.CopyConfig(config)
	core.ContentType = runtime.ContentTypeProtobuf // the built-in types are cheaper so
	kube, err := kubernetes.NewForConfig(core)
	if err != nil {
		return kubeClients{}, fmt.Errorf("create the Kubernetes client: %w", err)
	}
	leader, err := kubernetes.NewForConfig(config)
	if err != nil {
		return kubeClients{}, fmt.Errorf("create the leader election client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return kubeClients{}, fmt.Errorf("create the dynamic client: %w", err)
	}
	return kubeClients{kube: kube, leaderElection: leader, dynamic: dyn}, nil
}
