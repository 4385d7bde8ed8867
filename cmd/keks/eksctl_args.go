package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/keksdev/keks/internal/eksctl"
)

var errClusterAndName = errors.New("--cluster and --name must be set")

func addClusterFlag(fs *pflag.FlagSet, cluster *string) {
	fs.StringVarP(cluster, "cluster", "c", "", "EKS cluster name")
}

// addTimeoutFlag is eksctl's --timeout; withTimeout applies it.
func addTimeoutFlag(fs *pflag.FlagSet, timeout *time.Duration, def time.Duration) {
	fs.DurationVar(timeout, "timeout", def, "maximum waiting time for any long-running operation")
}

// runOnClusterResource is the RunE of a command on one resource of a
// cluster: an argument names it as --name does, both must be set, and then
// do runs with a manager. Under cobra.NoArgs the argument never comes.
func runOnClusterResource(common *eksctlCommon, cluster, name *string, do func(context.Context, *eksctl.Manager) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			*name = args[0]
		}
		if *cluster == "" || *name == "" {
			return errClusterAndName
		}
		m, _, err := common.manager()
		if err != nil {
			return err
		}
		return do(cmd.Context(), m)
	}
}

// runOnCluster is the RunE of a command on a cluster: --cluster must be
// set, and then do runs with a manager and its region.
func runOnCluster(common *eksctlCommon, cluster *string, do func(context.Context, *eksctl.Manager, string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if *cluster == "" {
			return fmt.Errorf("--cluster must be set")
		}
		m, region, err := common.manager()
		if err != nil {
			return err
		}
		return do(cmd.Context(), m, region)
	}
}

// printListing prints what a get or describe returned, unless it failed.
func printListing(l *eksctl.Listing, err error, format string) error {
	if err != nil {
		return err
	}
	return l.Print(os.Stdout, format)
}

// configFromFileOrFlags is a create's ClusterConfig: the -f file's when
// given, or else, when the flags it needs are set (needed names them for
// the error), one naming the cluster for fill to add the resource to.
func configFromFileOrFlags(configFile, region, cluster string, flagsSet bool, needed string, fill func(*eksctl.ClusterConfig)) (*eksctl.ClusterConfig, error) {
	if configFile != "" {
		return loadConfigFile(configFile, region, cluster)
	}
	if !flagsSet {
		return nil, fmt.Errorf("%s must be set", needed)
	}
	cfg := eksctl.NewClusterConfig()
	cfg.Metadata.Name = cluster
	fill(cfg)
	return cfg, nil
}
