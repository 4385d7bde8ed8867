package server

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/keksdev/keks/internal/controlplane"
)

// kubernetesRuntimeConfig reads the management cluster's kubeconfig when
// control planes run there; the flags mean nothing otherwise.
func kubernetesRuntimeConfig(cfg Config) (controlplane.KubernetesConfig, error) {
	k := controlplane.KubernetesConfig{Images: cfg.ControlPlaneImages, ImagesCAFile: cfg.ControlPlaneImagesCA, StorageClass: cfg.ControlPlaneStorageClass}
	if cfg.ControlPlaneRuntime != controlplane.RuntimeKubernetes {
		return k, nil
	}
	if cfg.ManagementKubeconfig == "" {
		return k, fmt.Errorf("--control-plane-runtime=%s needs --management-kubeconfig: the cluster the control planes run in", controlplane.RuntimeKubernetes)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.ManagementKubeconfig)
	if err != nil {
		return k, fmt.Errorf("management cluster kubeconfig %s: %w", cfg.ManagementKubeconfig, err)
	}
	k.Management = rc
	if k.Images == "" && cfg.RegistryAddress != "" {
		// keks's own registry, for a management cluster that reaches it and trusts keks's CA.
		k.Images = cfg.RegistryAddress + "/keks/control-plane"
	}
	return k, nil
}
