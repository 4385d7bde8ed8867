// Package registry is keks's OCI image registry, the part of ECR that
// clients push to and nodes pull from. The distribution API itself is
// go-containerregistry's registry with blobs on disk; this package keeps
// manifests on disk too (so a restart loses no image), asks every request
// for ECR-style credentials, and seeds the images the platform needs.
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
	"net/url"
	"os"
	"path/filepath"
	"strings"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
)

// Registry serves /v2/.
type Registry struct {
	dir   string
	inner http.Handler
	// Authorize checks the password of a Basic "AWS:<token>" credential.
	Authorize func(ctx context.Context, token string) error
	log       *slog.Logger
}

// New opens the registry in dir and replays its stored manifests.
func New(dir string, authorize func(context.Context, string) error, log *slog.Logger) (*Registry, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, err
	}
	r := &Registry{dir: dir, Authorize: authorize, log: log,
		inner: ggcr.New(ggcr.WithBlobHandler(ggcr.NewDiskBlobHandler(filepath.Join(dir, "blobs"))), ggcr.Logger(slog.NewLogLogger(log.Handler(), slog.LevelDebug)))}
	if err := r.replay(); err != nil {
		return nil, fmt.Errorf("replay stored manifests: %w", err)
	}
	return r, nil
}

func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	user, pass, ok := req.BasicAuth()
	if !ok || user != "AWS" || r.Authorize(req.Context(), pass) != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="keks"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"Your authorization token is missing, invalid or has expired: run aws ecr get-login-password"}]}`)
		return
	}
	r.serve(w, req)
}

// manifestPath is where a pushed manifest is kept: the request path itself,
// so that replaying it is one PUT.
func (r *Registry) manifestPath(p string) string {
	return filepath.Join(r.dir, "manifests", url.PathEscape(p))
}

// serve passes the request on and keeps manifest writes and deletes on disk.
func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	isManifest := strings.Contains(req.URL.Path, "/manifests/")
	if !isManifest || (req.Method != http.MethodPut && req.Method != http.MethodDelete) {
		r.inner.ServeHTTP(w, req)
		return
	}
	var body []byte
	if req.Method == http.MethodPut {
		var err error
		if body, err = io.ReadAll(io.LimitReader(req.Body, 8<<20)); err != nil {
			http.Error(w, "read manifest", http.StatusBadRequest)
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
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (r *Registry) record(req *http.Request, body []byte) error {
	path := r.manifestPath(req.URL.Path)
	if req.Method == http.MethodDelete {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	// The media type goes first, on a line of its own.
	data := append([]byte(req.Header.Get("Content-Type")+"\n"), body...)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (r *Registry) replay() error {
	entries, err := os.ReadDir(filepath.Join(r.dir, "manifests"))
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	// Digest references first: a tag may point at an index whose children
	// must already be there.
	var ordered []os.DirEntry
	for _, e := range entries {
		if strings.Contains(e.Name(), "sha256") {
			ordered = append([]os.DirEntry{e}, ordered...)
		} else {
			ordered = append(ordered, e)
		}
	}
	for _, e := range ordered {
		if strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		p, err := url.PathUnescape(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.dir, "manifests", e.Name()))
		if err != nil {
			return err
		}
		mediaType, body, _ := bytes.Cut(data, []byte("\n"))
		req := httptest.NewRequest(http.MethodPut, p, bytes.NewReader(body))
		req.Header.Set("Content-Type", string(mediaType))
		rec := httptest.NewRecorder()
		r.inner.ServeHTTP(rec, req)
		if rec.Code/100 != 2 {
			r.log.Warn("stored manifest not restored", "path", p, "status", rec.Code, "body", rec.Body.String())
		}
	}
	return nil
}

// Transport reaches the registry in process, past authentication: keks
// seeds its own images through it.
func (r *Registry) Transport() http.RoundTripper { return inProcess{r} }

type inProcess struct{ r *Registry }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	if req.Body == nil {
		req.Body = http.NoBody
	}
	t.r.serve(rec, req)
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
