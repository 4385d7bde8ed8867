package main

import (
	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/kmsplugin"
)

func newKMSPluginCommand() *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:    "kms-plugin",
		Short:  "Run a cluster's KMS v2 plugin beside an API server (started by keks server)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return kmsplugin.Serve(cmd.Context(), config, newLogger("info").With("component", "kms-plugin"))
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "configuration file")
	return cmd
}
