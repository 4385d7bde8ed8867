package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/keksdev/keks/internal/client"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eksctl"
	"github.com/keksdev/keks/internal/kubeconfig"
)

// eksctlCommon are the flags every eksctl-style command takes: the AWS
// profile and region, as keks's other client commands read them, and
// eksctl's verbosity.
type eksctlCommon struct {
	profile    string
	region     string
	verbose    int
	kubeconfig string
}

func addEksctlCommon(fs *pflag.FlagSet, c *eksctlCommon) {
	def := "keks"
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		def = p
	}
	fs.StringVar(&c.profile, "profile", def, "AWS credentials profile to use (default: $AWS_PROFILE or keks)")
	fs.StringVarP(&c.region, "region", "r", "", "AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION or the profile's)")
	fs.IntVarP(&c.verbose, "verbose", "v", 3, "set log level, use 0 to silence, 4 for debugging and 5 for debugging with AWS debug logging")
}

// manager connects to keks's AWS APIs as the profile's caller.
func (c *eksctlCommon) manager() (*eksctl.Manager, string, error) {
	cl, err := client.New(c.profile)
	if err != nil {
		return nil, "", err
	}
	cfg := cl.Config.Copy()
	// As the AWS CLI and eksctl: --region, then the environment, then the profile.
	for _, r := range []string{c.region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION")} {
		if r != "" {
			cfg.Region = r
			break
		}
	}
	if cfg.Region == "" {
		return nil, "", fmt.Errorf("no region: give --region or set one in profile %s", c.profile)
	}
	// Stacks, node groups and Fargate profiles take minutes: no overall HTTP timeout beyond a call's.
	m := &eksctl.Manager{
		Clients: eksctl.Clients{
			CFN: cloudformation.NewFromConfig(cfg),
			EKS: eks.NewFromConfig(cfg),
			EC2: sdkec2.NewFromConfig(cfg),
			IAM: iam.NewFromConfig(cfg),
		},
		Kube:  &keksKube{profile: c.profile, client: cl, kubeconfig: c.kubeconfig},
		Log:   &eksctl.Logger{Out: os.Stdout, Verbosity: c.verbose},
		Zones: zoneNames,
	}
	return m, cfg.Region, nil
}

// zoneNames are the zones keks offers in a region.
func zoneNames(region string) []string {
	var names []string
	for _, z := range ec2.Zones(region) {
		names = append(names, z.Name)
	}
	return names
}

// keksKube writes kubeconfigs as `keks update-kubeconfig` does and talks to
// a cluster with `keks get-token`'s tokens.
type keksKube struct {
	profile    string
	kubeconfig string
	client     *client.Client
}

func (k *keksKube) WriteKubeconfig(cl *ekstypes.Cluster) (string, error) {
	return writeClusterKubeconfig(k.kubeconfig, "", k.profile, cl)
}

func (k *keksKube) Client(ctx context.Context, cl *ekstypes.Cluster) (kubernetes.Interface, error) {
	if cl == nil || cl.CertificateAuthority == nil {
		return nil, fmt.Errorf("cluster has no endpoint yet")
	}
	ca, err := base64.StdEncoding.DecodeString(aws.ToString(cl.CertificateAuthority.Data))
	if err != nil {
		return nil, fmt.Errorf("cluster CA: %w", err)
	}
	name := aws.ToString(cl.Name)
	cfg := &rest.Config{
		Host:            aws.ToString(cl.Endpoint),
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		Timeout:         30 * time.Second,
	}
	// A token lasts 15 minutes; waits for nodes can be longer, so each
	// request gets a fresh one.
	cfg.WrapTransport = client.BearerTransport(func(ctx context.Context) (string, error) {
		t, _, err := k.client.Token(ctx, name)
		return t, err
	})
	return kubernetes.NewForConfig(cfg)
}

// ForgetKubeconfig removes the cluster, user and contexts that
// update-kubeconfig wrote for a cluster (named by its ARN).
func (k *keksKube) ForgetKubeconfig(clusterARN string) (bool, error) {
	return kubeconfig.Remove(k.kubeconfig, clusterARN)
}

func newEksctlVerb(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(subs...)
	return cmd
}

// eksctlCommands are eksctl's verbs, as top-level keks commands.
func eksctlCommands() []*cobra.Command {
	return []*cobra.Command{
		newEksctlVerb("create", "Create a cluster or resources of one, as eksctl does, through CloudFormation stacks",
			newCreateClusterCommand(), newCreateNodeGroupCommand(), newCreateFargateProfileCommand(), newCreateAddonCommand(), newCreateServiceAccountCommand()),
		newEksctlVerb("delete", "Delete a cluster or resources of one, as eksctl does",
			newDeleteClusterCommand(), newDeleteNodeGroupCommand(), newDeleteFargateProfileCommand(), newDeleteAddonCommand(), newDeleteServiceAccountCommand()),
		newEksctlVerb("get", "Get clusters or resources of one, as eksctl does", newGetCommands()...),
		newEksctlVerb("scale", "Scale a node group, as eksctl does", newScaleNodeGroupCommand()),
		newEksctlVerb("upgrade", "Upgrade a cluster or node group, as eksctl does", newUpgradeClusterCommand(), newUpgradeNodeGroupCommand()),
		newEksctlVerb("utils", "Utilities, as eksctl's", newAssociateOIDCCommand(), newDescribeStacksCommand(), newUpdateClusterLoggingCommand()),
	}
}

// withTimeout bounds a command's waits, as eksctl's --timeout.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
