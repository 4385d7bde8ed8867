package eks

import (
	"context"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/kubeversions"
)

// lifecycleCluster creates an ACTIVE cluster on version with the given
// upgrade policy.
func (f *entryFixture) lifecycleCluster(t *testing.T, name, version, support string) *Cluster {
	t.Helper()
	ctx := context.Background()
	if _, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: name, Version: version, SupportType: support, RoleARN: f.clusterRole,
		SubnetIDs: f.subnets, Region: testRegion, Account: f.account, CallerARN: f.alice}); err != nil {
		t.Fatal(err)
	}
	c, err := f.s.SetStatus(ctx, testRegion, name, func(c *Cluster) error { c.Status.Phase = StatusActive; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *entryFixture) versionUpdates(t *testing.T, c *Cluster) []Update {
	t.Helper()
	ups, err := f.s.listUpdates(context.Background(), c.UID)
	if err != nil {
		t.Fatal(err)
	}
	var out []Update
	for _, u := range ups {
		if u.Type == "VersionUpdate" {
			out = append(out, u)
		}
	}
	return out
}

// settle does what the control-plane reconciler does once an update has
// rolled out: the update succeeds and the cluster is ACTIVE again.
func (f *entryFixture) settleUpgrade(t *testing.T, c *Cluster) {
	t.Helper()
	ctx := context.Background()
	pending, err := f.s.PendingUpdates(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range pending {
		if err := f.s.FinishUpdate(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.SetStatus(ctx, testRegion, c.Name, func(c *Cluster) error { c.Status.Phase = StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestAutoUpgradeAtEndOfStandardSupportOnce(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	v134, _ := kubeversions.Lookup("1.34")
	c := f.lifecycleCluster(t, "std", "1.34", "STANDARD")
	ext := f.lifecycleCluster(t, "ext", "1.34", "EXTENDED")

	f.now = v134.EndOfStandard.Add(-time.Second)
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "std", nil); err != nil || u != nil {
		t.Fatalf("a second before the end of standard support: %v %v, want nothing", u, err)
	}

	f.now = v134.EndOfStandard
	var before []string
	u, why, err := f.s.AutoUpgrade(ctx, testRegion, "std", func(_ context.Context, c *Cluster, to kubeversions.Version) {
		before = append(before, c.Spec.Version+"->"+to.Minor)
	})
	if len(before) != 1 || before[0] != "1.34->1.35" {
		t.Errorf("before was called with %v, want once for 1.34->1.35", before)
	}
	if err != nil || u == nil {
		t.Fatalf("at the end of standard support: %v %v, want an upgrade", u, err)
	}
	if why != DueEndOfStandard || u.Type != "VersionUpdate" || u.Status != UpdateInProgress ||
		len(u.Params) != 2 || u.Params[0] != (UpdateParam{Type: "Version", Value: "1.35"}) || u.Params[1].Type != "PlatformVersion" {
		t.Errorf("update = %+v (%s)", u, why)
	}
	got, _ := f.s.GetCluster(ctx, testRegion, "std")
	if got.Spec.Version != "1.35" || got.Status.Phase != StatusUpdating {
		t.Errorf("cluster after the upgrade started: version %s, %s", got.Spec.Version, got.Status.Phase)
	}
	// Every pass while the update runs, and after it (1.35 is in standard
	// support), leaves the cluster alone: exactly one upgrade.
	for i := 0; i < 3; i++ {
		if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "std", nil); err != nil || u != nil {
			t.Fatalf("pass %d while updating: %v %v", i, u, err)
		}
	}
	f.settleUpgrade(t, c)
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "std", nil); err != nil || u != nil {
		t.Fatalf("after the upgrade: %v %v", u, err)
	}
	if n := len(f.versionUpdates(t, c)); n != 1 {
		t.Errorf("%d version updates, want 1", n)
	}

	// EXTENDED waits for the end of extended support.
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "ext", nil); err != nil || u != nil {
		t.Fatalf("EXTENDED in extended support: %v %v, want nothing", u, err)
	}
	f.now = v134.EndOfExtended
	if u, why, err := f.s.AutoUpgrade(ctx, testRegion, "ext", nil); err != nil || u == nil || why != DueEndOfExtended {
		t.Fatalf("EXTENDED at the end of extended support: %v %q %v, want an upgrade", u, why, err)
	}
	if n := len(f.versionUpdates(t, ext)); n != 1 {
		t.Errorf("%d version updates of the EXTENDED cluster, want 1", n)
	}
}

func TestAutoUpgradeWaitsForActiveAndIdle(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.lifecycleCluster(t, "busy", "1.34", "STANDARD")
	on := true
	if _, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "busy", Region: testRegion,
		Logging: []LogSetup{{Types: []string{"api"}, Enabled: &on}}}); err != nil {
		t.Fatal(err)
	}
	v134, _ := kubeversions.Lookup("1.34")
	f.now = v134.EndOfExtended.Add(time.Hour)
	// The logging update made it UPDATING; even ACTIVE with the update
	// still in progress is not enough.
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "busy", nil); err != nil || u != nil {
		t.Fatalf("while UPDATING: %v %v", u, err)
	}
	if _, err := f.s.SetStatus(ctx, testRegion, "busy", func(c *Cluster) error { c.Status.Phase = StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "busy", nil); err != nil || u != nil {
		t.Fatalf("with an update in progress: %v %v", u, err)
	}
	for _, phase := range []string{StatusCreating, StatusDeleting, StatusFailed} {
		if _, err := f.s.SetStatus(ctx, testRegion, "busy", func(c *Cluster) error { c.Status.Phase = phase; return nil }); err != nil {
			t.Fatal(err)
		}
		if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "busy", nil); err != nil || u != nil {
			t.Fatalf("while %s: %v %v", phase, u, err)
		}
	}
	f.settleUpgrade(t, c)
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "busy", nil); err != nil || u == nil {
		t.Fatalf("ACTIVE and idle: %v %v, want the upgrade", u, err)
	}
}

