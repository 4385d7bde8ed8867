package eks

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/iam"
)

// fargateTrust is the pod execution role's trust policy as EKS's user
// guide gives it, with its aws:SourceArn condition.
func fargateTrust(account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole",` +
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:` + testRegion + `:` + account + `:fargateprofile/*"}}}]}`
}

// fargateRole makes a role Fargate may assume.
func (f *entryFixture) fargateRole(t *testing.T, name, path string) string {
	t.Helper()
	r, err := f.s.IAM.CreateRole(context.Background(), iam.Role{Name: name, Path: path, AssumeRolePolicy: fargateTrust(f.account)})
	if err != nil {
		t.Fatal(err)
	}
	return r.ARN
}

func (f *entryFixture) profile(name, role string, sels ...FargateSelector) CreateFargateProfileInput {
	if len(sels) == 0 {
		sels = []FargateSelector{{Namespace: "default"}}
	}
	return CreateFargateProfileInput{Region: testRegion, Account: f.account, ClusterName: "fg", Name: name, PodExecutionRoleARN: role, Selectors: sels}
}

// settle moves a profile on as the Fargate reconciler would: CREATING to
// ACTIVE, DELETING to gone.
func (f *entryFixture) settle(t *testing.T, cluster, name string) {
	t.Helper()
	ctx := context.Background()
	fp, err := f.s.GetFargateProfile(ctx, testRegion, cluster, name)
	if err != nil {
		t.Fatal(err)
	}
	switch fp.Status {
	case FargateProfileCreating:
		if _, err := f.s.SetFargateProfile(ctx, fp, func(p *FargateProfile) error { p.Status = FargateProfileActive; return nil }); err != nil {
			t.Fatal(err)
		}
	case FargateProfileDeleting:
		if err := f.s.ForgetFargateProfile(ctx, fp); err != nil {
			t.Fatal(err)
		}
	}
}

// wantFields checks the members an error's JSON body carries.
func wantFields(t *testing.T, what string, err error, fields map[string]string) {
	t.Helper()
	e, ok := awserr.AsError(err)
	if !ok {
		t.Errorf("%s: %v is no AWS error", what, err)
		return
	}
	for k, v := range fields {
		if got, _ := e.Fields[k].(string); got != v {
			t.Errorf("%s: member %s = %q, want %q (%v)", what, k, got, v, e.Fields)
		}
	}
}

var fargateARNPattern = regexp.MustCompile(`^arn:aws:eks:us-east-1:[0-9]{12}:fargateprofile/fg/app/[0-9a-f-]{36}$`)

func TestFargateProfileLifecycle(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.cluster(t, "fg", AuthModeConfigMap, true, f.alice)
	role := f.fargateRole(t, "fargate-pods", "")

	in := f.profile("app", role, FargateSelector{Namespace: "prod*", Labels: map[string]string{"app?*": "*web"}}, FargateSelector{Namespace: "kube-system"})
	in.Tags, in.ClientRequestToken = map[string]string{"team": "a"}, "tok-1"
	fp, err := f.s.CreateFargateProfile(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !fargateARNPattern.MatchString(fp.ARN) || fp.Status != FargateProfileCreating || fp.ClusterUID != c.UID || fp.ClusterName != "fg" ||
		fp.Account != f.account || fp.Region != testRegion || !fp.CreatedAt.Equal(f.now) || fp.PodExecutionRoleARN != role || fp.Tags["team"] != "a" {
		t.Errorf("created %+v", fp)
	}
	// No subnets given: the cluster's private ones (all of them, here).
	if !slices.Equal(fp.Subnets, f.subnets) {
		t.Errorf("subnets %v, want the cluster's %v", fp.Subnets, f.subnets)
	}
	// Wildcards are stored as given; a selector without labels has none.
	if len(fp.Selectors) != 2 || fp.Selectors[0].Namespace != "prod*" || fp.Selectors[0].Labels["app?*"] != "*web" || fp.Selectors[1].Labels != nil {
		t.Errorf("selectors %+v", fp.Selectors)
	}

	// A retry with the same token is the same profile; another token is a duplicate.
	again, err := f.s.CreateFargateProfile(ctx, in)
	if err != nil || again.ARN != fp.ARN {
		t.Errorf("idempotent retry: %v %+v", err, again)
	}
	in.ClientRequestToken = "tok-2"
	_, err = f.s.CreateFargateProfile(ctx, in)
	wantCode(t, "duplicate", err, CodeResourceInUse, "A Fargate Profile already exists with this name in this cluster.")
	wantFields(t, "duplicate", err, map[string]string{"clusterName": "fg"})

	// One profile operation at a time.
	_, err = f.s.CreateFargateProfile(ctx, f.profile("second", role))
	wantCode(t, "create while CREATING", err, CodeResourceInUse, "Cannot create Fargate Profile second because cluster fg currently has Fargate profile app in status CREATING")
	_, err = f.s.DeleteFargateProfile(ctx, testRegion, "fg", "app")
	wantCode(t, "delete while CREATING", err, CodeResourceInUse, "Cannot Delete Fargate Profile app because cluster fg currently has Fargate profile app in status CREATING")
	f.settle(t, "fg", "app")
	if _, err := f.s.CreateFargateProfile(ctx, f.profile("second", role)); err != nil {
		t.Fatal(err)
	}
	f.settle(t, "fg", "second")

	got, err := f.s.GetFargateProfile(ctx, testRegion, "fg", "app")
	if err != nil || got.Status != FargateProfileActive || got.ARN != fp.ARN {
		t.Fatalf("describe: %v %+v", err, got)
	}
	all, err := f.s.FargateProfiles(ctx, c.UID)
	if err != nil || len(all) != 2 || all[0].Name != "app" || all[1].Name != "second" {
		t.Errorf("FargateProfiles: %v %+v", err, all)
	}
	if every, err := f.s.FargateProfiles(ctx, ""); err != nil || len(every) != 2 {
		t.Errorf("FargateProfiles of every cluster: %v %d", err, len(every))
	}
	page, next, err := f.s.ListFargateProfiles(ctx, testRegion, "fg", 1, "")
	if err != nil || !slices.Equal(page, []string{"app"}) || next == "" {
		t.Fatalf("page 1: %v %v %q", err, page, next)
	}
	page, next, err = f.s.ListFargateProfiles(ctx, testRegion, "fg", 1, next)
	if err != nil || !slices.Equal(page, []string{"second"}) || next != "" {
		t.Errorf("page 2: %v %v %q", err, page, next)
	}
	_, _, err = f.s.ListFargateProfiles(ctx, testRegion, "nope", 0, "")
	wantCode(t, "list of a missing cluster", err, CodeResourceNotFound, "No cluster found for name: nope.")

	// Tags on the profile's ARN.
	if err := f.s.TagResource(ctx, testRegion, fp.ARN, map[string]string{"b": "2"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.UntagResource(ctx, testRegion, fp.ARN, []string{"team"}); err != nil {
		t.Fatal(err)
	}
	if tags, err := f.s.ListTags(ctx, testRegion, fp.ARN); err != nil || len(tags) != 1 || tags["b"] != "2" {
		t.Errorf("tags %v %v", tags, err)
	}
	stale := fp.ARN[:strings.LastIndex(fp.ARN, "/")+1] + "00000000-0000-0000-0000-000000000000"
	_, err = f.s.ListTags(ctx, testRegion, stale)
	wantCode(t, "another profile's ARN", err, CodeNotFound, "Resource not found")

	// Delete: DELETING, then no other operation until it is gone.
	del, err := f.s.DeleteFargateProfile(ctx, testRegion, "fg", "app")
	if err != nil || del.Status != FargateProfileDeleting {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if again, err := f.s.DeleteFargateProfile(ctx, testRegion, "fg", "app"); err != nil || again.Status != FargateProfileDeleting {
		t.Errorf("delete again: %v %+v", err, again)
	}
	_, err = f.s.DeleteFargateProfile(ctx, testRegion, "fg", "second")
	wantCode(t, "delete while DELETING", err, CodeResourceInUse, "Cannot Delete Fargate Profile second because cluster fg currently has Fargate profile app in status DELETING")
	_, err = f.s.CreateFargateProfile(ctx, f.profile("third", role))
	wantCode(t, "create while DELETING", err, CodeResourceInUse, "Cannot create Fargate Profile third because cluster fg currently has Fargate profile app in status DELETING")
	f.settle(t, "fg", "app")
	_, err = f.s.GetFargateProfile(ctx, testRegion, "fg", "app")
	wantCode(t, "describe after delete", err, CodeResourceNotFound, "No Fargate Profile found with name: app.")
	wantFields(t, "describe after delete", err, map[string]string{"clusterName": "fg", "fargateProfileName": "app"})
	_, err = f.s.DeleteFargateProfile(ctx, testRegion, "fg", "app")
	wantCode(t, "delete after delete", err, CodeResourceNotFound, "No Fargate Profile found with name: app.")
	_, err = f.s.SetFargateProfile(ctx, fp, func(p *FargateProfile) error { p.Status = FargateProfileActive; return nil })
	wantCode(t, "set a forgotten profile", err, CodeResourceNotFound, "No Fargate Profile found with name: app.")
	if err := f.s.ForgetFargateProfile(ctx, fp); err != nil {
		t.Errorf("forget twice: %v", err)
	}

	// The name may be used again: another profile, another ARN, which
	// the old profile's record cannot change or remove.
	if _, err := f.s.CreateFargateProfile(ctx, f.profile("app", role)); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.SetFargateProfile(ctx, fp, func(p *FargateProfile) error { p.Status = FargateProfileActive; return nil })
	wantCode(t, "set through an old record", err, CodeResourceNotFound, "No Fargate Profile found")
	if err := f.s.ForgetFargateProfile(ctx, fp); err != nil {
		t.Fatal(err)
	}
	if cur, err := f.s.GetFargateProfile(ctx, testRegion, "fg", "app"); err != nil || cur.ARN == fp.ARN || cur.Status != FargateProfileCreating {
		t.Errorf("new profile %v %+v", err, cur)
	}
}

func TestFargateProfileDeleteWaitsForClusterUpdates(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "fg", AuthModeConfigMap, true, f.alice)
	role := f.fargateRole(t, "fargate-pods", "")
	if _, err := f.s.CreateFargateProfile(ctx, f.profile("app", role)); err != nil {
		t.Fatal(err)
	}
	f.settle(t, "fg", "app")
	on := true
	u, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "fg", Region: testRegion, Logging: []LogSetup{{Types: []string{"api"}, Enabled: &on}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.s.DeleteFargateProfile(ctx, testRegion, "fg", "app")
	wantCode(t, "delete during an update", err, CodeResourceInUse, "Cannot Delete Fargate Profile app because cluster fg currently has an update in progress")
	// The cluster is UPDATING: no create either.
	_, err = f.s.CreateFargateProfile(ctx, f.profile("other", role))
	wantCode(t, "create during an update", err, CodeInvalidRequest, "Cluster 'fg' is not in ACTIVE status")
	if err := f.s.FinishUpdate(ctx, *u, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.DeleteFargateProfile(ctx, testRegion, "fg", "app"); err != nil {
		t.Errorf("delete after the update: %v", err)
	}
}

func TestCreateFargateProfileRules(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "fg", AuthModeConfigMap, true, f.alice)
	role := f.fargateRole(t, "fargate-pods", "")
	pathed := f.fargateRole(t, "fargate-pathed", "/team/")
	untrusted := f.node // trusts eks.amazonaws.com only
	otherVPC, err := f.s.EC2.CreateVPC(ctx, testRegion, f.account, "10.1.0.0/16", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := f.s.EC2.CreateSubnet(ctx, ec2.Subnet{VPCID: otherVPC.ID, CIDR: "10.1.1.0/24", AvailabilityZone: testRegion + "a"})
	if err != nil {
		t.Fatal(err)
	}
	public := f.subnets[1]
	was := subnetIsPublic
	subnetIsPublic = func(_ context.Context, _ *ec2.Service, id string) (bool, error) { return id == public, nil }
	t.Cleanup(func() { subnetIsPublic = was })

	six := map[string]string{}
	fiftyOne := map[string]string{}
	for i := range 51 {
		if i < 6 {
			six[fmt.Sprintf("k%d", i)] = "v"
		}
		fiftyOne[fmt.Sprintf("k%d", i)] = "v"
	}
	sel := FargateSelector{Namespace: "default"}
	for _, tc := range []struct {
		name      string
		mod       func(*CreateFargateProfileInput)
		code, msg string
	}{
		{"bad name", func(in *CreateFargateProfileInput) { in.Name = "-app" }, CodeInvalidParameter, "Value '-app' at 'fargateProfileName' failed to satisfy constraint"},
		{"long name", func(in *CreateFargateProfileInput) { in.Name = strings.Repeat("a", 101) }, CodeInvalidParameter, "have length between 1 and 100"},
		{"no cluster", func(in *CreateFargateProfileInput) { in.ClusterName = "nope" }, CodeResourceNotFound, "No cluster found for name: nope."},
		{"no selector", func(in *CreateFargateProfileInput) { in.Selectors = nil }, CodeInvalidParameter, "Fargate Profile requires at least one selector."},
		{"six selectors", func(in *CreateFargateProfileInput) { in.Selectors = slices.Repeat([]FargateSelector{sel}, 6) }, CodeInvalidParameter, "at most 5 selectors"},
		{"no namespace", func(in *CreateFargateProfileInput) {
			in.Selectors = []FargateSelector{sel, {Labels: map[string]string{"a": "b"}}}
		},
			CodeInvalidParameter, "Fargate Profile must have at least one selector with at least one namespace value."},
		{"six labels", func(in *CreateFargateProfileInput) { in.Selectors = []FargateSelector{{Namespace: "a", Labels: six}} },
			CodeInvalidParameter, "Request contains Selector with more than 5 Label pairs"},
		{"bad namespace", func(in *CreateFargateProfileInput) { in.Selectors = []FargateSelector{{Namespace: "Prod"}} }, CodeInvalidParameter, "not a valid Kubernetes namespace name"},
		{"empty label value", func(in *CreateFargateProfileInput) {
			in.Selectors = []FargateSelector{{Namespace: "a", Labels: map[string]string{"k": ""}}}
		},
			CodeInvalidParameter, "selector label k= is not valid"},
		{"no role", func(in *CreateFargateProfileInput) { in.PodExecutionRoleARN = "" }, CodeInvalidParameter, "podExecutionRoleArn is required"},
		{"not a role ARN", func(in *CreateFargateProfileInput) {
			in.PodExecutionRoleARN = "arn:aws:iam::" + f.account + ":user/alice"
		}, CodeInvalidParameter, "Invalid ARN: arn:aws:iam::"},
		{"role with a path", func(in *CreateFargateProfileInput) { in.PodExecutionRoleARN = pathed }, CodeInvalidParameter, "may have no path other than /"},
		{"missing role", func(in *CreateFargateProfileInput) {
			in.PodExecutionRoleARN = "arn:aws:iam::" + f.account + ":role/nobody"
		},
			CodeInvalidParameter, "Misconfigured PodExecutionRole Trust Policy; Please add the eks-fargate-pods.amazonaws.com Service Principal"},
		{"untrusting role", func(in *CreateFargateProfileInput) { in.PodExecutionRoleARN = untrusted },
			CodeInvalidParameter, "Misconfigured PodExecutionRole Trust Policy; Please add the eks-fargate-pods.amazonaws.com Service Principal"},
		{"missing subnet", func(in *CreateFargateProfileInput) { in.Subnets = []string{"subnet-0000000000000000f"} }, CodeInvalidParameter, "The subnet ID 'subnet-0000000000000000f' does not exist"},
		{"subnet of another VPC", func(in *CreateFargateProfileInput) { in.Subnets = []string{foreign.ID} }, CodeInvalidParameter, "is not in the cluster's VPC"},
		{"public subnet", func(in *CreateFargateProfileInput) { in.Subnets = []string{f.subnets[0], public} },
			CodeInvalidParameter, "Subnet " + public + " provided in Fargate Profile is not a private subnet"},
		{"too many tags", func(in *CreateFargateProfileInput) { in.Tags = fiftyOne }, CodeInvalidParameter, "Tags can have a maximum of 50 entries"},
		{"aws: tag", func(in *CreateFargateProfileInput) { in.Tags = map[string]string{"aws:x": "y"} }, CodeInvalidParameter, "reserved for AWS use"},
	} {
		in := f.profile("app", role)
		tc.mod(&in)
		_, err := f.s.CreateFargateProfile(ctx, in)
		wantCode(t, tc.name, err, tc.code, tc.msg)
		if tc.code == CodeInvalidParameter && tc.name != "too many tags" && tc.name != "aws: tag" {
			wantFields(t, tc.name, err, map[string]string{"clusterName": "fg", "fargateProfileName": in.Name})
		}
	}
	if all, err := f.s.FargateProfiles(ctx, mustCluster(t, f, "fg").UID); err != nil || len(all) != 0 {
		t.Fatalf("refused creates left %v %v", all, err)
	}

	// Without subnets, the cluster's private ones: not the public one.
	fp, err := f.s.CreateFargateProfile(ctx, f.profile("app", role))
	if err != nil || !slices.Equal(fp.Subnets, f.subnets[:1]) {
		t.Fatalf("default subnets: %v %+v", err, fp)
	}
	f.settle(t, "fg", "app")
	// A cluster with only public subnets has none to offer.
	subnetIsPublic = func(context.Context, *ec2.Service, string) (bool, error) { return true, nil }
	_, err = f.s.CreateFargateProfile(ctx, f.profile("app2", role))
	wantCode(t, "no private subnet", err, CodeInvalidParameter, "has no private subnets for the Fargate Profile")
	subnetIsPublic = func(context.Context, *ec2.Service, string) (bool, error) { return false, nil }

	// The cluster must be ACTIVE.
	if _, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: "young", RoleARN: f.clusterRole, SubnetIDs: f.subnets, Region: testRegion, Account: f.account, CallerARN: f.alice}); err != nil {
		t.Fatal(err)
	}
	young := f.profile("app", role)
	young.ClusterName = "young"
	_, err = f.s.CreateFargateProfile(ctx, young)
	wantCode(t, "cluster CREATING", err, CodeInvalidRequest, "Cluster 'young' is not in ACTIVE status")
	wantFields(t, "cluster CREATING", err, map[string]string{"clusterName": "young"})

	// At most 10 profiles a cluster.
	for i := 2; i <= 10; i++ {
		name := fmt.Sprintf("app%d", i)
		if _, err := f.s.CreateFargateProfile(ctx, f.profile(name, role)); err != nil {
			t.Fatal(err)
		}
		f.settle(t, "fg", name)
	}
	_, err = f.s.CreateFargateProfile(ctx, f.profile("app11", role))
	wantCode(t, "eleventh profile", err, CodeResourceLimit, "maximum of 10 Fargate profiles")
}

func TestFargateProfileAccessEntries(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	role := f.fargateRole(t, "fargate-pods", "")
	role2 := f.fargateRole(t, "fargate-pods2", "")

	// API mode: the role gets a FARGATE_LINUX entry with the profile.
	c := f.cluster(t, "fg", AuthModeAPI, false, f.alice)
	if _, err := f.s.CreateFargateProfile(ctx, f.profile("app", role)); err != nil {
		t.Fatal(err)
	}
	e, ok := f.entries(t, c)[role]
	if !ok || e.Type != AccessEntryFargateLinux || e.Username != "system:node:{{SessionName}}" || len(e.KubernetesGroups) != 0 {
		t.Fatalf("pod execution role entry %+v", e)
	}
	// An entry there already stays as it is.
	f.settle(t, "fg", "app")
	if _, err := f.s.CreateFargateProfile(ctx, f.profile("app2", role)); err != nil {
		t.Fatal(err)
	}
	if again := f.entries(t, c)[role]; again.ARN != e.ARN {
		t.Errorf("entry replaced: %s, was %s", again.ARN, e.ARN)
	}

	// CONFIG_MAP mode: none, until the cluster gets the access entry API.
	cm := f.cluster(t, "cm", AuthModeConfigMap, true, f.alice)
	in := f.profile("app", role2)
	in.ClusterName = "cm"
	if _, err := f.s.CreateFargateProfile(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := f.entries(t, cm); len(got) != 0 {
		t.Fatalf("a profile in CONFIG_MAP mode made entries: %+v", got)
	}
	if _, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "cm", Region: testRegion, AuthenticationMode: AuthModeAPIAndConfigMap}); err != nil {
		t.Fatal(err)
	}
	if e := f.entries(t, cm)[role2]; e.Type != AccessEntryFargateLinux {
		t.Errorf("entries after the move: %+v", f.entries(t, cm))
	}
}

func TestClusterDeletionWaitsForFargateProfiles(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "fg", AuthModeAPI, false, f.alice)
	role := f.fargateRole(t, "fargate-pods", "")
	if _, err := f.s.CreateFargateProfile(ctx, f.profile("app", role)); err != nil {
		t.Fatal(err)
	}
	_, err := f.s.DeleteCluster(ctx, testRegion, "fg")
	wantCode(t, "delete with a CREATING profile", err, CodeResourceInUse, "Cluster has Fargate Profiles in ACTIVE/CREATING state")
	wantFields(t, "delete with a CREATING profile", err, map[string]string{"clusterName": "fg"})
	f.settle(t, "fg", "app")
	if _, err := f.s.DeleteFargateProfile(ctx, testRegion, "fg", "app"); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.DeleteCluster(ctx, testRegion, "fg")
	wantCode(t, "delete with a DELETING profile", err, CodeResourceInUse, "Cluster has Fargate Profiles in DELETING state")
	f.settle(t, "fg", "app")
	if cur, err := f.s.DeleteCluster(ctx, testRegion, "fg"); err != nil || cur.Status.Phase != StatusDeleting || !cur.DeletionRequested {
		t.Fatalf("delete without profiles: %v %+v", err, cur)
	}
	// A cluster being deleted takes no profile.
	_, err = f.s.CreateFargateProfile(ctx, f.profile("late", role))
	wantCode(t, "create while deleting", err, CodeInvalidRequest, "Cluster 'fg' is not in ACTIVE status")
	if again, err := f.s.DeleteCluster(ctx, testRegion, "fg"); err != nil || again.Generation != mustCluster(t, f, "fg").Generation {
		t.Errorf("delete again: %v %+v", err, again)
	}

	// A cluster's records go with it, its profiles' and Fargate lock included.
	d := f.cluster(t, "gone", AuthModeAPI, false, f.alice)
	in := f.profile("app", role)
	in.ClusterName = "gone"
	if _, err := f.s.CreateFargateProfile(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Forget(ctx, d); err != nil {
		t.Fatal(err)
	}
	if all, err := f.s.FargateProfiles(ctx, d.UID); err != nil || len(all) != 0 {
		t.Errorf("profiles outlived their cluster: %v %+v", err, all)
	}
	var lock fargateLock
	if _, err := f.s.Store.Get(ctx, fargateLockKey(d.UID), &lock); err == nil {
		t.Errorf("the Fargate lock outlived its cluster")
	}
}

// TestFargateProfileOperationsOneAtATime races creates and deletes of
// one cluster's profiles: exactly one of each wins.
func TestFargateProfileOperationsOneAtATime(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.cluster(t, "fg", AuthModeAPI, false, f.alice)
	role := f.fargateRole(t, "fargate-pods", "")
	race := func(n int, op func(i int) error) (won int, codes []string) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := op(i)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won++
				} else {
					codes = append(codes, codeOf(err))
				}
			}()
		}
		close(start)
		wg.Wait()
		return won, codes
	}
	won, codes := race(6, func(i int) error {
		_, err := f.s.CreateFargateProfile(ctx, f.profile(fmt.Sprintf("p%d", i), role))
		return err
	})
	if won != 1 || slices.ContainsFunc(codes, func(c string) bool { return c != CodeResourceInUse }) {
		t.Fatalf("racing creates: %d won, refusals %v", won, codes)
	}
	all, err := f.s.FargateProfiles(ctx, mustCluster(t, f, "fg").UID)
	if err != nil || len(all) != 1 {
		t.Fatalf("profiles after racing creates: %v %+v", err, all)
	}
	f.settle(t, "fg", all[0].Name)
	for _, name := range []string{"q1", "q2", "q3"} {
		if _, err := f.s.CreateFargateProfile(ctx, f.profile(name, role)); err != nil {
			t.Fatal(err)
		}
		f.settle(t, "fg", name)
	}
	names := []string{all[0].Name, "q1", "q2", "q3"}
	won, codes = race(len(names), func(i int) error {
		_, err := f.s.DeleteFargateProfile(ctx, testRegion, "fg", names[i])
		return err
	})
	if won != 1 || len(codes) != 3 || slices.ContainsFunc(codes, func(c string) bool { return c != CodeResourceInUse }) {
		t.Fatalf("racing deletes: %d won, refusals %v", won, codes)
	}

	// A cluster deletion racing a profile's create: the profile lands
	// and the cluster stays, or the cluster goes without it.
	for i := range 4 {
		name := fmt.Sprintf("race%d", i)
		f.cluster(t, name, AuthModeAPI, false, f.alice)
		in := f.profile("app", role)
		in.ClusterName = name
		var createErr, deleteErr error
		race(2, func(j int) error {
			if j == 0 {
				_, createErr = f.s.CreateFargateProfile(ctx, in)
			} else {
				_, deleteErr = f.s.DeleteCluster(ctx, testRegion, name)
			}
			return nil
		})
		if (createErr == nil) == (deleteErr == nil) {
			t.Errorf("%s: create %v, delete %v: exactly one must win", name, createErr, deleteErr)
		}
	}
}
