// Package ecr is the ECR model: repositories and the authorization tokens
// that let clients and nodes use keks's image registry.
package ecr

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// ECR error codes.
const (
	CodeRepositoryNotFound      = "RepositoryNotFoundException"
	CodeRepositoryAlreadyExists = "RepositoryAlreadyExistsException"
	CodeRepositoryNotEmpty      = "RepositoryNotEmptyException"
	CodeInvalidParameter        = "InvalidParameterException"
	CodeInvalidTagParameter     = "InvalidTagParameterException"
	CodeTooManyTags             = "TooManyTagsException"
)

func init() {
	awserr.RegisterStatus(CodeRepositoryNotFound, http.StatusBadRequest)
	awserr.RegisterStatus(CodeRepositoryAlreadyExists, http.StatusBadRequest)
	awserr.RegisterStatus(CodeRepositoryNotEmpty, http.StatusBadRequest)
	awserr.RegisterStatus(CodeInvalidParameter, http.StatusBadRequest)
	awserr.RegisterStatus(CodeInvalidTagParameter, http.StatusBadRequest)
	awserr.RegisterStatus(CodeTooManyTags, http.StatusBadRequest)
}

// Repository is an image repository.
type Repository struct {
	Name         string            `json:"name"`
	ARN          string            `json:"arn"`
	RegistryID   string            `json:"registryId"`
	Region       string            `json:"region"`
	CreatedAt    time.Time         `json:"createdAt"`
	TagMutablity string            `json:"imageTagMutability"`
	ScanOnPush   bool              `json:"scanOnPush"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// Service is the ECR model over the store.
type Service struct {
	Store *store.Store
	// Host is the registry's host[:port] as clients and nodes reach it.
	Host string
	// Region is the region whose registry Host is. keks serves one
	// registry, so the repositories its requests name are this region's.
	Region string
	// InstanceLive reports whether an instance may pull with its node token.
	InstanceLive func(ctx context.Context, id string) bool
	// InstanceRole resolves an instance password's instance: its instance
	// profile's role ARN ("" when it has none) and its account. The
	// registry authorizes the instance as that role's session, as the
	// instance's own credentials would be; nil leaves instances without a
	// principal, able to pull only the images keks seeds.
	InstanceRole func(ctx context.Context, instanceID string) (roleARN, account string, err error)
	secret       []byte
}

const secretKey = "ecr/token-secret"

// Open loads (or makes, on first start) the key that signs tokens. It is
// kept sealed under the store's seal key; one an older keks kept in the
// clear is sealed now.
func (s *Service) Open(ctx context.Context) error {
	var stored string
	if _, err := s.Store.Get(ctx, secretKey, &stored); errors.Is(err, store.ErrNotFound) {
		sec := make([]byte, 32)
		_, _ = rand.Read(sec)
		if err := s.Store.Create(ctx, secretKey, s.Store.SealBytes(sec, secretKey)); err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("store the registry token key: %w", err)
		}
		if _, err := s.Store.Get(ctx, secretKey, &stored); err != nil {
			return fmt.Errorf("read the registry token key: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("read the registry token key: %w", err)
	}
	sec, err := s.Store.UnsealBytes(stored, secretKey)
	if err != nil {
		return fmt.Errorf("open the registry token key: %w", err)
	}
	if s.Store.Sealing() && !store.IsSealed(stored) {
		if err := s.Store.Put(ctx, secretKey, s.Store.SealBytes(sec, secretKey)); err != nil {
			return fmt.Errorf("seal the registry token key: %w", err)
		}
	}
	s.secret = sec
	return nil
}

func repoKey(region, name string) string { return "ecr/repositories/" + region + "/" + name }

// repoName is ECR's repository name pattern.
var repoName = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

var registryPattern = regexp.MustCompile(`^[0-9]{12}$`)

// CheckRegistry checks a registryId: keks has one registry, the account's.
func CheckRegistry(id, account string) error {
	if !registryPattern.MatchString(id) {
		return awserr.Errorf(CodeInvalidParameter, "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''")
	}
	if id != account {
		return awserr.Errorf(CodeInvalidParameter, "Invalid parameter: keks serves only the registry of account %s, not %s", account, id)
	}
	return nil
}

func checkName(name string) error {
	if len(name) < 2 || len(name) > 256 || !repoName.MatchString(name) {
		return awserr.Errorf(CodeInvalidParameter, "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*''")
	}
	return nil
}

// ECR's limits on repository tags.
const (
	maxTags     = 50
	maxTagKey   = 128
	maxTagValue = 256
)

func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return awserr.Errorf(CodeTooManyTags, "A repository can have at most %d tags", maxTags)
	}
	for k, v := range tags {
		switch {
		case len(k) < 1 || len(k) > maxTagKey || len(v) > maxTagValue:
			return awserr.Errorf(CodeInvalidTagParameter, "Tag keys must be 1 to %d characters and values at most %d", maxTagKey, maxTagValue)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return awserr.Errorf(CodeInvalidTagParameter, "Tag keys must not start with the reserved prefix 'aws:'")
		}
	}
	return nil
}

// URI is where a repository's images are pushed and pulled.
func (s *Service) URI(name string) string { return s.Host + "/" + name }

// CreateRepository records a repository.
func (s *Service) CreateRepository(ctx context.Context, region, account string, r Repository) (*Repository, error) {
	if err := checkName(r.Name); err != nil {
		return nil, err
	}
	if err := checkTags(r.Tags); err != nil {
		return nil, err
	}
	switch r.TagMutablity {
	case "":
		r.TagMutablity = "MUTABLE"
	case "MUTABLE", "IMMUTABLE":
	default:
		return nil, awserr.Errorf(CodeInvalidParameter, "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'")
	}
	r.Region, r.RegistryID, r.CreatedAt = region, account, time.Now().UTC()
	r.ARN = repositoryARN(region, account, r.Name)
	if err := s.Store.Create(ctx, repoKey(region, r.Name), &r); errors.Is(err, store.ErrExists) {
		return nil, awserr.Errorf(CodeRepositoryAlreadyExists, "The repository with name '%s' already exists in the registry with id '%s'", r.Name, account)
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

// Repositories lists a region's repositories a page at a time (maxResults
// 0: all of them), or the named ones.
func (s *Service) Repositories(ctx context.Context, region, account string, names []string, maxResults int, nextToken string) ([]Repository, string, error) {
	if names == nil {
		all, err := store.List[Repository](ctx, s.Store, "ecr/repositories/"+region+"/")
		if err != nil {
			return nil, "", err
		}
		return page(all, maxResults, nextToken)
	}
	if len(names) < 1 || len(names) > 100 {
		return nil, "", awserr.Errorf(CodeInvalidParameter, "Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'Member must have length between 1 and 100'")
	}
	if nextToken != "" {
		return nil, "", awserr.Errorf(CodeInvalidParameter, "Invalid parameter: nextToken cannot be specified with repositoryNames")
	}
	var out []Repository
	for _, n := range names {
		if err := checkName(n); err != nil {
			return nil, "", err
		}
		var r Repository
		if _, err := s.Store.Get(ctx, repoKey(region, n), &r); errors.Is(err, store.ErrNotFound) {
			return nil, "", awserr.Errorf(CodeRepositoryNotFound, "The repository with name '%s' does not exist in the registry with id '%s'", n, account)
		} else if err != nil {
			return nil, "", err
		}
		out = append(out, r)
	}
	return out, "", nil
}

// page returns the repositories after the token, at most max of them.
func page(all []Repository, max int, token string) ([]Repository, string, error) {
	start := 0
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(after), "k:") {
			return nil, "", awserr.Errorf(CodeInvalidParameter, "Invalid parameter at 'nextToken' failed to satisfy constraint: 'The token is not valid'")
		}
		start, _ = slices.BinarySearchFunc(all, string(after[2:]), func(r Repository, name string) int {
			if r.Name <= name {
				return -1
			}
			return 1
		})
	}
	all = all[start:]
	if max == 0 || len(all) <= max {
		return all, "", nil
	}
	return all[:max], base64.RawURLEncoding.EncodeToString([]byte("k:" + all[max-1].Name)), nil
}

// DeleteRepository removes a repository record.
func (s *Service) DeleteRepository(ctx context.Context, region, account, name string) (*Repository, error) {
	rs, _, err := s.Repositories(ctx, region, account, []string{name}, 0, "")
	if err != nil {
		return nil, err
	}
	return &rs[0], s.Store.Delete(ctx, repoKey(region, name))
}