// A restarted keks (a new Service over the same store) sees the upgrade it
// started before: the cluster's version moved in the same transaction.
func TestAutoUpgradeRestartSafe(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	c := f.lifecycleCluster(t, "r", "1.34", "STANDARD")
	v134, _ := kubeversions.Lookup("1.34")
	f.now = v134.EndOfStandard.Add(time.Minute)
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "r", nil); err != nil || u == nil {
		t.Fatalf("first upgrade: %v %v", u, err)
	}
	restarted := &Service{Store: f.s.Store, IAM: f.s.IAM, EC2: f.s.EC2, Now: f.s.Now}
	if _, err := restarted.SetStatus(ctx, testRegion, "r", func(c *Cluster) error { c.Status.Phase = StatusActive; return nil }); err != nil {
		t.Fatal(err)
	}
	if u, _, err := restarted.AutoUpgrade(ctx, testRegion, "r", nil); err != nil || u != nil {
		t.Fatalf("after a restart, update still in progress: %v %v", u, err)
	}
	f.settleUpgrade(t, c)
	if u, _, err := restarted.AutoUpgrade(ctx, testRegion, "r", nil); err != nil || u != nil {
		t.Fatalf("after a restart, 1.35 in standard support: %v %v", u, err)
	}
	if n := len(f.versionUpdates(t, c)); n != 1 {
		t.Errorf("%d version updates, want 1", n)
	}
}

// A cluster on keks's newest version stays there, however far past its
// support the clock is; one past every date climbs one minor at a time.
func TestAutoUpgradeNeverPastNewest(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	all := kubeversions.All()
	newest := all[len(all)-1]
	f.now = all[0].Release
	c := f.lifecycleCluster(t, "old", all[0].Minor, "STANDARD")
	f.now = newest.EndOfExtended.Add(24 * time.Hour)
	for i := 1; i < len(all); i++ {
		u, _, err := f.s.AutoUpgrade(ctx, testRegion, "old", nil)
		if err != nil || u == nil || u.Params[0].Value != all[i].Minor {
			t.Fatalf("step %d: %+v %v, want an upgrade to %s", i, u, err, all[i].Minor)
		}
		f.settleUpgrade(t, c)
	}
	if u, _, err := f.s.AutoUpgrade(ctx, testRegion, "old", nil); err != nil || u != nil {
		t.Fatalf("on the newest version: %v %v, want nothing", u, err)
	}
}

func TestStandardPolicyRefusedPastStandardSupport(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	v134, _ := kubeversions.Lookup("1.34")
	f.lifecycleCluster(t, "e", "1.34", "EXTENDED")
	f.now = v134.EndOfStandard.Add(time.Hour)
	_, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "e", Region: testRegion, SupportType: "STANDARD"})
	wantCode(t, "STANDARD in extended support", err, CodeInvalidParameter, "past the end of standard support")
	_, err = f.s.CreateCluster(ctx, CreateClusterInput{Name: "n", Version: "1.34", SupportType: "STANDARD", RoleARN: f.clusterRole,
		SubnetIDs: f.subnets, Region: testRegion, Account: f.account, CallerARN: f.alice})
	wantCode(t, "create STANDARD in extended support", err, CodeInvalidParameter, "past the end of standard support")
	if _, err := f.s.CreateCluster(ctx, CreateClusterInput{Name: "n", Version: "1.34", SupportType: "EXTENDED", RoleARN: f.clusterRole,
		SubnetIDs: f.subnets, Region: testRegion, Account: f.account, CallerARN: f.alice}); err != nil {
		t.Errorf("create EXTENDED in extended support: %v", err)
	}
}
