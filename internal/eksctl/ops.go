package eksctl

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// Operations on an existing cluster: the `create nodegroup|fargateprofile|
// addon|iamserviceaccount`, `scale`, `upgrade`, `utils` and `delete
// nodegroup|...` commands.

// LoadClusterNetwork fills cfg's VPC and subnets from the cluster stack's
// outputs, as eksctl does before adding to a cluster it made.
func (m *Manager) LoadClusterNetwork(ctx context.Context, cfg *ClusterConfig) error {
	name := cfg.Metadata.Name
	stack, err := m.stacks().Describe(ctx, ClusterStackName(name))
	if err != nil {
		return err
	}
	if stack == nil {
		return fmt.Errorf("cluster %q was not created by eksctl (no stack %q); keks's eksctl adds to clusters it created", name, ClusterStackName(name))
	}
	out := Outputs(stack)
	cfg.VPC.ID = out[OutputVPC]
	cfg.VPC.Subnets = &ClusterSubnets{Public: map[string]Network{}, Private: map[string]Network{}}
	var ids []string
	for key, set := range map[string]map[string]Network{OutputSubnetsPublic: cfg.VPC.Subnets.Public, OutputSubnetsPrivate: cfg.VPC.Subnets.Private} {
		for _, id := range strings.Split(out[key], ",") {
			if id != "" {
				set[id] = Network{ID: id}
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	subnets, err := m.Clients.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return fmt.Errorf("describing subnets of cluster %q: %w", name, err)
	}
	for _, s := range subnets.Subnets {
		id := aws.ToString(s.SubnetId)
		for _, set := range []map[string]Network{cfg.VPC.Subnets.Public, cfg.VPC.Subnets.Private} {
			if _, ok := set[id]; ok {
				set[id] = Network{ID: id, AZ: aws.ToString(s.AvailabilityZone), CIDR: aws.ToString(s.CidrBlock)}
			}
		}
	}
	return nil
}

// CreateNodeGroups adds managed node groups to a cluster eksctl made.
func (m *Manager) CreateNodeGroups(ctx context.Context, cfg *ClusterConfig, waitNodes bool) error {
	name := cfg.Metadata.Name
	cl, err := m.describeCluster(ctx, name)
	if err != nil {
		return err
	}
	cfg.Metadata.Version = aws.ToString(cl.Version)
	for _, ng := range cfg.ManagedNodeGroups {
		SetManagedNodeGroupDefaults(ng, name)
	}
	for i, ng := range cfg.ManagedNodeGroups {
		if err := validateManagedNodeGroup(i, ng); err != nil {
			return err
		}
	}
	if err := m.LoadClusterNetwork(ctx, cfg); err != nil {
		return err
	}
	for _, ng := range cfg.ManagedNodeGroups {
		m.Log.Info("nodegroup %q will use %q [%s/%s]", ng.Name, "", ng.AMIFamily, cfg.Metadata.Version)
		if err := m.resolveSSHKey(ctx, name, ng); err != nil {
			return err
		}
	}
	plan := m.nodeGroupsTask(cfg)
	m.Log.Info("\n%s\n", plan.Describe())
	if err := plan.ExecuteTimed(ctx, m.Log); err != nil {
		m.Log.Critical("%v", err)
		return fmt.Errorf("failed to create nodegroups for cluster %q", name)
	}
	m.Log.Success("created %d managed nodegroup(s) in cluster %q", len(cfg.ManagedNodeGroups), name)
	if !waitNodes || m.Kube == nil {
		return nil
	}
	k, err := m.Kube.Client(ctx, cl)
	if err != nil {
		return err
	}
	for _, ng := range cfg.ManagedNodeGroups {
		if err := waitForNodes(ctx, m.Log, k, ng.Name, *ng.MinSize, m.poll()); err != nil {
			return err
		}
	}
	return nil
}

// CreateFargateProfiles adds Fargate profiles, one at a time, with the
// cluster stack's pod execution role unless the profile names one.
func (m *Manager) CreateFargateProfiles(ctx context.Context, cfg *ClusterConfig) error {
	role := cfg.IAM.FargatePodExecutionRoleARN
	if stack, err := m.stacks().Describe(ctx, ClusterStackName(cfg.Metadata.Name)); err == nil && stack != nil {
		if role == "" {
			role = Outputs(stack)[OutputFargatePodExecutionRoleARN]
		}
		if err := m.LoadClusterNetwork(ctx, cfg); err != nil {
			return err
		}
	}
	for _, fp := range cfg.FargateProfiles {
		r := fp.PodExecutionRoleARN
		if r == "" {
			r = role
		}
		if r == "" {
			return fmt.Errorf("Fargate profile %q needs podExecutionRoleARN: the cluster stack has no FargatePodExecutionRole (create the cluster with --fargate or fargateProfiles)", fp.Name)
		}
		if err := m.createFargateProfile(ctx, cfg, fp, r); err != nil {
			return err
		}
	}
	return nil
}

// CreateAddons creates add-ons and waits for them when asked.
func (m *Manager) CreateAddons(ctx context.Context, cfg *ClusterConfig, wait bool) error {
	var oidc OIDCProvider
	for _, a := range cfg.Addons {
		if a.ServiceAccountRoleARN == "" && (len(a.AttachPolicyARNs) > 0 || a.AttachPolicy != nil) && oidc.ARN == "" {
			var err error
			if oidc, err = m.oidcProviderOf(ctx, cfg.Metadata.Name); err != nil {
				return err
			}
		}
		if err := m.createAddon(ctx, cfg, a, oidc, wait); err != nil {
			return err
		}
	}
	return nil
}

// CreateServiceAccounts deploys IAM service accounts on a cluster whose
// OIDC provider is associated.
func (m *Manager) CreateServiceAccounts(ctx context.Context, cfg *ClusterConfig) error {
	cl, err := m.describeCluster(ctx, cfg.Metadata.Name)
	if err != nil {
		return err
	}
	arn, err := m.findOIDCProvider(ctx, issuerOf(cl))
	if err != nil {
		return err
	}
	st := &clusterState{cluster: cl, oidc: OIDCProvider{ARN: arn, IssuerHostPath: IssuerHostPath(issuerOf(cl))}}
	for _, sa := range cfg.IAM.ServiceAccounts {
		if sa.Metadata.Namespace == "" {
			sa.Metadata.Namespace = "default"
		}
		if err := m.createServiceAccount(ctx, cfg, sa, st); err != nil {
			return err
		}
	}
	return nil
}

// AssociateOIDC is `utils associate-iam-oidc-provider --approve`.
func (m *Manager) AssociateOIDC(ctx context.Context, cluster, region string) error {
	cl, err := m.describeCluster(ctx, cluster)
	if err != nil {
		return err
	}
	_, err = m.associateOIDC(ctx, cluster, region, issuerOf(cl))
	return err
}

// ScaleNodeGroup changes a group's scaling and waits for the update.
func (m *Manager) ScaleNodeGroup(ctx context.Context, cluster, ng string, desired, minSize, maxSize *int32) error {
	out, err := m.Clients.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)})
	if err != nil {
		return fmt.Errorf("describing nodegroup %q: %w", ng, err)
	}
	sc := out.Nodegroup.ScalingConfig
	if sc == nil {
		sc = &ekstypes.NodegroupScalingConfig{}
	}
	next := ekstypes.NodegroupScalingConfig{DesiredSize: sc.DesiredSize, MinSize: sc.MinSize, MaxSize: sc.MaxSize}
	if desired != nil {
		next.DesiredSize = desired
	}
	if minSize != nil {
		next.MinSize = minSize
	}
	if maxSize != nil {
		next.MaxSize = maxSize
	}
	if d := aws.ToInt32(next.DesiredSize); d < aws.ToInt32(next.MinSize) || d > aws.ToInt32(next.MaxSize) {
		return fmt.Errorf("the number of nodes (%d) must be between the minimum (%d) and maximum (%d) of nodegroup %q", d, aws.ToInt32(next.MinSize), aws.ToInt32(next.MaxSize), ng)
	}
	m.Log.Info("scaling nodegroup %q in cluster %s", ng, cluster)
	upd, err := m.Clients.EKS.UpdateNodegroupConfig(ctx, &eks.UpdateNodegroupConfigInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng), ScalingConfig: &next})
	if err != nil {
		return fmt.Errorf("failed to scale nodegroup %q for cluster %q: %w", ng, cluster, err)
	}
	if err := m.waitUpdate(ctx, cluster, ng, aws.ToString(upd.Update.Id), "scaling of nodegroup "+strconv.Quote(ng)); err != nil {
		return err
	}
	m.Log.Info("nodegroup successfully scaled")
	return nil
}

