package controlplane

import (
	"slices"
	"testing"

	"github.com/keksdev/keks/internal/eks"
)

// TestOIDCFlags: an associated identity provider becomes kube-apiserver's
// --oidc-* flags, each required claim a flag of its own; one being
// disassociated is already gone from them.
func TestOIDCFlags(t *testing.T) {
	cl := &eks.Cluster{Spec: eks.ClusterSpec{OIDCIdentityProvider: &eks.OIDCIdentityProviderConfig{Name: "corp", IssuerURL: "https://idp.example.com",
		ClientID: "kubernetes", UsernameClaim: "email", GroupsClaim: "groups", GroupsPrefix: "oidc:",
		RequiredClaims: map[string]string{"hd": "example.com", "env": "prod"}, Status: "ACTIVE"}}}
	f := map[string]string{}
	addOIDCFlags(f, hostPlacement{dir: clusterDir("/c")}, cl)
	args := sortedFlags(f)
	for _, want := range []string{"--oidc-issuer-url=https://idp.example.com", "--oidc-client-id=kubernetes", "--oidc-username-claim=email",
		"--oidc-groups-claim=groups", "--oidc-groups-prefix=oidc:", "--oidc-required-claim=env=prod", "--oidc-required-claim=hd=example.com",
		"--oidc-ca-file=/c/pki/oidc-ca.crt"} {
		if !slices.Contains(args, want) {
			t.Errorf("%s missing from %v", want, args)
		}
	}
	if slices.ContainsFunc(args, func(a string) bool { return a == "--oidc-username-prefix=" }) {
		t.Errorf("an empty prefix was passed (kube-apiserver's default is wanted): %v", args)
	}
	cl.Spec.OIDCIdentityProvider.Status = "DELETING"
	f = map[string]string{}
	addOIDCFlags(f, hostPlacement{dir: clusterDir("/c")}, cl)
	if len(f) != 0 {
		t.Errorf("flags of a config being disassociated: %v", f)
	}
}
