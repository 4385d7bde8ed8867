// Package credentialprovider answers the kubelet's image credential
// provider requests (credentialprovider.kubelet.k8s.io/v1) with keks's
// registry login, as the ecr-credential-provider of EKS's AMIs answers
// them with ECR's: the kubelet hands the credentials to containerd with
// each pull of a matching image.
package credentialprovider

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// APIVersion is the kubelet's credential provider API keks speaks.
const APIVersion = "credentialprovider.kubelet.k8s.io/v1"

type request struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Image      string `json:"image"`
}

type authConfig struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type response struct {
	APIVersion    string                `json:"apiVersion"`
	Kind          string                `json:"kind"`
	CacheKeyType  string                `json:"cacheKeyType"`
	CacheDuration string                `json:"cacheDuration,omitempty"`
	Auth          map[string]authConfig `json:"auth"`
}

// Login gives the registry's user and password, and when they expire.
type Login func(ctx context.Context) (user, password string, expires time.Time, err error)

// renewBefore is how long before its expiry the kubelet asks again.
const renewBefore = 30 * time.Minute

// Serve reads one request from in and writes the response to out: the
// login for the image's registry, cached by the kubelet per registry
// until shortly before it expires.
func Serve(ctx context.Context, in io.Reader, out io.Writer, login Login, now time.Time) error {
	var req request
	if err := json.NewDecoder(io.LimitReader(in, 1<<20)).Decode(&req); err != nil {
		return fmt.Errorf("read the kubelet's request: %w", err)
	}
	if req.APIVersion != APIVersion || req.Kind != "CredentialProviderRequest" || req.Image == "" {
		return fmt.Errorf("not a %s CredentialProviderRequest for an image: %s %s %q", APIVersion, req.APIVersion, req.Kind, req.Image)
	}
	user, password, expires, err := login(ctx)
	if err != nil {
		return err
	}
	resp := response{APIVersion: APIVersion, Kind: "CredentialProviderResponse", CacheKeyType: "Registry",
		Auth: map[string]authConfig{Registry(req.Image): {Username: user, Password: password}}}
	if d := expires.Sub(now) - renewBefore; d > 0 {
		resp.CacheDuration = d.Round(time.Second).String()
	}
	return json.NewEncoder(out).Encode(resp)
}

// Registry is the registry host of an image reference, as the kubelet
// and containerd read it: the first path element when it names a host (a
// dot, a port or localhost), else docker.io.
func Registry(image string) string {
	first, _, found := strings.Cut(image, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}
