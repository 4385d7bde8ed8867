package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
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
			cl, err := describeCluster(cmd.Context(), profile, name)
			if err != nil {
				return err
			}
			if st := string(cl.Status); st != "ACTIVE" && st != "UPDATING" {
				return fmt.Errorf("cluster %s is %s; it must be ACTIVE", name, st)
			}
			path, err := writeClusterKubeconfig(kubeconfigPath, alias, profile, cl)
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

// describeCluster asks keks's EKS API for a cluster, as the profile's caller.
func describeCluster(ctx context.Context, profile, name string) (*ekstypes.Cluster, error) {
	c, err := client.New(profile)
	if err != nil {
		return nil, err
	}
	out, err := eks.NewFromConfig(c.Config).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return nil, err
	}
	return out.Cluster, nil
}

// writeClusterKubeconfig adds a context for the cluster to the kubeconfig at
// path (empty: $KUBECONFIG or ~/.kube/config) that authenticates with
// `keks get-token` as the profile's caller, and returns the file written.
func writeClusterKubeconfig(path, alias, profile string, cl *ekstypes.Cluster) (string, error) {
	ca, err := base64.StdEncoding.DecodeString(aws.ToString(cl.CertificateAuthority.Data))
	if err != nil {
		return "", fmt.Errorf("cluster CA: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return kubeconfig.Write(path, kubeconfig.Entry{
		ARN: aws.ToString(cl.Arn), Endpoint: aws.ToString(cl.Endpoint), CAPEM: ca, Alias: alias,
		Command: exe, Args: []string{"get-token", "--cluster-name", aws.ToString(cl.Name), "--profile", profile},
	})
}
