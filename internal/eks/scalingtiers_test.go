package eks

import (
	"context"
	"testing"
)

func TestScalingTierAtCreateAndUpdate(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	create := func(name, tier string) (*Cluster, error) {
		return f.s.CreateCluster(ctx, CreateClusterInput{Name: name, RoleARN: f.clusterRole, SubnetIDs: f.subnets, ScalingTier: tier,
			Region: testRegion, Account: f.account, CallerARN: f.alice})
	}
	_, err := create("bad", "tier-3xl")
	wantCode(t, "unknown tier", err, CodeInvalidParameter,
		"Value 'tier-3xl' at 'controlPlaneScalingConfig.tier' failed to satisfy constraint: Member must satisfy enum value set: [standard, tier-xl, tier-2xl, tier-4xl, tier-8xl]")

	std, err := create("std", "standard")
	if err != nil {
		t.Fatal(err)
	}
	if std.Spec.ScalingTier != "" || std.Spec.Tier().Name != TierStandard {
		t.Errorf("standard is stored as no tier, so older clusters and new ones agree: %q", std.Spec.ScalingTier)
	}
	xl, err := create("xl", "tier-xl")
	if err != nil {
		t.Fatal(err)
	}
	if tier := xl.Spec.Tier(); tier.Name != "tier-xl" || tier.APIRequestConcurrency != 1700 || tier.DatabaseGiB != 16 {
		t.Errorf("tier-xl = %+v", tier)
	}

	f.cluster(t, "up", AuthModeConfigMap, true, f.alice)
	u, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "up", Region: testRegion, ScalingTier: "tier-2xl"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Type != UpdateControlPlaneScaling || len(u.Params) != 2 || u.Params[0] != (UpdateParam{Type: "UpdatedTier", Value: "tier-2xl"}) ||
		u.Params[1] != (UpdateParam{Type: "PreviousTier", Value: "standard"}) {
		t.Errorf("update = %+v", u)
	}
	if err := f.s.FinishUpdate(ctx, *u, nil); err != nil {
		t.Fatal(err)
	}
	c, _ := f.s.GetCluster(ctx, testRegion, "up")
	if c.Spec.Tier().Name != "tier-2xl" {
		t.Errorf("tier after the update = %s", c.Spec.Tier().Name)
	}
	_, err = f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "up", Region: testRegion, ScalingTier: "tier-2xl"})
	wantCode(t, "same tier", err, CodeInvalidParameter, "Cluster is already at the desired configuration with controlPlaneScalingConfig tier: tier-2xl")
	on := true
	_, err = f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "up", Region: testRegion, ScalingTier: "standard", Logging: []LogSetup{{Types: []string{"api"}, Enabled: &on}}})
	wantCode(t, "two kinds at once", err, CodeInvalidParameter, "Only one type of update can be allowed.")
	back, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "up", Region: testRegion, ScalingTier: "standard"})
	if err != nil {
		t.Fatal(err)
	}
	if back.Params[0].Value != "standard" || back.Params[1].Value != "tier-2xl" {
		t.Errorf("back to standard: %+v", back.Params)
	}
}

func TestScalingTierDownNeedsTheDatabaseToFit(t *testing.T) {
	f := newEntryFixture(t)
	ctx := context.Background()
	f.s.DatabaseSize = func(context.Context, string) (int64, error) { return 3 << 30, nil }
	f.cluster(t, "big", AuthModeConfigMap, true, f.alice)
	u, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "big", Region: testRegion, ScalingTier: "tier-xl"})
	if err != nil {
		t.Fatalf("up to a larger quota is never refused: %v", err)
	}
	if err := f.s.FinishUpdate(ctx, *u, nil); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "big", Region: testRegion, ScalingTier: "standard"})
	wantCode(t, "down with 3 GiB in use", err, CodeInvalidRequest, "the cluster database uses 3.0 GiB, more than the 2 GiB that standard supports")
	// Between tiers of the same quota the database is not read.
	f.s.DatabaseSize = func(context.Context, string) (int64, error) { t.Error("database read"); return 0, nil }
	if _, err := f.s.UpdateClusterConfig(ctx, UpdateClusterConfigInput{Name: "big", Region: testRegion, ScalingTier: "tier-2xl"}); err != nil {
		t.Errorf("to a tier of the same quota: %v", err)
	}
}
