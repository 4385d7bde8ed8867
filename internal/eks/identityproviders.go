package eks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// EKS's OIDC identity provider configs: an issuer whose ID tokens the
// cluster's API servers accept (kube-apiserver's --oidc-* flags). A config
// is part of its cluster's spec (EKS allows one per cluster), so that
// associating or disassociating one is a cluster update, as on EKS: a new
// generation, which the control plane rolls out, and an update of type
// AssociateIdentityProviderConfig or DisassociateIdentityProviderConfig,
// which FinishUpdate completes once the API servers run that generation.

// Update types of the identity provider config operations.
const (
	UpdateAssociateIdentityProviderConfig    = "AssociateIdentityProviderConfig"
	UpdateDisassociateIdentityProviderConfig = "DisassociateIdentityProviderConfig"
)

// IdentityProviderTypeOIDC is the only identity provider config type EKS has.
const IdentityProviderTypeOIDC = "oidc"

// Identity provider config statuses (the model's ConfigStatus).
const (
	IdentityProviderCreating = "CREATING"
	IdentityProviderActive   = "ACTIVE"
	IdentityProviderDeleting = "DELETING"
)

// EKS's bounds on a config's required claims (requiredClaimsKey and
// requiredClaimsValue in the API model).
const (
	maxRequiredClaimKeyLen   = 63
	maxRequiredClaimValueLen = 253
)

