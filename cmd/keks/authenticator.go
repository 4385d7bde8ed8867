package main

import (
	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/authn"
)

func newAuthenticatorCommand() *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:    "authenticator",
		Short:  "Run a cluster's IAM authenticator beside an API server (started by keks server)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return authn.Serve(cmd.Context(), config, newLogger("info").With("component", "authenticator"))
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "configuration file")
	return cmd
}
