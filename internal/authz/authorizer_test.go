package authz

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// fakeIAM hands out fixed policies: the logic above IAM's store.
type fakeIAM struct{ pp iam.PrincipalPolicies }

func (f *fakeIAM) PoliciesOf(context.Context, awsproto.Principal) (*iam.PrincipalPolicies, error) {
	return &f.pp, nil
}
func (f *fakeIAM) RecordKeyUse(context.Context, string, string, string) {}

const (
	acct  = "123456789012"
	alice = "arn:aws:iam::" + acct + ":user/alice"
)

func authorize(t *testing.T, pp iam.PrincipalPolicies, checks ...awsproto.Check) error {
	t.Helper()
	a := &Authorizer{IAM: &fakeIAM{pp}, Now: time.Now}
	call := &awsproto.Call{Region: "us-east-1", Principal: awsproto.Principal{Account: acct, ARN: alice, UserID: "AIDAALICE", AccessKeyID: "AKIAALICE"}}
	r := httptest.NewRequest("POST", "https://127.0.0.1/", nil)
	return a.Authorize(context.Background(), call, r, "eks", checks)
}

func doc(effect, action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func TestAuthorize(t *testing.T) {
	cluster := "arn:aws:eks:us-east-1:" + acct + ":cluster/c"
	role := "arn:aws:iam::" + acct + ":role/r"
	key := "arn:aws:kms:us-east-1:" + acct + ":key/0b7e"
	trustAlice := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}]}`
	trustAccount := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	cases := []struct {
		name   string
		pp     iam.PrincipalPolicies
		check  awsproto.Check
		denied string // part of the refusal, "" when allowed
	}{
		{"root may do anything", iam.PrincipalPolicies{Root: true}, awsproto.Check{Action: "eks:DeleteCluster", Resource: cluster}, ""},
		{"no policy", iam.PrincipalPolicies{}, awsproto.Check{Action: "eks:DeleteCluster", Resource: cluster},
			"User: " + alice + " is not authorized to perform: eks:DeleteCluster on resource: " + cluster + " because no identity-based policy allows the eks:DeleteCluster action"},
		{"allowed", iam.PrincipalPolicies{Documents: []string{doc("Allow", "eks:*", "*")}}, awsproto.Check{Action: "eks:DeleteCluster", Resource: cluster}, ""},
		{"explicit deny wins", iam.PrincipalPolicies{Documents: []string{doc("Allow", "*", "*"), doc("Deny", "eks:Delete*", cluster)}},
			awsproto.Check{Action: "eks:DeleteCluster", Resource: cluster}, "with an explicit deny in an identity-based policy"},
		{"needs no permission", iam.PrincipalPolicies{}, awsproto.Check{Action: "sts:GetCallerIdentity", Resource: "*", Context: map[string][]string{alwaysAllowed: {"true"}}}, ""},
		{"trust naming the caller", iam.PrincipalPolicies{}, awsproto.Check{Action: "sts:AssumeRole", Resource: role, ResourcePolicy: trustAlice}, ""},
		{"trust naming the account, caller's policy silent", iam.PrincipalPolicies{}, awsproto.Check{Action: "sts:AssumeRole", Resource: role, ResourcePolicy: trustAccount},
			"is not authorized to perform: sts:AssumeRole on resource: " + role},
		{"trust naming the account, caller's policy allows", iam.PrincipalPolicies{Documents: []string{doc("Allow", "sts:AssumeRole", role)}},
			awsproto.Check{Action: "sts:AssumeRole", Resource: role, ResourcePolicy: trustAccount}, ""},
		{"the caller's policy alone opens no role", iam.PrincipalPolicies{Documents: []string{doc("Allow", "sts:AssumeRole", "*")}},
			awsproto.Check{Action: "sts:AssumeRole", Resource: role}, "sts:AssumeRole"},
		{"a key policy delegating to the account", iam.PrincipalPolicies{Documents: []string{doc("Allow", "kms:Decrypt", "*")}},
			awsproto.Check{Action: "kms:Decrypt", Resource: key, ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"}]}`}, ""},
		{"a key without a policy letting anyone in", iam.PrincipalPolicies{Documents: []string{doc("Allow", "kms:*", "*")}},
			awsproto.Check{Action: "kms:Decrypt", Resource: key}, "kms:Decrypt"},
		{"KMS actions on no key are the caller's policies' alone", iam.PrincipalPolicies{Documents: []string{doc("Allow", "kms:CreateKey", "*")}},
			awsproto.Check{Action: "kms:CreateKey", Resource: "*"}, ""},
	}
	for _, c := range cases {
		err := authorize(t, c.pp, c.check)
		if c.denied == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		e, ok := awserr.AsError(err)
		if err == nil || !ok || e.Code != awserr.CodeAccessDenied || !strings.Contains(e.Message, c.denied) {
			t.Errorf("%s: got %v, want AccessDenied containing %q", c.name, err, c.denied)
		}
	}
}

// TestSessionTagsAndPolicy: a session's tags stand over its role's as
// aws:PrincipalTag, and a session policy narrows what the role allows.
func TestSessionTagsAndPolicy(t *testing.T) {
	cluster := "arn:aws:eks:us-east-1:" + acct + ":cluster/c"
	onlyReaders := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/kubernetes-service-account":"reader"}}}]}`
	pp := iam.PrincipalPolicies{Documents: []string{onlyReaders}, Tags: map[string]string{"kubernetes-service-account": "role-tag"}}
	run := func(tags map[string]string, sessionPolicy, action string) error {
		a := &Authorizer{IAM: &fakeIAM{pp}, Now: time.Now}
		call := &awsproto.Call{Region: "us-east-1", Principal: awsproto.Principal{Account: acct, ARN: "arn:aws:sts::" + acct + ":assumed-role/r/s",
			UserID: "AROAR:s", AccessKeyID: "ASIAS", SessionTags: tags, SessionPolicy: sessionPolicy}}
		return a.Authorize(context.Background(), call, httptest.NewRequest("POST", "https://127.0.0.1/", nil), "eks", []awsproto.Check{{Action: action, Resource: cluster}})
	}
	if err := run(map[string]string{"kubernetes-service-account": "reader"}, "", "eks:DescribeCluster"); err != nil {
		t.Errorf("a session tagged reader: %v", err)
	}
	if err := run(nil, "", "eks:DescribeCluster"); err == nil {
		t.Errorf("the role's own tag was overridden by nothing, yet allowed")
	}
	describeOnly := doc("Allow", "eks:DescribeCluster", "*")
	readers := map[string]string{"kubernetes-service-account": "reader"}
	if err := run(readers, describeOnly, "eks:DescribeCluster"); err != nil {
		t.Errorf("allowed by role and session policy: %v", err)
	}
	if err := run(readers, describeOnly, "eks:DeleteCluster"); err == nil || !strings.Contains(err.Error(), "because no session policy allows the eks:DeleteCluster action") {
		t.Errorf("the role allows, the session policy does not: %v", err)
	}
	if err := run(readers, doc("Deny", "eks:*", "*"), "eks:DescribeCluster"); err == nil || !strings.Contains(err.Error(), "explicit deny in a session policy") {
		t.Errorf("a session policy's deny: %v", err)
	}
}
