package eks

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// EKS Fargate profiles: records of their cluster, keyed by its uid and
// their name. The API creates them CREATING and marks them DELETING; the
// Fargate reconciler does the rest. EKS runs one profile operation at a
// time per cluster: no create or delete while a profile of the cluster is
// CREATING or DELETING, which the cluster's Fargate lock makes race-free.

// CreateFargateProfileInput is CreateFargateProfile's request, decoded.
type CreateFargateProfileInput struct {
	Region, Account, ClusterName, Name string
	PodExecutionRoleARN                string
	// Subnets are the profile's subnets; none means the cluster's private ones.
	Subnets            []string
	Selectors          []FargateSelector
	Tags               map[string]string
	ClientRequestToken string
}

// CreateFargateProfile validates a request as EKS does and records a
// CREATING profile, with, in a cluster with the access entry API, its pod
// execution role's FARGATE_LINUX entry.
func (s *Service) CreateFargateProfile(ctx context.Context, in CreateFargateProfileInput) (*FargateProfile, error) {
	if err := checkFargateProfileName(in.ClusterName, in.Name); err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if existing, _, err := s.fargateProfileAt(ctx, c, in.Name); err == nil {
		if in.ClientRequestToken != "" && existing.ClientRequestToken == in.ClientRequestToken {
			return existing, nil // an idempotent retry
		}
		return nil, fargateProfileExists(c.Name)
	} else if _, known := awserr.AsError(err); !known {
		return nil, err
	}
	if c.Status.Phase != StatusActive || c.DeletionRequested {
		return nil, clusterNotActive(c.Name)
	}
	fp, err := s.newFargateProfile(ctx, c, in)
	if err != nil {
		return nil, err
	}
	out := fp
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		out = fp
		// The profile lands only while its cluster is still ACTIVE as
		// checked, and on the view of the cluster's profiles read here.
		cur, err := s.clusterAsChecked(ctx, t, c)
		if err != nil {
			return err
		}
		if cur.Status.Phase != StatusActive || cur.DeletionRequested {
			return clusterNotActive(c.Name)
		}
		if existing, _, err := s.fargateProfileAt(ctx, cur, fp.Name); err == nil {
			if in.ClientRequestToken != "" && existing.ClientRequestToken == in.ClientRequestToken {
				out = existing // an idempotent retry: nothing to write
				return nil
			}
			return fargateProfileExists(c.Name)
		} else if _, known := awserr.AsError(err); !known {
			return err
		}
		profiles, err := s.claimFargateProfiles(ctx, t, c.UID)
		if err != nil {
			return err
		}
		if o := busyFargateProfile(profiles, ""); o != nil {
			// EKS (eksctl; terraform-provider-aws#13372, #16272).
			return awserr.Errorf(CodeResourceInUse, "Cannot create Fargate Profile %s because cluster %s currently has Fargate profile %s in status %s",
				fp.Name, c.Name, o.Name, o.Status).With("clusterName", c.Name)
		}
		if len(profiles) >= maxFargateProfilesPerCluster {
			return awserr.Errorf(CodeResourceLimit, "Cannot exceed the maximum of %d Fargate profiles per cluster", maxFargateProfilesPerCluster).With("clusterName", c.Name)
		}
		t.Create(FargateProfileKey(c.UID, fp.Name), fp)
		// With the access entry API, the role gets its entry along.
		return s.addFargateRoleEntry(ctx, t, cur, fp)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func clusterNotActive(name string) error {
	return awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is not in ACTIVE status", name).With("clusterName", name)
}

// newFargateProfile applies EKS's rules to a new profile's request and
// fills in its ARN, subnets (the cluster's private ones by default) and
// creation time.
func (s *Service) newFargateProfile(ctx context.Context, c *Cluster, in CreateFargateProfileInput) (*FargateProfile, error) {
	selectors, err := checkFargateSelectors(c.Name, in.Name, in.Selectors)
	if err != nil {
		return nil, err
	}
	if err := s.checkPodExecutionRole(ctx, c, in.Name, in.PodExecutionRoleARN); err != nil {
		return nil, err
	}
	subnets, err := s.fargateSubnets(ctx, c, in.Name, in.Subnets)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	fp := &FargateProfile{
		Name: in.Name, ARN: fmt.Sprintf("arn:aws:eks:%s:%s:fargateprofile/%s/%s/%s", c.Region, c.Account, c.Name, in.Name, uuid.NewString()),
		ClusterName: c.Name, ClusterUID: c.UID, Region: c.Region, Account: c.Account, CreatedAt: s.Now().UTC(),
		PodExecutionRoleARN: in.PodExecutionRoleARN, Subnets: subnets, Selectors: selectors,
		Status: FargateProfileCreating, ClientRequestToken: in.ClientRequestToken,
	}
	if len(in.Tags) > 0 {
		fp.Tags = maps.Clone(in.Tags)
	}
	return fp, nil
}

// claimFargateProfiles makes t rewrite the cluster's Fargate lock, so that
// it commits only if no other profile create or delete of the cluster
// committed since this read, and returns the cluster's profiles as read
// after the lock, in name order.
func (s *Service) claimFargateProfiles(ctx context.Context, t *store.Txn, clusterUID string) ([]FargateProfile, error) {
	var lock fargateLock
	rev, err := s.Store.Get(ctx, fargateLockKey(clusterUID), &lock)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	t.Unchanged(fargateLockKey(clusterUID), rev) // rev 0: still absent
	lock.Operations++
	t.Put(fargateLockKey(clusterUID), &lock)
	return store.List[FargateProfile](ctx, s.Store, fargateProfilePrefix(clusterUID))
}

// busyFargateProfile is the first profile, other than the one named
// except, in an operation (CREATING or DELETING); nil when there is none.
func busyFargateProfile(profiles []FargateProfile, except string) *FargateProfile {
	for i := range profiles {
		if o := &profiles[i]; o.Name != except && (o.Status == FargateProfileCreating || o.Status == FargateProfileDeleting) {
			return o
		}
	}
	return nil
}

// fargateProfileAt reads a profile of cluster c with its store revision;
// EKS's 404 when there is none.
func (s *Service) fargateProfileAt(ctx context.Context, c *Cluster, name string) (*FargateProfile, int64, error) {
	var fp FargateProfile
	rev, err := s.Store.Get(ctx, FargateProfileKey(c.UID, name), &fp)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, fargateProfileNotFound(c.Name, name)
	} else if err != nil {
		return nil, 0, err
	}
	return &fp, rev, nil
}

