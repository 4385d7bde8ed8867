package iam

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// OIDCProvider is an IAM OpenID Connect identity provider: an issuer whose
// ID tokens STS's AssumeRoleWithWebIdentity exchanges for a role's
// credentials, when their audience is one of its client IDs.
type OIDCProvider struct {
	// URL is the issuer without its scheme, as IAM keeps and shows it
	// ("oidc.eks.us-east-1.amazonaws.com/id/ABC"): the token's iss, less
	// https://, must equal it, and the ARN ends with it.
	URL         string            `json:"url"`
	ARN         string            `json:"arn"`
	ClientIDs   []string          `json:"clientIds,omitempty"`
	Thumbprints []string          `json:"thumbprints,omitempty"`
	CreateDate  time.Time         `json:"createDate"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// IAM's limits on OIDC providers.
const (
	maxOIDCURL         = 255
	maxClientIDLength  = 255
	maxClientIDs       = 100
	maxThumbprints     = 5
	thumbprintLength   = 40
	maxOIDCProviders   = 100
	oidcProvidersQuota = "OpenIdConnectProvidersPerAccount"
)

const oidcProvidersPrefix = "iam/oidc-providers/"

// oidcProviderKey keeps the URL's slashes out of the key's path.
func oidcProviderKey(u string) string { return oidcProvidersPrefix + url.PathEscape(u) }

var thumbprintPattern = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

// CreateOIDCProvider registers an issuer (issuerURL as given, https://
// and all) with its client IDs and thumbprints.
func (s *Service) CreateOIDCProvider(ctx context.Context, issuerURL string, clientIDs, thumbprints []string, tags map[string]string) (*OIDCProvider, error) {
	u, err := oidcURL(issuerURL)
	if err != nil {
		return nil, err
	}
	clientIDs = dedupe(clientIDs)
	if err := checkClientIDs(clientIDs); err != nil {
		return nil, err
	}
	if err := checkThumbprints(thumbprints); err != nil {
		return nil, err
	}
	if err := validateTags(tags, "TagsPerOpenIdConnectProvider"); err != nil {
		return nil, err
	}
	prefix, err := s.arnPrefix(ctx)
	if err != nil {
		return nil, err
	}
	p := OIDCProvider{URL: u, ARN: prefix + "oidc-provider/" + u, ClientIDs: clientIDs, Thumbprints: dedupe(thumbprints), CreateDate: s.Now().UTC(), Tags: tags}
	err = s.write(ctx, func(t *store.Txn) error {
		all, err := s.ListOIDCProviders(ctx)
		if err != nil {
			return err
		}
		if len(all) >= maxOIDCProviders {
			return quotaError(oidcProvidersQuota, maxOIDCProviders)
		}
		return s.createIn(ctx, t, oidcProviderKey(u), &p, awserr.Errorf(CodeEntityAlreadyExists, "Provider with url https://%s already exists.", u))
	})
	if err != nil {
		return nil, fmt.Errorf("create OIDC provider %s: %w", u, err)
	}
	return &p, nil
}

// GetOIDCProvider reads a provider by its ARN.
func (s *Service) GetOIDCProvider(ctx context.Context, arn string) (*OIDCProvider, error) {
	p, _, err := s.oidcProviderAt(ctx, arn)
	return p, err
}

// OIDCProviderForIssuer finds the provider of a token's issuer (its iss
// claim): the one whose URL is the issuer less https://, exactly.
func (s *Service) OIDCProviderForIssuer(ctx context.Context, issuer string) (*OIDCProvider, error) {
	u, ok := strings.CutPrefix(issuer, "https://")
	if !ok || u == "" {
		return nil, store.ErrNotFound
	}
	var p OIDCProvider
	if _, err := s.Store.Get(ctx, oidcProviderKey(u), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ListOIDCProviders lists the account's providers.
func (s *Service) ListOIDCProviders(ctx context.Context) ([]OIDCProvider, error) {
	return store.List[OIDCProvider](ctx, s.Store, oidcProvidersPrefix)
}

// DeleteOIDCProvider removes a provider; roles that trust it stay, and
// their web identity sessions can no longer be made. As IAM documents,
// deleting one that does not exist succeeds.
func (s *Service) DeleteOIDCProvider(ctx context.Context, arn string) error {
	err := s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.oidcProviderAt(ctx, arn)
		if e, ok := awserr.AsError(err); ok && e.Code == CodeNoSuchEntity {
			return nil
		}
		if err != nil {
			return err
		}
		t.Unchanged(oidcProviderKey(p.URL), rev)
		t.Delete(oidcProviderKey(p.URL))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete OIDC provider %s: %w", arn, err)
	}
	return nil
}

// AddOIDCClientID adds an audience; adding one the provider has changes nothing.
func (s *Service) AddOIDCClientID(ctx context.Context, arn, clientID string) error {
	if err := checkClientIDs([]string{clientID}); err != nil {
		return err
	}
	return s.mutateOIDCProvider(ctx, arn, func(p *OIDCProvider) error {
		if slices.Contains(p.ClientIDs, clientID) {
			return nil
		}
		if len(p.ClientIDs) >= maxClientIDs {
			return quotaError("ClientIdsPerOpenIdConnectProvider", maxClientIDs)
		}
		p.ClientIDs = append(p.ClientIDs, clientID)
		return nil
	})
}

// RemoveOIDCClientID removes an audience; removing one it lacks changes nothing.
func (s *Service) RemoveOIDCClientID(ctx context.Context, arn, clientID string) error {
	if err := checkClientIDs([]string{clientID}); err != nil {
		return err
	}
	return s.mutateOIDCProvider(ctx, arn, func(p *OIDCProvider) error {
		p.ClientIDs = slices.DeleteFunc(p.ClientIDs, func(c string) bool { return c == clientID })
		return nil
	})
}

// UpdateOIDCThumbprints replaces the provider's thumbprints.
func (s *Service) UpdateOIDCThumbprints(ctx context.Context, arn string, thumbprints []string) error {
	if err := checkThumbprints(thumbprints); err != nil {
		return err
	}
	return s.mutateOIDCProvider(ctx, arn, func(p *OIDCProvider) error {
		p.Thumbprints = dedupe(thumbprints)
		return nil
	})
}

// TagOIDCProvider adds or replaces tags.
func (s *Service) TagOIDCProvider(ctx context.Context, arn string, tags map[string]string) error {
	return s.mutateOIDCProvider(ctx, arn, func(p *OIDCProvider) error {
		merged, err := mergeTags(p.Tags, tags, "TagsPerOpenIdConnectProvider")
		p.Tags = merged
		return err
	})
}

// UntagOIDCProvider removes tags by key.
func (s *Service) UntagOIDCProvider(ctx context.Context, arn string, keys []string) error {
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	return s.mutateOIDCProvider(ctx, arn, func(p *OIDCProvider) error {
		p.Tags = untag(p.Tags, keys)
		return nil
	})
}

func (s *Service) mutateOIDCProvider(ctx context.Context, arn string, change func(*OIDCProvider) error) error {
	err := s.write(ctx, func(t *store.Txn) error {
		p, rev, err := s.oidcProviderAt(ctx, arn)
		if err != nil {
			return err
		}
		if err := change(p); err != nil {
			return err
		}
		t.Unchanged(oidcProviderKey(p.URL), rev)
		t.Put(oidcProviderKey(p.URL), p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("update OIDC provider %s: %w", arn, err)
	}
	return nil
}

// oidcProviderAt reads a provider by ARN: the account's, with the URL the
// ARN ends with.
func (s *Service) oidcProviderAt(ctx context.Context, arn string) (*OIDCProvider, int64, error) {
	if n := len(arn); n < 20 || n > 2048 {
		return nil, 0, awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'openIDConnectProviderArn' failed to satisfy constraint: Member must have length between 20 and 2048", arn)
	}
	prefix, err := s.arnPrefix(ctx)
	if err != nil {
		return nil, 0, err
	}
	notFound := awserr.Errorf(CodeNoSuchEntity, "OpenIDConnect Provider not found for arn %s", arn)
	u, ok := strings.CutPrefix(arn, prefix+"oidc-provider/")
	if !ok {
		if !strings.HasPrefix(arn, "arn:aws:iam::") {
			return nil, 0, awserr.Errorf(CodeInvalidInput, "ARN %s is not valid.", arn)
		}
		return nil, 0, notFound
	}
	var p OIDCProvider
	rev, err := s.Store.Get(ctx, oidcProviderKey(u), &p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, notFound
	} else if err != nil {
		return nil, 0, err
	}
	return &p, rev, nil
}

// oidcURL checks an issuer URL as IAM does and returns it without its
// scheme: https, a host, no query or fragment, at most 255 characters.
// IAM keeps a trailing slash; so does keks, since the token's iss must
// match it exactly.
func oidcURL(raw string) (string, error) {
	if n := utf8.RuneCountInString(raw); n < 1 || n > maxOIDCURL {
		return "", awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'url' failed to satisfy constraint: Member must have length less than or equal to %d", raw, maxOIDCURL)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
		return "", awserr.Errorf(CodeValidation, "Invalid Open ID Connect Provider URL")
	}
	return strings.TrimPrefix(raw, "https://"), nil
}

func checkClientIDs(ids []string) error {
	if len(ids) > maxClientIDs {
		return quotaError("ClientIdsPerOpenIdConnectProvider", maxClientIDs)
	}
	for _, id := range ids {
		if n := utf8.RuneCountInString(id); n < 1 || n > maxClientIDLength {
			return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to 1]", id, maxClientIDLength)
		}
	}
	return nil
}

func checkThumbprints(prints []string) error {
	if len(prints) > maxThumbprints {
		return quotaError("ThumbprintsPerOpenIdConnectProvider", maxThumbprints)
	}
	for _, t := range prints {
		if len(t) != thumbprintLength {
			return awserr.Errorf(CodeValidation, "1 validation error detected: Value '[%s]' at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to %d]", strings.Join(prints, ", "), thumbprintLength, thumbprintLength)
		}
		if !thumbprintPattern.MatchString(t) {
			return awserr.Errorf(CodeInvalidInput, "Thumbprint %s is not a hexadecimal SHA-1 fingerprint.", t)
		}
	}
	return nil
}

// dedupe drops repeats, keeping the first of each.
func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
