package registry

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ecr"
)

// RepositoryLookup is what the registry asks ECR's model (ecr.Service is one).
type RepositoryLookup interface {
	// RepositoryARN names account's repository, whether or not it exists.
	RepositoryARN(account, name string) string
	// RepositoryExists reports whether account made the repository with
	// CreateRepository.
	RepositoryExists(ctx context.Context, account, name string) (bool, error)
}

// AuthorizeFunc asks IAM whether principalARN may take an ECR action on a
// repository (resource "*" for the catalog). It returns nil, or an
// awserr.Error of code AccessDeniedException whose message the client gets;
// any other error is the authorizer's failure. The request is the
// registry request, for the conditions that read it (aws:SourceIp...).
type AuthorizeFunc func(r *http.Request, principalARN, action, resource string) error

// PublicRepositories are the repositories of images keks seeds under
// public registries' names, from references "repository:tag".
func PublicRepositories(refs ...string) map[string]bool {
	out := make(map[string]bool, len(refs))
	for _, ref := range refs {
		repo, _, _ := strings.Cut(ref, ":")
		out[repo] = true
	}
	return out
}

// allow decides a classified request as ECR does: IAM first, for the
// token's principal on the repository, then the repository must exist.
// The public repositories stand for public registries: anyone with a valid
// credential pulls from them, nobody pushes to them (keks seeds them in
// process, past this check).
func (reg *Registry) allow(r *http.Request, who ecr.Subject, a access) *ociError {
	ctx := r.Context()
	resource := "*"
	if a.repository != "" {
		if reg.Public[a.repository] {
			if !a.write {
				return nil
			}
			return deniedError(fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because %s holds images keks seeds under a public registry's name",
				who.Who(), a.actions[0], reg.repositoryARN(who, a.repository), a.repository))
		}
		resource = reg.repositoryARN(who, a.repository)
	}
	if len(a.actions) == 0 {
		return nil // the version check: a valid credential is all it takes
	}
	if who.PrincipalARN == "" {
		return deniedError(fmt.Sprintf("Instance %s has no instance profile role: it may pull only the images keks seeds, not perform %s on %s",
			who.InstanceID, a.actions[0], resource))
	}
	if reg.Authorize == nil || reg.Repositories == nil {
		reg.log.Error("registry request refused: the registry has no authorizer or repository lookup")
		return internalError()
	}
	for _, action := range a.actions {
		if err := reg.Authorize(r, who.PrincipalARN, action, resource); err != nil {
			if e, ok := awserr.AsError(err); ok && e.Code == awserr.CodeAccessDenied {
				return deniedError(e.Message)
			}
			reg.log.Error("authorize registry request", "principal", who.PrincipalARN, "action", action, "resource", resource, "err", err)
			return internalError()
		}
	}
	if a.repository == "" {
		return nil
	}
	exists, err := reg.Repositories.RepositoryExists(ctx, who.Account, a.repository)
	if err != nil {
		reg.log.Error("look registry repository up", "repository", a.repository, "err", err)
		return internalError()
	}
	if !exists {
		return &ociError{Status: http.StatusNotFound, Code: "NAME_UNKNOWN",
			Message: fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", a.repository, who.Account)}
	}
	return nil
}

func (reg *Registry) repositoryARN(who ecr.Subject, name string) string {
	if reg.Repositories == nil {
		return name
	}
	return reg.Repositories.RepositoryARN(who.Account, name)
}

func deniedError(message string) *ociError {
	return &ociError{Status: http.StatusForbidden, Code: "DENIED", Message: message}
}

func internalError() *ociError {
	return &ociError{Status: http.StatusInternalServerError, Code: "UNKNOWN", Message: "The registry could not decide the request; try again"}
}
