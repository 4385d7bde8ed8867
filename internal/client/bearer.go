package client

import (
	"context"
	"net/http"
)

// BearerTransport wraps a transport (as rest.Config's WrapTransport takes
// it) so each request carries a fresh token: EKS tokens live 15 minutes,
// longer than a client-go client may.
func BearerTransport(token func(context.Context) (string, error)) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			t, err := token(req.Context())
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Header.Set("Authorization", "Bearer "+t)
			return next.RoundTrip(req)
		})
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
