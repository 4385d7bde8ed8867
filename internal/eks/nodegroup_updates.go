package eks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/store"
)

// NodegroupConfigInput is UpdateNodegroupConfig's request, decoded.
type NodegroupConfigInput struct {
	Region, ClusterName, Name         string
	AddLabels                         map[string]string
	RemoveLabels                      []string
	AddTaints, RemoveTaints           []Taint
	Scaling                           *Scaling
	MaxUnavailable, MaxUnavailablePct *int
}

// UpdateNodegroupConfig validates and records a configuration change.
func (s *Service) UpdateNodegroupConfig(ctx context.Context, in NodegroupConfigInput) (*Update, error) {
	ng, err := s.updatableNodegroup(ctx, in.Region, in.ClusterName, in.Name)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error { return ngInvalid(in.ClusterName, in.Name, format, args...) }
	next := *ng
	next.Labels = maps.Clone(ng.Labels)
	if next.Labels == nil {
		next.Labels = map[string]string{}
	}
	var params []UpdateParam
	if len(in.AddLabels) > 0 {
		if err := validateLabels(in.AddLabels, bad); err != nil {
			return nil, err
		}
		maps.Copy(next.Labels, in.AddLabels)
		params = append(params, UpdateParam{"LabelsToAdd", jsonString(in.AddLabels)})
	}
	for _, k := range in.RemoveLabels {
		if _, ok := in.AddLabels[k]; ok {
			return nil, bad("Label %s cannot be both added and removed", k)
		}
		delete(next.Labels, k)
	}
	if len(in.RemoveLabels) > 0 {
		params = append(params, UpdateParam{"LabelsToRemove", jsonString(in.RemoveLabels)})
	}
	if len(in.AddTaints) > 0 || len(in.RemoveTaints) > 0 {
		if err := validateTaints(in.AddTaints, bad); err != nil {
			return nil, err
		}
		taints := slices.DeleteFunc(slices.Clone(ng.Taints), func(t Taint) bool {
			return slices.ContainsFunc(in.RemoveTaints, func(r Taint) bool { return r.Key == t.Key && (r.Effect == "" || r.Effect == t.Effect) }) ||
				slices.ContainsFunc(in.AddTaints, func(a Taint) bool { return a.Key == t.Key && a.Effect == t.Effect })
		})
		next.Taints = append(taints, in.AddTaints...)
		if len(in.AddTaints) > 0 {
			params = append(params, UpdateParam{"TaintsToAdd", jsonString(in.AddTaints)})
		}
		if len(in.RemoveTaints) > 0 {
			params = append(params, UpdateParam{"TaintsToRemove", jsonString(in.RemoveTaints)})
		}
	}
	if sc := in.Scaling; sc != nil {
		merged := ng.Scaling
		// Fields left out keep their value, as EKS does.
		if sc.Min >= 0 {
			merged.Min = sc.Min
		}
		if sc.Max >= 0 {
			merged.Max = sc.Max
		}
		if sc.Desired >= 0 {
			merged.Desired = sc.Desired
		}
		if err := validateScaling(merged, bad); err != nil {
			return nil, err
		}
		for _, p := range []struct {
			name     string
			old, new int
		}{{"MinSize", ng.Scaling.Min, merged.Min}, {"MaxSize", ng.Scaling.Max, merged.Max}, {"DesiredSize", ng.Scaling.Desired, merged.Desired}} {
			if sc != nil && p.old != p.new {
				params = append(params, UpdateParam{p.name, fmt.Sprint(p.new)})
			}
		}
		next.Scaling = merged
	}
	if in.MaxUnavailable != nil || in.MaxUnavailablePct != nil {
		if err := setUpdateConfig(&next, in.MaxUnavailable, in.MaxUnavailablePct, bad); err != nil {
			return nil, err
		}
		if in.MaxUnavailable != nil {
			params = append(params, UpdateParam{"MaxUnavailable", fmt.Sprint(*in.MaxUnavailable)})
		} else {
			params = append(params, UpdateParam{"MaxUnavailablePercentage", fmt.Sprint(*in.MaxUnavailablePct)})
		}
	}
	if len(params) == 0 {
		return nil, bad("No changes needed")
	}
	return s.recordNodegroupUpdate(ctx, ng, next, Update{Type: "ConfigUpdate", Params: params})
}

