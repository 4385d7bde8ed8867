package authn

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keksdev/keks/internal/eks"
)

const policyARN = "arn:aws:eks::aws:cluster-access-policy/"

func review(t *testing.T, a *Authorizer, canonical string, ra *ResourceAttributes, nonResource string) bool {
	t.Helper()
	var sar subjectAccessReview
	sar.APIVersion = "authorization.k8s.io/v1"
	sar.Spec.User = canonical
	if canonical != "" {
		sar.Spec.Extra = map[string][]string{"canonicalArn": {canonical}}
	}
	sar.Spec.ResourceAttributes = ra
	if nonResource != "" {
		sar.Spec.NonResourceAttributes = &struct {
			Path string `json:"path"`
			Verb string `json:"verb"`
		}{nonResource, "get"}
	}
	body, _ := json.Marshal(sar)
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/authorize", bytes.NewReader(body)))
	var out subjectAccessReview
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.Kind != "SubjectAccessReview" {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
	return out.Status.Allowed
}

func TestAccessPolicyAuthorizer(t *testing.T) {
	viewer := "arn:aws:iam::" + acct + ":user/viewer"
	admin := "arn:aws:iam::" + acct + ":role/Admin"
	cl := ClusterIdentity{Name: "c", AuthenticationMode: eks.AuthModeAPI, AccessEntries: []AccessEntry{
		{PrincipalARN: viewer, Type: "STANDARD", Policies: []AccessPolicy{{ARN: policyARN + "AmazonEKSViewPolicy", Namespaces: []string{"team-a", "dev-*"}}}},
		{PrincipalARN: admin, Type: "STANDARD", Policies: []AccessPolicy{{ARN: policyARN + "AmazonEKSClusterAdminPolicy"}}},
	}}
	a := &Authorizer{Cluster: func() (ClusterIdentity, error) { return cl, nil }}
	pods := func(ns, verb string) *ResourceAttributes {
		return &ResourceAttributes{Namespace: ns, Verb: verb, Resource: "pods", Group: ""}
	}
	cases := []struct {
		name      string
		principal string
		ra        *ResourceAttributes
		path      string
		want      bool
	}{
		{"view lists pods in its namespace", viewer, pods("team-a", "list"), "", true},
		{"view matches a namespace wildcard", viewer, pods("dev-1", "get"), "", true},
		{"view is not allowed elsewhere", viewer, pods("kube-system", "list"), "", false},
		{"view cannot write", viewer, pods("team-a", "delete"), "", false},
		{"view cannot read secrets", viewer, &ResourceAttributes{Namespace: "team-a", Verb: "get", Resource: "secrets"}, "", false},
		{"namespace scope never covers cluster-wide reads", viewer, &ResourceAttributes{Verb: "list", Resource: "nodes"}, "", false},
		{"cluster admin may do anything", admin, &ResourceAttributes{Verb: "delete", Resource: "nodes", Name: "n1"}, "", true},
		{"cluster admin reaches non-resource URLs", admin, nil, "/metrics", true},
		{"an unknown principal gets no opinion", "arn:aws:iam::" + acct + ":user/else", pods("team-a", "get"), "", false},
		{"a non-IAM user gets no opinion", "", pods("team-a", "get"), "", false},
	}
	for _, c := range cases {
		if got := review(t, a, c.principal, c.ra, c.path); got != c.want {
			t.Errorf("%s: allowed=%v, want %v", c.name, got, c.want)
		}
	}
	cl.AuthenticationMode = eks.AuthModeConfigMap
	if review(t, a, admin, pods("x", "get"), "") {
		t.Error("access policies applied in CONFIG_MAP mode")
	}
}