// identityProviderConfigName is what keks takes as a config's name: EKS
// documents no pattern, and keks asks what it asks of cluster names, which
// also keeps the config's ARN (…/<cluster>/oidc/<name>/<uuid>) unambiguous.
var identityProviderConfigName = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9._-]*$`)

const maxIdentityProviderConfigNameLen = 100

// ActiveOIDCIdentityProvider is the OIDC identity provider config the
// cluster's API servers should run with: the cluster's config while it is
// being associated (CREATING) or associated (ACTIVE), none while it is being
// disassociated (DELETING) or when there is none.
func (c *Cluster) ActiveOIDCIdentityProvider() *OIDCIdentityProviderConfig {
	idp := c.Spec.OIDCIdentityProvider
	if idp == nil || idp.Status == IdentityProviderDeleting {
		return nil
	}
	return idp
}

// AssociateIdentityProviderConfigInput is AssociateIdentityProviderConfig's
// request, decoded: the oidc member's fields, and the config's tags.
type AssociateIdentityProviderConfigInput struct {
	Region         string
	ClusterName    string
	Name           string
	IssuerURL      string
	ClientID       string
	UsernameClaim  string
	UsernamePrefix string
	GroupsClaim    string
	GroupsPrefix   string
	RequiredClaims map[string]string
	Tags           map[string]string
}

// IdentityProviderConfigRef names a config as Describe, Disassociate and
// List do: its type ("oidc") and name.
type IdentityProviderConfigRef struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// AssociateIdentityProviderConfig validates an OIDC identity provider
// config as EKS does and records it CREATING with an InProgress update of
// type AssociateIdentityProviderConfig and a new cluster generation, in one
// transaction.
func (s *Service) AssociateIdentityProviderConfig(ctx context.Context, in AssociateIdentityProviderConfigInput) (*Update, error) {
	if err := validateOIDCConfig(in); err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, in.Region, in.ClusterName)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if own := c.Status.OIDCIssuer; own != "" && strings.TrimRight(in.IssuerURL, "/") == strings.TrimRight(own, "/") {
		// Since Kubernetes 1.30 an API server refuses to start with a JWT
		// issuer that is its own service account issuer.
		return nil, invalidParam(c.Name, "Incorrect Identity Provider URL configuration. The Identity Provider URL cannot be same as OpenID Connect (OIDC) issuer URL")
	}
	if err := identityProviderSlotFree(c, in.Name); err != nil {
		return nil, err
	}
	if err := s.checkUpdatableAs(ctx, c, UpdateAssociateIdentityProviderConfig); err != nil {
		return nil, err
	}
	idp := &OIDCIdentityProviderConfig{
		Name:           in.Name,
		ARN:            fmt.Sprintf("arn:aws:eks:%s:%s:identityproviderconfig/%s/%s/%s/%s", c.Region, c.Account, c.Name, IdentityProviderTypeOIDC, in.Name, uuid.NewString()),
		IssuerURL:      in.IssuerURL,
		ClientID:       in.ClientID,
		UsernameClaim:  in.UsernameClaim,
		UsernamePrefix: in.UsernamePrefix,
		GroupsClaim:    in.GroupsClaim,
		GroupsPrefix:   in.GroupsPrefix,
		RequiredClaims: maps.Clone(in.RequiredClaims),
		Tags:           maps.Clone(in.Tags),
		Status:         IdentityProviderCreating,
		CreatedAt:      s.Now().UTC(),
	}
	if len(idp.RequiredClaims) == 0 {
		idp.RequiredClaims = nil
	}
	if len(idp.Tags) == 0 {
		idp.Tags = nil
	}
	upd := Update{Type: UpdateAssociateIdentityProviderConfig, Params: []UpdateParam{
		{Type: "IdentityProviderConfig", Value: identityProviderConfigParam(idp)},
	}}
	return s.commitUpdate(ctx, c, upd, func(cur *Cluster) error {
		if err := identityProviderSlotFree(cur, in.Name); err != nil {
			return err
		}
		cur.Spec.OIDCIdentityProvider = idp
		return nil
	}, nil)
}

// identityProviderSlotFree refuses a second config: EKS allows one per
// cluster (on Kubernetes versions before 1.32; keks keeps that limit).
func identityProviderSlotFree(c *Cluster, name string) error {
	have := c.Spec.OIDCIdentityProvider
	switch {
	case have == nil:
		return nil
	case have.Name == name:
		return awserr.Errorf(CodeResourceInUse, "Identity provider config %s already exists for cluster %s", name, c.Name).With("clusterName", c.Name)
	default:
		return awserr.Errorf(CodeInvalidRequest, "Cluster %s already has the identity provider config %s; a cluster can have one OIDC identity provider config", c.Name, have.Name).With("clusterName", c.Name)
	}
}

// DescribeIdentityProviderConfig returns a cluster's config of that type
// and name.
func (s *Service) DescribeIdentityProviderConfig(ctx context.Context, region, cluster string, ref IdentityProviderConfigRef) (*OIDCIdentityProviderConfig, error) {
	if err := validateConfigRef(cluster, ref); err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	return configOf(c, ref)
}

// ListIdentityProviderConfigs pages through a cluster's configs, in name order.
func (s *Service) ListIdentityProviderConfigs(ctx context.Context, region, cluster string, maxResults int, nextToken string) ([]IdentityProviderConfigRef, string, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, "", err
	}
	var names []string
	if idp := c.Spec.OIDCIdentityProvider; idp != nil {
		names = append(names, idp.Name)
	}
	page, next, err := Page(names, maxResults, nextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]IdentityProviderConfigRef, 0, len(page))
	for _, n := range page {
		out = append(out, IdentityProviderConfigRef{Type: IdentityProviderTypeOIDC, Name: n})
	}
	return out, next, nil
}

// DisassociateIdentityProviderConfig starts removing an ACTIVE config: it
// becomes DELETING (the API servers run without it from the new
// generation on) with an InProgress update of type
// DisassociateIdentityProviderConfig, in one transaction. FinishUpdate
// removes it.
func (s *Service) DisassociateIdentityProviderConfig(ctx context.Context, region, cluster string, ref IdentityProviderConfigRef) (*Update, error) {
	if err := validateConfigRef(cluster, ref); err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		return nil, err
	}
	idp, err := configOf(c, ref)
	if err != nil {
		return nil, err
	}
	if idp.Status != IdentityProviderActive {
		// EKS's answer to a disassociation while the association is still
		// in progress (or the config is already on its way out).
		return nil, notAssociated(c.Name)
	}
	if err := s.checkUpdatableAs(ctx, c, UpdateDisassociateIdentityProviderConfig); err != nil {
		return nil, err
	}
	upd := Update{Type: UpdateDisassociateIdentityProviderConfig, Params: []UpdateParam{
		// The configs the cluster keeps: with one allowed, none.
		{Type: "IdentityProviderConfig", Value: "[]"},
	}}
	return s.commitUpdate(ctx, c, upd, func(cur *Cluster) error {
		have := cur.Spec.OIDCIdentityProvider
		if have == nil || have.ARN != idp.ARN || have.Status != IdentityProviderActive {
			return notAssociated(cur.Name)
		}
		next := *have
		next.Status = IdentityProviderDeleting
		cur.Spec.OIDCIdentityProvider = &next
		return nil
	}, nil)
}

func notAssociated(cluster string) error {
	return awserr.Errorf(CodeInvalidRequest, "Identity provider config is not associated with cluster %s", cluster).With("clusterName", cluster)
}

// configOf finds the config a ref names in a cluster's spec.
func configOf(c *Cluster, ref IdentityProviderConfigRef) (*OIDCIdentityProviderConfig, error) {
	if ref.Type != IdentityProviderTypeOIDC {
		return nil, invalidParam(c.Name, "Unsupported identity provider config type: %s. The only type is %s", ref.Type, IdentityProviderTypeOIDC)
	}
	idp := c.Spec.OIDCIdentityProvider
	if idp == nil || idp.Name != ref.Name {
		return nil, awserr.Errorf(CodeResourceNotFound, "No config found for cluster: %s, config type: %s, config name: %s", c.Name, ref.Type, ref.Name).With("clusterName", c.Name)
	}
	out := *idp
	return &out, nil
}

// validateConfigRef applies the model's constraints on an
// identityProviderConfig member: type and name are required.
func validateConfigRef(cluster string, ref IdentityProviderConfigRef) error {
	for _, f := range []struct{ field, v string }{{"type", ref.Type}, {"name", ref.Name}} {
		if f.v == "" {
			return invalidParam(cluster, "1 validation error detected: Value null at 'identityProviderConfig.%s' failed to satisfy constraint: Member must not be null", f.field)
		}
	}
	return nil
}

// validateOIDCConfig applies the API model's constraints and EKS's
// documented rules to an OidcIdentityProviderConfigRequest.
func validateOIDCConfig(in AssociateIdentityProviderConfigInput) error {
	cluster := in.ClusterName
	for _, f := range []struct{ field, v string }{{"identityProviderConfigName", in.Name}, {"issuerUrl", in.IssuerURL}, {"clientId", in.ClientID}} {
		if f.v == "" {
			return invalidParam(cluster, "1 validation error detected: Value null at 'oidc.%s' failed to satisfy constraint: Member must not be null", f.field)
		}
	}
	if len(in.Name) > maxIdentityProviderConfigNameLen || !identityProviderConfigName.MatchString(in.Name) {
		return invalidParam(cluster, "1 validation error detected: Value '%s' at 'oidc.identityProviderConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z][A-Za-z0-9._-]* and have length between 1 and %d", in.Name, maxIdentityProviderConfigNameLen)
	}
	if err := validateIssuerURL(cluster, in.IssuerURL); err != nil {
		return err
	}
	for _, p := range []struct{ field, v string }{{"usernamePrefix", in.UsernamePrefix}, {"groupsPrefix", in.GroupsPrefix}} {
		// "The prefix can't contain system:" (the API model).
		if strings.Contains(strings.ToLower(p.v), "system:") {
			return invalidParam(cluster, "The %s %s is not valid: the prefix can't contain system:", p.field, p.v)
		}
	}
	for k, v := range in.RequiredClaims {
		if len(k) < 1 || len(k) > maxRequiredClaimKeyLen {
			return invalidParam(cluster, "1 validation error detected: Value at 'oidc.requiredClaims' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", maxRequiredClaimKeyLen)
		}
		if len(v) < 1 || len(v) > maxRequiredClaimValueLen {
			return invalidParam(cluster, "1 validation error detected: Value at 'oidc.requiredClaims' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", maxRequiredClaimValueLen)
		}
		// kube-apiserver takes each required claim as one key=value flag
		// value: a key may not hold "=", nor start or end with spaces
		// (it trims them).
		if strings.Contains(k, "=") || strings.TrimSpace(k) != k || strings.TrimSpace(v) != v {
			return invalidParam(cluster, "The required claim %q=%q is not valid: a claim name may not contain '=', and neither may start or end with spaces", k, v)
		}
	}
	return nil
}

// validateIssuerURL applies EKS's rule for issuerUrl ("must begin with
// https://", a path but no query parameters), which is also what
// kube-apiserver asks of a JWT issuer.
func validateIssuerURL(cluster, raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !strings.HasPrefix(raw, "https://") || u.Scheme != "https" || u.Host == "" || u.Hostname() == "":
		return invalidParam(cluster, "Invalid issuerUrl %s: the issuer URL must begin with https:// and name a host", raw)
	case u.User != nil:
		return invalidParam(cluster, "Invalid issuerUrl %s: the issuer URL must not contain a username or password", raw)
	case u.RawQuery != "" || u.ForceQuery:
		return invalidParam(cluster, "Invalid issuerUrl %s: the issuer URL may have path components but not query parameters", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return invalidParam(cluster, "Invalid issuerUrl %s: the issuer URL must not contain a fragment", raw)
	}
	return nil
}

// identityProviderConfigParam is an update's IdentityProviderConfig
// parameter: the configs the cluster has after the update, as
// [{"type":"oidc","name":…}] (the AWS CLI's examples of
// associate-identity-provider-config and disassociate-…).
func identityProviderConfigParam(idps ...*OIDCIdentityProviderConfig) string {
	refs := make([]IdentityProviderConfigRef, 0, len(idps))
	for _, idp := range idps {
		refs = append(refs, IdentityProviderConfigRef{Type: IdentityProviderTypeOIDC, Name: idp.Name})
	}
	b, _ := json.Marshal(refs)
	return string(b)
}

// isIdentityProviderUpdate tells the updates FinishUpdate completes with a
// change to the cluster's config.
func isIdentityProviderUpdate(u Update) bool {
	return u.Nodegroup == "" && u.Addon == "" &&
		(u.Type == UpdateAssociateIdentityProviderConfig || u.Type == UpdateDisassociateIdentityProviderConfig)
}

// finishIdentityProviderUpdate marks an identity provider config update
// Successful or Failed and, in the same transaction, settles the config
// without a new generation: an association's config becomes ACTIVE, a
// disassociation's is removed (the API servers already run without it).
// On failure the cluster goes back to what it had, with a new generation
// for the API servers to roll back to: a failed association's config is
// removed, a failed disassociation's is ACTIVE again. (EKS documents
// neither failure.)
func (s *Service) finishIdentityProviderUpdate(ctx context.Context, u Update, failure *UpdateError) error {
	ckey, err := s.clusterKeyOf(ctx, u.ClusterUID)
	if err != nil {
		return err
	}
	ukey := updateKey(u.ClusterUID, u.ID)
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		var cur Update
		urev, err := s.Store.Get(ctx, ukey, &cur)
		if err != nil {
			return err
		}
		settle := cur.Status == UpdateInProgress
		markUpdate(&cur, failure)
		t.Unchanged(ukey, urev)
		t.Put(ukey, &cur)
		if !settle || ckey == "" {
			return nil
		}
		var cl Cluster
		crev, err := s.Store.Get(ctx, ckey, &cl)
		if errors.Is(err, store.ErrNotFound) {
			return nil // the cluster is gone: nothing to settle
		} else if err != nil {
			return err
		}
		if cl.UID == u.ClusterUID && settleIdentityProvider(&cl, cur, failure) {
			t.Unchanged(ckey, crev)
			t.Put(ckey, &cl)
		}
		return nil
	})
}

// settleIdentityProvider applies an identity provider config update's
// outcome to its cluster; false when the cluster's config is not the one
// the update was about (nothing to change).
func settleIdentityProvider(cl *Cluster, u Update, failure *UpdateError) bool {
	idp := cl.Spec.OIDCIdentityProvider
	if idp == nil {
		return false
	}
	switch u.Type {
	case UpdateAssociateIdentityProviderConfig:
		if idp.Status != IdentityProviderCreating || !updateNames(u, idp.Name) {
			return false
		}
		if failure == nil {
			next := *idp
			next.Status = IdentityProviderActive
			cl.Spec.OIDCIdentityProvider = &next
		} else {
			cl.Spec.OIDCIdentityProvider = nil
			cl.Generation++
		}
	case UpdateDisassociateIdentityProviderConfig:
		if idp.Status != IdentityProviderDeleting {
			return false
		}
		if failure == nil {
			cl.Spec.OIDCIdentityProvider = nil
		} else {
			next := *idp
			next.Status = IdentityProviderActive
			cl.Spec.OIDCIdentityProvider = &next
			cl.Generation++
		}
	default:
		return false
	}
	return true
}

// updateNames tells whether an association's IdentityProviderConfig
// parameter names the config.
func updateNames(u Update, name string) bool {
	for _, p := range u.Params {
		if p.Type != "IdentityProviderConfig" {
			continue
		}
		var refs []IdentityProviderConfigRef
		if err := json.Unmarshal([]byte(p.Value), &refs); err != nil {
			return false
		}
		for _, r := range refs {
			if r.Name == name {
				return true
			}
		}
	}
	return false
}

// clusterKeyOf is the store key of the cluster with that uid; "" when
// there is none (any more).
func (s *Service) clusterKeyOf(ctx context.Context, uid string) (string, error) {
	all, err := s.ListAllClusters(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range all {
		if c.UID == uid {
			return clusterKey(c.Region, c.Name), nil
		}
	}
	return "", nil
}

// identityProviderConfigByARN finds the config an identityproviderconfig
// ARN names; nil, with no error, when there is none.
func (s *Service) identityProviderConfigByARN(ctx context.Context, region, cluster, arn string) (*Cluster, error) {
	c, err := s.GetCluster(ctx, region, cluster)
	if err != nil {
		if _, known := awserr.AsError(err); known {
			return nil, nil
		}
		return nil, err
	}
	if idp := c.Spec.OIDCIdentityProvider; idp == nil || idp.ARN != arn {
		return nil, nil
	}
	return c, nil
}
