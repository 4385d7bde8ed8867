package ec2api

import (
	"context"
	"log/slog"

	"github.com/keksdev/keks/internal/ec2"
)

// nodeConfigOf is what an instance's user data tells its kubelet: nodeadm's
// NodeConfig (AL2023), or for AL2's bootstrap.sh just the cluster. EC2 does
// not read user data, so a malformed NodeConfig fails no launch: it gives
// the node nothing, and keks says so in its log.
func nodeConfigOf(ctx context.Context, userData string) ec2.NodeConfig {
	cfg, ok, err := ec2.ParseNodeConfig(userData)
	if err != nil {
		slog.WarnContext(ctx, "user data: a NodeConfig keks cannot read; the node gets none of its labels or taints", "err", err)
		cfg = ec2.NodeConfig{Cluster: cfg.Cluster}
	}
	if !ok || cfg.Cluster == "" {
		cfg.Cluster = clusterFromUserData(userData)
	}
	return cfg
}
