package authn

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/pki"
)

// OIDC serves /id/<cluster id>/.well-known/openid-configuration and
// /id/<cluster id>/keys, the documents IRSA verifiers fetch from a cluster's issuer.
type OIDC struct {
	// Lookup finds a cluster by its 32-hex id and returns its service-account signing key.
	Lookup func(ctx context.Context, id string) (*eks.Cluster, []byte, error)
}

func (o *OIDC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/id/")
	id, doc, _ := strings.Cut(rest, "/")
	cl, key, err := o.Lookup(r.Context(), id)
	if err != nil || cl.Status.OIDCIssuer == "" {
		http.NotFound(w, r)
		return
	}
	var body any
	switch doc {
	case ".well-known/openid-configuration":
		body = map[string]any{
			"issuer": cl.Status.OIDCIssuer, "jwks_uri": cl.Status.OIDCIssuer + "/keys",
			"authorization_endpoint": "urn:kubernetes:programmatic_authorization", "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"}, "claims_supported": []string{"sub", "iss"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		}
	case "keys":
		signer, err := pki.ParseKey(key)
		if err != nil {
			http.Error(w, "no signing key", http.StatusInternalServerError)
			return
		}
		pub, ok := signer.Public().(*rsa.PublicKey)
		if !ok {
			http.Error(w, "signing key is not RSA", http.StatusInternalServerError)
			return
		}
		kid, _ := pki.KeyID(pub)
		body = map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
