package eks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/eks/accesspolicies"
	"github.com/keksdev/keks/internal/store"
)

// ClusterAdminPolicyARN is the access policy EKS gives the cluster creator.
const ClusterAdminPolicyARN = accesspolicies.ARNPrefix + "AmazonEKSClusterAdminPolicy"

// The entries EKS makes itself, when a cluster gets the access entry API
// (created so, or moved off CONFIG_MAP): the creator's, as cluster admin,
// when bootstrapClusterCreatorAdminPermissions was on; and one for each
// managed node group's role and each Fargate profile's pod execution
// role, as their nodes' way in. A node group or Fargate profile created
// later brings its role's entry along.

// creatorEntry is the cluster creator's admin entry, or nil when the
// creator is no IAM role or user (the account's root) or cannot be found.
// The creator is recorded canonical, without a role's path; the entry
// names the role by its full ARN, as EKS does.
func (s *Service) creatorEntry(ctx context.Context, c *Cluster) (*AccessEntry, error) {
	p, err := parsePrincipal(c.Name, c.Spec.CreatorARN)
	if err != nil {
		return nil, nil
	}
	if p.isRole() && p.account == c.Account {
		r, err := s.IAM.GetRole(ctx, p.name)
		if _, refused := awserr.AsError(err); err != nil && refused {
			return nil, nil // gone since: nobody to give the entry to
		} else if err != nil {
			return nil, fmt.Errorf("look up the creator's role %s: %w", p.name, err)
		}
		if p, err = parsePrincipal(c.Name, r.ARN); err != nil {
			return nil, nil
		}
	}
	now := s.Now().UTC()
	e := newEntry(c, p, AccessEntryStandard, now)
	e.Policies = []AssociatedPolicy{{PolicyARN: ClusterAdminPolicyARN, ScopeType: AccessScopeCluster, AssociatedAt: now, ModifiedAt: now}}
	return e, nil
}

// nodeRoleEntry is the entry EKS makes for a managed node group's role.
func (s *Service) nodeRoleEntry(c *Cluster, ng *Nodegroup) (*AccessEntry, error) {
	p, err := parsePrincipal(c.Name, ng.NodeRole)
	if err != nil {
		return nil, fmt.Errorf("node role %s of node group %s: %w", ng.NodeRole, ng.Name, err)
	}
	typ := AccessEntryEC2Linux
	if strings.HasPrefix(ng.AMIType, "WINDOWS_") {
		typ = AccessEntryEC2Windows
	}
	return newEntry(c, p, typ, s.Now().UTC()), nil
}

// fargateRoleEntry is the entry EKS makes for a Fargate profile's pod
// execution role.
func (s *Service) fargateRoleEntry(c *Cluster, fp *FargateProfile) (*AccessEntry, error) {
	p, err := parsePrincipal(c.Name, fp.PodExecutionRoleARN)
	if err != nil {
		return nil, fmt.Errorf("pod execution role %s of Fargate profile %s: %w", fp.PodExecutionRoleARN, fp.Name, err)
	}
	return newEntry(c, p, AccessEntryFargateLinux, s.Now().UTC()), nil
}

// apiModeEntries are the entries a cluster gets when it gets the access
// entry API: the creator's (with bootstrap on), its node groups' roles'
// and its Fargate profiles' pod execution roles'.
func (s *Service) apiModeEntries(ctx context.Context, c *Cluster) ([]*AccessEntry, error) {
	var out []*AccessEntry
	if c.Spec.BootstrapCreatorAdmin {
		e, err := s.creatorEntry(ctx, c)
		if err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, e)
		}
	}
	ngs, err := s.Nodegroups(ctx, c.UID)
	if err != nil {
		return nil, err
	}
	for i := range ngs {
		if ngs[i].DeletionRequested {
			continue
		}
		e, err := s.nodeRoleEntry(c, &ngs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	fps, err := s.FargateProfiles(ctx, c.UID)
	if err != nil {
		return nil, err
	}
	for i := range fps {
		if fps[i].Status == FargateProfileDeleting {
			continue
		}
		e, err := s.fargateRoleEntry(c, &fps[i])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// addMissingEntries has t create each entry whose principal has none in
// the cluster yet: an entry there, made by its owner, stays as it is. The
// creates hold only while the keys are still free.
func (s *Service) addMissingEntries(ctx context.Context, t *store.Txn, clusterUID string, entries []*AccessEntry) error {
	seen := map[string]bool{}
	for _, e := range entries {
		key := accessEntryKey(clusterUID, e.PrincipalARN)
		if seen[key] {
			continue // two node groups with one role
		}
		seen[key] = true
		var have AccessEntry
		_, err := s.Store.Get(ctx, key, &have)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("read access entry of %s: %w", e.PrincipalARN, err)
		}
		t.Create(key, e)
	}
	return nil
}

// addNodeRoleEntry has t give a new node group's role its entry, as EKS
// does in a cluster with the access entry API (in CONFIG_MAP mode EKS
// maps the role in aws-auth instead).
func (s *Service) addNodeRoleEntry(ctx context.Context, t *store.Txn, c *Cluster, ng *Nodegroup) error {
	if !hasAccessEntries(c.Spec.AuthenticationMode) {
		return nil
	}
	e, err := s.nodeRoleEntry(c, ng)
	if err != nil {
		return err
	}
	return s.addMissingEntries(ctx, t, c.UID, []*AccessEntry{e})
}

// addFargateRoleEntry has t give a new Fargate profile's pod execution
// role its FARGATE_LINUX entry, as EKS does in a cluster with the access
// entry API (in CONFIG_MAP mode EKS maps the role in aws-auth instead).
func (s *Service) addFargateRoleEntry(ctx context.Context, t *store.Txn, c *Cluster, fp *FargateProfile) error {
	if !hasAccessEntries(c.Spec.AuthenticationMode) {
		return nil
	}
	e, err := s.fargateRoleEntry(c, fp)
	if err != nil {
		return err
	}
	return s.addMissingEntries(ctx, t, c.UID, []*AccessEntry{e})
}
