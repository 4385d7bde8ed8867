package stsapi

import (
	"context"
	"maps"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store/storetest"
)

// operations are the STS actions the handler serves.
var operations = []string{"GetCallerIdentity", "AssumeRole"}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

// newHandler is a handler over a real IAM model holding role ops at
// path /svc/, tagged env=dev; it returns the role too.
func newHandler(t *testing.T) (*Handler, *iam.Role) {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	model := &iam.Service{Store: st, Now: time.Now}
	role, err := model.CreateRole(ctx, iam.Role{Name: "ops", Path: "/svc/", AssumeRolePolicy: trust, Tags: map[string]string{"env": "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{IAM: model}, role
}

func checksOf(h *Handler, params map[string]string) []awsproto.Check {
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	c := &awsproto.Call{Region: "us-east-1", Principal: awsproto.Principal{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/alice"}, Form: form}
	return h.checks(httptest.NewRequest("POST", "/", nil), c)
}

type described struct {
	Action, Resource, ResourcePolicy string
	Context                          map[string][]string
}

func describe(checks []awsproto.Check) []described {
	out := make([]described, 0, len(checks))
	for _, ch := range checks {
		d := described{Action: ch.Action, Resource: ch.Resource, ResourcePolicy: ch.ResourcePolicy, Context: ch.Context}
		if len(d.Context) == 0 {
			d.Context = nil
		}
		out = append(out, d)
	}
	return out
}

func TestChecksDescribeEachAction(t *testing.T) {
	h, role := newHandler(t)
	missing := strings.Replace(role.ARN, "/ops", "/gone", 1)
	tagged := map[string][]string{"sts:RoleSessionName": {"s1"}, "aws:RequestTag/team": {"a"}, "aws:RequestTag/cost": {"b"},
		"aws:TagKeys": {"cost", "team"}, "sts:TransitiveTagKeys": {"team"}}
	tests := []struct {
		name   string
		params map[string]string
		want   []described
	}{
		{"GetCallerIdentity is always allowed", map[string]string{"Action": "GetCallerIdentity"},
			[]described{{"sts:GetCallerIdentity", "*", "", map[string][]string{"keks:AlwaysAllowed": {"true"}}}}},
		{"a role with its trust policy", map[string]string{"Action": "AssumeRole", "RoleArn": role.ARN, "RoleSessionName": "s1", "ExternalId": "x-1"},
			[]described{{"sts:AssumeRole", role.ARN, trust, map[string][]string{"sts:RoleSessionName": {"s1"}, "sts:ExternalId": {"x-1"}}}}},
		{"session tags are also sts:TagSession", map[string]string{"Action": "AssumeRole", "RoleArn": role.ARN, "RoleSessionName": "s1",
			"Tags.member.1.Key": "team", "Tags.member.1.Value": "a", "Tags.member.2.Key": "cost", "Tags.member.2.Value": "b", "TransitiveTagKeys.member.1": "team"},
			[]described{{"sts:AssumeRole", role.ARN, trust, tagged}, {"sts:TagSession", role.ARN, trust, tagged}}},
		{"a source identity is also sts:SetSourceIdentity", map[string]string{"Action": "AssumeRole", "RoleArn": role.ARN, "RoleSessionName": "s1", "SourceIdentity": "alice"},
			[]described{
				{"sts:AssumeRole", role.ARN, trust, map[string][]string{"sts:RoleSessionName": {"s1"}, "sts:SourceIdentity": {"alice"}}},
				{"sts:SetSourceIdentity", role.ARN, trust, map[string][]string{"sts:RoleSessionName": {"s1"}, "sts:SourceIdentity": {"alice"}}},
			}},
		{"a role that does not exist trusts no one", map[string]string{"Action": "AssumeRole", "RoleArn": missing, "RoleSessionName": "s1"},
			[]described{{"sts:AssumeRole", missing, "", map[string][]string{"sts:RoleSessionName": {"s1"}}}}},
		{"what is not a role ARN is *", map[string]string{"Action": "AssumeRole", "RoleArn": "arn:aws:iam::123456789012:user/alice"},
			[]described{{"sts:AssumeRole", "*", "", nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(checksOf(h, tt.params)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("checks:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAssumeRoleLooksRoleTagsUp(t *testing.T) {
	h, role := newHandler(t)
	checks := checksOf(h, map[string]string{"Action": "AssumeRole", "RoleArn": role.ARN, "RoleSessionName": "s1"})
	if got := checks[0].ResourceTags(context.Background()); !maps.Equal(got, map[string]string{"env": "dev"}) {
		t.Errorf("role tags %v", got)
	}
}

func TestChecksCoverEveryAction(t *testing.T) {
	h, _ := newHandler(t)
	for _, h := range []*Handler{{}, h} {
		for _, op := range operations {
			checks := checksOf(h, map[string]string{"Action": op})
			if len(checks) == 0 {
				t.Errorf("%s: no checks", op)
			}
			for _, ch := range checks {
				if !strings.HasPrefix(ch.Action, "sts:") || ch.Resource == "" {
					t.Errorf("%s: check %+v", op, ch)
				}
			}
		}
	}
	if checks := checksOf(&Handler{}, map[string]string{"Action": "GetSessionToken"}); checks != nil {
		t.Errorf("an action keks does not serve is described: %+v", checks)
	}
}

func TestChecksOfMalformedRequests(t *testing.T) {
	h, role := newHandler(t)
	garbage := []string{"", "*", "arn:aws:iam::123456789012:role/*", "arn:aws:iam::123456789012:role/a b", role.ARN + "*", "arn:aws:iam::12:role/ops",
		strings.Repeat("r", 5000), "\x00", "arn:aws:sts::123456789012:assumed-role/ops/s"}
	for _, h := range []*Handler{{}, h} {
		for _, g := range garbage {
			for _, param := range []string{"RoleArn", "RoleSessionName", "Tags.member.1.Key", "TransitiveTagKeys.member.1", "SourceIdentity"} {
				for _, ch := range checksOf(h, map[string]string{"Action": "AssumeRole", param: g}) {
					if ch.Resource != "*" && ch.Resource != role.ARN {
						t.Errorf("%s=%q: resource %q", param, g, ch.Resource)
					}
					if ch.ResourceTags != nil {
						ch.ResourceTags(context.Background())
					}
				}
			}
		}
	}
}
