package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/keksdev/keks/internal/eksctl"
)

// loadConfigFile reads -f and reconciles it with --region and --cluster.
func loadConfigFile(path, region, cluster string) (*eksctl.ClusterConfig, error) {
	cfg, err := eksctl.LoadFile(path)
	if err != nil {
		return nil, err
	}
	if region != "" && cfg.Metadata.Region != "" && cfg.Metadata.Region != region {
		return nil, fmt.Errorf("--region=%s and metadata.region=%s are in conflict", region, cfg.Metadata.Region)
	}
	if cfg.Metadata.Region == "" {
		cfg.Metadata.Region = region
	}
	if cluster != "" && cfg.Metadata.Name != "" && cluster != cfg.Metadata.Name {
		return nil, fmt.Errorf("--cluster=%s and metadata.name=%s are in conflict", cluster, cfg.Metadata.Name)
	}
	if cfg.Metadata.Name == "" {
		cfg.Metadata.Name = cluster
	}
	return cfg, nil
}

func newCreateClusterCommand() *cobra.Command {
	var common eksctlCommon
	var flags eksctl.ClusterFlags
	var configFile string
	var dryRun, writeKubeconfig bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Create a cluster (eksctl create cluster): a CloudFormation stack for the cluster and one per managed node group",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg *eksctl.ClusterConfig
			var err error
			// Refused before anything is asked of a server, so that the
			// reason is what the user reads.
			if !flags.Managed {
				return eksctl.ErrUnmanagedNodeGroups
			}
			if configFile != "" {
				if err := eksctl.CheckConfigFileFlags(cmd.Flags()); err != nil {
					return err
				}
				if cfg, err = loadConfigFile(configFile, common.region, ""); err != nil {
					return err
				}
				// The file's region is where the calls go.
				if common.region == "" {
					common.region = cfg.Metadata.Region
				}
			}
			m, region, err := common.manager()
			if err != nil {
				if !dryRun || common.region == "" {
					return err
				}
				// A dry run that makes its own VPC asks no API anything.
				m, region = &eksctl.Manager{Log: &eksctl.Logger{}, Zones: zoneNames}, common.region
			}
			if cfg != nil {
				if cfg.Metadata.Region == "" {
					cfg.Metadata.Region = region
				}
				if flags.WithoutNodeGroup {
					cfg.ManagedNodeGroups = nil
				}
			} else {
				flags.Region = region
				if cfg, err = eksctl.ClusterConfigFromFlags(&flags, cmd.Flags().Changed, time.Now()); err != nil {
					return err
				}
			}
			if dryRun {
				m.Log.Verbosity = 0
			}
			m.Log.Info("keks version %s (eksctl-compatible)", eksctl.Version)
			m.Log.Info("using region %s", cfg.Metadata.Region)
			ctx, cancel := withTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := m.Prepare(ctx, cfg); err != nil {
				return err
			}
			if dryRun {
				out, err := cfg.YAML()
				if err != nil {
					return err
				}
				_, err = os.Stdout.Write(out)
				return err
			}
			return m.CreateCluster(ctx, cfg, eksctl.CreateOptions{WriteKubeconfig: writeKubeconfig})
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	eksctl.AddClusterFlags(fs, &flags)
	eksctl.AddNodeGroupFlags(fs, &flags)
	fs.StringVarP(&configFile, "config-file", "f", "", "load configuration from a file (or stdin if set to '-')")
	fs.BoolVar(&dryRun, "dry-run", false, "print the ClusterConfig that would be used to create the cluster, and exit")
	fs.BoolVar(&writeKubeconfig, "write-kubeconfig", true, "toggle writing of kubeconfig")
	fs.StringVar(&common.kubeconfig, "kubeconfig", "", "path to write kubeconfig (incompatible with --auto-kubeconfig) (default: $KUBECONFIG or ~/.kube/config)")
	addTimeoutFlag(fs, &timeout, 40*time.Minute)
	return cmd
}

func newCreateNodeGroupCommand() *cobra.Command {
	var common eksctlCommon
	var flags eksctl.ClusterFlags
	var cluster, configFile string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "nodegroup",
		Aliases: []string{"ng"},
		Short:   "Create a managed node group in a cluster eksctl created (its own CloudFormation stack)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg *eksctl.ClusterConfig
			var err error
			if configFile != "" {
				if err := eksctl.CheckConfigFileFlags(cmd.Flags()); err != nil {
					return err
				}
				if cfg, err = loadConfigFile(configFile, common.region, cluster); err != nil {
					return err
				}
				if len(cfg.NodeGroups) > 0 {
					return eksctl.ErrUnmanagedNodeGroups
				}
				if common.region == "" {
					common.region = cfg.Metadata.Region
				}
			}
			m, region, err := common.manager()
			if err != nil {
				return err
			}
			if cfg == nil {
				if cluster == "" {
					return fmt.Errorf("--cluster must be set")
				}
				ng, err := eksctl.ManagedNodeGroupFromFlags(&flags, cmd.Flags().Changed)
				if err != nil {
					return err
				}
				cfg = eksctl.NewClusterConfig()
				cfg.Metadata.Name = cluster
				cfg.ManagedNodeGroups = []*eksctl.ManagedNodeGroup{ng}
			}
			if cfg.Metadata.Region == "" {
				cfg.Metadata.Region = region
			}
			ctx, cancel := withTimeout(cmd.Context(), timeout)
			defer cancel()
			return m.CreateNodeGroups(ctx, cfg, true)
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	eksctl.AddNodeGroupFlags(fs, &flags)
	fs.StringVarP(&cluster, "cluster", "c", "", "name of the EKS cluster to add the nodegroup to")
	fs.StringVarP(&configFile, "config-file", "f", "", "load configuration from a file")
	addTimeoutFlag(fs, &timeout, 40*time.Minute)
	return cmd
}

func newCreateFargateProfileCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name, namespace, configFile string
	var labels map[string]string
	cmd := &cobra.Command{
		Use:   "fargateprofile",
		Short: "Create a Fargate profile",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, region, err := common.manager()
			if err != nil {
				return err
			}
			cfg, err := configFromFileOrFlags(configFile, common.region, cluster, cluster != "" && namespace != "", "--cluster and --namespace", func(cfg *eksctl.ClusterConfig) {
				if name == "" {
					name = "fp-" + eksctl.RandomNodeGroupName()[3:]
				}
				cfg.FargateProfiles = []*eksctl.FargateProfile{{Name: name, Selectors: []eksctl.FargateProfileSelector{{Namespace: namespace, Labels: labels}}}}
			})
			if err != nil {
				return err
			}
			if cfg.Metadata.Region == "" {
				cfg.Metadata.Region = region
			}
			return m.CreateFargateProfiles(cmd.Context(), cfg)
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVar(&name, "name", "", "Fargate profile name (generated if unspecified)")
	fs.StringVar(&namespace, "namespace", "", "Kubernetes namespace of the pods to run on Fargate")
	fs.StringToStringVarP(&labels, "labels", "l", nil, "Kubernetes selector labels of the pods to run on Fargate, e.g. k1=v1,k2=v2")
	fs.StringVarP(&configFile, "config-file", "f", "", "load configuration from a file")
	return cmd
}

func newCreateAddonCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name, version, roleARN, configFile string
	var wait bool
	cmd := &cobra.Command{
		Use:   "addon",
		Short: "Create an EKS add-on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, _, err := common.manager()
			if err != nil {
				return err
			}
			cfg, err := configFromFileOrFlags(configFile, common.region, cluster, cluster != "" && name != "", "--cluster and --name", func(cfg *eksctl.ClusterConfig) {
				cfg.Addons = []*eksctl.Addon{{Name: name, Version: version, ServiceAccountRoleARN: roleARN}}
			})
			if err != nil {
				return err
			}
			return m.CreateAddons(cmd.Context(), cfg, wait)
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVar(&name, "name", "", "Add-on name")
	fs.StringVar(&version, "version", "", "Add-on version (default: EKS's default for the cluster)")
	fs.StringVar(&roleARN, "service-account-role-arn", "", "IAM role ARN for the add-on's service account")
	fs.BoolVar(&wait, "wait", false, "wait for the add-on to be ACTIVE")
	fs.StringVarP(&configFile, "config-file", "f", "", "load configuration from a file")
	return cmd
}

func newCreateServiceAccountCommand() *cobra.Command {
	var common eksctlCommon
	var cluster, name, namespace, roleName, configFile string
	var policies []string
	var roleOnly, approve bool
	cmd := &cobra.Command{
		Use:   "iamserviceaccount",
		Short: "Create an IAM role for a service account (IRSA) in a CloudFormation stack, and the annotated service account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, _, err := common.manager()
			if err != nil {
				return err
			}
			cfg, err := configFromFileOrFlags(configFile, common.region, cluster, cluster != "" && name != "" && len(policies) > 0, "--cluster, --name and --attach-policy-arn", func(cfg *eksctl.ClusterConfig) {
				cfg.IAM.ServiceAccounts = []*eksctl.ClusterIAMServiceAcct{{
					Metadata: eksctl.ObjectMeta{Name: name, Namespace: namespace}, AttachPolicyARNs: policies, RoleName: roleName, RoleOnly: &roleOnly,
				}}
			})
			if err != nil {
				return err
			}
			for _, sa := range cfg.IAM.ServiceAccounts {
				m.Log.Info("1 iamserviceaccount (%s/%s) was included", sa.Metadata.Namespace, sa.Metadata.Name)
			}
			if !approve {
				m.Log.Warning("no tasks were run: re-run with '--approve' to create the iamserviceaccount(s)")
				return nil
			}
			return m.CreateServiceAccounts(cmd.Context(), cfg)
		},
	}
	fs := cmd.Flags()
	addEksctlCommon(fs, &common)
	addClusterFlag(fs, &cluster)
	fs.StringVar(&name, "name", "", "name of the service account")
	fs.StringVar(&namespace, "namespace", "default", "namespace of the service account")
	fs.StringSliceVar(&policies, "attach-policy-arn", nil, "ARN of the policy to attach (may repeat)")
	fs.StringVar(&roleName, "role-name", "", "name of the IAM role (generated if unspecified)")
	fs.BoolVar(&roleOnly, "role-only", false, "create only the role, not the Kubernetes service account")
	fs.BoolVar(&approve, "approve", false, "apply the changes")
	fs.StringVarP(&configFile, "config-file", "f", "", "load configuration from a file")
	return cmd
}
