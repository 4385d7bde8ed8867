package sidecar

import (
	"flag"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// KubeFlags say how a sidecar reaches the API server, under the names and
// defaults upstream's controller sidecars share.
type KubeFlags struct {
	Kubeconfig string
	Master     string
	QPS        float64
	Burst      int
}

// Register adds the flags to fs with upstream's defaults.
func (f *KubeFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Kubeconfig, "kubeconfig", "", "Absolute path to the kubeconfig file. Required only when running out of cluster.")
	fs.StringVar(&f.Master, "master", "", "Master URL to build a client config from.")
	fs.Float64Var(&f.QPS, "kube-api-qps", 5, "QPS to use while communicating with the kubernetes apiserver.")
	fs.IntVar(&f.Burst, "kube-api-burst", 10, "Burst to use while communicating with the kubernetes apiserver.")
}

// RESTConfig is --kubeconfig and --master if either is given, else the
// pod's service account, throttled to --kube-api-qps and --kube-api-burst.
func (f KubeFlags) RESTConfig() (*rest.Config, error) {
	var (
		config *rest.Config
		err    error
	)
	if f.Master != "" || f.Kubeconfig != "" {
		config, err = clientcmd.BuildConfigFromFlags(f.Master, f.Kubeconfig)
	} else {
		config, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("build the Kubernetes client configuration: %w", err)
	}
	config.QPS = float32(f.QPS)
	config.Burst = f.Burst
	return config, nil
}
