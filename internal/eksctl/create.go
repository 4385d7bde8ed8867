package eksctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// CreateOptions are create cluster's switches beyond the config.
type CreateOptions struct {
	WriteKubeconfig bool
}

// clusterState is what the plan's steps learn and pass on.
type clusterState struct {
	outputs map[string]string
	cluster *ekstypes.Cluster
	oidc    OIDCProvider
}

// Prepare defaults, validates and completes a config for creation,
// printing eksctl's preamble; it makes no change in AWS.
func (m *Manager) Prepare(ctx context.Context, cfg *ClusterConfig) error {
	SetDefaults(cfg)
	if err := Validate(cfg); err != nil {
		return err
	}
	if err := m.PrepareNetwork(ctx, cfg); err != nil {
		return err
	}
	for _, ng := range cfg.ManagedNodeGroups {
		m.Log.Info("nodegroup %q will use %q [%s/%s]", ng.Name, "", ng.AMIFamily, cfg.Metadata.Version)
	}
	return nil
}

// CreateClusterPlan is eksctl's task tree for a new cluster: the control
// plane's stack, then (in order) waiting for it, the OIDC provider,
// access entries (a stack each), logging, Fargate profiles, the managed
// node groups' stacks (in parallel), add-ons and IAM service accounts.
func (m *Manager) CreateClusterPlan(cfg *ClusterConfig, st *clusterState) *Task {
	name := cfg.Metadata.Name
	post := sequential(
		leaf("wait for control plane to become ready", func(ctx context.Context) error {
			cl, err := m.waitClusterActive(ctx, name)
			st.cluster = cl
			return err
		}),
		m.oidcTask(cfg, st),
		m.accessEntriesTask(cfg),
		m.loggingTask(cfg),
		m.fargateTask(cfg, st),
		m.nodeGroupsTask(cfg),
		m.addonsTask(cfg, st),
		m.serviceAccountsTask(cfg, st),
	)
	return sequential(
		leaf(fmt.Sprintf("create cluster control plane %q", name), func(ctx context.Context) error {
			stackName := ClusterStackName(name)
			m.Log.Info("building cluster stack %q", stackName)
			if err := m.stacks().Deploy(ctx, stackName, BuildClusterStack(cfg), clusterStackTags(cfg, nil)); err != nil {
				return err
			}
			outputs, err := m.stacks().Outputs(ctx, stackName)
			if err != nil {
				return err
			}
			st.outputs = outputs
			if cfg.OwnsVPC() {
				return m.learnSubnetIDs(ctx, cfg, stackName)
			}
			return nil
		}),
		post,
	)
}

