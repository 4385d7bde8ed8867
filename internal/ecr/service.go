// Package ecr is the ECR model: repositories and the authorization tokens
// that let clients and nodes use keks's image registry.
package ecr

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
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
)

func init() {
	awserr.RegisterStatus(CodeRepositoryNotFound, http.StatusBadRequest)
	awserr.RegisterStatus(CodeRepositoryAlreadyExists, http.StatusBadRequest)
	awserr.RegisterStatus(CodeRepositoryNotEmpty, http.StatusBadRequest)
	awserr.RegisterStatus(CodeInvalidParameter, http.StatusBadRequest)
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
	// InstanceLive reports whether an instance may pull with its node token.
	InstanceLive func(ctx context.Context, id string) bool
	secret       []byte
}

const secretKey = "ecr/token-secret"

// Open loads (or makes, on first start) the key that signs tokens.
func (s *Service) Open(ctx context.Context) error {
	var sec []byte
	if _, err := s.Store.Get(ctx, secretKey, &sec); errors.Is(err, store.ErrNotFound) {
		sec = make([]byte, 32)
		_, _ = rand.Read(sec)
		if err := s.Store.Create(ctx, secretKey, sec); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		_, err = s.Store.Get(ctx, secretKey, &sec)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	s.secret = sec
	return nil
}

func repoKey(region, name string) string { return "ecr/repositories/" + region + "/" + name }

var repoName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// URI is where a repository's images are pushed and pulled.
func (s *Service) URI(name string) string { return s.Host + "/" + name }

// CreateRepository records a repository.
func (s *Service) CreateRepository(ctx context.Context, region, account string, r Repository) (*Repository, error) {
	if len(r.Name) < 2 || len(r.Name) > 256 || !repoName.MatchString(r.Name) {
		return nil, awserr.Errorf(CodeInvalidParameter, "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
	}
	switch r.TagMutablity {
	case "":
		r.TagMutablity = "MUTABLE"
	case "MUTABLE", "IMMUTABLE":
	default:
		return nil, awserr.Errorf(CodeInvalidParameter, "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'")
	}
	r.Region, r.RegistryID, r.CreatedAt = region, account, time.Now().UTC()
	r.ARN = fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, account, r.Name)
	if err := s.Store.Create(ctx, repoKey(region, r.Name), &r); errors.Is(err, store.ErrExists) {
		return nil, awserr.Errorf(CodeRepositoryAlreadyExists, "The repository with name '%s' already exists in the registry with id '%s'", r.Name, account)
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

// Repositories lists a region's repositories, or the named ones.
func (s *Service) Repositories(ctx context.Context, region, account string, names []string) ([]Repository, error) {
	if len(names) == 0 {
		return store.List[Repository](ctx, s.Store, "ecr/repositories/"+region+"/")
	}
	var out []Repository
	for _, n := range names {
		var r Repository
		if _, err := s.Store.Get(ctx, repoKey(region, n), &r); errors.Is(err, store.ErrNotFound) {
			return nil, awserr.Errorf(CodeRepositoryNotFound, "The repository with name '%s' does not exist in the registry with id '%s'", n, account)
		} else if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// DeleteRepository removes a repository record.
func (s *Service) DeleteRepository(ctx context.Context, region, account, name string) (*Repository, error) {
	rs, err := s.Repositories(ctx, region, account, []string{name})
	if err != nil {
		return nil, err
	}
	return &rs[0], s.Store.Delete(ctx, repoKey(region, name))
}

// TokenLifetime is how long a GetAuthorizationToken token lasts, as on ECR.
const TokenLifetime = 12 * time.Hour

type claims struct {
	Subject string `json:"sub"`
	Expires int64  `json:"exp,omitempty"` // unix seconds; 0 for an instance's token
}

func (s *Service) sign(c claims) string {
	body, _ := json.Marshal(c)
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// AuthorizationToken is what GetAuthorizationToken returns for a principal:
// base64 of "AWS:<password>".
func (s *Service) AuthorizationToken(principalARN string) (token string, expires time.Time) {
	expires = time.Now().Add(TokenLifetime).UTC()
	pass := s.sign(claims{Subject: principalARN, Expires: expires.Unix()})
	return base64.StdEncoding.EncodeToString([]byte("AWS:" + pass)), expires
}

// NodePassword is an instance's registry password: valid while the instance runs.
func (s *Service) NodePassword(instanceID string) string {
	return s.sign(claims{Subject: "instance/" + instanceID})
}

// Check verifies a registry password.
func (s *Service) Check(ctx context.Context, password string) error {
	body64, mac64, ok := strings.Cut(password, ".")
	body, err1 := base64.RawURLEncoding.DecodeString(body64)
	mac, err2 := base64.RawURLEncoding.DecodeString(mac64)
	if !ok || err1 != nil || err2 != nil {
		return errors.New("malformed token")
	}
	h := hmac.New(sha256.New, s.secret)
	h.Write(body)
	if !hmac.Equal(mac, h.Sum(nil)) {
		return errors.New("token signature does not match")
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		return err
	}
	if id, ok := strings.CutPrefix(c.Subject, "instance/"); ok {
		if s.InstanceLive == nil || !s.InstanceLive(ctx, id) {
			return errors.New("instance is not running")
		}
		return nil
	}
	if time.Now().Unix() > c.Expires {
		return errors.New("token expired")
	}
	return nil
}
