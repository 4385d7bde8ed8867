package eks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// Authentication modes of a cluster's accessConfig. Access entries exist
// only in the two modes with the EKS API.
const (
	AuthModeConfigMap       = "CONFIG_MAP"
	AuthModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
	AuthModeAPI             = "API"
)

// Access entry types, as EKS spells them.
const (
	AccessEntryStandard      = "STANDARD"
	AccessEntryEC2Linux      = "EC2_LINUX"
	AccessEntryEC2Windows    = "EC2_WINDOWS"
	AccessEntryFargateLinux  = "FARGATE_LINUX"
	AccessEntryHybridLinux   = "HYBRID_LINUX"
	AccessEntryEC2           = "EC2" // EKS Auto Mode nodes
	AccessEntryHyperPodLinux = "HYPERPOD_LINUX"
)

// Access scope types of an associated access policy.
const (
	AccessScopeCluster   = "cluster"
	AccessScopeNamespace = "namespace"
)

// AccessEntry gives one IAM principal access to one cluster's Kubernetes
// API: as a user name and groups for RBAC, and through the access policies
// associated with it. It is stored whole, policies included, so that the
// in-cluster side reads everything it enforces from one record.
type AccessEntry struct {
	// PrincipalARN is the IAM role or user ARN as given, path included;
	// CanonicalPrincipalARN is what a caller's token resolves to.
	PrincipalARN string `json:"principalArn"`
	Type         string `json:"type"`
	// Username is the Kubernetes user name, possibly with {{SessionName}},
	// {{SessionNameRaw}}, {{EC2PrivateDNSName}} or {{AccountID}} to fill in.
	Username         string             `json:"username"`
	KubernetesGroups []string           `json:"kubernetesGroups,omitempty"`
	Policies         []AssociatedPolicy `json:"policies,omitempty"`

	ARN                string            `json:"arn"`
	ClusterName        string            `json:"clusterName"`
	ClusterUID         string            `json:"clusterUid"`
	Region             string            `json:"region"`
	CreatedAt          time.Time         `json:"createdAt"`
	ModifiedAt         time.Time         `json:"modifiedAt"`
	Tags               map[string]string `json:"tags,omitempty"`
	ClientRequestToken string            `json:"clientRequestToken,omitempty"`
}

// AssociatedPolicy is an access policy associated with an access entry,
// with its scope: the whole cluster, or the listed namespaces (names may
// end in or hold "*" wildcards, as EKS allows).
type AssociatedPolicy struct {
	PolicyARN    string    `json:"policyArn"`
	ScopeType    string    `json:"scopeType"` // AccessScopeCluster or AccessScopeNamespace
	Namespaces   []string  `json:"namespaces,omitempty"`
	AssociatedAt time.Time `json:"associatedAt"`
	ModifiedAt   time.Time `json:"modifiedAt"`
}

// CanonicalPrincipalARN is the entry's principal as aws-iam-authenticator
// names a caller: a role without its path (an assumed-role session of
// arn:aws:iam::A:role/team/R becomes arn:aws:iam::A:role/R), a user as is.
func (e *AccessEntry) CanonicalPrincipalARN() string {
	if i := strings.Index(e.PrincipalARN, ":role/"); i >= 0 {
		return e.PrincipalARN[:i] + ":role/" + e.PrincipalARN[strings.LastIndex(e.PrincipalARN, "/")+1:]
	}
	return e.PrincipalARN
}

// Access entries are records of their cluster, keyed by its uid as node
// groups and add-ons are, so that a cluster's deletion drops them by prefix.
func accessEntryPrefix(clusterUID string) string { return "eks/accessentries/" + clusterUID + "/" }
func accessEntryKey(clusterUID, principalARN string) string {
	return accessEntryPrefix(clusterUID) + principalARN
}

// AccessEntryPrefix is where access entries live in the store, for
// watchers that follow changes to them.
const AccessEntryPrefix = "eks/accessentries/"