// learnSubnetIDs records the ids of the subnets the cluster stack made,
// for what names subnets directly (Fargate profiles, zone-bound node groups).
func (m *Manager) learnSubnetIDs(ctx context.Context, cfg *ClusterConfig, stackName string) error {
	ids := map[string]string{}
	var token *string
	for {
		out, err := m.Clients.CFN.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(stackName), NextToken: token})
		if err != nil {
			return fmt.Errorf("listing resources of stack %q: %w", stackName, err)
		}
		for _, r := range out.StackResourceSummaries {
			ids[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	for kind, set := range map[string]map[string]Network{"SubnetPublic": cfg.VPC.Subnets.Public, "SubnetPrivate": cfg.VPC.Subnets.Private} {
		for zone, n := range set {
			n.ID = ids[kind+logicalZone(zone)]
			set[zone] = n
		}
	}
	return nil
}

func (m *Manager) oidcTask(cfg *ClusterConfig, st *clusterState) *Task {
	if !isEnabled(cfg.IAM.WithOIDC) {
		return nil
	}
	return leaf("associate IAM OIDC provider", func(ctx context.Context) error {
		p, err := m.associateOIDC(ctx, cfg.Metadata.Name, cfg.Metadata.Region, issuerOf(st.cluster))
		st.oidc = p
		return err
	})
}

func issuerOf(cl *ekstypes.Cluster) string {
	if cl == nil || cl.Identity == nil || cl.Identity.Oidc == nil {
		return ""
	}
	return aws.ToString(cl.Identity.Oidc.Issuer)
}

func (m *Manager) loggingTask(cfg *ClusterConfig) *Task {
	types, _ := LogTypes(cfg.CloudWatch.ClusterLogging.EnableTypes)
	if len(types) == 0 {
		return nil
	}
	return leaf("update CloudWatch logging configuration", func(ctx context.Context) error {
		return m.setLogging(ctx, cfg.Metadata.Name, cfg.Metadata.Region, types)
	})
}

// setLogging enables exactly the given control-plane log types.
func (m *Manager) setLogging(ctx context.Context, cluster, region string, enable []string) error {
	all, _ := LogTypes([]string{"all"})
	var on, off []ekstypes.LogType
	var offNames []string
	for _, t := range all {
		if slices.Contains(enable, t) {
			on = append(on, ekstypes.LogType(t))
		} else {
			off = append(off, ekstypes.LogType(t))
			offNames = append(offNames, t)
		}
	}
	logging := &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Enabled: aws.Bool(true), Types: on}}}
	if len(off) > 0 {
		logging.ClusterLogging = append(logging.ClusterLogging, ekstypes.LogSetup{Enabled: aws.Bool(false), Types: off})
	}
	out, err := m.Clients.EKS.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(cluster), Logging: logging})
	if err != nil {
		return fmt.Errorf("updating cluster logging: %w", err)
	}
	if err := m.waitUpdate(ctx, cluster, "", aws.ToString(out.Update.Id), "the logging configuration to be updated"); err != nil {
		return err
	}
	m.Log.Success("configured CloudWatch logging for cluster %q in %q (enabled types: %s & disabled types: %s)", cluster, region, strings.Join(enable, ", "), strings.Join(offNames, ", "))
	return nil
}

func (m *Manager) fargateTask(cfg *ClusterConfig, st *clusterState) *Task {
	if len(cfg.FargateProfiles) == 0 {
		return nil
	}
	// EKS allows one profile operation at a time per cluster, so they go one by one.
	var tasks []*Task
	for _, fp := range cfg.FargateProfiles {
		tasks = append(tasks, leaf(fmt.Sprintf("create fargate profile %q", fp.Name), func(ctx context.Context) error {
			role := fp.PodExecutionRoleARN
			if role == "" {
				role = cfg.IAM.FargatePodExecutionRoleARN
			}
			if role == "" {
				role = st.outputs[OutputFargatePodExecutionRoleARN]
			}
			return m.createFargateProfile(ctx, cfg, fp, role)
		}))
	}
	return sequential(tasks...)
}

// createFargateProfile creates a profile on the cluster's private subnets
// (or those it names) and waits for it to be ACTIVE.
func (m *Manager) createFargateProfile(ctx context.Context, cfg *ClusterConfig, fp *FargateProfile, role string) error {
	name := cfg.Metadata.Name
	if role == "" {
		return fmt.Errorf("no pod execution role for Fargate profile %q", fp.Name)
	}
	subnets := fp.Subnets
	if len(subnets) == 0 && cfg.VPC != nil && cfg.VPC.Subnets != nil {
		for _, k := range sortedKeys(cfg.VPC.Subnets.Private) {
			if id := cfg.VPC.Subnets.Private[k].ID; id != "" {
				subnets = append(subnets, id)
			}
		}
	}
	in := &eks.CreateFargateProfileInput{
		ClusterName: aws.String(name), FargateProfileName: aws.String(fp.Name),
		PodExecutionRoleArn: aws.String(role), Subnets: subnets, Tags: fp.Tags,
	}
	for _, s := range fp.Selectors {
		in.Selectors = append(in.Selectors, ekstypes.FargateProfileSelector{Namespace: aws.String(s.Namespace), Labels: s.Labels})
	}
	m.Log.Info("creating Fargate profile %q on EKS cluster %q", fp.Name, name)
	if _, err := m.Clients.EKS.CreateFargateProfile(ctx, in); err != nil {
		return fmt.Errorf("failed to create Fargate profile %q: %w", fp.Name, err)
	}
	return m.pollUntil(ctx, fmt.Sprintf("Fargate profile %q to become active", fp.Name), func(ctx context.Context) (bool, error) {
		out, err := m.Clients.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(name), FargateProfileName: aws.String(fp.Name)})
		if err != nil {
			return false, fmt.Errorf("describing Fargate profile %q: %w", fp.Name, err)
		}
		switch out.FargateProfile.Status {
		case ekstypes.FargateProfileStatusActive:
			m.Log.Info("created Fargate profile %q on EKS cluster %q", fp.Name, name)
			return true, nil
		case ekstypes.FargateProfileStatusCreateFailed:
			return false, fmt.Errorf("Fargate profile %q: CREATE_FAILED", fp.Name)
		}
		return false, nil
	})
}