// GetFargateProfile reads one profile of a cluster.
func (s *Service) GetFargateProfile(ctx context.Context, region, cluster, name string) (*FargateProfile, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	fp, _, err := s.fargateProfileAt(ctx, c, name)
	return fp, err
}

// FargateProfiles returns the profiles of the cluster with that uid, in
// name order; an empty uid returns every cluster's. In a cluster whose
// authentication mode has aws-auth, these are the pod execution roles it
// maps for Fargate's nodes.
func (s *Service) FargateProfiles(ctx context.Context, clusterUID string) ([]FargateProfile, error) {
	if clusterUID == "" {
		return store.List[FargateProfile](ctx, s.Store, FargateProfilePrefix)
	}
	return store.List[FargateProfile](ctx, s.Store, fargateProfilePrefix(clusterUID))
}

// ListFargateProfiles pages through a cluster's profile names.
func (s *Service) ListFargateProfiles(ctx context.Context, region, cluster string, maxResults int, nextToken string) ([]string, string, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, "", err
	}
	all, err := s.FargateProfiles(ctx, c.UID)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, 0, len(all))
	for _, fp := range all {
		names = append(names, fp.Name)
	}
	return Page(names, maxResults, nextToken)
}

// DeleteFargateProfile starts deleting a profile: it becomes DELETING,
// and the Fargate reconciler removes it once its pods are gone. A profile
// already DELETING is returned as it is.
func (s *Service) DeleteFargateProfile(ctx context.Context, region, cluster, name string) (*FargateProfile, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	var out *FargateProfile
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		// An update of the cluster records its cluster: depending on the
		// cluster as read orders this delete after any update begun.
		cur, err := s.clusterAsChecked(ctx, t, c)
		if err != nil {
			return err
		}
		fp, rev, err := s.fargateProfileAt(ctx, cur, name)
		if err != nil {
			return err
		}
		if fp.Status == FargateProfileDeleting {
			out = fp // nothing to write
			return nil
		}
		ups, err := s.PendingUpdates(ctx, cur)
		if err != nil {
			return err
		}
		if len(ups) > 0 {
			// EKS (terraform-aws-modules/terraform-aws-eks#2194).
			return awserr.Errorf(CodeResourceInUse, "Cannot Delete Fargate Profile %s because cluster %s currently has an update in progress", name, c.Name).With("clusterName", c.Name)
		}
		profiles, err := s.claimFargateProfiles(ctx, t, c.UID)
		if err != nil {
			return err
		}
		// The profile itself counts too: one still CREATING is in an operation.
		if o := busyFargateProfile(profiles, ""); o != nil {
			// EKS (hashicorp/terraform#25059; cloud-custodian#5585).
			return awserr.Errorf(CodeResourceInUse, "Cannot Delete Fargate Profile %s because cluster %s currently has Fargate profile %s in status %s",
				name, c.Name, o.Name, o.Status).With("clusterName", c.Name)
		}
		next := *fp
		next.Status = FargateProfileDeleting
		key := FargateProfileKey(c.UID, name)
		t.Unchanged(key, rev)
		t.Put(key, &next)
		out = &next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetFargateProfile changes a profile record by fn, compare-and-swap (fn
// may run more than once, on fresh reads): for the Fargate reconciler's
// status and health. A profile gone, or deleted and made again since fp
// was read, is not found.
func (s *Service) SetFargateProfile(ctx context.Context, fp *FargateProfile, fn func(*FargateProfile) error) (*FargateProfile, error) {
	out, err := store.Mutate(ctx, s.Store, FargateProfileKey(fp.ClusterUID, fp.Name), func(cur *FargateProfile) error {
		if cur.ARN != fp.ARN {
			return store.ErrNotFound
		}
		return fn(cur)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fargateProfileNotFound(fp.ClusterName, fp.Name)
	}
	return out, err
}

// ForgetFargateProfile removes a deleted profile's record, once its pods
// are gone. A profile already gone, or made again under the same name
// since, is left as it is.
func (s *Service) ForgetFargateProfile(ctx context.Context, fp *FargateProfile) error {
	key := FargateProfileKey(fp.ClusterUID, fp.Name)
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		var cur FargateProfile
		rev, err := s.Store.Get(ctx, key, &cur)
		if errors.Is(err, store.ErrNotFound) || (err == nil && cur.ARN != fp.ARN) {
			return nil
		} else if err != nil {
			return err
		}
		t.Unchanged(key, rev)
		t.Delete(key)
		return nil
	})
}

// fargateProfileByARN finds the profile a profile ARN names
// (…:fargateprofile/<cluster>/<name>/<uuid>); nil when there is none.
func (s *Service) fargateProfileByARN(ctx context.Context, region, cluster, name, arn string) (*FargateProfile, error) {
	fp, err := s.GetFargateProfile(ctx, region, cluster, name)
	if err != nil {
		if _, known := awserr.AsError(err); known {
			return nil, nil
		}
		return nil, err
	}
	if fp.ARN != arn {
		return nil, nil
	}
	return fp, nil
}