// UpdateNodegroupVersion records a rolling update to the cluster's version.
func (s *Service) UpdateNodegroupVersion(ctx context.Context, region, cluster, name, version, release string, force bool) (*Update, error) {
	ng, err := s.updatableNodegroup(ctx, region, cluster, name)
	if err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error { return ngInvalid(cluster, name, format, args...) }
	if version == "" {
		version = c.Spec.Version
	}
	if version != c.Spec.Version {
		return nil, bad("Requested Nodegroup version %s is invalid. The cluster version %s is the only accepted specified value", version, c.Spec.Version)
	}
	v, ok := kubeversions.Lookup(version)
	if !ok {
		return nil, bad("unsupported Kubernetes version %s", version)
	}
	want := releaseVersion(v.Patch)
	if release != "" && release != want {
		return nil, bad("Requested release version %s is not valid for kubernetes version %s; keks offers %s", release, version, want)
	}
	if version == ng.Version && want == ng.ReleaseVersion && !force {
		return nil, bad("Nodegroup %s is already at version %s (release %s)", name, version, want)
	}
	next := *ng
	next.Version, next.ReleaseVersion, next.ForceUpdate = version, want, force
	return s.recordNodegroupUpdate(ctx, ng, next, Update{Type: "VersionUpdate", Params: []UpdateParam{{"Version", version}, {"ReleaseVersion", want}}})
}

func (s *Service) updatableNodegroup(ctx context.Context, region, cluster, name string) (*Nodegroup, error) {
	ng, err := s.GetNodegroup(ctx, region, cluster, name)
	if err != nil {
		return nil, err
	}
	if ng.Status != NodegroupActive && ng.Status != NodegroupDegraded {
		return nil, awserr.Errorf(CodeResourceInUse, "Nodegroup %s is in %s status; it can be updated only when ACTIVE or DEGRADED", name, ng.Status).With("clusterName", cluster).With("nodegroupName", name)
	}
	ups, err := s.NodegroupUpdates(ctx, ng)
	if err != nil {
		return nil, err
	}
	if len(ups) > 0 {
		return nil, awserr.Errorf(CodeResourceInUse, "Nodegroup %s already has update %s in progress", name, ups[0].ID).With("clusterName", cluster).With("nodegroupName", name)
	}
	return ng, nil
}

// recordNodegroupUpdate stores the node group's new spec and an
// InProgress update in one transaction.
func (s *Service) recordNodegroupUpdate(ctx context.Context, ng *Nodegroup, next Nodegroup, upd Update) (*Update, error) {
	upd.ID = uuid.NewString()
	upd.ClusterUID, upd.ClusterName, upd.Nodegroup = ng.ClusterUID, ng.ClusterName, ng.Name
	upd.Status, upd.CreatedAt, upd.Errors = UpdateInProgress, s.Now().UTC(), []UpdateError{}
	key := nodegroupKey(ng.ClusterUID, ng.Name)
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		var cur Nodegroup
		rev, err := s.Store.Get(ctx, key, &cur)
		if errors.Is(err, store.ErrNotFound) {
			return nodegroupNotFound(ng.ClusterName, ng.Name)
		} else if err != nil {
			return err
		}
		if cur.Generation != ng.Generation {
			return awserr.Errorf(CodeResourceInUse, "Nodegroup %s changed while the update was being made; try again", ng.Name).With("clusterName", ng.ClusterName).With("nodegroupName", ng.Name)
		}
		// What the controller observes, and tags, change without a new generation: keep them.
		updated := next
		updated.Status, updated.Issues, updated.Tags = NodegroupUpdating, cur.Issues, cur.Tags
		updated.Generation = cur.Generation + 1
		updated.ModifiedAt = s.Now().UTC()
		upd.Generation = updated.Generation
		t.Unchanged(key, rev)
		t.Put(key, &updated)
		t.Create(updateKey(ng.ClusterUID, upd.ID), &upd)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record update of node group %s: %w", ng.Name, err)
	}
	return &upd, nil
}

// NodegroupUpdates returns a node group's InProgress updates, for its controller.
func (s *Service) NodegroupUpdates(ctx context.Context, ng *Nodegroup) ([]Update, error) {
	return s.inProgress(ctx, ng.ClusterUID, ng.Name, "")
}