func (m *Manager) nodeGroupsTask(cfg *ClusterConfig) *Task {
	var tasks []*Task
	for _, ng := range cfg.ManagedNodeGroups {
		tasks = append(tasks, m.nodeGroupTask(cfg, ng))
	}
	return parallel(tasks...)
}

func (m *Manager) nodeGroupTask(cfg *ClusterConfig, ng *ManagedNodeGroup) *Task {
	return leaf(fmt.Sprintf("create managed nodegroup %q", ng.Name), func(ctx context.Context) error {
		stackName := NodeGroupStackName(cfg.Metadata.Name, ng.Name)
		m.Log.Info("building managed nodegroup stack %q", stackName)
		t, err := BuildManagedNodeGroupStack(cfg, ng)
		if err != nil {
			return err
		}
		return m.stacks().Deploy(ctx, stackName, t, clusterStackTags(cfg, map[string]string{TagNodeGroupName: ng.Name, TagNodeGroupType: "managed"}))
	})
}

func (m *Manager) addonsTask(cfg *ClusterConfig, st *clusterState) *Task {
	var tasks []*Task
	for _, a := range cfg.Addons {
		tasks = append(tasks, leaf(fmt.Sprintf("create addon %q", a.Name), func(ctx context.Context) error {
			return m.createAddon(ctx, cfg, a, st.oidc, true)
		}))
	}
	return sequential(tasks...)
}

// createAddon creates an EKS add-on and, with wait, waits for it to be ACTIVE.
// An add-on that attaches policies gets a role of its own first, as eksctl does.
func (m *Manager) createAddon(ctx context.Context, cfg *ClusterConfig, a *Addon, oidc OIDCProvider, wait bool) error {
	cluster := cfg.Metadata.Name
	if a.ServiceAccountRoleARN == "" && (len(a.AttachPolicyARNs) > 0 || a.AttachPolicy != nil) {
		role, err := m.addonRole(ctx, cfg, a, oidc)
		if err != nil {
			return err
		}
		a.ServiceAccountRoleARN = role
	}
	in := &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(a.Name), Tags: a.Tags, ResolveConflicts: ekstypes.ResolveConflictsOverwrite}
	if a.Version != "" && a.Version != "latest" {
		in.AddonVersion = aws.String(a.Version)
	}
	if a.ServiceAccountRoleARN != "" {
		in.ServiceAccountRoleArn = aws.String(a.ServiceAccountRoleARN)
	}
	if a.ConfigurationValues != "" {
		in.ConfigurationValues = aws.String(a.ConfigurationValues)
	}
	if a.ResolveConflicts != "" {
		in.ResolveConflicts = ekstypes.ResolveConflicts(strings.ToUpper(a.ResolveConflicts))
	}
	m.Log.Info("creating addon %q", a.Name)
	if _, err := m.Clients.EKS.CreateAddon(ctx, in); err != nil {
		return fmt.Errorf("creating addon %q: %w", a.Name, err)
	}
	if !wait {
		m.Log.Success("created addon %q", a.Name)
		return nil
	}
	return m.pollUntil(ctx, fmt.Sprintf("addon %q to become active", a.Name), func(ctx context.Context) (bool, error) {
		out, err := m.Clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(a.Name)})
		if err != nil {
			return false, fmt.Errorf("describing addon %q: %w", a.Name, err)
		}
		switch out.Addon.Status {
		case ekstypes.AddonStatusActive:
			m.Log.Success("addon %q is active", a.Name)
			return true, nil
		case ekstypes.AddonStatusCreateFailed, ekstypes.AddonStatusDegraded:
			var msgs []string
			if out.Addon.Health != nil {
				for _, i := range out.Addon.Health.Issues {
					msgs = append(msgs, aws.ToString(i.Message))
				}
			}
			return false, fmt.Errorf("addon %q is %s: %s", a.Name, out.Addon.Status, strings.Join(msgs, "; "))
		}
		return false, nil
	})
}

