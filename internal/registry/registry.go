// Package registry is keks's OCI image registry, the part of ECR that
// clients push to and nodes pull from. The distribution API itself is
// go-containerregistry's registry with blobs on disk; this package keeps
// manifests on disk too (so a restart loses no image), keeps each
// repository's blobs apart, and authorizes every request as ECR does: the
// ECR-style credential says who asks, IAM says whether they may take the
// request's ECR action on its repository.
package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/keksdev/keks/internal/ecr"
)

// Registry serves /v2/.
type Registry struct {
	dir   string
	inner http.Handler
	blobs *repositoryBlobs
	log   *slog.Logger

	// Authenticate checks the password of a Basic "AWS:<password>"
	// credential and says whom it stands for.
	Authenticate func(ctx context.Context, password string) (ecr.Subject, error)
	// Authorize asks IAM about each request on a private repository; nil
	// refuses them all.
	Authorize AuthorizeFunc
	// Repositories answers whether a repository exists and its ARN; nil
	// refuses every request on a private repository.
	Repositories RepositoryLookup
	// Public holds the repositories of images keks seeds under public
	// registries' names (PublicRepositories): pulled with any valid
	// credential, pushed to only by keks, through Transport.
	Public map[string]bool
	// Build makes a public image keks can build but has not yet seeded
	// (repository, tag), pushing it through Transport, when a client asks
	// for it; it reports whether it did. Images the nodes pull only now
	// and then (the conformance suite's) are made on their first pull.
	Build func(ctx context.Context, repository, tag string) bool
}

// New opens the registry in dir and replays its stored manifests.
func New(dir string, authenticate func(context.Context, string) (ecr.Subject, error), log *slog.Logger) (*Registry, error) {
	blobs, err := newRepositoryBlobs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, err
	}
	r := &Registry{dir: dir, blobs: blobs, Authenticate: authenticate, log: log,
		inner: ggcr.New(ggcr.WithBlobHandler(blobs), ggcr.Logger(slog.NewLogLogger(log.Handler(), slog.LevelDebug)))}
	stored, err := r.storedManifests()
	if err != nil {
		return nil, fmt.Errorf("read stored manifests: %w", err)
	}
	r.replay(stored)
	if err := r.linkStoredManifests(stored); err != nil {
		return nil, fmt.Errorf("link stored images' blobs to their repositories: %w", err)
	}
	return r, nil
}

func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	user, pass, ok := req.BasicAuth()
	if !ok || user != "AWS" || r.Authenticate == nil {
		unauthorized(w)
		return
	}
	who, err := r.Authenticate(req.Context(), pass)
	if err != nil {
		r.log.Debug("registry credential refused", "err", err)
		unauthorized(w)
		return
	}
	a := classify(req)
	if a.refusal != nil {
		a.refusal.write(w)
		return
	}
	if e := r.allow(req, who, a); e != nil {
		e.write(w)
		return
	}
	r.serve(w, req, a)
}

// maxManifest is the largest manifest kept (ECR's limit is 4 MiB).
const maxManifest = 8 << 20

// serve passes a classified request on, for its repository, and keeps
// manifest writes and deletes on disk.
func (r *Registry) serve(w http.ResponseWriter, req *http.Request, a access) {
	req = req.WithContext(withRepository(req.Context(), a.repository))
	if a.manifest && (req.Method == http.MethodGet || req.Method == http.MethodHead) && r.buildable(req, a) {
		rec := httptest.NewRecorder()
		r.inner.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound || !r.Build(req.Context(), a.repository, a.reference) {
			copyResponse(w, rec)
			return
		}
	}
	if !a.manifest || (req.Method != http.MethodPut && req.Method != http.MethodDelete) {
		r.inner.ServeHTTP(w, req)
		return
	}
	var body []byte
	if req.Method == http.MethodPut {
		var err error
		if body, err = io.ReadAll(io.LimitReader(req.Body, maxManifest+1)); err != nil {
			http.Error(w, "read manifest", http.StatusBadRequest)
			return
		}
		if len(body) > maxManifest {
			(&ociError{Status: http.StatusRequestEntityTooLarge, Code: "SIZE_INVALID",
				Message: fmt.Sprintf("A manifest may be at most %d bytes", maxManifest)}).write(w)
			return
		}
		if e := r.checkManifestBlobs(a.repository, body); e != nil {
			e.write(w)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := httptest.NewRecorder()
	r.inner.ServeHTTP(rec, req)
	if rec.Code/100 == 2 {
		if err := r.record(req, body); err != nil {
			r.log.Error("store manifest", "path", req.URL.Path, "err", err)
			http.Error(w, "store manifest", http.StatusInternalServerError)
			return
		}
	}
	copyResponse(w, rec)
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// buildable tells whether a missing manifest should be built: a tag of a
// public repository, asked for by a client (the build itself reads the
// registry in process, and must not wait on itself).
func (r *Registry) buildable(req *http.Request, a access) bool {
	return r.Build != nil && r.Public[a.repository] && !strings.HasPrefix(a.reference, "sha256:") && req.Context().Value(inProcessKey{}) == nil
}

type inProcessKey struct{}

// Transport reaches the registry in process, past authentication and
// authorization: keks seeds its own images, the public ones included,
// through it.
func (r *Registry) Transport() http.RoundTripper { return inProcess{r} }

type inProcess struct{ r *Registry }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	if req.Body == nil {
		req.Body = http.NoBody
	}
	req = req.WithContext(context.WithValue(req.Context(), inProcessKey{}, true))
	if a := classify(req); a.refusal != nil {
		a.refusal.write(rec)
	} else {
		t.r.serve(rec, req, a)
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// BasicPassword decodes an ECR authorization token ("AWS:<password>" in base64).
func BasicPassword(token string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", err
	}
	_, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", fmt.Errorf("not a user:password token")
	}
	return pass, nil
}
