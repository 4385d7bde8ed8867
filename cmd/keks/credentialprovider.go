package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/client"
	"github.com/keksdev/keks/internal/credentialprovider"
)

func newCredentialProviderCommand() *cobra.Command {
	var profile, endpoint string
	cmd := &cobra.Command{
		Use:   "ecr-credential-provider",
		Short: "Answer a kubelet's image credential provider request with a login to keks's registry, as EKS nodes' ecr-credential-provider does for ECR",
		Long: "Reads a CredentialProviderRequest (credentialprovider.kubelet.k8s.io/v1) on stdin and writes the response on stdout:\n" +
			"the registry login that ecr get-authorization-token gives the profile's principal (on a node, its role).",
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			if endpoint != "" {
				c.Config.BaseEndpoint = &endpoint
			}
			return credentialprovider.Serve(cmd.Context(), os.Stdin, os.Stdout, c.RegistryLogin, time.Now())
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "keks", "AWS CLI profile whose principal logs in")
	cmd.Flags().StringVar(&endpoint, "endpoint-url", "", "keks's AWS API as the caller reaches it, in place of the profile's (a node reaches it at the registry address)")
	return cmd
}
