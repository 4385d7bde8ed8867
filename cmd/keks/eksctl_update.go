package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/eksctl"
)

func newScaleNodeGroupCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name string
	var nodes, nodesMin, nodesMax int
	cmd := &cobra.Command{
		Use:     "nodegroup",
		Aliases: []string{"ng"},
		Short:   "Scale a managed node group (EKS UpdateNodegroupConfig)",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				name = args[0]
			}
			if cluster == "" || name == "" {
				return errClusterAndName
			}
			fs := cmd.Flags()
			if !fs.Changed("nodes") && !fs.Changed("nodes-min") && !fs.Changed("nodes-max") {
				return fmt.Errorf("at least one of minimum, maximum and desired nodes must be set")
			}
			pick := func(flag string, v int) *int32 {
				if !fs.Changed(flag) {
					return nil
				}
				if v < 0 {
					return aws.Int32(-1)
				}
				return aws.Int32(int32(v))
			}
			desired, lo, hi := pick("nodes", nodes), pick("nodes-min", nodesMin), pick("nodes-max", nodesMax)
			for _, p := range []*int32{desired, lo, hi} {
				if p != nil && *p < 0 {
					return fmt.Errorf("node counts must not be negative")
				}
			}
			m, _, err := common.manager()
			if err != nil {
				return err
			}
			return m.ScaleNodeGroup(cmd.Context(), cluster, name, desired, lo, hi)
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVarP(&name, "name", "n", "", "name of the nodegroup to scale")
	fs.IntVarP(&nodes, "nodes", "N", 0, "desired number of nodes")
	fs.IntVarP(&nodesMin, "nodes-min", "m", 0, "minimum number of nodes")
	fs.IntVarP(&nodesMax, "nodes-max", "M", 0, "maximum number of nodes")
	return cmd
}

func newUpgradeClusterCommand() *cobra.Command {
	var common eksctlCommon
	var name, version string
	var approve bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Upgrade a cluster's control plane to the next Kubernetes version",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				return fmt.Errorf("--name must be set")
			}
			m, _, err := common.manager()
			if err != nil {
				return err
			}
			ctx, cancel := withTimeout(cmd.Context(), timeout)
			defer cancel()
			return m.UpgradeCluster(ctx, name, version, approve)
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	fs.StringVarP(&name, "name", "n", "", "EKS cluster name")
	fs.StringVar(&version, "version", "", "Kubernetes version to upgrade to (default: the next one)")
	fs.BoolVar(&approve, "approve", false, "apply the changes")
	addTimeoutFlag(fs, &timeout, 40*time.Minute)
	return cmd
}

func newUpgradeNodeGroupCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name, version string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "nodegroup",
		Short: "Upgrade a managed node group to a Kubernetes version (the cluster's by default)",
		Args:  cobra.NoArgs,
		RunE: runOnClusterResource(&common, &cluster, &name, func(ctx context.Context, m *eksctl.Manager) error {
			ctx, cancel := withTimeout(ctx, timeout)
			defer cancel()
			return m.UpgradeNodeGroup(ctx, cluster, name, version, wait)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVarP(&name, "name", "n", "", "nodegroup name")
	fs.StringVar(&version, "kubernetes-version", "", "Kubernetes version (default: the control plane's)")
	fs.BoolVarP(&wait, "wait", "w", true, "wait for the upgrade to finish")
	addTimeoutFlag(fs, &timeout, 45*time.Minute)
	return cmd
}

func newAssociateOIDCCommand() *cobra.Command {
	var common eksctlCommon
	var cluster string
	var approve bool
	cmd := &cobra.Command{
		Use:   "associate-iam-oidc-provider",
		Short: "Create the IAM OIDC identity provider of a cluster's issuer (for IAM roles for service accounts)",
		Args:  cobra.NoArgs,
		RunE: runOnCluster(&common, &cluster, func(ctx context.Context, m *eksctl.Manager, region string) error {
			if !approve {
				m.Log.Info("will create IAM Open ID Connect provider for cluster %q in %q", cluster, region)
				m.Log.Warning("no changes were applied, run again with '--approve' to apply the changes")
				return nil
			}
			return m.AssociateOIDC(ctx, cluster, region)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.BoolVar(&approve, "approve", false, "apply the changes")
	return cmd
}

func newDescribeStacksCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, output string
	cmd := &cobra.Command{
		Use:   "describe-stacks",
		Short: "Describe the CloudFormation stacks eksctl made for a cluster",
		Args:  cobra.NoArgs,
		RunE: runOnCluster(&common, &cluster, func(ctx context.Context, m *eksctl.Manager, _ string) error {
			l, err := m.DescribeStacks(ctx, cluster)
			return printListing(l, err, output)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVarP(&output, "output", "o", "table", "specifies the output format (valid option: table, json, yaml)")
	return cmd
}

func newUpdateClusterLoggingCommand() *cobra.Command {
	var common eksctlCommon
	var cluster string
	var enable, disable []string
	var approve bool
	cmd := &cobra.Command{
		Use:   "update-cluster-logging",
		Short: "Enable or disable control-plane log types (CloudWatch Logs)",
		Args:  cobra.NoArgs,
		RunE: runOnCluster(&common, &cluster, func(ctx context.Context, m *eksctl.Manager, region string) error {
			return m.UpdateClusterLogging(ctx, cluster, region, enable, disable, approve)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringSliceVar(&enable, "enable-types", nil, "log types to enable (all, api, audit, authenticator, controllerManager, scheduler)")
	fs.StringSliceVar(&disable, "disable-types", nil, "log types to disable")
	fs.BoolVar(&approve, "approve", false, "apply the changes")
	return cmd
}
