package eksauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store/storetest"
)

const region = "us-east-1"

type fixture struct {
	auth            *Service
	now             time.Time
	key, otherKey   *rsa.PrivateKey
	issuer, cluster string
	clusterARN      string
}

// newFixture is a cluster with an issuer and a signing key, over a store of
// its own, and one association: team/reader with a role trusting Pod
// Identity.
func newFixture(t *testing.T, trust string) *fixture {
	t.Helper()
	st := storetest.Open(t)
	ctx := context.Background()
	f := &fixture{now: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC), cluster: "pods"}
	clock := func() time.Time { return f.now }
	ids := &iam.Service{Store: st, Now: clock}
	e := &eks.Service{Store: st, IAM: ids, EC2: &ec2.Service{Store: st}, Now: clock}
	acct, err := ids.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clusterRole, err := ids.CreateRole(ctx, iam.Role{Name: "cluster", AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	vpc, err := e.EC2.CreateVPC(ctx, region, acct.ID, "10.0.0.0/16", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for i, zone := range []string{"a", "b"} {
		sn, err := e.EC2.CreateSubnet(ctx, ec2.Subnet{VPCID: vpc.ID, CIDR: "10.0." + string(rune('1'+i)) + ".0/24", AvailabilityZone: region + zone})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, sn.ID)
	}
	cl, err := e.CreateCluster(ctx, eks.CreateClusterInput{Name: f.cluster, RoleARN: clusterRole.ARN, SubnetIDs: subnets, Region: region, Account: acct.ID, CallerARN: clusterRole.ARN})
	if err != nil {
		t.Fatal(err)
	}
	f.issuer, f.clusterARN = "https://198.19.255.254/id/ABC", cl.ARN
	if _, err := e.SetStatus(ctx, region, f.cluster, func(c *eks.Cluster) error { c.Status.OIDCIssuer = f.issuer; return nil }); err != nil {
		t.Fatal(err)
	}
	role, err := ids.CreateRole(ctx, iam.Role{Name: "reader", AssumeRolePolicy: trust})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreatePodIdentityAssociation(ctx, eks.CreatePodIdentityAssociationInput{Region: region, ClusterName: f.cluster,
		Namespace: "team", ServiceAccount: "reader", RoleARN: role.ARN}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []**rsa.PrivateKey{&f.key, &f.otherKey} {
		if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	}
	f.auth = &Service{EKS: e, IAM: ids, Now: clock,
		SigningKey: func(context.Context, string) (crypto.PublicKey, error) { return f.key.Public(), nil }}
	return f
}

// token is a projected service account token as kube-apiserver makes them.
func (f *fixture) token(t *testing.T, key *rsa.PrivateKey, iss, aud, ns, sa string, exp time.Time) string {
	t.Helper()
	claims := jwt.MapClaims{"iss": iss, "aud": []string{aud}, "sub": "system:serviceaccount:" + ns + ":" + sa,
		"exp": exp.Unix(), "iat": f.now.Unix(), "nbf": f.now.Unix(),
		"kubernetes.io": map[string]any{"namespace": ns, "serviceaccount": map[string]string{"name": sa, "uid": "sa-uid"},
			"pod": map[string]string{"name": "reader-7d9f", "uid": "pod-uid"}}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const podTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

func TestAssumeRoleForPodIdentity(t *testing.T) {
	// The trust policy guards against a confused deputy, as EKS's
	// documentation suggests: only this cluster's pods.
	f := newFixture(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],`+
		`"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:eks:us-east-1:*:cluster/pods"},"StringEquals":{"aws:RequestTag/kubernetes-namespace":"team"}}}]}`)
	ctx := context.Background()
	good := f.token(t, f.key, f.issuer, Audience, "team", "reader", f.now.Add(time.Hour))
	got, err := f.auth.AssumeRoleForPodIdentity(ctx, region, f.cluster, good)
	if err != nil {
		t.Fatal(err)
	}
	cr := got.Credentials
	if got.Namespace != "team" || got.ServiceAccount != "reader" || !strings.HasPrefix(got.AssociationID, "a-") ||
		!strings.Contains(cr.AssumedRoleARN, ":assumed-role/reader/eks-pods-reader-7d9f-") || cr.AccessKeyID == "" ||
		!cr.Expiration.Equal(f.now.Add(6*time.Hour)) {
		t.Fatalf("answer %+v, credentials %+v", got, cr)
	}
	if name := cr.AssumedRoleARN[strings.LastIndex(cr.AssumedRoleARN, "/")+1:]; len(name) > 64 {
		t.Errorf("session name %q is longer than STS allows", name)
	}
	// The session carries EKS's tags, for aws:PrincipalTag conditions.
	_, _, p, err := f.auth.IAM.ResolveAccessKey(ctx, cr.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"eks-cluster-arn": f.clusterARN, "eks-cluster-name": "pods", "kubernetes-namespace": "team",
		"kubernetes-service-account": "reader", "kubernetes-pod-name": "reader-7d9f", "kubernetes-pod-uid": "pod-uid"}
	for k, v := range want {
		if p.SessionTags[k] != v {
			t.Errorf("session tag %s=%q, want %q (all %v)", k, p.SessionTags[k], v, p.SessionTags)
		}
	}

	for _, c := range []struct {
		name, token, code string
	}{
		{"another cluster's token", f.token(t, f.otherKey, f.issuer, Audience, "team", "reader", f.now.Add(time.Hour)), CodeInvalidToken},
		{"another issuer", f.token(t, f.key, "https://198.19.255.254/id/OTHER", Audience, "team", "reader", f.now.Add(time.Hour)), CodeInvalidToken},
		{"the IRSA audience", f.token(t, f.key, f.issuer, "sts.amazonaws.com", "team", "reader", f.now.Add(time.Hour)), CodeInvalidToken},
		{"an expired token", f.token(t, f.key, f.issuer, Audience, "team", "reader", f.now.Add(-time.Hour)), CodeExpiredToken},
		{"a service account without an association", f.token(t, f.key, f.issuer, Audience, "team", "writer", f.now.Add(time.Hour)), eks.CodeResourceNotFound},
		{"not a JWT", "a.b.c", CodeInvalidToken},
	} {
		_, err := f.auth.AssumeRoleForPodIdentity(ctx, region, f.cluster, c.token)
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := f.auth.AssumeRoleForPodIdentity(ctx, region, "nope", good); err == nil || !strings.Contains(err.Error(), "No cluster found") {
		t.Errorf("unknown cluster: %v", err)
	}
}

func TestAssumeRoleForPodIdentityNeedsTheTrustPolicy(t *testing.T) {
	// A role that trusts Pod Identity for sts:AssumeRole only cannot take
	// the session tags EKS sets.
	f := newFixture(t, podTrust)
	ctx := context.Background()
	if err := f.auth.IAM.UpdateAssumeRolePolicy(ctx, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`); err != nil {
		t.Fatal(err)
	}
	_, err := f.auth.AssumeRoleForPodIdentity(ctx, region, f.cluster, f.token(t, f.key, f.issuer, Audience, "team", "reader", f.now.Add(time.Hour)))
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code != CodeAccessDenied {
		t.Fatalf("%v, want %s", err, CodeAccessDenied)
	}
}

// TestAssociationPolicyLimitsTheSession: an association's policy becomes
// the session's policy (EKS requires session tags off with one).
func TestAssociationPolicyLimitsTheSession(t *testing.T) {
	f := newFixture(t, podTrust)
	ctx := context.Background()
	limited := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"*"}]}`
	role, err := f.auth.IAM.GetRole(ctx, "reader")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.EKS.CreatePodIdentityAssociation(ctx, eks.CreatePodIdentityAssociationInput{Region: region, ClusterName: f.cluster,
		Namespace: "team", ServiceAccount: "limited", RoleARN: role.ARN, DisableSessionTags: true, Policy: limited}); err != nil {
		t.Fatal(err)
	}
	got, err := f.auth.AssumeRoleForPodIdentity(ctx, region, f.cluster, f.token(t, f.key, f.issuer, Audience, "team", "limited", f.now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	_, _, p, err := f.auth.IAM.ResolveAccessKey(ctx, got.Credentials.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if p.SessionPolicy != limited || len(p.SessionTags) != 0 {
		t.Errorf("session policy %q, tags %v", p.SessionPolicy, p.SessionTags)
	}
}
