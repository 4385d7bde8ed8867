package eks

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

const testIssuer = "https://idp.example.com/tenant"

func oidcInput(cluster, name string) AssociateIdentityProviderConfigInput {
	return AssociateIdentityProviderConfigInput{Region: testRegion, ClusterName: cluster, Name: name, IssuerURL: testIssuer, ClientID: "kubernetes",
		UsernameClaim: "email", GroupsClaim: "groups", GroupsPrefix: "oidc:", RequiredClaims: map[string]string{"hd": "example.com"},
		Tags: map[string]string{"team": "a"}}
}

// idpCluster is an ACTIVE cluster with the issuer of its own service
// account tokens, as the control plane gives it.
func idpCluster(t *testing.T, f *entryFixture, name string) *Cluster {
	t.Helper()
	f.cluster(t, name, AuthModeConfigMap, true, f.admin)
	c, err := f.s.SetStatus(context.Background(), testRegion, name, func(c *Cluster) error {
		c.Status.OIDCIssuer = "https://oidc.keks.example/id/" + c.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var idpARNPattern = regexp.MustCompile(`^arn:aws:eks:us-east-1:\d{12}:identityproviderconfig/idp/oidc/people/[0-9a-f-]{36}$`)

func TestIdentityProviderConfigLifecycle(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	if _, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: "young", RoleARN: f.clusterRole, SubnetIDs: f.subnets,
		Region: testRegion, Account: f.account, CallerARN: f.admin}); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.AssociateIdentityProviderConfig(ctx, oidcInput("young", "people"))
	wantCode(t, "a CREATING cluster", err, CodeInvalidRequest, "Cluster 'young' is not in ACTIVE status")
	_, err = f.s.AssociateIdentityProviderConfig(ctx, oidcInput("nope", "people"))
	wantCode(t, "no such cluster", err, CodeResourceNotFound, "No cluster found for name: nope.")
	_, _, err = f.s.ListIdentityProviderConfigs(ctx, testRegion, "nope", 0, "")
	wantCode(t, "list of no such cluster", err, CodeResourceNotFound, "No cluster found for name: nope.")

	c := idpCluster(t, f, "idp")
	if c.ActiveOIDCIdentityProvider() != nil {
		t.Fatal("a new cluster has an identity provider")
	}
	u, err := f.s.AssociateIdentityProviderConfig(ctx, oidcInput("idp", "people"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Type != UpdateAssociateIdentityProviderConfig || u.Status != UpdateInProgress || len(u.Params) != 1 ||
		u.Params[0].Type != "IdentityProviderConfig" || u.Params[0].Value != `[{"type":"oidc","name":"people"}]` || len(u.Errors) != 0 {
		t.Fatalf("association's update %+v", u)
	}
	after := mustCluster(t, f, "idp")
	idp := after.Spec.OIDCIdentityProvider
	if after.Generation != c.Generation+1 || u.Generation != after.Generation || after.Status.Phase != StatusUpdating || idp == nil {
		t.Fatalf("cluster after the association: generation %d (was %d), update's %d, %s, %+v", after.Generation, c.Generation, u.Generation, after.Status.Phase, idp)
	}
	if !idpARNPattern.MatchString(idp.ARN) || idp.Status != IdentityProviderCreating || idp.IssuerURL != testIssuer || idp.ClientID != "kubernetes" ||
		idp.UsernameClaim != "email" || idp.UsernamePrefix != "" || idp.GroupsClaim != "groups" || idp.GroupsPrefix != "oidc:" ||
		idp.RequiredClaims["hd"] != "example.com" || idp.Tags["team"] != "a" || !idp.CreatedAt.Equal(f.now) {
		t.Fatalf("stored config %+v", idp)
	}
	if got := after.ActiveOIDCIdentityProvider(); got == nil || got.Name != "people" {
		t.Errorf("the API servers should run with a CREATING config: %+v", got)
	}

	// One config, one update at a time.
	_, err = f.s.AssociateIdentityProviderConfig(ctx, oidcInput("idp", "people"))
	wantCode(t, "the same config again", err, CodeResourceInUse, "Identity provider config people already exists for cluster idp")
	_, err = f.s.AssociateIdentityProviderConfig(ctx, oidcInput("idp", "others"))
	wantCode(t, "a second config", err, CodeInvalidRequest, "already has the identity provider config people")
	_, err = f.s.DisassociateIdentityProviderConfig(ctx, testRegion, "idp", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	wantCode(t, "disassociating while associating", err, CodeInvalidRequest, "Identity provider config is not associated with cluster idp")
	on := true
	_, err = f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "idp", Region: testRegion, Logging: []LogSetup{{Types: []string{"api"}, Enabled: &on}}})
	wantCode(t, "another update meanwhile", err, CodeResourceInUse, "currently has update "+u.ID+" in progress")

	got, err := f.s.DescribeIdentityProviderConfig(ctx, testRegion, "idp", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	if err != nil || got.Status != IdentityProviderCreating || got.ARN != idp.ARN {
		t.Fatalf("describe while associating: %v %+v", err, got)
	}
	refs, next, err := f.s.ListIdentityProviderConfigs(ctx, testRegion, "idp", 0, "")
	if err != nil || len(refs) != 1 || refs[0] != (IdentityProviderConfigRef{Type: "oidc", Name: "people"}) || next != "" {
		t.Fatalf("list: %v %v %q", err, refs, next)
	}

	// The control plane runs the generation: the update succeeds and the
	// config is ACTIVE, with no new generation.
	if err := f.s.FinishUpdate(ctx, *u, nil); err != nil {
		t.Fatal(err)
	}
	done, err := f.s.DescribeUpdate(ctx, testRegion, "idp", u.ID, "", "")
	if err != nil || done.Status != UpdateSuccessful {
		t.Fatalf("update after FinishUpdate: %v %+v", err, done)
	}
	active := mustCluster(t, f, "idp")
	if active.Generation != after.Generation || active.Spec.OIDCIdentityProvider.Status != IdentityProviderActive {
		t.Fatalf("after the association: generation %d (want %d), %+v", active.Generation, after.Generation, active.Spec.OIDCIdentityProvider)
	}
	// Finishing it again changes nothing.
	if err := f.s.FinishUpdate(ctx, *u, nil); err != nil || mustCluster(t, f, "idp").Spec.OIDCIdentityProvider.Status != IdentityProviderActive {
		t.Fatalf("second FinishUpdate: %v", err)
	}

	// Tags on the config's ARN change no generation; other cluster
	// updates keep the config as it is.
	if err := f.s.TagResource(ctx, testRegion, idp.ARN, map[string]string{"owner": "me"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UntagResource(ctx, testRegion, idp.ARN, []string{"team"}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.s.ListTags(ctx, testRegion, idp.ARN)
	if err != nil || len(tags) != 1 || tags["owner"] != "me" {
		t.Fatalf("config's tags: %v %v", err, tags)
	}
	if ct, _ := f.s.ListTags(ctx, testRegion, c.ARN); ct["owner"] != "" {
		t.Errorf("the config's tags went to the cluster: %v", ct)
	}
	logging, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "idp", Region: testRegion, Logging: []LogSetup{{Types: []string{"api"}, Enabled: &on}}})
	if err != nil {
		t.Fatal(err)
	}
	mid := mustCluster(t, f, "idp")
	if mid.Generation != active.Generation+1 || mid.Spec.OIDCIdentityProvider == nil || mid.Spec.OIDCIdentityProvider.Status != IdentityProviderActive ||
		mid.Spec.OIDCIdentityProvider.Tags["owner"] != "me" {
		t.Fatalf("the config after a logging update: %+v", mid.Spec.OIDCIdentityProvider)
	}
	_, err = f.s.DisassociateIdentityProviderConfig(ctx, testRegion, "idp", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	wantCode(t, "disassociating during another update", err, CodeResourceInUse,
		"Cannot DisassociateIdentityProviderConfig because cluster idp currently has update "+logging.ID+" in progress")
	if err := f.s.FinishUpdate(ctx, *logging, nil); err != nil {
		t.Fatal(err)
	}

	// Names that are not the config's.
	for _, tc := range []struct {
		name string
		ref  IdentityProviderConfigRef
		code string
		msg  string
	}{
		{"another name", IdentityProviderConfigRef{Type: "oidc", Name: "others"}, CodeResourceNotFound, "No config found for cluster: idp, config type: oidc, config name: others"},
		{"another type", IdentityProviderConfigRef{Type: "saml", Name: "people"}, CodeInvalidParameter, "Unsupported identity provider config type: saml"},
		{"no type", IdentityProviderConfigRef{Name: "people"}, CodeInvalidParameter, "Value null at 'identityProviderConfig.type'"},
		{"no name", IdentityProviderConfigRef{Type: "oidc"}, CodeInvalidParameter, "Value null at 'identityProviderConfig.name'"},
	} {
		_, err := f.s.DescribeIdentityProviderConfig(ctx, testRegion, "idp", tc.ref)
		wantCode(t, "describe of "+tc.name, err, tc.code, tc.msg)
		_, err = f.s.DisassociateIdentityProviderConfig(ctx, testRegion, "idp", tc.ref)
		wantCode(t, "disassociation of "+tc.name, err, tc.code, tc.msg)
	}
	_, err = f.s.DescribeIdentityProviderConfig(ctx, testRegion, "nope", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	wantCode(t, "describe on no such cluster", err, CodeResourceNotFound, "No cluster found for name: nope.")

	// Disassociation: DELETING (the API servers drop it at the new
	// generation), then gone once the update finishes.
	before := mustCluster(t, f, "idp")
	d, err := f.s.DisassociateIdentityProviderConfig(ctx, testRegion, "idp", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != UpdateDisassociateIdentityProviderConfig || d.Status != UpdateInProgress || len(d.Params) != 1 ||
		d.Params[0].Type != "IdentityProviderConfig" || d.Params[0].Value != "[]" {
		t.Fatalf("disassociation's update %+v", d)
	}
	deleting := mustCluster(t, f, "idp")
	if deleting.Generation != before.Generation+1 || d.Generation != deleting.Generation || deleting.Spec.OIDCIdentityProvider.Status != IdentityProviderDeleting ||
		deleting.ActiveOIDCIdentityProvider() != nil {
		t.Fatalf("cluster while disassociating: generation %d (was %d), %+v", deleting.Generation, before.Generation, deleting.Spec.OIDCIdentityProvider)
	}
	if got, err := f.s.DescribeIdentityProviderConfig(ctx, testRegion, "idp", IdentityProviderConfigRef{Type: "oidc", Name: "people"}); err != nil || got.Status != IdentityProviderDeleting {
		t.Fatalf("describe while disassociating: %v %+v", err, got)
	}
	_, err = f.s.DisassociateIdentityProviderConfig(ctx, testRegion, "idp", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	wantCode(t, "disassociating twice", err, CodeInvalidRequest, "Identity provider config is not associated with cluster idp")
	if err := f.s.FinishUpdate(ctx, *d, nil); err != nil {
		t.Fatal(err)
	}
	gone := mustCluster(t, f, "idp")
	if gone.Generation != deleting.Generation || gone.Spec.OIDCIdentityProvider != nil {
		t.Fatalf("after the disassociation: generation %d (want %d), %+v", gone.Generation, deleting.Generation, gone.Spec.OIDCIdentityProvider)
	}
	_, err = f.s.DescribeIdentityProviderConfig(ctx, testRegion, "idp", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	wantCode(t, "describe after the disassociation", err, CodeResourceNotFound, "No config found for cluster: idp, config type: oidc, config name: people")
	if refs, _, err := f.s.ListIdentityProviderConfigs(ctx, testRegion, "idp", 0, ""); err != nil || len(refs) != 0 {
		t.Fatalf("list after the disassociation: %v %v", err, refs)
	}
	_, err = f.s.ListTags(ctx, testRegion, idp.ARN)
	wantCode(t, "tags of a disassociated config", err, CodeNotFound, "Resource not found")

	// Associated again: another ARN, and the old one still names nothing.
	again, err := f.s.AssociateIdentityProviderConfig(ctx, oidcInput("idp", "people"))
	if err != nil {
		t.Fatal(err)
	}
	newARN := mustCluster(t, f, "idp").Spec.OIDCIdentityProvider.ARN
	if newARN == idp.ARN || !idpARNPattern.MatchString(newARN) {
		t.Errorf("ARN of the config associated again: %s (was %s)", newARN, idp.ARN)
	}
	err = f.s.TagResource(ctx, testRegion, idp.ARN, map[string]string{"x": "y"})
	wantCode(t, "tagging the old ARN", err, CodeNotFound, "Resource not found")
	if err := f.s.FinishUpdate(ctx, *again, nil); err != nil {
		t.Fatal(err)
	}
}

func TestIdentityProviderConfigRules(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := idpCluster(t, f, "rules")
	with := func(change func(in *AssociateIdentityProviderConfigInput)) AssociateIdentityProviderConfigInput {
		in := oidcInput("rules", "people")
		change(&in)
		return in
	}
	claims := func(m map[string]string) AssociateIdentityProviderConfigInput {
		return with(func(in *AssociateIdentityProviderConfigInput) { in.RequiredClaims = m })
	}
	manyTags := map[string]string{}
	for i := 0; i < 51; i++ {
		manyTags[strings.Repeat("k", i+1)] = "v"
	}
	cases := []struct {
		name string
		in   AssociateIdentityProviderConfigInput
		msg  string
	}{
		{"no name", with(func(in *AssociateIdentityProviderConfigInput) { in.Name = "" }), "Value null at 'oidc.identityProviderConfigName'"},
		{"no issuer", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "" }), "Value null at 'oidc.issuerUrl'"},
		{"no client id", with(func(in *AssociateIdentityProviderConfigInput) { in.ClientID = "" }), "Value null at 'oidc.clientId'"},
		{"a name with a slash", with(func(in *AssociateIdentityProviderConfigInput) { in.Name = "a/b" }), "at 'oidc.identityProviderConfigName' failed to satisfy constraint"},
		{"a name starting with a dash", with(func(in *AssociateIdentityProviderConfigInput) { in.Name = "-a" }), "at 'oidc.identityProviderConfigName' failed to satisfy constraint"},
		{"a long name", with(func(in *AssociateIdentityProviderConfigInput) { in.Name = strings.Repeat("a", 101) }), "have length between 1 and 100"},
		{"http", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "http://idp.example.com" }), "must begin with https://"},
		{"no scheme", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "idp.example.com" }), "must begin with https://"},
		{"no host", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "https:///path" }), "must begin with https:// and name a host"},
		{"a query", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "https://idp.example.com/?tenant=a" }), "not query parameters"},
		{"an empty query", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "https://idp.example.com/?" }), "not query parameters"},
		{"a fragment", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "https://idp.example.com/#a" }), "must not contain a fragment"},
		{"user info", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = "https://me:pw@idp.example.com" }), "must not contain a username or password"},
		{"the cluster's own issuer", with(func(in *AssociateIdentityProviderConfigInput) { in.IssuerURL = c.Status.OIDCIssuer + "/" }),
			"Incorrect Identity Provider URL configuration. The Identity Provider URL cannot be same as OpenID Connect (OIDC) issuer URL"},
		{"a system: username prefix", with(func(in *AssociateIdentityProviderConfigInput) { in.UsernamePrefix = "system:" }), "usernamePrefix system: is not valid"},
		{"a system: groups prefix", with(func(in *AssociateIdentityProviderConfigInput) { in.GroupsPrefix = "x-System:" }), "groupsPrefix x-System: is not valid"},
		{"a long claim name", claims(map[string]string{strings.Repeat("c", 64): "v"}),
			"Map keys must satisfy constraint: [Member must have length less than or equal to 63"},
		{"a long claim value", claims(map[string]string{"c": strings.Repeat("v", 254)}),
			"Map value must satisfy constraint: [Member must have length less than or equal to 253"},
		{"an empty claim value", claims(map[string]string{"c": ""}),
			"Map value must satisfy constraint"},
		{"a claim name with =", claims(map[string]string{"a=b": "v"}), "may not contain '='"},
		{"51 tags", with(func(in *AssociateIdentityProviderConfigInput) { in.Tags = manyTags }), "Tags can have a maximum of 50 entries"},
		{"an aws: tag", with(func(in *AssociateIdentityProviderConfigInput) { in.Tags = map[string]string{"aws:x": "y"} }), "reserved for AWS use"},
	}
	for _, tc := range cases {
		_, err := f.s.AssociateIdentityProviderConfig(ctx, tc.in)
		wantCode(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
	if after := mustCluster(t, f, "rules"); after.Generation != c.Generation || after.Spec.OIDCIdentityProvider != nil {
		t.Fatalf("a refused association changed the cluster: %+v", after)
	}
	// What the model's constraints allow: claims at their bounds, a path,
	// a port, an address, no optional member.
	ok := AssociateIdentityProviderConfigInput{Region: testRegion, ClusterName: "rules", Name: "a.b_c-1", IssuerURL: "https://127.0.0.1:8443/realms/x",
		ClientID: "k", RequiredClaims: map[string]string{strings.Repeat("c", 63): strings.Repeat("v", 253)}, UsernamePrefix: "-"}
	if _, err := f.s.AssociateIdentityProviderConfig(ctx, ok); err != nil {
		t.Fatal(err)
	}
	idp := mustCluster(t, f, "rules").Spec.OIDCIdentityProvider
	if idp.Tags != nil || idp.UsernameClaim != "" || idp.UsernamePrefix != "-" || len(idp.RequiredClaims) != 1 {
		t.Errorf("stored %+v", idp)
	}
}

func TestIdentityProviderUpdateFailures(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	idpCluster(t, f, "fails")
	u, err := f.s.AssociateIdentityProviderConfig(ctx, oidcInput("fails", "people"))
	if err != nil {
		t.Fatal(err)
	}
	before := mustCluster(t, f, "fails")
	failure := &UpdateError{ErrorCode: "Unknown", ErrorMessage: "the API servers did not start", ResourceIDs: []string{"fails"}}
	if err := f.s.FinishUpdate(ctx, *u, failure); err != nil {
		t.Fatal(err)
	}
	// A failed association leaves no config, and a generation for the API
	// servers to go back to running without it.
	after := mustCluster(t, f, "fails")
	if after.Spec.OIDCIdentityProvider != nil || after.Generation != before.Generation+1 {
		t.Fatalf("after a failed association: generation %d (was %d), %+v", after.Generation, before.Generation, after.Spec.OIDCIdentityProvider)
	}
	failed, err := f.s.DescribeUpdate(ctx, testRegion, "fails", u.ID, "", "")
	if err != nil || failed.Status != UpdateFailed || len(failed.Errors) != 1 || failed.Errors[0].ErrorMessage != failure.ErrorMessage {
		t.Fatalf("failed update %v %+v", err, failed)
	}

	u, err = f.s.AssociateIdentityProviderConfig(ctx, oidcInput("fails", "people"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.FinishUpdate(ctx, *u, nil); err != nil {
		t.Fatal(err)
	}
	d, err := f.s.DisassociateIdentityProviderConfig(ctx, testRegion, "fails", IdentityProviderConfigRef{Type: "oidc", Name: "people"})
	if err != nil {
		t.Fatal(err)
	}
	before = mustCluster(t, f, "fails")
	if err := f.s.FinishUpdate(ctx, *d, failure); err != nil {
		t.Fatal(err)
	}
	// A failed disassociation leaves the config ACTIVE again.
	after = mustCluster(t, f, "fails")
	if after.Spec.OIDCIdentityProvider == nil || after.Spec.OIDCIdentityProvider.Status != IdentityProviderActive || after.Generation != before.Generation+1 ||
		after.ActiveOIDCIdentityProvider() == nil {
		t.Fatalf("after a failed disassociation: generation %d (was %d), %+v", after.Generation, before.Generation, after.Spec.OIDCIdentityProvider)
	}
}

func TestListIdentityProviderConfigsPages(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	idpCluster(t, f, "pages")
	if _, err := f.s.AssociateIdentityProviderConfig(ctx, oidcInput("pages", "people")); err != nil {
		t.Fatal(err)
	}
	refs, next, err := f.s.ListIdentityProviderConfigs(ctx, testRegion, "pages", 1, "")
	if err != nil || len(refs) != 1 || next != "" {
		t.Fatalf("a page of one: %v %v %q", err, refs, next)
	}
	_, _, err = f.s.ListIdentityProviderConfigs(ctx, testRegion, "pages", 101, "")
	wantCode(t, "maxResults 101", err, CodeInvalidParameter, "less than or equal to 100")
	_, _, err = f.s.ListIdentityProviderConfigs(ctx, testRegion, "pages", 0, "garbage!")
	wantCode(t, "a bad token", err, CodeInvalidParameter, "The nextToken provided is invalid")
}
