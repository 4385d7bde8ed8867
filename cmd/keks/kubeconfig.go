package main

import (
	"encoding/base64"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/client"
	"github.com/keksdev/keks/internal/kubeconfig"
)

func newUpdateKubeconfigCommand() *cobra.Command {
	var profile, name, kubeconfigPath, alias string
	cmd := &cobra.Command{
		Use:   "update-kubeconfig",
		Short: "Write a kubeconfig entry for a cluster, as `aws eks update-kubeconfig` does, using keks get-token",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return fmt.Errorf("--name is required")
			}
			c, err := client.New(profile)
			if err != nil {
				return err
			}
			out, err := eks.NewFromConfig(c.Config).DescribeCluster(cmd.Context(), &eks.DescribeClusterInput{Name: aws.String(name)})
			if err != nil {
				return err
			}
			cl := out.Cluster
			if st := string(cl.Status); st != "ACTIVE" && st != "UPDATING" {
				return fmt.Errorf("cluster %s is %s; it must be ACTIVE", name, st)
			}
			ca, err := base64.StdEncoding.DecodeString(aws.ToString(cl.CertificateAuthority.Data))
			if err != nil {
				return fmt.Errorf("cluster CA: %w", err)
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			path, err := kubeconfig.Write(kubeconfigPath, kubeconfig.Entry{
				ARN: aws.ToString(cl.Arn), Endpoint: aws.ToString(cl.Endpoint), CAPEM: ca, Alias: alias,
				Command: exe, Args: []string{"get-token", "--cluster-name", name, "--profile", profile},
			})
			if err != nil {
				return err
			}
			ctxName := alias
			if ctxName == "" {
				ctxName = aws.ToString(cl.Arn)
			}
			fmt.Printf("Added new context %s to %s\n", ctxName, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "keks", "AWS CLI profile keks server wrote")
	cmd.Flags().StringVar(&name, "name", "", "cluster name")
	cmd.Flags().StringVar(&kubeconfigPath, "kubeconfig", "", "kubeconfig file to write (default: $KUBECONFIG or ~/.kube/config)")
	cmd.Flags().StringVar(&alias, "alias", "", "context name (default: the cluster ARN)")
	return cmd
}
