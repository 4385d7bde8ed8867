package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ecr"
	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/registry"
)

// registryBridge carries the registry address on the host. Instances reach
// it through their subnet's gateway, since it is one of the host's own
// addresses; the host reaches it directly.
const registryBridge = "keks0"

// listenRegistry puts the registry address on the host and listens there.
func listenRegistry(addr string) (net.Listener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("registry address %q: %w", addr, err)
	}
	if !ap.Addr().IsLoopback() {
		if err := network.EnsureBridge(registryBridge, []netip.Prefix{netip.PrefixFrom(ap.Addr(), 32)}); err != nil {
			return nil, fmt.Errorf("registry address on %s: %w", registryBridge, err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// registryInUse reports whether another server already answers on the
// registry address: a second keks on one host would take it over and, on
// exit, remove the first one's address.
func registryInUse(addr string) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !hostHas(ap.Addr()) {
		return nil // not on this host: nobody here serves it
	}
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return nil
	}
	_ = c.Close()
	return fmt.Errorf("another keks server on this host already serves %s (its registry address): stop it first, "+
		"or give this server another --registry-address", addr)
}

// hostHas reports whether an address is one of the host's own.
func hostHas(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range addrs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil && p.Addr() == a {
			return true
		}
	}
	return false
}

// instanceFacing is what the registry address, the one address of keks
// every instance and pod reaches, serves: the OCI distribution API, the
// clusters' OIDC discovery documents (GET /id/), and otherwise keks's AWS
// APIs through the front door, as an instance reaches AWS's public
// endpoints (a pod exchanging its service account token with STS).
func instanceFacing(reg *registry.Registry, oidc, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/id/"):
			oidc.ServeHTTP(w, r)
		case r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/"):
			if reg == nil {
				http.NotFound(w, r)
				return
			}
			reg.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// registryAuthorizer asks IAM about a registry request as the front door
// asks about an API call: the token's principal, the ECR action on the
// repository (with its tags for aws:ResourceTag), and the HTTP request's
// own conditions. Refusals are AccessDeniedException, answered as DENIED.
func registryAuthorizer(az awsproto.Authorizer, repos *ecr.Service, region string) registry.AuthorizeFunc {
	return func(r *http.Request, principalARN, action, resource string) error {
		account := ""
		if parts := strings.SplitN(principalARN, ":", 6); len(parts) == 6 {
			account = parts[4]
		}
		check := awsproto.Check{Action: action, Resource: resource}
		if _, name, ok := strings.Cut(resource, ":repository/"); ok {
			check.ResourceTags = func(ctx context.Context) map[string]string {
				rs, _, err := repos.Repositories(ctx, region, account, []string{name}, 0, "")
				if err != nil || len(rs) == 0 {
					return nil
				}
				return rs[0].Tags
			}
		}
		call := &awsproto.Call{RequestID: awsproto.NewRequestID(), Region: region,
			Principal: awsproto.Principal{ARN: principalARN, Account: account}}
		return az.Authorize(r.Context(), call, r, "ecr", []awsproto.Check{check})
	}
}

// issuerURL is the base of new clusters' OIDC issuers: the registry
// address, which pods reach (STS and the clusters' own API servers too),
// as EKS's issuers are public; "" (keks's own URL) without one.
func issuerURL(registryAddress string) string {
	ap, err := netip.ParseAddrPort(registryAddress)
	if err != nil {
		return ""
	}
	if ap.Port() == 443 {
		return "https://" + ap.Addr().String()
	}
	return "https://" + ap.String()
}
