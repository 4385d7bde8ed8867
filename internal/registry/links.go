package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// repositoryBlobs keeps repositories' blobs apart. Blobs are stored once,
// by digest, for every repository; left at that, a right to pull one
// repository (or to pull a public one, which every credential has) would
// read any other repository's layers by digest. So, as on ECR, a
// repository sees only the blobs pushed to it: each push leaves a link
// (an empty file) under links/<repository>/.
type repositoryBlobs struct {
	disk  diskBlobs
	links string
}

// diskBlobs is go-containerregistry's disk blob handler.
type diskBlobs interface {
	ggcr.BlobHandler
	ggcr.BlobStatHandler
	ggcr.BlobPutHandler
}

func newRepositoryBlobs(dir string) (*repositoryBlobs, error) {
	disk, ok := ggcr.NewDiskBlobHandler(filepath.Join(dir, "blobs")).(diskBlobs)
	if !ok {
		return nil, errors.New("the disk blob handler cannot stat or put blobs")
	}
	return &repositoryBlobs{disk: disk, links: filepath.Join(dir, "links")}, nil
}

type repositoryKey struct{}

// withRepository tells the blob handler which repository a request is
// for: the repository it was classified (and authorized) as, not the one
// the inner registry derives, which is "<name>/blobs" for an upload's
// last PUT.
func withRepository(ctx context.Context, repo string) context.Context {
	return context.WithValue(ctx, repositoryKey{}, repo)
}

func repositoryOf(ctx context.Context) string {
	repo, _ := ctx.Value(repositoryKey{}).(string)
	return repo
}

func (b *repositoryBlobs) linkPath(repo string, h v1.Hash) string {
	return filepath.Join(b.links, url.PathEscape(repo), h.Algorithm+"-"+h.Hex)
}

// linked reports whether repo holds blob h.
func (b *repositoryBlobs) linked(repo string, h v1.Hash) bool {
	if repo == "" {
		return false
	}
	_, err := os.Stat(b.linkPath(repo, h))
	return err == nil
}

func (b *repositoryBlobs) link(repo string, h v1.Hash) error {
	p := b.linkPath(repo, h)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("link blob %s to %s: %w", h, repo, err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		return fmt.Errorf("link blob %s to %s: %w", h, repo, err)
	}
	return nil
}

// Stat answers only for the request's repository's blobs.
func (b *repositoryBlobs) Stat(ctx context.Context, _ string, h v1.Hash) (int64, error) {
	if !b.linked(repositoryOf(ctx), h) {
		return 0, ggcr.ErrNotFound
	}
	return b.disk.Stat(ctx, "", h)
}

// Get answers only for the request's repository's blobs.
func (b *repositoryBlobs) Get(ctx context.Context, _ string, h v1.Hash) (io.ReadCloser, error) {
	if !b.linked(repositoryOf(ctx), h) {
		return nil, ggcr.ErrNotFound
	}
	return b.disk.Get(ctx, "", h)
}

// Put stores the blob and links it to the request's repository.
func (b *repositoryBlobs) Put(ctx context.Context, _ string, h v1.Hash, rc io.ReadCloser) error {
	repo := repositoryOf(ctx)
	if repo == "" {
		return errors.New("blob upload outside a repository")
	}
	if err := b.disk.Put(ctx, "", h, rc); err != nil {
		return err
	}
	return b.link(repo, h)
}
