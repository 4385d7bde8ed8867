package eks

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/iam/policy"
	"github.com/keksdev/keks/internal/store"
)

// EKS Pod Identity associations: one IAM role (and possibly a target role)
// per service account of a cluster. They are records of their cluster,
// keyed by its uid, namespace and service account: the key makes an
// association unique per service account, and is what the credential path
// (EKS Auth, the webhook) looks up.

// PodIdentityAssociationPrefix is where associations live in the store,
// for watchers that follow changes to them.
const PodIdentityAssociationPrefix = "eks/podidentityassociations/"

// PodIdentityService is the service principal a Pod Identity role must trust.
const PodIdentityService = "pods.eks.amazonaws.com"

const (
	// maxPodIdentityAssociations is EKS's quota of associations per cluster.
	maxPodIdentityAssociations = 1000
	// maxSessionPolicyLen is STS's limit on an inline session policy,
	// which the association's policy becomes.
	maxSessionPolicyLen = 2048
	// associationIDLen is "a-" and 17 lowercase letters and digits.
	associationIDLen = 19
)

func podIdentityPrefix(clusterUID string) string {
	return PodIdentityAssociationPrefix + clusterUID + "/"
}

func podIdentityKey(clusterUID, namespace, serviceAccount string) string {
	return podIdentityPrefix(clusterUID) + namespace + "/" + serviceAccount
}

// Kubernetes names: a namespace is an RFC 1123 label, a service account an
// RFC 1123 subdomain. Neither holds a "/", which keeps the store key whole.
var (
	namespaceName      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	serviceAccountName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// PodIdentityAssociationsOf returns every association of the cluster with
// that uid, in namespace and service account order: what the pod identity
// webhook mutates pods for.
func (s *Service) PodIdentityAssociationsOf(ctx context.Context, clusterUID string) ([]PodIdentityAssociation, error) {
	if clusterUID == "" {
		return nil, errors.New("pod identity associations: no cluster uid given")
	}
	all, err := store.List[PodIdentityAssociation](ctx, s.Store, podIdentityPrefix(clusterUID))
	if err != nil {
		return nil, fmt.Errorf("list pod identity associations of cluster %s: %w", clusterUID, err)
	}
	return all, nil
}

// PodIdentityAssociationFor returns the association of a service account
// of the cluster with that uid; nil, with no error, when it has none.
func (s *Service) PodIdentityAssociationFor(ctx context.Context, clusterUID, namespace, serviceAccount string) (*PodIdentityAssociation, error) {
	if clusterUID == "" {
		return nil, errors.New("pod identity association: no cluster uid given")
	}
	if !namespaceName.MatchString(namespace) || !serviceAccountName.MatchString(serviceAccount) {
		return nil, nil // no association can have such names
	}
	var a PodIdentityAssociation
	if _, err := s.Store.Get(ctx, podIdentityKey(clusterUID, namespace, serviceAccount), &a); errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read pod identity association of %s/%s in cluster %s: %w", namespace, serviceAccount, clusterUID, err)
	}
	return &a, nil
}

func associationNotFound(cluster, id string) error {
	return awserr.Errorf(CodeResourceNotFound, "Association not found: %s", id).With("clusterName", cluster)
}

func associationInvalid(cluster, format string, args ...any) error {
	return awserr.Errorf(CodeInvalidParameter, format, args...).With("clusterName", cluster)
}

// checkAssociationID applies the one rule EKS states for an id it is given.
func checkAssociationID(cluster, id string) error {
	if len(id) != associationIDLen {
		return associationInvalid(cluster, "The parameter associationId should be %d characters long.", associationIDLen)
	}
	return nil
}

// newAssociationID is "a-" and 17 random lowercase letters and digits.
func newAssociationID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, associationIDLen-2)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "a-" + string(b)
}

// Association calls do not need their cluster ACTIVE, as access entry
// calls do not: associations are EKS's records, served while the cluster
// is created. A cluster being deleted takes no new or changed ones.

// podIdentityClusterAsChecked makes a transaction on a cluster's
// associations hold only while the cluster stays as read and is not being
// deleted: an association written after its deletion began would outlive it.
func (s *Service) podIdentityClusterAsChecked(ctx context.Context, t *store.Txn, c *Cluster) error {
	cur, err := s.clusterAsChecked(ctx, t, c)
	if err != nil {
		return err
	}
	if cur.DeletionRequested {
		return awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is being deleted", c.Name).With("clusterName", c.Name)
	}
	return nil
}

