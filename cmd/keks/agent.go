package main

import (
	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/agents/agent"
)

func newAgentCommand() *cobra.Command {
	var cfg agent.Config
	var logLevel string
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Join this host to a keks server and report its capacity (the first run needs a token from `keks agent-token create`)",
		Long: "keks agent joins this host to a keks server: the first run trusts the server only if its CA's key has the\n" +
			"--ca-cert-hash given, sends a certificate request with the one-time --token and keeps the certificate keks\n" +
			"signs in --data-dir. Later runs need no token. It then reports the host's CPUs, memory and addresses every\n" +
			"10 s. Nothing runs on agents yet.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = newLogger(logLevel).With("component", "agent")
			cfg.Version = "dev"
			return agent.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Server, "server", "", "the keks agents listener, https://host:port (keks server --agents-listen)")
	f.StringVar(&cfg.Token, "token", "", "first run: the one-time join token")
	f.StringVar(&cfg.CACertHash, "ca-cert-hash", "", "first run: sha256:<hex> of keks's CA public key, which the server must present")
	f.StringVar(&cfg.Zone, "zone", "", "first run: this host's availability zone (e.g. us-east-1a)")
	f.StringVar(&cfg.DataDir, "data-dir", "/var/lib/keks-agent", "where the agent keeps its key and certificates")
	f.StringSliceVar(&cfg.Addresses, "address", nil, "this host's address (repeatable; default: the one it reaches the server from)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}
