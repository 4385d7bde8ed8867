package ecr

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// What the image registry asks of the model: which ARN a repository it
// serves has, and whether it exists (ECR pushes and pulls only
// repositories made with CreateRepository).

func repositoryARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", region, account, name)
}

// RepositoryARN is the ARN of account's repository name in the registry's
// region, whether or not it exists: IAM decides before existence is told.
func (s *Service) RepositoryARN(account, name string) string {
	return repositoryARN(s.Region, account, name)
}

// RepositoryExists reports whether account has repository name in the
// registry's region.
func (s *Service) RepositoryExists(ctx context.Context, account, name string) (bool, error) {
	if s.Region == "" {
		return false, errors.New("ecr: the registry's region is not set")
	}
	var r Repository
	if _, err := s.Store.Get(ctx, repoKey(s.Region, name), &r); errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("look repository %s up: %w", name, err)
	}
	return r.RegistryID == account, nil
}
