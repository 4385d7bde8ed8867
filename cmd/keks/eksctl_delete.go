package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/eksctl"
)

func newDeleteClusterCommand() *cobra.Command {
	var common eksctlCommon
	var name, configFile string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Delete a cluster and everything eksctl made for it (eksctl delete cluster)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if name != "" && name != args[0] {
					return fmt.Errorf("--name=%s and argument %s cannot be used at the same time", name, args[0])
				}
				name = args[0]
			}
			if configFile != "" {
				cfg, err := loadConfigFile(configFile, common.region, name)
				if err != nil {
					return err
				}
				name = cfg.Metadata.Name
				if common.region == "" {
					common.region = cfg.Metadata.Region
				}
			}
			if name == "" {
				return fmt.Errorf("--name must be set")
			}
			m, region, err := common.manager()
			if err != nil {
				return err
			}
			ctx, cancel := withTimeout(cmd.Context(), timeout)
			defer cancel()
			return m.DeleteCluster(ctx, name, region, wait)
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	fs.StringVarP(&name, "name", "n", "", "EKS cluster name")
	fs.StringVarP(&configFile, "config-file", "f", "", "load configuration from a file")
	fs.BoolVarP(&wait, "wait", "w", false, "wait for deletion of all resources before exiting")
	addTimeoutFlag(fs, &timeout, 40*time.Minute)
	return cmd
}

func newDeleteNodeGroupCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name string
	var wait bool
	cmd := &cobra.Command{
		Use:     "nodegroup",
		Aliases: []string{"ng"},
		Short:   "Delete a node group (its stack, or through EKS)",
		Args:    cobra.MaximumNArgs(1),
		RunE: runOnClusterResource(&common, &cluster, &name, func(ctx context.Context, m *eksctl.Manager) error {
			return m.DeleteNodeGroup(ctx, cluster, name, wait)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVarP(&name, "name", "n", "", "name of the nodegroup to delete")
	fs.BoolVarP(&wait, "wait", "w", false, "wait for deletion of all resources before exiting")
	return cmd
}

func newDeleteFargateProfileCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name string
	cmd := &cobra.Command{
		Use:   "fargateprofile",
		Short: "Delete a Fargate profile",
		Args:  cobra.MaximumNArgs(1),
		RunE: runOnClusterResource(&common, &cluster, &name, func(ctx context.Context, m *eksctl.Manager) error {
			return m.DeleteFargateProfile(ctx, cluster, name)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVar(&name, "name", "", "name of the Fargate profile")
	return cmd
}

func newDeleteAddonCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name string
	var wait bool
	cmd := &cobra.Command{
		Use:   "addon",
		Short: "Delete an EKS add-on",
		Args:  cobra.NoArgs,
		RunE: runOnClusterResource(&common, &cluster, &name, func(ctx context.Context, m *eksctl.Manager) error {
			return m.DeleteAddon(ctx, cluster, name, wait)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVar(&name, "name", "", "Add-on name")
	fs.BoolVarP(&wait, "wait", "w", false, "wait for the add-on to be gone")
	return cmd
}

func newDeleteServiceAccountCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name, namespace string
	var wait bool
	cmd := &cobra.Command{
		Use:   "iamserviceaccount",
		Short: "Delete an IAM service account's stack and its Kubernetes service account",
		Args:  cobra.NoArgs,
		RunE: runOnClusterResource(&common, &cluster, &name, func(ctx context.Context, m *eksctl.Manager) error {
			return m.DeleteServiceAccount(ctx, cluster, namespace, name, wait)
		}),
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVar(&name, "name", "", "name of the service account")
	fs.StringVar(&namespace, "namespace", "default", "namespace of the service account")
	fs.BoolVarP(&wait, "wait", "w", false, "wait for the stack to be deleted")
	return cmd
}

func newGetCommands() []*cobra.Command {
	type getter struct {
		use     string
		aliases []string
		short   string
	}
	var out []*cobra.Command
	for _, g := range []getter{
		{"cluster", []string{"clusters"}, "Get clusters (NAME REGION EKSCTL CREATED), or one in detail with --name"},
		{"nodegroup", []string{"nodegroups", "ng"}, "Get a cluster's node groups"},
		{"fargateprofile", []string{"fargateprofiles"}, "Get a cluster's Fargate profiles"},
		{"addon", []string{"addons"}, "Get a cluster's add-ons"},
		{"iamserviceaccount", []string{"iamserviceaccounts"}, "Get a cluster's IAM service accounts"},
	} {
		var common eksctlCommon
		var cluster, name, namespace, output string
		cmd := &cobra.Command{
			Use: g.use, Aliases: g.aliases, Short: g.short, Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if len(args) == 1 {
					name = args[0]
				}
				m, region, err := common.manager()
				if err != nil {
					return err
				}
				if g.use != "cluster" && cluster == "" {
					return fmt.Errorf("--cluster must be set")
				}
				ctx := cmd.Context()
				var listing *eksctl.Listing
				switch g.use {
				case "cluster":
					listing, err = m.GetClusters(ctx, name, region)
				case "nodegroup":
					listing, err = m.GetNodeGroups(ctx, cluster, name)
				case "fargateprofile":
					listing, err = m.GetFargateProfiles(ctx, cluster, name)
				case "addon":
					listing, err = m.GetAddons(ctx, cluster, name)
				default:
					listing, err = m.GetServiceAccounts(ctx, cluster, namespace, name)
				}
				return printListing(listing, err, output)
			},
		}
		fs := cmd.Flags()
		addEksctlCommon(fs, &common)
		if g.use == "cluster" {
			fs.StringVarP(&name, "name", "n", "", "EKS cluster name")
		} else {
			addClusterFlag(fs, &cluster)
			fs.StringVarP(&name, "name", "n", "", "name of the resource")
		}
		if g.use == "iamserviceaccount" {
			fs.StringVar(&namespace, "namespace", "", "namespace of the service accounts")
		}
		fs.StringVarP(&output, "output", "o", "table", "specifies the output format (valid option: table, json, yaml)")
		out = append(out, cmd)
	}
	return out
}
