package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The inner registry keeps manifests in memory; this package keeps each
// pushed manifest on disk too, under its request path, and replays them
// on start.

// manifestPath is where a pushed manifest is kept: the request path itself,
// so that replaying it is one PUT.
func (r *Registry) manifestPath(p string) string {
	return filepath.Join(r.dir, "manifests", url.PathEscape(p))
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

// storedManifest is a manifest kept on disk.
type storedManifest struct {
	path      string // the request path that pushed it
	mediaType string
	body      []byte
}

// storedManifests reads every kept manifest, digest references first: a
// tag may point at an index whose children must already be there.
func (r *Registry) storedManifests() ([]storedManifest, error) {
	entries, err := os.ReadDir(filepath.Join(r.dir, "manifests"))
	if os.IsNotExist(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var byDigest, byTag []storedManifest
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		p, err := url.PathUnescape(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(r.dir, "manifests", e.Name()))
		if err != nil {
			return nil, err
		}
		mediaType, body, _ := bytes.Cut(data, []byte("\n"))
		m := storedManifest{path: p, mediaType: string(mediaType), body: body}
		if strings.Contains(e.Name(), "sha256") {
			byDigest = append(byDigest, m)
		} else {
			byTag = append(byTag, m)
		}
	}
	return append(byDigest, byTag...), nil
}

func (r *Registry) replay(stored []storedManifest) {
	for _, m := range stored {
		req := httptest.NewRequest(http.MethodPut, m.path, bytes.NewReader(m.body))
		req.Header.Set("Content-Type", m.mediaType)
		rec := httptest.NewRecorder()
		r.inner.ServeHTTP(rec, req)
		if rec.Code/100 != 2 {
			r.log.Warn("stored manifest not restored", "path", m.path, "status", rec.Code, "body", rec.Body.String())
		}
	}
}

// manifestBlobs are the blobs an image manifest names (none for an index,
// whose children are manifests): its config and its distributable layers.
func manifestBlobs(body []byte) ([]v1.Hash, error) {
	type descriptor struct {
		MediaType types.MediaType `json:"mediaType"`
		Digest    string          `json:"digest"`
	}
	var m struct {
		Config *descriptor  `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("manifest is not JSON: %w", err)
	}
	descs := m.Layers
	if m.Config != nil {
		descs = append([]descriptor{*m.Config}, descs...)
	}
	var out []v1.Hash
	for _, d := range descs {
		if !d.MediaType.IsDistributable() {
			continue // foreign layers come from elsewhere
		}
		h, err := v1.NewHash(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("manifest names blob %q: %w", d.Digest, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// checkManifestBlobs refuses a manifest naming blobs its repository does
// not hold, as ECR does: a manifest must not be the way to reach blobs
// pushed to another repository.
func (r *Registry) checkManifestBlobs(repo string, body []byte) *ociError {
	blobs, err := manifestBlobs(body)
	if err != nil {
		return &ociError{Status: http.StatusBadRequest, Code: "MANIFEST_INVALID", Message: err.Error()}
	}
	for _, h := range blobs {
		if !r.blobs.linked(repo, h) {
			return &ociError{Status: http.StatusBadRequest, Code: "MANIFEST_BLOB_UNKNOWN",
				Message: fmt.Sprintf("The manifest names blob %s, which repository %s does not hold: push it there first", h, repo)}
		}
	}
	return nil
}

// linkStoredManifests links the blobs of every kept image manifest to its
// repository: images pushed before repositories' blobs were kept apart
// stay pullable. It runs once, when there are no links yet; afterwards a
// manifest is kept only when its repository holds its blobs.
func (r *Registry) linkStoredManifests(stored []storedManifest) error {
	done := filepath.Join(r.blobs.links, ".from-manifests")
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	for _, m := range stored {
		repo, ok := manifestRepository(m.path)
		if !ok {
			continue
		}
		blobs, err := manifestBlobs(m.body)
		if err != nil {
			continue // an index, or nothing a pull could use
		}
		for _, h := range blobs {
			if _, err := os.Stat(filepath.Join(r.dir, "blobs", h.Algorithm, h.Hex)); err != nil {
				continue
			}
			if err := r.blobs.link(repo, h); err != nil {
				return err
			}
		}
	}
	if err := os.MkdirAll(r.blobs.links, 0o755); err != nil {
		return err
	}
	return os.WriteFile(done, nil, 0o644)
}

// manifestRepository reads the repository of a manifest's request path,
// /v2/<name>/manifests/<reference>.
func manifestRepository(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, "/manifests/")
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}