// AccessEntries returns every access entry of the cluster with that uid,
// each with its associated policies, in principal ARN order. It is the
// in-cluster side's view: it does not look at the authentication mode (in
// CONFIG_MAP mode a cluster has none).
func (s *Service) AccessEntries(ctx context.Context, clusterUID string) ([]AccessEntry, error) {
	if clusterUID == "" {
		return nil, errors.New("access entries: no cluster uid given")
	}
	entries, err := store.List[AccessEntry](ctx, s.Store, accessEntryPrefix(clusterUID))
	if err != nil {
		return nil, fmt.Errorf("list access entries of cluster %s: %w", clusterUID, err)
	}
	return entries, nil
}

func entryNotFound(cluster string) error {
	return awserr.Errorf(CodeResourceNotFound, "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.").With("clusterName", cluster)
}

func entryInvalid(cluster, format string, args ...any) error {
	return awserr.Errorf(CodeInvalidParameter, format, args...).With("clusterName", cluster)
}

// accessEntriesCluster reads the cluster an access entry call is about and
// checks that its authentication mode has the EKS API. Access entries do
// not need the cluster ACTIVE: EKS serves them while it is created.
func (s *Service) accessEntriesCluster(ctx context.Context, region, name string) (*Cluster, error) {
	c, err := s.GetCluster(ctx, region, name)
	if err != nil {
		return nil, err
	}
	if err := checkAPIMode(c); err != nil {
		return nil, err
	}
	return c, nil
}

func checkAPIMode(c *Cluster) error {
	if !hasAccessEntries(c.Spec.AuthenticationMode) {
		return awserr.Errorf(CodeInvalidRequest, "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.").With("clusterName", c.Name)
	}
	return nil
}

// hasAccessEntries says whether a mode serves the access entry API.
func hasAccessEntries(mode string) bool {
	return mode == AuthModeAPI || mode == AuthModeAPIAndConfigMap
}

// GetAccessEntry reads the access entry of a principal in a cluster.
func (s *Service) GetAccessEntry(ctx context.Context, region, cluster, principalARN string) (*AccessEntry, error) {
	c, err := s.accessEntriesCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	e, _, err := s.accessEntryAt(ctx, c, principalARN)
	return e, err
}

// accessEntryAt reads an entry with its revision, for writes that depend on it.
func (s *Service) accessEntryAt(ctx context.Context, c *Cluster, principalARN string) (*AccessEntry, int64, error) {
	if principalARN == "" {
		return nil, 0, entryNotFound(c.Name)
	}
	var e AccessEntry
	rev, err := s.Store.Get(ctx, accessEntryKey(c.UID, principalARN), &e)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, entryNotFound(c.Name)
	} else if err != nil {
		return nil, 0, fmt.Errorf("read access entry of %s in cluster %s: %w", principalARN, c.Name, err)
	}
	return &e, rev, nil
}

// ListAccessEntries pages through the principal ARNs of a cluster's
// entries; with policyARN, only those of entries that have it associated.
func (s *Service) ListAccessEntries(ctx context.Context, region, cluster, policyARN string, maxResults int, nextToken string) ([]string, string, error) {
	c, err := s.accessEntriesCluster(ctx, region, cluster)
	if err != nil {
		return nil, "", err
	}
	entries, err := s.AccessEntries(ctx, c.UID)
	if err != nil {
		return nil, "", err
	}
	arns := make([]string, 0, len(entries))
	for _, e := range entries {
		if policyARN == "" || slices.ContainsFunc(e.Policies, func(p AssociatedPolicy) bool { return p.PolicyARN == policyARN }) {
			arns = append(arns, e.PrincipalARN)
		}
	}
	return Page(arns, maxResults, nextToken)
}

// accessEntryByARN finds the entry an access-entry ARN names in a cluster
// (the ARN ends in a UUID, so it is looked for among the cluster's
// entries); nil when there is none. A cluster that has no access entry
// API has no entries to find.
func (s *Service) accessEntryByARN(ctx context.Context, region, cluster, arn string) (*AccessEntry, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		if _, known := awserr.AsError(err); known {
			return nil, nil
		}
		return nil, err
	}
	entries, err := s.AccessEntries(ctx, c.UID)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		if entries[i].ARN == arn {
			return &entries[i], nil
		}
	}
	return nil, nil
}
