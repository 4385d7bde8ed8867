package eks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/store"
)

func updatePrefix(clusterUID string) string  { return "eks/updates/" + clusterUID + "/" }
func updateKey(clusterUID, id string) string { return updatePrefix(clusterUID) + id }

// UpdateClusterConfigInput is UpdateClusterConfig's request, decoded. Only
// one group of fields may be set, as EKS allows one kind of update per call.
type UpdateClusterConfigInput struct {
	Name                  string
	Region                string
	SubnetIDs             []string
	SecurityGroupIDs      []string
	EndpointPublicAccess  *bool
	EndpointPrivateAccess *bool
	PublicAccessCIDRs     []string
	Logging               []LogSetup
	AuthenticationMode    string
	SupportType           string
	DeletionProtection    *bool
	ScalingTier           string   // controlPlaneScalingConfig.tier; empty leaves it
	Unsupported           []string // request members keks does not act on
}

// UpdateClusterConfig validates and records one configuration change.
func (s *Service) UpdateClusterConfig(ctx context.Context, in UpdateClusterConfigInput) (*Update, error) {
	c, err := s.GetCluster(ctx, in.Region, in.Name)
	if err != nil {
		return nil, err
	}
	kinds := 0
	vpcSet := in.SubnetIDs != nil || in.SecurityGroupIDs != nil
	endpointSet := in.EndpointPublicAccess != nil || in.EndpointPrivateAccess != nil || in.PublicAccessCIDRs != nil
	for _, set := range []bool{vpcSet || endpointSet, in.Logging != nil, in.AuthenticationMode != "", in.SupportType != "", in.DeletionProtection != nil, in.ScalingTier != "", len(in.Unsupported) > 0} {
		if set {
			kinds++
		}
	}
	if kinds == 0 {
		return nil, invalidParam(in.Name, "The type for cluster update was not provided.")
	}
	if kinds > 1 || (vpcSet && endpointSet) {
		return nil, invalidParam(in.Name, "Only one type of update can be allowed.")
	}
	if len(in.Unsupported) > 0 {
		return nil, invalidParam(in.Name, "keks does not support updating %v", in.Unsupported)
	}
	if err := s.checkUpdatable(ctx, c); err != nil {
		return nil, err
	}
	spec := c.Spec
	var upd Update
	switch {
	case endpointSet:
		pub, priv, cidrs := spec.EndpointPublicAccess, spec.EndpointPrivateAccess, spec.PublicAccessCIDRs
		if in.EndpointPublicAccess != nil {
			pub = *in.EndpointPublicAccess
		}
		if in.EndpointPrivateAccess != nil {
			priv = *in.EndpointPrivateAccess
		}
		if in.PublicAccessCIDRs != nil {
			if err := validatePublicCIDRs(in.PublicAccessCIDRs); err != nil {
				return nil, err
			}
			cidrs = in.PublicAccessCIDRs
		}
		if !pub && !priv {
			return nil, invalidParam(in.Name, "At least one of endpointPublicAccess and endpointPrivateAccess must be true")
		}
		if pub == spec.EndpointPublicAccess && priv == spec.EndpointPrivateAccess && slices.Equal(cidrs, spec.PublicAccessCIDRs) {
			return nil, invalidParam(in.Name, "Cluster is already at the desired configuration with endpointPrivateAccess: %t , endpointPublicAccess: %t, and Public Endpoint Restrictions: %v", priv, pub, cidrs)
		}
		spec.EndpointPublicAccess, spec.EndpointPrivateAccess, spec.PublicAccessCIDRs = pub, priv, cidrs
		cidrJSON, _ := json.Marshal(cidrs)
		upd = Update{Type: "EndpointAccessUpdate", Params: []UpdateParam{
			{Type: "EndpointPublicAccess", Value: strconv.FormatBool(pub)},
			{Type: "EndpointPrivateAccess", Value: strconv.FormatBool(priv)},
			{Type: "PublicAccessCidrs", Value: string(cidrJSON)},
		}}
	case vpcSet:
		if in.SubnetIDs != nil {
			vpcID, err := s.checkSubnets(ctx, in.Name, in.SubnetIDs)
			if err != nil {
				return nil, err
			}
			if vpcID != spec.VPCID {
				return nil, invalidParam(in.Name, "Subnets must be in the cluster's VPC %s", spec.VPCID)
			}
			spec.SubnetIDs = in.SubnetIDs
		}
		if in.SecurityGroupIDs != nil {
			for _, id := range in.SecurityGroupIDs {
				sg, err := s.EC2.GetSecurityGroup(ctx, id)
				if err != nil || sg.VPCID != spec.VPCID {
					return nil, invalidParam(in.Name, "The security group '%s' does not exist in VPC %s", id, spec.VPCID)
				}
			}
			spec.SecurityGroupIDs = in.SecurityGroupIDs
		}
		upd = Update{Type: "VpcConfigUpdate"}
		if in.SubnetIDs != nil {
			v, _ := json.Marshal(in.SubnetIDs)
			upd.Params = append(upd.Params, UpdateParam{Type: "Subnets", Value: string(v)})
		}
		if in.SecurityGroupIDs != nil {
			v, _ := json.Marshal(in.SecurityGroupIDs)
			upd.Params = append(upd.Params, UpdateParam{Type: "SecurityGroups", Value: string(v)})
		}
	case in.Logging != nil:
		next := map[string]bool{}
		for k, v := range spec.Logging {
			next[k] = v
		}
		for _, l := range in.Logging {
			if err := validateLogTypes(l.Types); err != nil {
				return nil, err
			}
			for _, t := range l.Types {
				next[t] = l.Enabled != nil && *l.Enabled
			}
		}
		if enabledLogTypes(next) == enabledLogTypes(spec.Logging) {
			return nil, invalidParam(in.Name, "No changes needed for the logging config provided")
		}
		spec.Logging = next
		upd = Update{Type: UpdateLogging, Params: []UpdateParam{{Type: "ClusterLogging", Value: loggingParam(next)}}}
	case in.AuthenticationMode != "":
		var err error
		if upd, err = authModeUpdate(in.Name, spec.AuthenticationMode, in.AuthenticationMode); err != nil {
			return nil, err
		}
		spec.AuthenticationMode = in.AuthenticationMode
		if !hasAccessEntries(c.Spec.AuthenticationMode) {
			// The cluster gets the access entry API: EKS makes the entries
			// of its creator and node roles in the same step.
			next := *c
			next.Spec = spec
			entries, err := s.apiModeEntries(ctx, &next)
			if err != nil {
				return nil, err
			}
			return s.recordUpdateWith(ctx, c, spec, upd, func(t *store.Txn) error {
				return s.addMissingEntries(ctx, t, c.UID, entries)
			})
		}
	case in.SupportType != "":
		if in.SupportType != "STANDARD" && in.SupportType != "EXTENDED" {
			return nil, invalidParam(in.Name, "1 validation error detected: Value '%s' at 'upgradePolicy.supportType' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXTENDED]", in.SupportType)
		}
		if in.SupportType == spec.SupportType {
			return nil, invalidParam(in.Name, "Cluster is already at the desired configuration with supportType: %s", in.SupportType)
		}
		if in.SupportType == "STANDARD" {
			if err := checkStandardSupport(in.Name, spec.Version, s.SupportTime()); err != nil {
				return nil, err
			}
		}
		spec.SupportType = in.SupportType
		upd = Update{Type: "UpgradePolicyUpdate", Params: []UpdateParam{{Type: "UpgradePolicy", Value: in.SupportType}}}
	case in.DeletionProtection != nil:
		if *in.DeletionProtection == spec.DeletionProtection {
			return nil, invalidParam(in.Name, "Cluster is already at the desired configuration with deletionProtection: %t", spec.DeletionProtection)
		}
		spec.DeletionProtection = *in.DeletionProtection
		upd = Update{Type: "DeletionProtectionUpdate", Params: []UpdateParam{{Type: "DeletionProtection", Value: strconv.FormatBool(spec.DeletionProtection)}}}
	case in.ScalingTier != "":
		if err := validateScalingTier(in.Name, in.ScalingTier); err != nil {
			return nil, err
		}
		previous := spec.Tier().Name
		if in.ScalingTier == previous {
			return nil, invalidParam(in.Name, "Cluster is already at the desired configuration with controlPlaneScalingConfig tier: %s", previous)
		}
		to, _ := LookupScalingTier(in.ScalingTier)
		if err := s.checkDatabaseFits(ctx, c, to); err != nil {
			return nil, err
		}
		spec.ScalingTier = in.ScalingTier
		if in.ScalingTier == TierStandard {
			spec.ScalingTier = ""
		}
		upd = Update{Type: UpdateControlPlaneScaling, Params: []UpdateParam{{Type: "UpdatedTier", Value: in.ScalingTier}, {Type: "PreviousTier", Value: previous}}}
	}
	return s.recordUpdate(ctx, c, spec, upd)
}

