package eksctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// ClusterResources is what exists of a cluster, found before deleting it.
type ClusterResources struct {
	Name, Region string
	// ClusterStack is the cluster stack's name, "" when the cluster was not
	// made by (keks's) eksctl.
	ClusterStack           string
	NodeGroupStacks        []string
	ServiceAccountStacks   []string
	AccessEntryStacks      []string
	AddonStacks            []string
	NodeGroupsWithoutStack []string
	FargateProfiles        []string
	Addons                 []string
	OIDCProviderARN        string
	KeyPairs               []string
	// ClusterExists is whether EKS knows the cluster.
	ClusterExists bool
	// ClusterARN names the cluster's kubeconfig entries.
	ClusterARN string
}

// DiscoverCluster finds a cluster's stacks and what it has outside them.
func (m *Manager) DiscoverCluster(ctx context.Context, name, region string) (*ClusterResources, error) {
	r := &ClusterResources{Name: name, Region: region}
	stacks, err := m.stacks().ListClusterStacks(ctx, name)
	if err != nil {
		return nil, err
	}
	ngStacks := map[string]bool{}
	for _, s := range stacks {
		stackName := aws.ToString(s.StackName)
		switch kind, rest := stackKind(name, stackName); kind {
		case "cluster":
			r.ClusterStack = stackName
		case "nodegroup":
			r.NodeGroupStacks = append(r.NodeGroupStacks, stackName)
			ngStacks[rest] = true
		case "iamserviceaccount":
			r.ServiceAccountStacks = append(r.ServiceAccountStacks, stackName)
		case "accessentry":
			r.AccessEntryStacks = append(r.AccessEntryStacks, stackName)
		case "addon":
			r.AddonStacks = append(r.AddonStacks, stackName)
		}
	}
	cl, err := m.describeCluster(ctx, name)
	switch {
	case err == nil:
		r.ClusterExists = true
		r.ClusterARN = aws.ToString(cl.Arn)
	case isNotFound(err):
	default:
		return nil, err
	}
	if r.ClusterExists {
		if r.FargateProfiles, err = m.listFargateProfiles(ctx, name); err != nil {
			return nil, err
		}
		if r.Addons, err = m.listAddons(ctx, name); err != nil {
			return nil, err
		}
		ngs, err := m.listNodegroups(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, ng := range ngs {
			if !ngStacks[ng] {
				r.NodeGroupsWithoutStack = append(r.NodeGroupsWithoutStack, ng)
			}
		}
		if issuer := issuerOf(cl); issuer != "" {
			if r.OIDCProviderARN, err = m.findOIDCProvider(ctx, issuer); err != nil {
				return nil, err
			}
		}
	}
	if m.Clients.EC2 != nil {
		out, err := m.Clients.EC2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
		if err != nil {
			return nil, fmt.Errorf("listing EC2 key pairs: %w", err)
		}
		for _, k := range out.KeyPairs {
			if name := aws.ToString(k.KeyName); strings.HasPrefix(name, KeyPairPrefix(r.Name)) {
				r.KeyPairs = append(r.KeyPairs, name)
			}
		}
	}
	return r, nil
}

// DeleteClusterPlan is the order in which eksctl takes a cluster apart:
// Fargate profiles (one at a time), add-ons, IAM service account and
// access entry stacks,
// node groups (their stacks, or through EKS for groups it did not make),
// the OIDC provider, imported key pairs, and last the cluster stack (or
// the cluster itself when no stack made it).
func (m *Manager) DeleteClusterPlan(r *ClusterResources, wait bool) *Task {
	var fargate, addons, saStacks, nodegroups, keys []*Task
	for _, fp := range r.FargateProfiles {
		fargate = append(fargate, leaf(fmt.Sprintf("delete fargate profile %q", fp), func(ctx context.Context) error {
			return m.deleteFargateProfile(ctx, r.Name, fp)
		}))
	}
	for _, a := range r.Addons {
		addons = append(addons, leaf(fmt.Sprintf("delete addon %q", a), func(ctx context.Context) error {
			return m.deleteAddon(ctx, r.Name, a, true)
		}))
	}
	for _, s := range r.ServiceAccountStacks {
		_, sa := stackKind(r.Name, s)
		saStacks = append(saStacks, leaf(fmt.Sprintf("delete IAM role for serviceaccount %q", sa), func(ctx context.Context) error {
			return m.stacks().Delete(ctx, s, true)
		}))
	}
	for _, s := range r.AddonStacks {
		_, a := stackKind(r.Name, s)
		saStacks = append(saStacks, leaf(fmt.Sprintf("delete IAM role for addon %q", a), func(ctx context.Context) error {
			return m.stacks().Delete(ctx, s, true)
		}))
	}
	for _, s := range r.AccessEntryStacks {
		saStacks = append(saStacks, leaf(fmt.Sprintf("delete access entry stack %q", s), func(ctx context.Context) error {
			return m.stacks().Delete(ctx, s, true)
		}))
	}
	for _, s := range r.NodeGroupStacks {
		_, ng := stackKind(r.Name, s)
		nodegroups = append(nodegroups, leaf(fmt.Sprintf("delete nodegroup %q", ng), func(ctx context.Context) error {
			return m.stacks().Delete(ctx, s, true)
		}))
	}
	for _, ng := range r.NodeGroupsWithoutStack {
		nodegroups = append(nodegroups, leaf(fmt.Sprintf("delete nodegroup %q", ng), func(ctx context.Context) error {
			return m.deleteNodegroupAPI(ctx, r.Name, ng, true)
		}))
	}
	var oidc *Task
	if r.OIDCProviderARN != "" {
		oidc = leaf("delete IAM OIDC provider", func(ctx context.Context) error {
			_, err := m.Clients.IAM.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(r.OIDCProviderARN)})
			if err != nil && !isNotFound(err) {
				return fmt.Errorf("deleting IAM OIDC provider %q: %w", r.OIDCProviderARN, err)
			}
			return nil
		})
	}
	for _, k := range r.KeyPairs {
		keys = append(keys, leaf(fmt.Sprintf("delete EC2 key pair %q", k), func(ctx context.Context) error {
			_, err := m.Clients.EC2.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: aws.String(k)})
			return err
		}))
	}
	var cluster *Task
	switch async := map[bool]string{true: "", false: " [async]"}[wait]; {
	case r.ClusterStack != "":
		cluster = leaf(fmt.Sprintf("delete cluster control plane %q%s", r.Name, async), func(ctx context.Context) error {
			return m.stacks().Delete(ctx, r.ClusterStack, wait)
		})
	case r.ClusterExists:
		cluster = leaf(fmt.Sprintf("delete cluster control plane %q%s", r.Name, async), func(ctx context.Context) error {
			return m.deleteClusterAPI(ctx, r.Name, wait)
		})
	}
	return sequential(
		sequential(fargate...),
		parallel(addons...),
		parallel(saStacks...),
		parallel(nodegroups...),
		oidc,
		parallel(keys...),
		cluster,
	)
}