func (m *Manager) serviceAccountsTask(cfg *ClusterConfig, st *clusterState) *Task {
	var tasks []*Task
	for _, sa := range cfg.IAM.ServiceAccounts {
		tasks = append(tasks, leaf(fmt.Sprintf("create IAM role for serviceaccount %q", sa.Metadata.Namespace+"/"+sa.Metadata.Name), func(ctx context.Context) error {
			return m.createServiceAccount(ctx, cfg, sa, st)
		}))
	}
	return parallel(tasks...)
}

// createServiceAccount deploys the role's stack and creates or annotates
// the Kubernetes service account.
func (m *Manager) createServiceAccount(ctx context.Context, cfg *ClusterConfig, sa *ClusterIAMServiceAcct, st *clusterState) error {
	cluster := cfg.Metadata.Name
	roleARN := sa.AttachRoleARN
	if roleARN == "" {
		if st.oidc.ARN == "" {
			return fmt.Errorf("no IAM OIDC provider is associated with cluster %q; try 'keks utils associate-iam-oidc-provider --cluster=%s --approve'", cluster, cluster)
		}
		stackName := ServiceAccountStackName(cluster, sa.Metadata.Namespace, sa.Metadata.Name)
		m.Log.Info("building iamserviceaccount stack %q", stackName)
		tags := clusterStackTags(cfg, map[string]string{TagServiceAccount: sa.Metadata.Namespace + "/" + sa.Metadata.Name})
		if err := m.stacks().Deploy(ctx, stackName, BuildServiceAccountStack(sa, st.oidc), tags); err != nil {
			return err
		}
		outputs, err := m.stacks().Outputs(ctx, stackName)
		if err != nil {
			return err
		}
		roleARN = outputs[ServiceAccountRoleOutput]
	}
	if isEnabled(sa.RoleOnly) {
		return nil
	}
	if m.Kube == nil || st.cluster == nil {
		return fmt.Errorf("no Kubernetes client to create serviceaccount %q", sa.Metadata.Namespace+"/"+sa.Metadata.Name)
	}
	k, err := m.Kube.Client(ctx, st.cluster)
	if err != nil {
		return err
	}
	if err := applyServiceAccount(ctx, k, sa, roleARN); err != nil {
		return fmt.Errorf("creating serviceaccount %q: %w", sa.Metadata.Namespace+"/"+sa.Metadata.Name, err)
	}
	m.Log.Info("created serviceaccount %q", sa.Metadata.Namespace+"/"+sa.Metadata.Name)
	return nil
}

