package main

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keksdev/keks/internal/agents/agent"
	"github.com/keksdev/keks/internal/hostslot"
	"github.com/keksdev/keks/internal/imds"
)

func newAgentCommand() *cobra.Command {
	var cfg agent.Config
	var logLevel string
	var cleanup bool
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Join this host to a keks server, report its capacity and run the instances keks assigns it (the first run needs a token from `keks agent-token create`)",
		Long: "keks agent joins this host to a keks server: the first run trusts the server only if its CA's key has the\n" +
			"--ca-cert-hash given, sends a certificate request with the one-time --token and keeps the certificate keks\n" +
			"signs in --data-dir. Later runs need no token. It then reports the host's CPUs, memory and addresses every\n" +
			"10 s, and runs the instances (nodes) keks assigns the host: each in a sandbox as on keks's own host, with\n" +
			"the Kubernetes builds of --k8s-dir (keks build-kubernetes <version> --k8s-dir DIR makes them) under\n" +
			"--data-dir/instances, the host's NAT for their subnets and pods, and their metadata requests proxied to keks\n" +
			"from --metadata-address. It runs as root. Instances keep running when the agent stops; it adopts them again\n" +
			"when it starts. Not yet: instances on different hosts do not reach each other's pods, the API server does not\n" +
			"reach their kubelets (logs, exec), EBS volumes attach and security groups apply only on keks's own host.\n",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = newLogger(logLevel).With("component", "agent")
			cfg.Version = "dev"
			slot, err := useAgentSlot(cmd.Flags(), &cfg)
			if err != nil {
				return err
			}
			if cleanup {
				if err := agent.Cleanup(cmd.Context(), cfg); err != nil {
					return err
				}
				// Nothing of the agent runs here any more: the slot's
				// namespace goes once this process is gone.
				return slot.Free(hostslot.DefaultRegistry)
			}
			return agent.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Server, "server", "", "the keks agents listener, https://host:port (keks server --agents-listen)")
	f.StringVar(&cfg.Token, "token", "", "first run: the one-time join token")
	f.StringVar(&cfg.CACertHash, "ca-cert-hash", "", "first run: sha256:<hex> of keks's CA public key, which the server must present")
	f.StringVar(&cfg.Zone, "zone", "", "first run: this host's availability zone (e.g. us-east-1a)")
	f.StringVar(&cfg.DataDir, "data-dir", "/var/lib/keks-agent", "where the agent keeps its key, certificates and instances")
	f.StringSliceVar(&cfg.Addresses, "address", nil, "this host's address (repeatable; default: the one it reaches the server from)")
	f.StringVar(&cfg.K8sDir, "k8s-dir", defaultK8sDir(), "directory of Kubernetes builds the instances run (as keks server's --k8s-dir)")
	f.StringVar(&cfg.MetadataAddress, "metadata-address", imds.DefaultAddress, "host:port where the agent answers its instances' metadata requests (forwarded to keks); the host redirects 169.254.169.254:80 there")
	f.BoolVar(&cleanup, "cleanup", false, "delete every instance this agent runs here, their subnet bridges and the host's rules for them, and its volumes' links and loop devices (their bytes stay in --data-dir, for the next run to return or attach again), then exit (the host stays joined; instances keks still assigns come back on the next run)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

// useAgentSlot gives the agent a host slot of its own, as a server has
// (useSlot): alone on its host it runs in the host's network namespace; on
// a host where a keks server or another agent runs, in a namespace of its
// own joined to the host by a link, so that their subnet bridges, NAT
// chains and metadata addresses do not meet. Two agents on one machine
// then stand for two hosts.
func useAgentSlot(f *pflag.FlagSet, cfg *agent.Config) (hostslot.Slot, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return 0, fmt.Errorf("create data dir: %w", err)
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return 0, err
	}
	cfg.DataDir = dataDir
	slot, err := hostslot.Claim(hostslot.DefaultRegistry, dataDir)
	if err != nil {
		return 0, err
	}
	if err := slot.Enter(hostslot.DefaultRegistry); err != nil { // returns only once inside
		return 0, err
	}
	if !f.Changed("metadata-address") {
		cfg.MetadataAddress = netip.AddrPortFrom(slot.MetadataAddress(), 80).String()
	}
	return slot, nil
}