// UpdateClusterVersion starts an upgrade to the next minor version.
func (s *Service) UpdateClusterVersion(ctx context.Context, region, name, version string) (*Update, error) {
	c, err := s.GetCluster(ctx, region, name)
	if err != nil {
		return nil, err
	}
	v, ok := kubeversions.Lookup(version)
	if !ok || v.Minor != version {
		return nil, invalidParam(name, "unsupported Kubernetes version %s", version)
	}
	if version == c.Spec.Version {
		return nil, invalidParam(name, "Cluster is already at the desired version %s", version)
	}
	if !kubeversions.IsNextMinor(c.Spec.Version, version) {
		return nil, invalidParam(name, "Unsupported Kubernetes minor version update from %s to %s", c.Spec.Version, version)
	}
	if err := s.checkUpdatable(ctx, c); err != nil {
		return nil, err
	}
	ngs, err := s.Nodegroups(ctx, c.UID)
	if err != nil {
		return nil, err
	}
	for _, ng := range ngs {
		if ng.Version != c.Spec.Version {
			return nil, invalidParam(name, "Nodegroup %s must be updated to match cluster version %s before updating cluster version", ng.Name, c.Spec.Version)
		}
	}
	spec := c.Spec
	spec.Version = version
	return s.recordUpdate(ctx, c, spec, Update{Type: "VersionUpdate", Params: []UpdateParam{
		{Type: "Version", Value: version}, {Type: "PlatformVersion", Value: v.PlatformVersion},
	}})
}

