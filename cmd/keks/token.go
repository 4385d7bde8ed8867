package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/client"
)

func newGetTokenCommand() *cobra.Command {
	var profile, name string
	cmd := &cobra.Command{
		Use:   "get-token",
		Short: "Print an ExecCredential with an EKS token for a cluster, as `aws eks get-token` does",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return fmt.Errorf("--cluster-name is required")
			}
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			token, exp, err := c.Token(cmd.Context(), name)
			if err != nil {
				return err
			}
			apiVersion := "client.authentication.k8s.io/v1beta1"
			var info struct {
				APIVersion string `json:"apiVersion"`
			}
			if env := os.Getenv("KUBERNETES_EXEC_INFO"); env != "" && json.Unmarshal([]byte(env), &info) == nil &&
				(info.APIVersion == "client.authentication.k8s.io/v1" || info.APIVersion == "client.authentication.k8s.io/v1beta1") {
				apiVersion = info.APIVersion
			}
			return json.NewEncoder(os.Stdout).Encode(map[string]any{
				"kind": "ExecCredential", "apiVersion": apiVersion, "spec": map[string]any{},
				"status": map[string]string{"expirationTimestamp": exp.UTC().Format(time.RFC3339), "token": token},
			})
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "keks", "AWS CLI profile keks server wrote")
	cmd.Flags().StringVar(&name, "cluster-name", "", "cluster name")
	return cmd
}