// associationAt finds an association of a cluster by id, with its store
// revision; not found when there is none.
func (s *Service) associationAt(ctx context.Context, c *Cluster, id string) (*PodIdentityAssociation, string, int64, error) {
	raws, err := s.Store.ListRaw(ctx, podIdentityPrefix(c.UID))
	if err != nil {
		return nil, "", 0, err
	}
	for _, r := range raws {
		var a PodIdentityAssociation
		if err := json.Unmarshal(r.Value, &a); err != nil {
			return nil, "", 0, fmt.Errorf("store decode %s: %w", r.Key, err)
		}
		if a.AssociationID == id {
			return &a, r.Key, r.Rev, nil
		}
	}
	return nil, "", 0, associationNotFound(c.Name, id)
}

// GetPodIdentityAssociation reads an association of a cluster by its id.
func (s *Service) GetPodIdentityAssociation(ctx context.Context, region, cluster, id string) (*PodIdentityAssociation, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	if err := checkAssociationID(c.Name, id); err != nil {
		return nil, err
	}
	a, _, _, err := s.associationAt(ctx, c, id)
	return a, err
}

// ListPodIdentityAssociations pages through a cluster's associations, those
// of one namespace or service account (or both) when they are given, in
// namespace and service account order.
func (s *Service) ListPodIdentityAssociations(ctx context.Context, region, cluster, namespace, serviceAccount string, maxResults int, nextToken string) ([]PodIdentityAssociation, string, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, "", err
	}
	all, err := s.PodIdentityAssociationsOf(ctx, c.UID)
	if err != nil {
		return nil, "", err
	}
	byKey := map[string]PodIdentityAssociation{}
	var keys []string
	for _, a := range all {
		if (namespace != "" && a.Namespace != namespace) || (serviceAccount != "" && a.ServiceAccount != serviceAccount) {
			continue
		}
		k := a.Namespace + "/" + a.ServiceAccount
		byKey[k] = a
		keys = append(keys, k)
	}
	page, next, err := Page(keys, maxResults, nextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]PodIdentityAssociation, 0, len(page))
	for _, k := range page {
		out = append(out, byKey[k])
	}
	return out, next, nil
}

// CreatePodIdentityAssociationInput is CreatePodIdentityAssociation's
// request, decoded.
type CreatePodIdentityAssociationInput struct {
	Region, ClusterName       string
	Namespace, ServiceAccount string
	RoleARN                   string
	TargetRoleARN             string // none when empty
	DisableSessionTags        bool
	Policy                    string // none when empty
	Tags                      map[string]string
	ClientRequestToken        string
	// OwnerARN is the add-on that makes the association; never set by the API.
	OwnerARN string
}