func (s *Service) checkUpdatable(ctx context.Context, c *Cluster) error {
	return s.checkUpdatableAs(ctx, c, "update")
}

// checkUpdatableAs is checkUpdatable for an operation whose refusal names
// it, as EKS's does: "Cannot AssociateIdentityProviderConfig because
// cluster X currently has update Y in progress".
func (s *Service) checkUpdatableAs(ctx context.Context, c *Cluster, what string) error {
	if c.Status.Phase != StatusActive && c.Status.Phase != StatusUpdating {
		return awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is not in ACTIVE status", c.Name).With("clusterName", c.Name)
	}
	ups, err := s.PendingUpdates(ctx, c)
	if err != nil {
		return err
	}
	if len(ups) > 0 {
		return awserr.Errorf(CodeResourceInUse, "Cannot %s because cluster %s currently has update %s in progress", what, c.Name, ups[0].ID).With("clusterName", c.Name)
	}
	return nil
}

// recordUpdate stores the new spec and an InProgress update together, in
// one transaction: both or neither.
func (s *Service) recordUpdate(ctx context.Context, c *Cluster, spec ClusterSpec, upd Update) (*Update, error) {
	return s.recordUpdateWith(ctx, c, spec, upd, nil)
}

// recordUpdateWith is recordUpdate with more writes, by also, in the same
// transaction.
func (s *Service) recordUpdateWith(ctx context.Context, c *Cluster, spec ClusterSpec, upd Update, also func(t *store.Txn) error) (*Update, error) {
	return s.commitUpdate(ctx, c, upd, func(cur *Cluster) error {
		// Tags, and the OIDC identity provider config (which its own
		// operations change, and whose status and tags change without a
		// new generation), are kept as stored now.
		next := spec
		next.Tags = cur.Spec.Tags
		next.OIDCIdentityProvider = cur.Spec.OIDCIdentityProvider
		cur.Spec = next
		return nil
	}, also)
}

