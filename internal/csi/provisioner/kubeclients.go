package provisioner

import (
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeClients are the API clients the sidecar uses.
type kubeClients struct {
	kube kubernetes.Interface
	// leaderElection has its own rate limiter: lease renewals must not
	// queue behind a busy controller's calls.
	leaderElection kubernetes.Interface
	dynamic        dynamic.Interface
}

// restConfig is --kubeconfig (or $KUBECONFIG) and --master if given, else
// the pod's service account, with --kube-api-qps and --kube-api-burst.
func restConfig(o *options) (*rest.Config, error) {
	kubeconfig := o.kubeconfig
	if env := os.Getenv("KUBECONFIG"); env != "" {
		kubeconfig = env // as upstream: the environment wins, for local debugging
	}
	var (
		config *rest.Config
		err    error
	)
	if o.master != "" || kubeconfig != "" {
		config, err = clientcmd.BuildConfigFromFlags(o.master, kubeconfig)
	} else {
		config, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("build the Kubernetes client configuration: %w", err)
	}
	config.QPS = float32(o.kubeAPIQPS)
	config.Burst = o.kubeAPIBurst
	return config, nil
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
