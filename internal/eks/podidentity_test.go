package eks

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/iam"
)

// podRole makes a role whose trust policy is trust (a statement list).
func (f *entryFixture) podRole(t *testing.T, name, statements string) string {
	t.Helper()
	r, err := f.s.IAM.CreateRole(context.Background(), iam.Role{Name: name, AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[` + statements + `]}`})
	if err != nil {
		t.Fatal(err)
	}
	return r.ARN
}

// podTrust is the trust policy EKS's documentation gives Pod Identity roles.
const podTrust = `{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}`

var associationIDPattern = regexp.MustCompile(`^a-[a-z0-9]{17}$`)

func TestPodIdentityAssociationLifecycle(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	// Associations do not need the cluster ACTIVE, nor the access entry API.
	if _, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: "pia", RoleARN: f.clusterRole, SubnetIDs: f.subnets,
		Region: testRegion, Account: f.account, CallerARN: f.alice}); err != nil {
		t.Fatal(err)
	}
	c := mustCluster(t, f, "pia")
	role := f.podRole(t, "app", podTrust)
	other := f.podRole(t, "app2", `{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],
		"Condition":{"StringEquals":{"aws:SourceAccount":"`+f.account+`"}}}`)

	a, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia",
		Namespace: "default", ServiceAccount: "app", RoleARN: role, Tags: map[string]string{"team": "a"}, ClientRequestToken: "tok-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !associationIDPattern.MatchString(a.AssociationID) {
		t.Errorf("association id %q", a.AssociationID)
	}
	if want := "arn:aws:eks:" + testRegion + ":" + f.account + ":podidentityassociation/pia/" + a.AssociationID; a.AssociationARN != want {
		t.Errorf("ARN %s, want %s", a.AssociationARN, want)
	}
	if a.ClusterName != "pia" || a.ClusterUID != c.UID || a.Namespace != "default" || a.ServiceAccount != "app" || a.RoleARN != role ||
		a.Tags["team"] != "a" || a.OwnerARN != "" || a.ExternalID != "" || a.TargetRoleARN != "" || a.DisableSessionTags ||
		!a.CreatedAt.Equal(f.now) || !a.ModifiedAt.Equal(f.now) {
		t.Errorf("created %+v", a)
	}

	// One association per service account; a retry with the same token is the same association.
	again, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia",
		Namespace: "default", ServiceAccount: "app", RoleARN: role, ClientRequestToken: "tok-1"})
	if err != nil || again.AssociationID != a.AssociationID {
		t.Errorf("idempotent retry: %v %+v", err, again)
	}
	_, err = f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia",
		Namespace: "default", ServiceAccount: "app", RoleARN: other, ClientRequestToken: "tok-2"})
	wantCode(t, "second association of a service account", err, CodeResourceInUse, "Association already exists: "+a.AssociationID)

	// With a target role: an external id for the target's trust policy.
	target := "arn:aws:iam::999988887777:role/remote"
	b, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia",
		Namespace: "kube-system", ServiceAccount: "aws-node", RoleARN: other, TargetRoleARN: target})
	if err != nil {
		t.Fatal(err)
	}
	if b.TargetRoleARN != target || b.ExternalID == "" || b.AssociationID == a.AssociationID {
		t.Errorf("with target role %+v", b)
	}
	d, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia",
		Namespace: "default", ServiceAccount: "db", RoleARN: role})
	if err != nil {
		t.Fatal(err)
	}

	// Reading them back: by id, by service account, all of them, in pages.
	got, err := f.s.GetPodIdentityAssociation(ctx, testRegion, "pia", a.AssociationID)
	if err != nil || got.AssociationARN != a.AssociationARN {
		t.Errorf("get: %v %+v", err, got)
	}
	got, err = f.s.PodIdentityAssociationFor(ctx, c.UID, "kube-system", "aws-node")
	if err != nil || got == nil || got.AssociationID != b.AssociationID {
		t.Errorf("for kube-system/aws-node: %v %+v", err, got)
	}
	if got, err := f.s.PodIdentityAssociationFor(ctx, c.UID, "kube-system", "coredns"); err != nil || got != nil {
		t.Errorf("for a service account without one: %v %+v", err, got)
	}
	all, err := f.s.PodIdentityAssociationsOf(ctx, c.UID)
	if err != nil || len(all) != 3 {
		t.Errorf("all: %v %d", err, len(all))
	}
	list, next, err := f.s.ListPodIdentityAssociations(ctx, testRegion, "pia", "default", "", 0, "")
	if err != nil || next != "" || len(list) != 2 || list[0].AssociationID != a.AssociationID || list[1].AssociationID != d.AssociationID {
		t.Errorf("namespace default: %v %q %+v", err, next, list)
	}
	list, _, err = f.s.ListPodIdentityAssociations(ctx, testRegion, "pia", "", "aws-node", 0, "")
	if err != nil || len(list) != 1 || list[0].AssociationID != b.AssociationID {
		t.Errorf("service account aws-node: %v %+v", err, list)
	}
	var ids []string
	token := ""
	for {
		page, next, err := f.s.ListPodIdentityAssociations(ctx, testRegion, "pia", "", "", 2, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			ids = append(ids, p.AssociationID)
		}
		if token = next; token == "" {
			break
		}
	}
	if strings.Join(ids, ",") != strings.Join([]string{a.AssociationID, d.AssociationID, b.AssociationID}, ",") {
		t.Errorf("paged %v", ids)
	}
	_, _, err = f.s.ListPodIdentityAssociations(ctx, testRegion, "pia", "", "", 101, "")
	wantCode(t, "page of 101", err, CodeInvalidParameter, "less than or equal to 100")

	// Updates: the role, a target role (and its external id), session tags.
	f.now = f.now.Add(time.Minute)
	u, err := f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia", AssociationID: a.AssociationID,
		RoleARN: &other, TargetRoleARN: &target})
	if err != nil {
		t.Fatal(err)
	}
	if u.RoleARN != other || u.TargetRoleARN != target || u.ExternalID == "" || !u.ModifiedAt.Equal(f.now) || !u.CreatedAt.Equal(a.CreatedAt) ||
		u.Namespace != "default" || u.ServiceAccount != "app" || u.Tags["team"] != "a" {
		t.Errorf("updated %+v", u)
	}
	off := true
	u2, err := f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia", AssociationID: a.AssociationID, DisableSessionTags: &off})
	if err != nil || !u2.DisableSessionTags || u2.ExternalID != u.ExternalID {
		t.Errorf("session tags off: %v %+v", err, u2)
	}
	none := ""
	u3, err := f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia", AssociationID: a.AssociationID, TargetRoleARN: &none})
	if err != nil || u3.TargetRoleARN != "" || u3.ExternalID != "" {
		t.Errorf("target role removed: %v %+v", err, u3)
	}
	if got, _ := f.s.PodIdentityAssociationFor(ctx, c.UID, "default", "app"); got == nil || got.RoleARN != other || !got.DisableSessionTags {
		t.Errorf("stored after updates: %+v", got)
	}
	_, err = f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia", AssociationID: a.AssociationID})
	wantCode(t, "update of nothing", err, CodeInvalidParameter, "At least one of")

	// Delete returns the association as it was; then it is gone.
	del, err := f.s.DeletePodIdentityAssociation(ctx, testRegion, "pia", a.AssociationID)
	if err != nil || del.AssociationID != a.AssociationID || del.RoleARN != other {
		t.Errorf("delete: %v %+v", err, del)
	}
	_, err = f.s.GetPodIdentityAssociation(ctx, testRegion, "pia", a.AssociationID)
	wantCode(t, "get deleted", err, CodeResourceNotFound, "Association not found: "+a.AssociationID)
	_, err = f.s.DeletePodIdentityAssociation(ctx, testRegion, "pia", a.AssociationID)
	wantCode(t, "delete again", err, CodeResourceNotFound, "Association not found")
	_, err = f.s.GetPodIdentityAssociation(ctx, testRegion, "pia", "a-short")
	wantCode(t, "short id", err, CodeInvalidParameter, "The parameter associationId should be 19 characters long.")
	_, err = f.s.GetPodIdentityAssociation(ctx, testRegion, "nope", a.AssociationID)
	wantCode(t, "no cluster", err, CodeResourceNotFound, "No cluster found for name: nope.")
	// The service account may have an association again, under a new id.
	re, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "pia",
		Namespace: "default", ServiceAccount: "app", RoleARN: role})
	if err != nil || re.AssociationID == a.AssociationID {
		t.Errorf("re-created: %v %+v", err, re)
	}
}

func TestPodIdentityAssociationRules(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "rules", AuthModeConfigMap, true, f.alice)
	role := f.podRole(t, "app", podTrust)
	noTags := f.podRole(t, "notags", `{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}`)
	denied := f.podRole(t, "denied", podTrust+`,{"Effect":"Deny","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:TagSession"}`)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	cases := []struct {
		what string
		in   CreatePodIdentityAssociationInput
		code string
		msg  string
	}{
		{"no namespace", CreatePodIdentityAssociationInput{ServiceAccount: "a", RoleARN: role}, CodeInvalidParameter, "namespace is required"},
		{"no service account", CreatePodIdentityAssociationInput{Namespace: "a", RoleARN: role}, CodeInvalidParameter, "serviceAccount is required"},
		{"no role", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a"}, CodeInvalidParameter, "roleArn is required"},
		{"bad namespace", CreatePodIdentityAssociationInput{Namespace: "Default", ServiceAccount: "a", RoleARN: role}, CodeInvalidParameter, "not a valid Kubernetes namespace name"},
		{"namespace with a slash", CreatePodIdentityAssociationInput{Namespace: "a/b", ServiceAccount: "a", RoleARN: role}, CodeInvalidParameter, "not a valid Kubernetes namespace name"},
		{"bad service account", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a_b", RoleARN: role}, CodeInvalidParameter, "not a valid Kubernetes service account name"},
		{"user, not role", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: f.alice}, CodeInvalidParameter, "The roleArn parameter format is not valid"},
		{"session, not role", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: "arn:aws:sts::" + f.account + ":assumed-role/app/s"}, CodeInvalidParameter, "The roleArn parameter format is not valid"},
		{"role of another account", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: "arn:aws:iam::999988887777:role/app"}, CodeInvalidParameter, "cluster's account"},
		{"no such role", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: "arn:aws:iam::" + f.account + ":role/ghost"}, CodeInvalidParameter, "Role provided in the request does not exist"},
		{"role trusting EKS, not Pod Identity", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: f.clusterRole}, CodeInvalidParameter, "Trust policy of the role provided is invalid"},
		{"role without sts:TagSession", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: noTags}, CodeInvalidParameter, "Trust policy of the role provided is invalid"},
		{"role denying sts:TagSession", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: denied}, CodeInvalidParameter, "Trust policy of the role provided is invalid"},
		{"bad target role", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: role, TargetRoleARN: "arn:aws:iam::999988887777:user/x"}, CodeInvalidParameter, "The targetRoleArn parameter format is not valid"},
		{"policy with session tags", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: role, Policy: policy}, CodeInvalidParameter, "disableSessionTags must be true"},
		{"policy not JSON", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: role, DisableSessionTags: true, Policy: "{"}, CodeInvalidParameter, "not a valid IAM policy document"},
		{"long policy", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: role, DisableSessionTags: true, Policy: strings.Repeat(" ", 2049)}, CodeInvalidParameter, "2048"},
		{"tag key aws:", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: role, Tags: map[string]string{"aws:x": "y"}}, CodeInvalidParameter, "reserved for AWS use"},
		{"no cluster", CreatePodIdentityAssociationInput{ClusterName: "nope", Namespace: "a", ServiceAccount: "a", RoleARN: role}, CodeResourceNotFound, "No cluster found for name: nope."},
	}
	tooMany := map[string]string{}
	for i := range 51 {
		tooMany[strings.Repeat("k", i+1)] = "v"
	}
	cases = append(cases, struct {
		what string
		in   CreatePodIdentityAssociationInput
		code string
		msg  string
	}{"51 tags", CreatePodIdentityAssociationInput{Namespace: "a", ServiceAccount: "a", RoleARN: role, Tags: tooMany}, CodeInvalidParameter, "maximum of 50"})
	for _, tc := range cases {
		tc.in.Region = testRegion
		if tc.in.ClusterName == "" {
			tc.in.ClusterName = "rules"
		}
		_, err := f.s.CreatePodIdentityAssociation(ctx, tc.in)
		wantCode(t, tc.what, err, tc.code, tc.msg)
	}
	// Without session tags, sts:AssumeRole is all the role must trust; a
	// session policy then goes too.
	a, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "rules",
		Namespace: "a", ServiceAccount: "a", RoleARN: noTags, DisableSessionTags: true, Policy: policy})
	if err != nil || a.Policy != policy || !a.DisableSessionTags {
		t.Fatalf("policy and no session tags: %v %+v", err, a)
	}
	on := false
	_, err = f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "rules", AssociationID: a.AssociationID, DisableSessionTags: &on})
	wantCode(t, "session tags on with a policy", err, CodeInvalidParameter, "disableSessionTags must be true")
	none := ""
	_, err = f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "rules", AssociationID: a.AssociationID, DisableSessionTags: &on, Policy: &none})
	wantCode(t, "session tags on for a role without sts:TagSession", err, CodeInvalidParameter, "Trust policy of the role provided is invalid")
	u, err := f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "rules", AssociationID: a.AssociationID, RoleARN: &role, DisableSessionTags: &on, Policy: &none})
	if err != nil || u.Policy != "" || u.DisableSessionTags || u.RoleARN != role {
		t.Errorf("back to session tags: %v %+v", err, u)
	}
	ghost := "arn:aws:iam::" + f.account + ":role/ghost"
	_, err = f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "rules", AssociationID: a.AssociationID, RoleARN: &ghost})
	wantCode(t, "update to a role that does not exist", err, CodeInvalidParameter, "Role provided in the request does not exist")
	_, err = f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "rules", AssociationID: "a-0000000000000000x", RoleARN: &role})
	wantCode(t, "update of no association", err, CodeResourceNotFound, "Association not found: a-0000000000000000x")
}

func TestPodIdentityAssociationTags(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "tags", AuthModeConfigMap, true, f.alice)
	a, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "tags",
		Namespace: "default", ServiceAccount: "app", RoleARN: f.podRole(t, "app", podTrust), Tags: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.TagResource(ctx, testRegion, a.AssociationARN, map[string]string{"b": "2"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UntagResource(ctx, testRegion, a.AssociationARN, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.s.ListTags(ctx, testRegion, a.AssociationARN)
	if err != nil || len(tags) != 1 || tags["b"] != "2" {
		t.Errorf("tags %v %v", tags, err)
	}
	stale := a.AssociationARN[:strings.LastIndex(a.AssociationARN, "/")+1] + "a-00000000000000000"
	_, err = f.s.ListTags(ctx, testRegion, stale)
	wantCode(t, "another association's ARN", err, CodeNotFound, "Resource not found")
	_, err = f.s.ListTags(ctx, testRegion, strings.Replace(a.AssociationARN, "/tags/", "/nope/", 1))
	wantCode(t, "another cluster's", err, CodeNotFound, "Resource not found")
}

func TestClusterDeletionTakesItsAssociations(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.cluster(t, "doomed", AuthModeAPI, true, f.alice)
	role := f.podRole(t, "app", podTrust)
	a, err := f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "doomed",
		Namespace: "default", ServiceAccount: "app", RoleARN: role})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.DeleteCluster(ctx, testRegion, "doomed"); err != nil {
		t.Fatal(err)
	}
	// While the cluster goes, its associations stay as they are.
	_, err = f.s.CreatePodIdentityAssociation(ctx, CreatePodIdentityAssociationInput{Region: testRegion, ClusterName: "doomed",
		Namespace: "default", ServiceAccount: "other", RoleARN: role})
	wantCode(t, "create while deleting", err, CodeInvalidRequest, "Cluster 'doomed' is being deleted")
	_, err = f.s.UpdatePodIdentityAssociation(ctx, UpdatePodIdentityAssociationInput{Region: testRegion, ClusterName: "doomed", AssociationID: a.AssociationID, RoleARN: &role})
	wantCode(t, "update while deleting", err, CodeInvalidRequest, "is being deleted")
	if got, err := f.s.GetPodIdentityAssociation(ctx, testRegion, "doomed", a.AssociationID); err != nil || got.AssociationID != a.AssociationID {
		t.Errorf("describe while deleting: %v %+v", err, got)
	}
	if err := f.s.Forget(ctx, mustCluster(t, f, "doomed")); err != nil {
		t.Fatal(err)
	}
	if got, err := f.s.PodIdentityAssociationsOf(ctx, c.UID); err != nil || len(got) != 0 {
		t.Errorf("associations outlived their cluster: %v %+v", err, got)
	}
	// A cluster of the same name made again starts with none.
	c2 := f.cluster(t, "doomed", AuthModeAPI, true, f.alice)
	if got, err := f.s.PodIdentityAssociationFor(ctx, c2.UID, "default", "app"); err != nil || got != nil {
		t.Errorf("new cluster of the old name: %v %+v", err, got)
	}
}