// commitUpdate stores an InProgress update with the cluster as edit
// changes it (from its stored state, which must still be at c's
// generation) and a new generation, in one transaction, with also's writes.
func (s *Service) commitUpdate(ctx context.Context, c *Cluster, upd Update, edit func(cur *Cluster) error, also func(t *store.Txn) error) (*Update, error) {
	upd.ID = uuid.NewString()
	upd.ClusterUID = c.UID
	upd.ClusterName = c.Name
	upd.Status = UpdateInProgress
	upd.CreatedAt = s.Now().UTC()
	upd.Errors = []UpdateError{}
	key := clusterKey(c.Region, c.Name)
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var cur Cluster
		rev, err := s.Store.Get(ctx, key, &cur)
		if errors.Is(err, store.ErrNotFound) {
			return clusterNotFound(c.Name)
		} else if err != nil {
			return err
		}
		if cur.UID != c.UID || cur.Generation != c.Generation {
			return awserr.Errorf(CodeResourceInUse, "Cluster %s changed while the update was being made; try again", c.Name).With("clusterName", c.Name)
		}
		if err := edit(&cur); err != nil {
			return err
		}
		cur.Generation++
		if cur.Status.Phase == StatusActive {
			cur.Status.Phase = StatusUpdating
		}
		upd.Generation = cur.Generation
		t.Unchanged(key, rev)
		t.Put(key, &cur)
		t.Create(updateKey(c.UID, upd.ID), &upd)
		if also != nil {
			return also(t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record update of cluster %s: %w", c.Name, err)
	}
	return &upd, nil
}

func (s *Service) listUpdates(ctx context.Context, uid string) ([]Update, error) {
	ups, err := store.List[Update](ctx, s.Store, updatePrefix(uid))
	sort.Slice(ups, func(i, j int) bool { return ups[i].CreatedAt.Before(ups[j].CreatedAt) })
	return ups, err
}

// DescribeUpdate reads one update of a cluster.
func (s *Service) DescribeUpdate(ctx context.Context, region, name, id, nodegroup, addon string) (*Update, error) {
	c, err := s.GetCluster(ctx, region, name)
	if err != nil {
		return nil, err
	}
	var u Update
	if _, err := s.Store.Get(ctx, updateKey(c.UID, id), &u); errors.Is(err, store.ErrNotFound) || (err == nil && (u.Nodegroup != nodegroup || u.Addon != addon)) {
		return nil, awserr.Errorf(CodeResourceNotFound, "No update found for ID: %s", id).With("clusterName", name)
	} else if err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUpdates pages through a cluster's update ids.
func (s *Service) ListUpdates(ctx context.Context, region, name, nodegroup, addon string, maxResults int, nextToken string) ([]string, string, error) {
	c, err := s.GetCluster(ctx, region, name)
	if err != nil {
		return nil, "", err
	}
	if nodegroup != "" {
		if _, err := s.GetNodegroup(ctx, region, name, nodegroup); err != nil {
			return nil, "", err
		}
	}
	if addon != "" {
		if _, err := s.GetAddon(ctx, region, name, addon); err != nil {
			return nil, "", err
		}
	}
	ups, err := s.listUpdates(ctx, c.UID)
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, 0, len(ups))
	for _, u := range ups {
		if u.Nodegroup == nodegroup && u.Addon == addon {
			ids = append(ids, u.ID)
		}
	}
	return Page(ids, maxResults, nextToken)
}

// PendingUpdates returns a cluster's own InProgress updates, for the reconciler.
func (s *Service) PendingUpdates(ctx context.Context, c *Cluster) ([]Update, error) {
	return s.inProgress(ctx, c.UID, "", "")
}

// inProgress returns the InProgress updates of a cluster, of one of its
// node groups or of one of its add-ons.
func (s *Service) inProgress(ctx context.Context, clusterUID, nodegroup, addon string) ([]Update, error) {
	ups, err := s.listUpdates(ctx, clusterUID)
	var out []Update
	for _, u := range ups {
		if u.Status == UpdateInProgress && u.Nodegroup == nodegroup && u.Addon == addon {
			out = append(out, u)
		}
	}
	return out, err
}

// FinishUpdate marks an update Successful, or Failed with an error. An
// identity provider config update also settles the cluster's config, in
// the same transaction (see finishIdentityProviderUpdate).
func (s *Service) FinishUpdate(ctx context.Context, u Update, failure *UpdateError) error {
	if isIdentityProviderUpdate(u) {
		return s.finishIdentityProviderUpdate(ctx, u, failure)
	}
	_, err := store.Mutate(ctx, s.Store, updateKey(u.ClusterUID, u.ID), func(cur *Update) error {
		markUpdate(cur, failure)
		return nil
	})
	return err
}

func markUpdate(u *Update, failure *UpdateError) {
	u.Status = UpdateSuccessful
	if failure != nil {
		u.Status = UpdateFailed
		u.Errors = append(u.Errors, *failure)
	}
}

func enabledLogTypes(m map[string]bool) string {
	var on []string
	for _, t := range LogTypes {
		if m[t] {
			on = append(on, t)
		}
	}
	return fmt.Sprint(on)
}

func loggingParam(m map[string]bool) string {
	type setup struct {
		Types   []string `json:"types"`
		Enabled bool     `json:"enabled"`
	}
	var on, off []string
	for _, t := range LogTypes {
		if m[t] {
			on = append(on, t)
		} else {
			off = append(off, t)
		}
	}
	var out []setup
	if len(on) > 0 {
		out = append(out, setup{on, true})
	}
	if len(off) > 0 {
		out = append(out, setup{off, false})
	}
	b, _ := json.Marshal(map[string]any{"clusterLogging": out})
	return string(b)
}

// forget removes a node group's or add-on's record with the updates that belong to it.
func (s *Service) forget(ctx context.Context, clusterUID, key string, owns func(*Update) bool) error {
	ups, err := s.listUpdates(ctx, clusterUID)
	if err != nil {
		return err
	}
	for i := range ups {
		if owns(&ups[i]) {
			if err := s.Store.Delete(ctx, updateKey(clusterUID, ups[i].ID)); err != nil {
				return err
			}
		}
	}
	return s.Store.Delete(ctx, key)
}

// UpdateLogging is the update type of a change to a cluster's control-plane
// logging. Turning audit on or off changes the API servers' flags, so it is
// done when they run with the new ones.
const UpdateLogging = "LoggingUpdate"
