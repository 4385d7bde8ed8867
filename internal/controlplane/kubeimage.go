package controlplane

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/keksdev/keks/internal/images"
	"github.com/keksdev/keks/internal/kubeversions"
	"github.com/keksdev/keks/internal/pki"
)

// controlPlaneImages builds the control-plane image of each Kubernetes
// version (with this keks's binary) once per keks start, and pushes it to
// the repository the management cluster pulls from unless that repository
// has it already (same binaries, same digest). Pods name it by digest.
type controlPlaneImages struct {
	repository string
	k8s        func(v kubeversions.Version) string // the version's multi-call binary
	keks       string
	transport  http.RoundTripper
	log        *slog.Logger

	mu   sync.Mutex
	refs map[string]string // version patch -> repository@digest
}

func newControlPlaneImages(cfg Config, log *slog.Logger) (*controlPlaneImages, error) {
	if _, err := name.NewRepository(cfg.Kubernetes.Images); err != nil {
		return nil, fmt.Errorf("control-plane image repository %q: %w", cfg.Kubernetes.Images, err)
	}
	roots, err := pki.SystemRootsWith(cfg.KeksCAFile)
	if err != nil {
		return nil, err
	}
	if f := cfg.Kubernetes.ImagesCAFile; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read the image registry's CA: %w", err)
		}
		if !roots.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%s holds no PEM certificate", f)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	// HTTP/1.1, a connection per layer: over HTTP/2 the layers' uploads
	// share one connection's flow-control window, and a registry that
	// reads one upload's body while another waits for it (go-containerregistry's
	// registry holds one lock while reading a PATCH) never gets the rest.
	tr.ForceAttemptHTTP2 = false
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	return &controlPlaneImages{repository: cfg.Kubernetes.Images, k8s: func(v kubeversions.Version) string { return cfg.K8s.Path(v, "kube") },
		keks: cfg.KeksBinary, transport: tr, log: log, refs: map[string]string{}}, nil
}

// imagePushTimeout bounds building and pushing one control-plane image.
const imagePushTimeout = 15 * time.Minute

// known is the image of version v, if keks has it ready.
func (c *controlPlaneImages) known(v kubeversions.Version) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ref, ok := c.refs[v.Patch]
	return ref, ok
}

// ensure builds and pushes version v's image if this keks has not yet, and
// names it by digest. One at a time: a build holds the binaries in memory.
func (c *controlPlaneImages) ensure(ctx context.Context, v kubeversions.Version) (string, error) {
	// A first push of a few hundred megabytes outlasts a reconcile's
	// deadline on a slow link; a cancelled one would start over.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), imagePushTimeout)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if ref, ok := c.refs[v.Patch]; ok {
		return ref, nil
	}
	start := time.Now()
	img, err := images.ControlPlane(c.k8s(v), c.keks)
	if err != nil {
		return "", fmt.Errorf("build the control-plane image of %s: %w", v.Patch, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("build the control-plane image of %s: %w", v.Patch, err)
	}
	repo, _ := name.NewRepository(c.repository)
	byDigest := repo.Digest(digest.String())
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(c.transport), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	if _, err := remote.Head(byDigest, opts...); err != nil {
		tag := repo.Tag(v.Patch + "-" + digest.Hex[:12])
		c.log.Info("pushing the control-plane image", "version", v.Patch, "image", tag.String())
		if err := remote.Write(tag, img, opts...); err != nil {
			return "", fmt.Errorf("push the control-plane image of %s to %s: %w", v.Patch, c.repository, err)
		}
		c.log.Info("control-plane image pushed", "version", v.Patch, "seconds", time.Since(start).Seconds())
	}
	c.refs[v.Patch] = byDigest.String()
	return byDigest.String(), nil
}