// CreatePodIdentityAssociation validates a request as EKS does and records
// the association.
func (s *Service) CreatePodIdentityAssociation(ctx context.Context, in CreatePodIdentityAssociationInput) (*PodIdentityAssociation, error) {
	c, err := s.GetCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if c.DeletionRequested {
		return nil, awserr.Errorf(CodeInvalidRequest, "Cluster '%s' is being deleted", c.Name).With("clusterName", c.Name)
	}
	a, err := s.newAssociation(ctx, c, in)
	if err != nil {
		return nil, err
	}
	key := podIdentityKey(c.UID, a.Namespace, a.ServiceAccount)
	out := a
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		out = a
		if err := s.podIdentityClusterAsChecked(ctx, t, c); err != nil {
			return err
		}
		// One association per service account.
		var existing PodIdentityAssociation
		if _, err := s.Store.Get(ctx, key, &existing); err == nil {
			if in.ClientRequestToken != "" && existing.ClientRequestToken == in.ClientRequestToken {
				out = &existing // an idempotent retry
				return nil
			}
			return awserr.Errorf(CodeResourceInUse, "Association already exists: %s", existing.AssociationID).With("clusterName", c.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		raws, err := s.Store.ListRaw(ctx, podIdentityPrefix(c.UID))
		if err != nil {
			return err
		}
		if len(raws) >= maxPodIdentityAssociations {
			return awserr.Errorf(CodeResourceLimit, "Pod Identity association limit exceeded: cluster %s already has %d associations", c.Name, maxPodIdentityAssociations).With("clusterName", c.Name)
		}
		t.Create(key, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create pod identity association of %s/%s in cluster %s: %w", in.Namespace, in.ServiceAccount, c.Name, err)
	}
	return out, nil
}

// newAssociation applies EKS's rules to a new association and fills in its
// id, ARN, times and, with a target role, its external id.
func (s *Service) newAssociation(ctx context.Context, c *Cluster, in CreatePodIdentityAssociationInput) (*PodIdentityAssociation, error) {
	switch {
	case in.Namespace == "":
		return nil, associationInvalid(c.Name, "namespace is required")
	case in.ServiceAccount == "":
		return nil, associationInvalid(c.Name, "serviceAccount is required")
	case in.RoleARN == "":
		return nil, associationInvalid(c.Name, "roleArn is required")
	}
	if len(in.Namespace) > 63 || !namespaceName.MatchString(in.Namespace) {
		return nil, associationInvalid(c.Name, "The namespace %q is not a valid Kubernetes namespace name", in.Namespace)
	}
	if len(in.ServiceAccount) > 253 || !serviceAccountName.MatchString(in.ServiceAccount) {
		return nil, associationInvalid(c.Name, "The serviceAccount %q is not a valid Kubernetes service account name", in.ServiceAccount)
	}
	a := &PodIdentityAssociation{
		ClusterName: c.Name, ClusterUID: c.UID, Region: c.Region,
		Namespace: in.Namespace, ServiceAccount: in.ServiceAccount, RoleARN: in.RoleARN,
		TargetRoleARN: in.TargetRoleARN, DisableSessionTags: in.DisableSessionTags, Policy: in.Policy,
		OwnerARN: in.OwnerARN, ClientRequestToken: in.ClientRequestToken,
	}
	if err := s.checkAssociationRoles(ctx, c, a); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	a.Tags = maps.Clone(in.Tags)
	if len(a.Tags) == 0 {
		a.Tags = nil
	}
	a.AssociationID = newAssociationID()
	a.AssociationARN = fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", c.Region, c.Account, c.Name, a.AssociationID)
	if a.TargetRoleARN != "" {
		a.ExternalID = uuid.NewString()
	}
	now := s.Now().UTC()
	a.CreatedAt, a.ModifiedAt = now, now
	return a, nil
}

// checkAssociationRoles applies EKS's rules to what an association's
// credentials come from: its role (an existing role of the cluster's
// account that trusts EKS Pod Identity), its target role (a role of any
// account) and its session policy (an IAM policy, with session tags off).
// What the request says alone is checked before what IAM holds.
func (s *Service) checkAssociationRoles(ctx context.Context, c *Cluster, a *PodIdentityAssociation) error {
	account, ok := roleAccount(a.RoleARN)
	if !ok {
		return associationInvalid(c.Name, "The roleArn parameter format is not valid")
	}
	if account != c.Account {
		return associationInvalid(c.Name, "The roleArn %s must be a role of the cluster's account %s", a.RoleARN, c.Account)
	}
	if a.TargetRoleARN != "" {
		if _, ok := roleAccount(a.TargetRoleARN); !ok {
			return associationInvalid(c.Name, "The targetRoleArn parameter format is not valid")
		}
	}
	if a.Policy != "" {
		if !a.DisableSessionTags {
			return associationInvalid(c.Name, "disableSessionTags must be true when a policy is specified")
		}
		if utf8.RuneCountInString(a.Policy) > maxSessionPolicyLen {
			return associationInvalid(c.Name, "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionPolicyLen)
		}
		if _, err := policy.Parse(a.Policy, policy.Identity); err != nil {
			return associationInvalid(c.Name, "The policy is not a valid IAM policy document: %v", err)
		}
	}
	role, err := s.IAM.RoleByARN(ctx, a.RoleARN)
	if err != nil {
		if _, known := awserr.AsError(err); known {
			return associationInvalid(c.Name, "Role provided in the request does not exist")
		}
		return err
	}
	if !trustsPodIdentity(role, !a.DisableSessionTags) {
		return associationInvalid(c.Name, "Trust policy of the role provided is invalid. Follow the official documentation to resolve the issue.")
	}
	return nil
}

// roleAccount reads an IAM role ARN, arn:aws:iam::<account>:role/<path><name>,
// and returns its account.
func roleAccount(arn string) (string, bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] != "aws" || f[2] != "iam" || f[3] != "" || !accountPattern.MatchString(f[4]) {
		return "", false
	}
	rest, ok := strings.CutPrefix(f[5], "role/")
	if !ok || rest == "" || strings.HasSuffix(rest, "/") || strings.Contains(rest, "//") {
		return "", false
	}
	return f[4], true
}

// trustsPodIdentity says whether a role's trust policy lets EKS Pod
// Identity's service principal sts:AssumeRole and, when it sets session
// tags, sts:TagSession. Conditions are for the moment a pod asks (EKS Auth
// judges them then, with the session's tags).
func trustsPodIdentity(role *iam.Role, tags bool) bool {
	actions := []string{"sts:AssumeRole"}
	if tags {
		actions = append(actions, "sts:TagSession")
	}
	return iam.ServiceTrusted(role, PodIdentityService, actions...)
}

// UpdatePodIdentityAssociationInput is UpdatePodIdentityAssociation's
// request, decoded: nil fields stay as they are; an empty target role or
// policy removes it.
type UpdatePodIdentityAssociationInput struct {
	Region, ClusterName, AssociationID string
	RoleARN                            *string
	TargetRoleARN                      *string
	DisableSessionTags                 *bool
	Policy                             *string
}

// UpdatePodIdentityAssociation changes an association's role, target role,
// session tags or session policy; its namespace and service account stay.
func (s *Service) UpdatePodIdentityAssociation(ctx context.Context, in UpdatePodIdentityAssociationInput) (*PodIdentityAssociation, error) {
	c, err := s.GetCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if err := checkAssociationID(c.Name, in.AssociationID); err != nil {
		return nil, err
	}
	if in.RoleARN == nil && in.TargetRoleARN == nil && in.DisableSessionTags == nil && in.Policy == nil {
		return nil, associationInvalid(c.Name, "At least one of roleArn, targetRoleArn, disableSessionTags or policy must be specified")
	}
	if in.RoleARN != nil && *in.RoleARN == "" {
		return nil, associationInvalid(c.Name, "The roleArn parameter format is not valid")
	}
	var out *PodIdentityAssociation
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		if err := s.podIdentityClusterAsChecked(ctx, t, c); err != nil {
			return err
		}
		a, key, rev, err := s.associationAt(ctx, c, in.AssociationID)
		if err != nil {
			return err
		}
		next := *a
		if in.RoleARN != nil {
			next.RoleARN = *in.RoleARN
		}
		if in.TargetRoleARN != nil {
			next.TargetRoleARN = *in.TargetRoleARN
		}
		if in.DisableSessionTags != nil {
			next.DisableSessionTags = *in.DisableSessionTags
		}
		if in.Policy != nil {
			next.Policy = *in.Policy
		}
		switch {
		case next.TargetRoleARN == "":
			next.ExternalID = ""
		case next.ExternalID == "":
			next.ExternalID = uuid.NewString()
		}
		if jsonString(&next) == jsonString(a) {
			out = a
			return nil
		}
		if err := s.checkAssociationRoles(ctx, c, &next); err != nil {
			return err
		}
		next.ModifiedAt = s.Now().UTC()
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

// DeletePodIdentityAssociation removes an association and returns it as it was.
func (s *Service) DeletePodIdentityAssociation(ctx context.Context, region, cluster, id string) (*PodIdentityAssociation, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	if err := checkAssociationID(c.Name, id); err != nil {
		return nil, err
	}
	var out *PodIdentityAssociation
	err = s.Store.Transact(ctx, func(t *store.Txn) error {
		a, key, rev, err := s.associationAt(ctx, c, id)
		if err != nil {
			return err
		}
		t.Unchanged(key, rev)
		t.Delete(key)
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// podIdentityByARN finds the association an association ARN names
// (…:podidentityassociation/<cluster>/<id>), with its store key; nil when
// there is none.
func (s *Service) podIdentityByARN(ctx context.Context, region, cluster, id, arn string) (*PodIdentityAssociation, string, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		if _, known := awserr.AsError(err); known {
			return nil, "", nil
		}
		return nil, "", err
	}
	a, key, _, err := s.associationAt(ctx, c, id)
	if err != nil {
		if _, known := awserr.AsError(err); known {
			return nil, "", nil
		}
		return nil, "", err
	}
	if a.AssociationARN != arn {
		return nil, "", nil
	}
	return a, key, nil
}
