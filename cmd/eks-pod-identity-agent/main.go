// eks-pod-identity-agent is keks's EKS Pod Identity agent: the DaemonSet of
// the eks-pod-identity-agent add-on runs it on each node with the host's
// network. It serves http://169.254.170.23/v1/credentials to the node's
// pods: a pod's SDK sends its service account token (the file named by
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, which the pod identity webhook
// injected) and gets back container credentials, which the agent obtains
// from EKS Auth's AssumeRoleForPodIdentity with the node's own
// credentials. AWS's agent (github.com/aws/eks-pod-identity-agent) is not
// served by the Go module proxy, so keks has this one; it answers as
// AWS's does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
)

func main() {
	var (
		cluster   = flag.String("cluster-name", "", "the cluster this node belongs to")
		address   = flag.String("address", "169.254.170.23", "the link-local address pods reach the agent at")
		port      = flag.Int("port", 80, "credentials port")
		probePort = flag.Int("probe-port", 2703, "health port (/healthz, /readyz)")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *cluster == "" {
		fmt.Fprintln(os.Stderr, "eks-pod-identity-agent: --cluster-name is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, *cluster, *address, *port, *probePort, log); err != nil {
		log.Error("agent stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cluster, address string, port, probePort int, log *slog.Logger) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load the node's AWS configuration: %w", err)
	}
	placed, err := ensureAddress(address)
	if err != nil {
		return fmt.Errorf("put %s on the node: %w", address, err)
	}
	// The address goes with the agent: a node without it has no agent.
	defer func() {
		if err := placed.remove(); err != nil {
			log.Warn("remove the agent's address", "err", err)
		}
	}()
	agent := &agent{auth: &authClient{cfg: cfg, cluster: cluster}, cache: newCredentialCache(1000), now: time.Now, log: log}
	return agent.serve(ctx, fmt.Sprintf("%s:%d", address, port), fmt.Sprintf(":%d", probePort))
}
