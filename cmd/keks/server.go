package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/keksdev/keks/internal/imds"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keksdev/keks/internal/controlplane"
	"github.com/keksdev/keks/internal/hostslot"
	"github.com/keksdev/keks/internal/server"
)

func newServerCommand() *cobra.Command {
	var cfg server.Config
	var etcd, logLevel, etcdCA, etcdCert, etcdKey string
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve the EKS, IAM, STS and EC2 APIs and run clusters",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = newLogger(logLevel)
			if etcd == "" && (etcdCA != "" || etcdCert != "" || etcdKey != "") {
				return fmt.Errorf("--store-cacert, --store-cert and --store-key are for an external store (--etcd-endpoints); the embedded store makes its own in the data directory")
			}
			if etcd != "" {
				cfg.EtcdEndpoints = strings.Split(etcd, ",")
				tlsCfg, err := storeTLS(etcdCA, etcdCert, etcdKey)
				if err != nil {
					return err
				}
				cfg.EtcdTLS = tlsCfg
			}
			if err := controlplane.CheckRuntime(cfg.ControlPlaneRuntime); err != nil {
				return err
			}
			if err := useSlot(cmd.Flags(), &cfg); err != nil {
				return err
			}
			if err := checkAdvertise(&cfg); err != nil {
				return err
			}
			return server.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "/var/lib/keks", "where keks keeps its store and cluster files")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:4577", "host:port of the AWS API endpoint (HTTPS)")
	f.StringVar(&cfg.Region, "region", "us-east-1", "the AWS region keks serves")
	f.StringVar(&etcd, "etcd-endpoints", "", "comma-separated client URLs of an external etcd to keep state in (default: embedded etcd)")
	f.StringVar(&etcdCA, "store-cacert", "", "CA bundle that verifies the external store's etcd (default: the system's)")
	f.StringVar(&etcdCert, "store-cert", "", "client certificate for the external store's etcd (with --store-key)")
	f.StringVar(&etcdKey, "store-key", "", "client key for the external store's etcd (with --store-cert)")
	// The names before --store-*, kept so that existing command lines work.
	f.StringVar(&etcdCA, "etcd-cafile", "", "")
	f.StringVar(&etcdCert, "etcd-certfile", "", "")
	f.StringVar(&etcdKey, "etcd-keyfile", "", "")
	_ = f.MarkDeprecated("etcd-cafile", "use --store-cacert")
	_ = f.MarkDeprecated("etcd-certfile", "use --store-cert")
	_ = f.MarkDeprecated("etcd-keyfile", "use --store-key")
	f.StringVar(&cfg.AdvertiseAddress, "advertise-address", "", "with --etcd-endpoints: host:port where the other keks replicas reach this one's --listen address, to forward to it while it leads (default: --listen)")
	f.StringVar(&cfg.AgentsListen, "agents-listen", "", "host:port where agents on other hosts join and report (HTTPS, mutual TLS after the join; e.g. 0.0.0.0:4578); empty serves none")
	f.StringVar(&cfg.K8sDir, "k8s-dir", defaultK8sDir(), "directory of Kubernetes builds")
	f.StringVar(&cfg.Profile, "profile", "keks", "AWS CLI profile to write (empty: none)")
	f.BoolVar(&cfg.TrustCA, "trust-ca", true, "add keks's CA to the system trust store (update-ca-certificates), so every client trusts the endpoint; false removes the one an earlier start added")
	f.StringVar(&cfg.DemoCluster, "demo-cluster", "", "create this cluster if missing and add it to the kubeconfig once ACTIVE")
	f.StringVar(&cfg.RegistryAddress, "registry-address", "198.19.255.254:443", "host address:port of the image registry, which nodes and the host reach; empty serves none")
	f.StringVar(&cfg.MetadataAddress, "metadata-address", imds.DefaultAddress, "host address:port of the instance metadata service, to which instances' 169.254.169.254:80 is sent; empty serves none")
	f.StringVar(&cfg.IdentityProviderCAFile, "identity-provider-ca-file", "", "CAs the clusters' API servers also trust the issuers of OIDC identity provider configs with (EKS trusts public CAs only; an issuer on this network may need its own)")
	f.StringVar(&cfg.ControlPlaneRuntime, "control-plane-runtime", controlplane.RuntimeHost, "what runs new clusters' control planes: host (processes on this host) or kubernetes (pods in the --management-kubeconfig cluster); a cluster keeps the runtime it was made on")
	f.StringVar(&cfg.ManagementKubeconfig, "management-kubeconfig", "", "with --control-plane-runtime=kubernetes: kubeconfig of the cluster that runs the control planes, one namespace each")
	f.StringVar(&cfg.ControlPlaneImages, "control-plane-images", "", "with --control-plane-runtime=kubernetes: repository (registry/path) keks pushes its control-plane images to, with the credentials of the Docker config (DOCKER_CONFIG), for the management cluster to pull (default: keks's own registry, <registry-address>/keks/control-plane)")
	f.StringVar(&cfg.ControlPlaneImagesCA, "control-plane-images-ca", "", "CA bundle that verifies the --control-plane-images registry, beside the system's and keks's own")
	f.StringVar(&cfg.ControlPlaneStorageClass, "control-plane-storage-class", "", "StorageClass of the etcd members' volumes in the management cluster (default: its default class)")
	f.StringVar(&cfg.Kubeconfig, "kubeconfig", "", "kubeconfig for the demo cluster's context (default: $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.BoolVar(&cfg.InstallPrerequisites, "install-prerequisites", true, "install what the host lacks for nodes (CNI plugins, iptables, libseccomp-dev to build runc...) with apt-get when run as root")
	f.DurationVar(&cfg.EvictionDeadline, "nodegroup-eviction-timeout", 0, "how long a node group update waits for a refused drain before failing with PodEvictionFailure (default: EKS's 15 minutes)")
	_ = f.MarkHidden("nodegroup-eviction-timeout") // EKS has no such setting; tests shorten it
	f.Float64Var(&cfg.ControlPlaneScaling.RequestsPerAPIServer, "control-plane-requests-per-api-server", controlplane.DefaultScalingPolicy.RequestsPerAPIServer, "requests per second one standard API server is given before the control plane adds another (a scaling tier's API server is given more, in proportion to its seats)")
	f.DurationVar(&cfg.ControlPlaneScaling.ScaleDownWindow, "control-plane-scale-down-window", controlplane.DefaultScalingPolicy.ScaleDownWindow, "how long the load must have wanted fewer API servers before the control plane removes them")
	f.DurationVar(&cfg.ClockOffset, "clock-offset", 0, "FOR TESTS AND DEMOS ONLY: shift the clock of EKS's version lifecycle by this much (e.g. 8760h, or negative) to see versions leave support and clusters upgraded automatically; signatures, tokens, credentials and records' timestamps stay on the real clock")
	_ = f.MarkHidden("clock-offset") // EKS has no such setting
	return cmd
}