// CreateCluster is `eksctl create cluster` once the config is prepared:
// SSH keys, the plan, the kubeconfig and the nodes' readiness.
func (m *Manager) CreateCluster(ctx context.Context, cfg *ClusterConfig, opts CreateOptions) error {
	start := time.Now()
	name, region := cfg.Metadata.Name, cfg.Metadata.Region
	for _, ng := range cfg.ManagedNodeGroups {
		if err := m.resolveSSHKey(ctx, name, ng); err != nil {
			return err
		}
	}
	m.Log.Info("using Kubernetes version %s", cfg.Metadata.Version)
	m.Log.Info("creating EKS cluster %q in %q region with %s", name, region, nodesDescription(cfg))
	m.Log.Info("will create %s", stacksDescription(cfg))
	m.Log.Info("if you encounter any issues, check CloudFormation console or try 'keks utils describe-stacks --region=%s --cluster=%s'", region, name)
	m.Log.Info("Kubernetes API endpoint access will use default of {publicAccess=%v, privateAccess=%v} for cluster %q in %q",
		isEnabled(cfg.VPC.ClusterEndpoints.PublicAccess), isEnabled(cfg.VPC.ClusterEndpoints.PrivateAccess), name, region)
	if len(cfg.CloudWatch.ClusterLogging.EnableTypes) == 0 {
		m.Log.Info("CloudWatch logging will not be enabled for cluster %q in %q", name, region)
		m.Log.Info("you can enable it with 'keks utils update-cluster-logging --enable-types={SPECIFY-YOUR-LOG-TYPES-HERE (e.g. all)} --region=%s --cluster=%s'", region, name)
	}
	st := &clusterState{}
	plan := m.CreateClusterPlan(cfg, st)
	m.Log.Info("\n%s\n", plan.Describe())
	if err := plan.ExecuteTimed(ctx, m.Log); err != nil {
		m.reportCreateFailure(cfg, err)
		return fmt.Errorf("failed to create cluster %q", name)
	}
	if opts.WriteKubeconfig && m.Kube != nil && st.cluster != nil {
		path, err := m.Kube.WriteKubeconfig(st.cluster)
		if err != nil {
			return fmt.Errorf("writing kubeconfig: %w", err)
		}
		m.Log.Success("saved kubeconfig as %q", path)
	}
	m.Log.Success("all EKS cluster resources for %q have been created", name)
	if len(cfg.ManagedNodeGroups) > 0 && m.Kube != nil {
		k, err := m.Kube.Client(ctx, st.cluster)
		if err != nil {
			return err
		}
		for _, ng := range cfg.ManagedNodeGroups {
			if err := waitForNodes(ctx, m.Log, k, ng.Name, *ng.MinSize, m.poll()); err != nil {
				return err
			}
		}
	}
	if opts.WriteKubeconfig {
		m.Log.Info("kubectl command should work with the kubeconfig written, try 'kubectl get nodes'")
	}
	m.Log.Success("EKS cluster %q in %q region is ready (took %s)", name, region, time.Since(start).Round(100*time.Millisecond))
	return nil
}

func (m *Manager) reportCreateFailure(cfg *ClusterConfig, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	m.Log.Warning("%d error(s) occurred and cluster hasn't been created properly, you may wish to check CloudFormation console", len(errs))
	m.Log.Info("to cleanup resources, run 'keks delete cluster --region=%s --name=%s'", cfg.Metadata.Region, cfg.Metadata.Name)
	for _, e := range errs {
		var se *StackError
		if errors.As(e, &se) {
			m.Log.Critical("ResourceNotReady: failed waiting for successful resource state")
		}
		m.Log.Critical("%v", e)
	}
}

func nodesDescription(cfg *ClusterConfig) string {
	switch {
	case len(cfg.ManagedNodeGroups) > 0:
		return "managed nodes"
	case len(cfg.FargateProfiles) > 0:
		return "Fargate profile"
	}
	return "no nodes"
}

func stacksDescription(cfg *ClusterConfig) string {
	n := len(cfg.ManagedNodeGroups)
	switch n {
	case 0:
		return "a CloudFormation stack for cluster itself"
	case 1:
		return "2 separate CloudFormation stacks for cluster itself and the initial managed nodegroup"
	}
	return fmt.Sprintf("%d separate CloudFormation stacks for cluster itself and %d managed nodegroup stack(s)", n+1, n)
}