// UpgradeCluster moves the control plane one minor version up.
func (m *Manager) UpgradeCluster(ctx context.Context, cluster, version string, approve bool) error {
	cl, err := m.describeCluster(ctx, cluster)
	if err != nil {
		return err
	}
	current := aws.ToString(cl.Version)
	if version == "" {
		major, minor, _ := parseMinor(current)
		version = fmt.Sprintf("%d.%d", major, minor+1)
	}
	if version == current {
		m.Log.Info("no cluster version update required")
		return nil
	}
	if err := ValidateVersion(version); err != nil {
		return err
	}
	m.Log.Info("will upgrade cluster %q control plane from current version %q to %q", cluster, current, version)
	if !approve {
		m.Log.Warning("no changes were applied, run again with '--approve' to apply the changes")
		return nil
	}
	out, err := m.Clients.EKS.UpdateClusterVersion(ctx, &eks.UpdateClusterVersionInput{Name: aws.String(cluster), Version: aws.String(version)})
	if err != nil {
		return fmt.Errorf("upgrading cluster %q: %w", cluster, err)
	}
	if err := m.waitUpdate(ctx, cluster, "", aws.ToString(out.Update.Id), "control plane upgrade"); err != nil {
		return err
	}
	m.Log.Success("cluster %q control plane has been upgraded to version %q", cluster, version)
	return nil
}

