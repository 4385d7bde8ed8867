package controlplane

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/keksdev/keks/internal/eks"
)

// systemRoots is Debian's bundle of publicly trusted CAs.
const systemRoots = "/etc/ssl/certs/ca-certificates.crt"

// addOIDCFlags has the API servers authenticate the ID tokens of the
// cluster's OIDC identity provider, as EKS's AssociateIdentityProviderConfig
// does: the kube-apiserver --oidc-* flags, with the claims and prefixes as
// given (kube-apiserver's defaults otherwise: the sub claim, and usernames
// prefixed with the issuer URL and '#').
func addOIDCFlags(f map[string]string, pl Placement, cl *eks.Cluster) {
	idp := cl.ActiveOIDCIdentityProvider()
	if idp == nil {
		return
	}
	f["oidc-issuer-url"] = idp.IssuerURL
	f["oidc-client-id"] = idp.ClientID
	// An issuer's certificate must chain to a public CA, as on EKS, or to
	// keks's own (an issuer served on the host).
	f["oidc-ca-file"] = pl.PKI("oidc-ca.crt")
	for flag, v := range map[string]string{"oidc-username-claim": idp.UsernameClaim, "oidc-username-prefix": idp.UsernamePrefix,
		"oidc-groups-claim": idp.GroupsClaim, "oidc-groups-prefix": idp.GroupsPrefix} {
		if v != "" {
			f[flag] = v
		}
	}
	if len(idp.RequiredClaims) > 0 {
		var claims []string
		for k, v := range idp.RequiredClaims {
			claims = append(claims, k+"="+v)
		}
		sort.Strings(claims)
		f["oidc-required-claim"] = strings.Join(claims, repeatFlag)
	}
}

// addOIDCCA adds the CAs the API servers trust an identity provider's
// issuer with: the system's, keks's, and those the operator gave.
func (c *Controller) addOIDCCA(b *Bundle) error {
	var bundle []byte
	for _, f := range []string{systemRoots, c.cfg.KeksCAFile, c.cfg.IdentityProviderCAFile} {
		if f == "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil && f != systemRoots {
			return fmt.Errorf("read the identity providers' CAs: %w", err)
		}
		bundle = append(append(bundle, data...), '\n')
	}
	b.add(pkiDoc("oidc-ca.crt"), bundle, 0o644)
	return nil
}
