package eks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// CreateAccessEntryInput is CreateAccessEntry's request, decoded.
type CreateAccessEntryInput struct {
	Region, ClusterName string
	PrincipalARN        string
	Type                string // STANDARD when empty
	Username            string // EKS's default when empty
	KubernetesGroups    []string
	Tags                map[string]string
	ClientRequestToken  string
}

// CreateAccessEntry validates a request as EKS does and records the entry.
func (s *Service) CreateAccessEntry(ctx context.Context, in CreateAccessEntryInput) (*AccessEntry, error) {
	c, err := s.accessEntriesCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if in.PrincipalARN == "" {
		return nil, entryInvalid(c.Name, "principalArn is required")
	}
	e, err := s.newAccessEntry(ctx, c, in)
	if err != nil {
		return nil, err
	}
	out := e
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		out = e
		if _, err := s.entryClusterAsChecked(ctx, t, c); err != nil {
			return err
		}
		// One entry per principal, whatever its type.
		var existing AccessEntry
		if _, err := s.Store.Get(ctx, accessEntryKey(c.UID, e.PrincipalARN), &existing); err == nil {
			if in.ClientRequestToken != "" && existing.ClientRequestToken == in.ClientRequestToken {
				out = &existing // an idempotent retry
				return nil
			}
			return entryInUse(c.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Create(accessEntryKey(c.UID, e.PrincipalARN), e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create access entry of %s in cluster %s: %w", in.PrincipalARN, c.Name, err)
	}
	return out, nil
}

func entryInUse(cluster string) error {
	return awserr.Errorf(CodeResourceInUse, "The specified access entry resource is already in use on this cluster.").With("clusterName", cluster)
}

// newAccessEntry applies EKS's rules to a new entry and fills in its
// defaults: type STANDARD, the type's user name and groups.
func (s *Service) newAccessEntry(ctx context.Context, c *Cluster, in CreateAccessEntryInput) (*AccessEntry, error) {
	p, err := parsePrincipal(c.Name, in.PrincipalARN)
	if err != nil {
		return nil, err
	}
	typ := in.Type
	if typ == "" {
		typ = AccessEntryStandard
	}
	if err := checkEntryType(c.Name, typ); err != nil {
		return nil, err
	}
	if err := s.checkPrincipalFor(ctx, c, p, typ); err != nil {
		return nil, err
	}
	e := newEntry(c, p, typ, s.Now().UTC())
	if isNodeType(typ) {
		// EKS names nodes itself: their user and groups are the type's.
		if len(in.KubernetesGroups) > 0 {
			return nil, entryInvalid(c.Name, "kubernetesGroups can not be specified for an access entry of type %s", typ)
		}
		if in.Username != "" && in.Username != e.Username {
			return nil, entryInvalid(c.Name, "username can not be specified for an access entry of type %s", typ)
		}
	} else {
		if err := checkGroups(c.Name, in.KubernetesGroups); err != nil {
			return nil, err
		}
		if in.Username != "" {
			if err := checkUsername(c.Name, in.Username); err != nil {
				return nil, err
			}
			e.Username = in.Username
		}
		e.KubernetesGroups = slices.Clone(in.KubernetesGroups)
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	e.Tags = maps.Clone(in.Tags)
	e.ClientRequestToken = in.ClientRequestToken
	return e, nil
}

// newEntry is an entry of principal p with the type's defaults, under a
// new ARN: EKS ends it with a UUID, so that a re-created entry is another.
func newEntry(c *Cluster, p principal, typ string, now time.Time) *AccessEntry {
	return &AccessEntry{
		PrincipalARN: p.arn, Type: typ, Username: defaultUsername(typ, p), KubernetesGroups: defaultGroups(typ),
		ARN:         fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/%s/%s/%s/%s", c.Region, c.Account, c.Name, p.kind, p.account, p.name, uuid.NewString()),
		ClusterName: c.Name, ClusterUID: c.UID, Region: c.Region, CreatedAt: now, ModifiedAt: now,
	}
}

// UpdateAccessEntryInput is UpdateAccessEntry's request, decoded: nil
// fields stay as they are.
type UpdateAccessEntryInput struct {
	Region, ClusterName, PrincipalARN string
	KubernetesGroups                  *[]string
	Username                          *string
	// Type is set when a request names one: the model has no type to
	// update, and a type other than the entry's is refused.
	Type string
}

// UpdateAccessEntry changes an entry's groups or user name.
func (s *Service) UpdateAccessEntry(ctx context.Context, in UpdateAccessEntryInput) (*AccessEntry, error) {
	c, err := s.accessEntriesCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	var out *AccessEntry
	err = s.changeEntry(ctx, c, in.PrincipalARN, func(e *AccessEntry) error {
		if in.Type != "" && in.Type != e.Type {
			return entryInvalid(c.Name, "The type of an access entry can not be changed from %s to %s", e.Type, in.Type)
		}
		groups, name := e.KubernetesGroups, e.Username
		if in.KubernetesGroups != nil {
			groups = slices.Clone(*in.KubernetesGroups)
		}
		if in.Username != nil && *in.Username != "" {
			name = *in.Username
		}
		if isNodeType(e.Type) {
			// A node's user and groups are EKS's; sending them back unchanged is no change.
			if !slices.Equal(groups, e.KubernetesGroups) || name != e.Username {
				return notStandard(c.Name)
			}
			out = e
			return nil
		}
		if err := checkGroups(c.Name, groups); err != nil {
			return err
		}
		if name != e.Username {
			if err := checkUsername(c.Name, name); err != nil {
				return err
			}
		}
		if len(groups) == 0 {
			groups = nil
		}
		if !slices.Equal(groups, e.KubernetesGroups) || name != e.Username {
			e.KubernetesGroups, e.Username = groups, name
			e.ModifiedAt = s.Now().UTC()
		}
		out = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAccessEntry removes an entry with its policy associations.
func (s *Service) DeleteAccessEntry(ctx context.Context, region, cluster, principalARN string) error {
	c, err := s.accessEntriesCluster(ctx, region, cluster)
	if err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		_, rev, err := s.accessEntryAt(ctx, c, principalARN)
		if err != nil {
			return err
		}
		t.Unchanged(accessEntryKey(c.UID, principalARN), rev)
		t.Delete(accessEntryKey(c.UID, principalARN))
		return nil
	})
}

// changeEntry rewrites an entry with fn in one transaction that holds
// only while the entry and its cluster stay as read; fn's error aborts.
// An entry fn leaves unchanged is not written.
func (s *Service) changeEntry(ctx context.Context, c *Cluster, principalARN string, fn func(*AccessEntry) error) error {
	key := accessEntryKey(c.UID, principalARN)
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		if _, err := s.entryClusterAsChecked(ctx, t, c); err != nil {
			return err
		}
		e, rev, err := s.accessEntryAt(ctx, c, principalARN)
		if err != nil {
			return err
		}
		before := jsonString(e)
		if err := fn(e); err != nil {
			return err
		}
		if jsonString(e) == before {
			return nil
		}
		t.Unchanged(key, rev)
		t.Put(key, e)
		return nil
	})
}

// entryClusterAsChecked makes a transaction on a cluster's entries hold
// only while the cluster stays as read, still serves access entries and is
// not being deleted: an entry written after the cluster's deletion began
// would outlive it.
func (s *Service) entryClusterAsChecked(ctx context.Context, t *store.Txn, c *Cluster) (*Cluster, error) {
	cur, err := s.clusterAsChecked(ctx, t, c)
	if err != nil {
		return nil, err
	}
	if cur.DeletionRequested {
		return nil, awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is being deleted", c.Name).With("clusterName", c.Name)
	}
	if err := checkAPIMode(cur); err != nil {
		return nil, err
	}
	return cur, nil
}