// UpgradeNodeGroup moves a managed node group to a version (the cluster's by default).
func (m *Manager) UpgradeNodeGroup(ctx context.Context, cluster, ng, version string, wait bool) error {
	in := &eks.UpdateNodegroupVersionInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(ng)}
	if version != "" {
		in.Version = aws.String(version)
	}
	m.Log.Info("upgrading nodegroup %q in cluster %q", ng, cluster)
	out, err := m.Clients.EKS.UpdateNodegroupVersion(ctx, in)
	if err != nil {
		return fmt.Errorf("upgrading nodegroup %q: %w", ng, err)
	}
	if !wait {
		return nil
	}
	if err := m.waitUpdate(ctx, cluster, ng, aws.ToString(out.Update.Id), "nodegroup "+strconv.Quote(ng)+" upgrade"); err != nil {
		return err
	}
	m.Log.Success("nodegroup %q upgraded", ng)
	return nil
}

// DeleteNodeGroup deletes a group's stack, or the group through EKS
// when no stack made it.
func (m *Manager) DeleteNodeGroup(ctx context.Context, cluster, ng string, wait bool) error {
	stackName := NodeGroupStackName(cluster, ng)
	stack, err := m.stacks().Describe(ctx, stackName)
	if err != nil {
		return err
	}
	if stack != nil {
		if err := m.stacks().Delete(ctx, stackName, wait); err != nil {
			return err
		}
	} else if err := m.deleteNodegroupAPI(ctx, cluster, ng, wait); err != nil {
		return err
	}
	m.Log.Success("deleted 1 nodegroup(s) from cluster %q", cluster)
	return nil
}

// DeleteFargateProfile deletes a profile and waits for it to go.
func (m *Manager) DeleteFargateProfile(ctx context.Context, cluster, name string) error {
	if err := m.deleteFargateProfile(ctx, cluster, name); err != nil {
		return err
	}
	m.Log.Info("deleted Fargate profile %q on EKS cluster %q", name, cluster)
	return nil
}

