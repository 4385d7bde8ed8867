package ecrapi

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ecr"
	"github.com/keksdev/keks/internal/store/storetest"
)

const (
	testRegion  = "eu-west-1"
	testAccount = "123456789012"
)

// operations are the ECR operations the handler serves.
var operations = []string{"CreateRepository", "DescribeRepositories", "DeleteRepository", "GetAuthorizationToken"}

// newHandler is a handler over a real ECR model holding repository
// "team/app", tagged team=a.
func newHandler(t *testing.T) *Handler {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	model := &ecr.Service{Store: st, Host: "registry.test"}
	if _, err := model.CreateRepository(ctx, testRegion, testAccount, ecr.Repository{Name: "team/app", Tags: map[string]string{"team": "a"}}); err != nil {
		t.Fatal(err)
	}
	return &Handler{ECR: model}
}

// checksOf describes a POST of operation op with this body.
func checksOf(h *Handler, op, body string) []awsproto.Check {
	return checksOfMethod(h, http.MethodPost, op, body)
}

func checksOfMethod(h *Handler, method, op, body string) []awsproto.Check {
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	r.Header.Set("X-Amz-Target", targetPrefix+op)
	c := &awsproto.Call{Region: testRegion, Principal: awsproto.Principal{Account: testAccount}, Body: []byte(body)}
	return h.checks(r, c)
}

type described struct {
	Action, Resource string
	Context          map[string][]string
}

func describe(checks []awsproto.Check) []described {
	out := make([]described, 0, len(checks))
	for _, ch := range checks {
		d := described{Action: ch.Action, Resource: ch.Resource, Context: ch.Context}
		if len(d.Context) == 0 {
			d.Context = nil
		}
		out = append(out, d)
	}
	return out
}

func repo(name string) string {
	return "arn:aws:ecr:" + testRegion + ":" + testAccount + ":repository/" + name
}

func TestChecksDescribeEachOperation(t *testing.T) {
	h := newHandler(t)
	tests := []struct {
		name, op, body string
		want           []described
	}{
		{"create with tags", "CreateRepository", `{"repositoryName":"team/web","tags":[{"Key":"team","Value":"b"},{"Key":"cost","Value":"c1"}]}`,
			[]described{{"ecr:CreateRepository", repo("team/web"), map[string][]string{
				"aws:RequestTag/team": {"b"}, "aws:RequestTag/cost": {"c1"}, "aws:TagKeys": {"cost", "team"}}}}},
		{"create without tags", "CreateRepository", `{"repositoryName":"web"}`,
			[]described{{"ecr:CreateRepository", repo("web"), nil}}},
		{"describe named repositories", "DescribeRepositories", `{"repositoryNames":["team/app","other"]}`,
			[]described{{"ecr:DescribeRepositories", repo("team/app"), nil}, {"ecr:DescribeRepositories", repo("other"), nil}}},
		{"a listing is on every repository", "DescribeRepositories", `{"maxResults":10}`,
			[]described{{"ecr:DescribeRepositories", repo("*"), nil}}},
		{"delete", "DeleteRepository", `{"repositoryName":"team/app","force":true}`,
			[]described{{"ecr:DeleteRepository", repo("team/app"), nil}}},
		{"a token takes no resource", "GetAuthorizationToken", `{"registryIds":["` + testAccount + `"]}`,
			[]described{{"ecr:GetAuthorizationToken", "*", nil}}},
		{"an empty body", "GetAuthorizationToken", ``,
			[]described{{"ecr:GetAuthorizationToken", "*", nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(checksOf(h, tt.op, tt.body)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestChecksLookRepositoryTagsUp(t *testing.T) {
	h := newHandler(t)
	checks := checksOf(h, "DescribeRepositories", `{"repositoryNames":["team/app","missing"]}`)
	for i, want := range []map[string]string{{"team": "a"}, nil} {
		if checks[i].ResourceTags == nil {
			t.Fatalf("%s: no tag lookup", checks[i].Resource)
		}
		if got := checks[i].ResourceTags(context.Background()); !maps.Equal(got, want) {
			t.Errorf("%s: tags %v, want %v", checks[i].Resource, got, want)
		}
	}
	// Without a model, a repository has no tags to find.
	for _, ch := range checksOf(&Handler{}, "DeleteRepository", `{"repositoryName":"team/app"}`) {
		if got := ch.ResourceTags(context.Background()); got != nil {
			t.Errorf("tags %v without a model", got)
		}
	}
}

func TestChecksCoverEveryOperation(t *testing.T) {
	for _, h := range []*Handler{{}, newHandler(t)} {
		for _, op := range operations {
			checks := checksOf(h, op, `{}`)
			if len(checks) == 0 {
				t.Errorf("%s: no checks", op)
			}
			for _, ch := range checks {
				if !strings.HasPrefix(ch.Action, "ecr:") || ch.Resource == "" {
					t.Errorf("%s: check %+v", op, ch)
				}
			}
		}
	}
	h := &Handler{}
	if checks := checksOf(h, "PutImage", `{}`); checks != nil {
		t.Errorf("an operation keks does not serve is described: %+v", checks)
	}
	if checks := checksOfMethod(h, http.MethodGet, "CreateRepository", `{}`); checks != nil {
		t.Errorf("a GET is described: %+v", checks)
	}
}

// sane is what a malformed request may name: "*", or a repository ARN of
// a name ECR takes.
var sane = regexp.MustCompile(`^(\*|arn:aws:ecr:` + testRegion + `:` + testAccount + `:repository/([a-z0-9._/-]+|\*))$`)

func TestChecksOfMalformedRequests(t *testing.T) {
	bodies := []string{`not json`, `[]`, `null`, `{"repositoryName":5}`, `{"repositoryName":"*"}`, `{"repositoryName":"Team/App"}`,
		`{"repositoryName":"a/../b"}`, `{"repositoryName":"` + strings.Repeat("a", 300) + `"}`, `{"repositoryNames":[]}`,
		`{"repositoryNames":["*","x?"]}`, `{"repositoryNames":"x"}`, `{"tags":[{"Key":"aws:x"}],"repositoryName":"ok/name"}`, `{"tags":{}}`}
	for _, h := range []*Handler{{}, newHandler(t)} {
		for _, op := range operations {
			for _, body := range bodies {
				checks := checksOf(h, op, body)
				if len(checks) == 0 {
					t.Errorf("%s %s: no checks", op, body)
				}
				for _, ch := range checks {
					if !sane.MatchString(ch.Resource) {
						t.Errorf("%s %s: resource %q", op, body, ch.Resource)
					}
					if ch.ResourceTags != nil {
						ch.ResourceTags(context.Background())
					}
				}
			}
		}
	}
}