// DeleteCluster is `eksctl delete cluster`.
func (m *Manager) DeleteCluster(ctx context.Context, name, region string, wait bool) error {
	m.Log.Info("deleting EKS cluster %q", name)
	r, err := m.DiscoverCluster(ctx, name, region)
	if err != nil {
		return err
	}
	if r.ClusterStack == "" && !r.ClusterExists && len(r.NodeGroupStacks)+len(r.ServiceAccountStacks)+len(r.AccessEntryStacks)+len(r.AddonStacks) == 0 {
		return fmt.Errorf("cluster %q not found in %q", name, region)
	}
	m.Log.Info("will drain 0 unmanaged nodegroup(s) in cluster %q", name)
	if m.Kube != nil && r.ClusterARN != "" {
		if removed, err := m.Kube.ForgetKubeconfig(r.ClusterARN); err != nil {
			m.Log.Warning("updating kubeconfig: %v", err)
		} else if removed {
			m.Log.Success("kubeconfig has been updated")
		}
	}
	plan := m.DeleteClusterPlan(r, wait)
	m.Log.Info("\n%s\n", plan.Describe())
	if err := plan.ExecuteTimed(ctx, m.Log); err != nil {
		m.Log.Critical("%v", err)
		return fmt.Errorf("failed to delete cluster %q", name)
	}
	if len(r.FargateProfiles) > 0 {
		m.Log.Info("deleted %d Fargate profile(s)", len(r.FargateProfiles))
	}
	m.Log.Success("all cluster resources were deleted")
	return nil
}

