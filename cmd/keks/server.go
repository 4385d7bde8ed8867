package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/server"
)

func newServerCommand() *cobra.Command {
	var cfg server.Config
	var etcd, logLevel string
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve the EKS, IAM, STS and EC2 APIs and run clusters",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = newLogger(logLevel)
			if etcd != "" {
				cfg.EtcdEndpoints = strings.Split(etcd, ",")
			}
			return server.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "/var/lib/keks", "where keks keeps its store and cluster files")
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:4577", "host:port of the AWS API endpoint (HTTPS)")
	f.StringVar(&cfg.Region, "region", "us-east-1", "the AWS region keks serves")
	f.StringVar(&etcd, "etcd-endpoints", "", "comma-separated client URLs of an external etcd to keep state in (default: embedded etcd)")
	f.StringVar(&cfg.K8sDir, "k8s-dir", defaultK8sDir(), "directory of Kubernetes builds")
	f.StringVar(&cfg.Profile, "profile", "keks", "AWS CLI profile to write (empty: none)")
	f.BoolVar(&cfg.TrustCA, "trust-ca", true, "add keks's CA to the system trust store (update-ca-certificates), so every client trusts the endpoint")
	f.StringVar(&cfg.DemoCluster, "demo-cluster", "", "create this cluster if missing and add it to the kubeconfig once ACTIVE")
	f.StringVar(&cfg.Kubeconfig, "kubeconfig", "", "kubeconfig for the demo cluster's context (default: $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
