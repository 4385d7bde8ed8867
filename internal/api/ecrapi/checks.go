package ecrapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/keksdev/keks/internal/awsproto"
)

// checks describes an ECR call for the front door's authorizer, as the
// Service Authorization Reference lists each action: repositories by ARN
// (arn:aws:ecr:<region>:<account>:repository/<name>) with their tags for
// aws:ResourceTag, the tags a create sets; ecr:GetAuthorizationToken takes
// no resource. The account is the caller's: keks serves one registry per
// account, and the handler refuses any other registryId.
func (h *Handler) checks(r *http.Request, c *awsproto.Call) []awsproto.Check {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	describe, known := operationChecks[op]
	if !ok || !known || r.Method != http.MethodPost {
		return nil // not an ECR operation keks serves: the handler says so
	}
	var req checkedRequest
	if json.Unmarshal(c.Body, &req) != nil {
		// A body that does not decode names nothing: its repositories are "*".
		req = checkedRequest{}
	}
	return describe(&ecrCall{h: h, c: c, req: req})
}

// checkedRequest is what authorization reads of a request.
type checkedRequest struct {
	RepositoryName  string   `json:"repositoryName"`
	RepositoryNames []string `json:"repositoryNames"`
	Tags            []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"tags"`
}

// operationChecks describes each operation keks serves.
var operationChecks = map[string]func(*ecrCall) []awsproto.Check{
	"CreateRepository":      (*ecrCall).createRepository,
	"DescribeRepositories":  (*ecrCall).describeRepositories,
	"DeleteRepository":      (*ecrCall).deleteRepository,
	"GetAuthorizationToken": (*ecrCall).getAuthorizationToken,
}

// ecrCall is one ECR request being described.
type ecrCall struct {
	h   *Handler
	c   *awsproto.Call
	req checkedRequest
}

func (e *ecrCall) createRepository() []awsproto.Check {
	ch := e.onRepository("ecr:CreateRepository", e.req.RepositoryName)
	tags := make(map[string]string, len(e.req.Tags))
	for _, t := range e.req.Tags {
		tags[t.Key] = t.Value
	}
	ch.Context = awsproto.TagContext(tags)
	return []awsproto.Check{ch}
}

// describeRepositories acts on each repository it names; a listing acts on
// all of them: repository/*, as ECR names it.
func (e *ecrCall) describeRepositories() []awsproto.Check {
	if e.req.RepositoryNames == nil {
		return []awsproto.Check{{Action: "ecr:DescribeRepositories", Resource: e.repositoryARN("*")}}
	}
	if len(e.req.RepositoryNames) == 0 {
		return []awsproto.Check{{Action: "ecr:DescribeRepositories", Resource: "*"}}
	}
	checks := make([]awsproto.Check, 0, len(e.req.RepositoryNames))
	for _, name := range e.req.RepositoryNames {
		checks = append(checks, e.onRepository("ecr:DescribeRepositories", name))
	}
	return checks
}

func (e *ecrCall) deleteRepository() []awsproto.Check {
	return []awsproto.Check{e.onRepository("ecr:DeleteRepository", e.req.RepositoryName)}
}

// getAuthorizationToken takes no resource, whatever registries it names.
func (e *ecrCall) getAuthorizationToken() []awsproto.Check {
	return []awsproto.Check{{Action: "ecr:GetAuthorizationToken", Resource: "*"}}
}

// onRepository is an action on a repository by name; a name that is not
// one of ECR's is "*".
func (e *ecrCall) onRepository(action, name string) awsproto.Check {
	if len(name) < 2 || len(name) > 256 || !repositoryName.MatchString(name) {
		return awsproto.Check{Action: action, Resource: "*"}
	}
	h, c := e.h, e.c
	return awsproto.Check{Action: action, Resource: e.repositoryARN(name),
		ResourceTags: func(ctx context.Context) map[string]string { return h.repositoryTags(ctx, c, name) }}
}

// repositoryName is ECR's pattern for repository names.
var repositoryName = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

func (e *ecrCall) repositoryARN(name string) string {
	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", e.c.Region, e.c.Principal.Account, name)
}

// repositoryTags are an existing repository's tags (nil when it does not
// exist or there is no model to ask).
func (h *Handler) repositoryTags(ctx context.Context, c *awsproto.Call, name string) map[string]string {
	if h.ECR == nil {
		return nil
	}
	repos, _, err := h.ECR.Repositories(ctx, c.Region, c.Principal.Account, []string{name}, 0, "")
	if err != nil || len(repos) == 0 {
		return nil
	}
	return repos[0].Tags
}