// DeleteAddon deletes an add-on and the IAM role stack eksctl made for it.
func (m *Manager) DeleteAddon(ctx context.Context, cluster, name string, wait bool) error {
	if err := m.deleteAddon(ctx, cluster, name, wait); err != nil {
		return err
	}
	// And the role eksctl made for it, if any.
	if stack, err := m.stacks().Describe(ctx, AddonStackName(cluster, name)); err != nil {
		return err
	} else if stack != nil {
		if err := m.stacks().Delete(ctx, AddonStackName(cluster, name), wait); err != nil {
			return err
		}
	}
	m.Log.Success("deleted addon: %s", name)
	return nil
}

// DeleteServiceAccount deletes an IAM service account's stack and the
// Kubernetes service account.
func (m *Manager) DeleteServiceAccount(ctx context.Context, cluster, namespace, name string, wait bool) error {
	stackName := ServiceAccountStackName(cluster, namespace, name)
	stack, err := m.stacks().Describe(ctx, stackName)
	if err != nil {
		return err
	}
	if stack == nil {
		return fmt.Errorf("no iamserviceaccount %q in cluster %q", namespace+"/"+name, cluster)
	}
	if err := m.stacks().Delete(ctx, stackName, wait); err != nil {
		return err
	}
	if m.Kube != nil {
		if cl, err := m.describeCluster(ctx, cluster); err == nil {
			if k, err := m.Kube.Client(ctx, cl); err == nil {
				if err := deleteServiceAccount(ctx, k, namespace, name); err != nil {
					m.Log.Warning("deleting serviceaccount %q: %v", namespace+"/"+name, err)
				} else {
					m.Log.Info("deleted serviceaccount %q", namespace+"/"+name)
				}
			}
		}
	}
	return nil
}

func parseMinor(v string) (int, int, error) {
	a, b, _ := strings.Cut(v, ".")
	major, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, err
	}
	minor, err := strconv.Atoi(b)
	return major, minor, err
}

// DescribeStacks lists a cluster's stacks with their status, outputs and
// (at debug verbosity) their failed events.
func (m *Manager) DescribeStacks(ctx context.Context, cluster string) (*Listing, error) {
	stacks, err := m.stacks().ListClusterStacks(ctx, cluster)
	if err != nil {
		return nil, err
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("no eksctl-managed CloudFormation stacks found for %q", cluster)
	}
	l := &Listing{Headers: []string{"NAME", "STATUS", "CREATED", "REASON"}}
	var objs []any
	for _, st := range stacks {
		l.Rows = append(l.Rows, []string{aws.ToString(st.StackName), string(st.StackStatus), timeString(st.CreationTime), aws.ToString(st.StackStatusReason)})
		objs = append(objs, st)
	}
	l.Objects = objs
	return l, nil
}

// UpdateClusterLogging turns control-plane log types on and off, as
// `utils update-cluster-logging --enable-types ... --disable-types ...`.
func (m *Manager) UpdateClusterLogging(ctx context.Context, cluster, region string, enable, disable []string, approve bool) error {
	on, err := LogTypes(enable)
	if err != nil {
		return err
	}
	off, err := LogTypes(disable)
	if err != nil {
		return err
	}
	cl, err := m.describeCluster(ctx, cluster)
	if err != nil {
		return err
	}
	current := map[string]bool{}
	if cl.Logging != nil {
		for _, s := range cl.Logging.ClusterLogging {
			for _, t := range s.Types {
				current[string(t)] = aws.ToBool(s.Enabled)
			}
		}
	}
	for _, t := range on {
		current[t] = true
	}
	for _, t := range off {
		current[t] = false
	}
	var want []string
	all, _ := LogTypes([]string{"all"})
	for _, t := range all {
		if current[t] {
			want = append(want, t)
		}
	}
	m.Log.Info("will update CloudWatch logging for cluster %q in %q (enable types: %s)", cluster, region, strings.Join(want, ", "))
	if !approve {
		m.Log.Warning("no changes were applied, run again with '--approve' to apply the changes")
		return nil
	}
	return m.setLogging(ctx, cluster, region, want)
}