func (m *Manager) listFargateProfiles(ctx context.Context, cluster string) ([]string, error) {
	return allPages(fmt.Sprintf("Fargate profiles of %q", cluster), func(token *string) ([]string, *string, error) {
		page, err := m.Clients.EKS.ListFargateProfiles(ctx, &eks.ListFargateProfilesInput{ClusterName: aws.String(cluster), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		return page.FargateProfileNames, page.NextToken, nil
	})
}

func (m *Manager) listAddons(ctx context.Context, cluster string) ([]string, error) {
	return allPages(fmt.Sprintf("addons of %q", cluster), func(token *string) ([]string, *string, error) {
		page, err := m.Clients.EKS.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String(cluster), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		return page.Addons, page.NextToken, nil
	})
}

func (m *Manager) listNodegroups(ctx context.Context, cluster string) ([]string, error) {
	out, err := allPages(fmt.Sprintf("nodegroups of %q", cluster), func(token *string) ([]string, *string, error) {
		page, err := m.Clients.EKS.ListNodegroups(ctx, &eks.ListNodegroupsInput{ClusterName: aws.String(cluster), NextToken: token})
		if err != nil {
			return nil, nil, err
		}
		return page.Nodegroups, page.NextToken, nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

func (m *Manager) deleteFargateProfile(ctx context.Context, cluster, name string) error {
	m.Log.Info("deleting Fargate profile %q", name)
	return m.deleteAndWait(ctx, fmt.Sprintf("Fargate profile %q", name), true, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
		return err
	}, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
		return err
	})
}

func (m *Manager) deleteAddon(ctx context.Context, cluster, name string, wait bool) error {
	m.Log.Info("deleting addon %q", name)
	return m.deleteAndWait(ctx, fmt.Sprintf("addon %q", name), wait, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
		return err
	}, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
		return err
	})
}

func (m *Manager) deleteNodegroupAPI(ctx context.Context, cluster, name string, wait bool) error {
	m.Log.Info("deleting nodegroup %q", name)
	return m.deleteAndWait(ctx, fmt.Sprintf("nodegroup %q", name), wait, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DeleteNodegroup(ctx, &eks.DeleteNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name)})
		return err
	}, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(name)})
		return err
	})
}

func (m *Manager) deleteClusterAPI(ctx context.Context, name string, wait bool) error {
	return m.deleteAndWait(ctx, fmt.Sprintf("cluster %q", name), wait, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String(name)})
		return err
	}, func(ctx context.Context) error {
		_, err := m.Clients.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
		return err
	})
}

// deleteAndWait deletes what through del, a resource already gone being
// deleted too, and when wait says so waits until describe no longer finds it.
func (m *Manager) deleteAndWait(ctx context.Context, what string, wait bool, del, describe func(context.Context) error) error {
	if err := del(ctx); err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("deleting %s: %w", what, err)
	}
	if !wait {
		return nil
	}
	return m.waitGone(ctx, what+" to be deleted", describe)
}

// waitGone polls describe until it answers ResourceNotFound.
func (m *Manager) waitGone(ctx context.Context, what string, describe func(context.Context) error) error {
	return m.pollUntil(ctx, what, func(ctx context.Context) (bool, error) {
		err := describe(ctx)
		if isNotFound(err) {
			return true, nil
		}
		return false, err
	})
}

// isNotFound is EKS's and IAM's answer for something that is not there.
func isNotFound(err error) bool {
	var nf *ekstypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "ResourceNotFoundException" || ae.ErrorCode() == "NoSuchEntity")
}
