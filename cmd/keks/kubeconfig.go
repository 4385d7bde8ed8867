package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/keksdev/keks/internal/client"
)

func newUpdateKubeconfigCommand() *cobra.Command {
	var profile, name, kubeconfig, alias string
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
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			if kubeconfig != "" {
				rules.ExplicitPath = kubeconfig
			}
			cfg, err := rules.GetStartingConfig()
			if err != nil {
				return err
			}
			arn := aws.ToString(cl.Arn)
			ctxName := arn
			if alias != "" {
				ctxName = alias
			}
			cfg.Clusters[arn] = &clientcmdapi.Cluster{Server: aws.ToString(cl.Endpoint), CertificateAuthorityData: ca}
			cfg.AuthInfos[arn] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
				APIVersion: "client.authentication.k8s.io/v1beta1", Command: exe,
				Args:            []string{"get-token", "--cluster-name", name, "--profile", profile},
				InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
			}}
			cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: arn, AuthInfo: arn}
			cfg.CurrentContext = ctxName
			path := rules.GetDefaultFilename()
			if kubeconfig != "" {
				path = kubeconfig
			}
			if err := clientcmd.ModifyConfig(rules, *cfg, false); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			fmt.Printf("Added new context %s to %s\n", ctxName, strings.TrimSpace(path))
			return nil
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "keks", "AWS CLI profile keks server wrote")
	cmd.Flags().StringVar(&name, "name", "", "cluster name")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file to write (default: $KUBECONFIG or ~/.kube/config)")
	cmd.Flags().StringVar(&alias, "alias", "", "context name (default: the cluster ARN)")
	return cmd
}