// useSlot claims the data directory's host slot and moves into its network
// namespace (re-running this command there), then derives from the slot
// every address not given by a flag: two servers with different data
// directories share the host without sharing an address.
func useSlot(f *pflag.FlagSet, cfg *server.Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	slot, err := hostslot.Claim(hostslot.DefaultRegistry, dataDir)
	if err != nil {
		return err
	}
	if err := slot.Enter(hostslot.DefaultRegistry); err != nil { // returns only once inside
		return err
	}
	cfg.Slot, cfg.SlotRegistry = slot, hostslot.DefaultRegistry
	if !f.Changed("registry-address") {
		cfg.RegistryAddress = netip.AddrPortFrom(slot.RegistryAddress(), 443).String()
	}
	if !f.Changed("metadata-address") {
		cfg.MetadataAddress = netip.AddrPortFrom(slot.MetadataAddress(), 80).String()
	}
	if !f.Changed("profile") && slot != 0 {
		cfg.Profile = slot.Namespace()
	}
	cfg.Listen = slot.ListenAddress(cfg.Listen)
	return nil
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// storeTLS is the TLS configuration for an external store, as etcdctl's
// --cacert, --cert and --key make it.
func storeTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("--store-cert and --store-key go together")
	}
	if caFile == "" && certFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--store-cacert: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--store-cacert %s holds no certificate", caFile)
		}
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--store-cert/--store-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// checkAdvertise makes sure a replica (a server on an external store) names
// an address the others can forward to.
func checkAdvertise(cfg *server.Config) error {
	if cfg.AdvertiseAddress != "" && len(cfg.EtcdEndpoints) == 0 {
		return fmt.Errorf("--advertise-address is for replicas on an external store (--etcd-endpoints)")
	}
	if len(cfg.EtcdEndpoints) == 0 || cfg.AdvertiseAddress != "" {
		return nil
	}
	ap, err := netip.ParseAddrPort(cfg.Listen)
	if err == nil && ap.Addr().IsUnspecified() {
		return fmt.Errorf("--listen %s names no address the other replicas can reach: give --advertise-address", cfg.Listen)
	}
	cfg.AdvertiseAddress = cfg.Listen
	return nil
}
