package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/keksdev/keks/internal/controlplane"
	"github.com/keksdev/keks/internal/egress"
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
	if host := egressHost(cfg); host != "" {
		k.EgressProxy = "https://" + net.JoinHostPort(host, egress.Port)
	}
	return k, nil
}

// egressHost is where keks serves the egress proxy: the registry's
// address, which instances and the management cluster's pods reach. None
// without a registry address.
func egressHost(cfg Config) string {
	host, _, err := net.SplitHostPort(cfg.RegistryAddress)
	if err != nil {
		return ""
	}
	return host
}

// serveEgress serves the egress proxy of the kubernetes runtime's API
// servers on host (the registry's address, already on this host).
func serveEgress(host string, cert tls.Certificate, cp *controlplane.Controller, serveErr chan<- error, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, egress.Port))
	if err != nil {
		return nil, fmt.Errorf("listen for the egress proxy: %w", err)
	}
	p := &egress.Proxy{Targets: cp.EgressTargets, Log: log.With("component", "egress")}
	// HTTP/1.1 only: a CONNECT takes its connection over (Hijack).
	srv := &http.Server{Handler: p, TLSConfig: p.TLSConfig(cert), TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { serveErr <- srv.ServeTLS(ln, "", "") }()
	return srv, nil
}
