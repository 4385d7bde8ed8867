package versionlifecycle

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

// fakeClusters upgrades as the EKS model does, in memory: the version
// moves and the cluster is UPDATING until the test settles it.
type fakeClusters struct {
	now      time.Time
	clusters []eks.Cluster
	upgrades []string
}

func (f *fakeClusters) ListAllClusters(context.Context) ([]eks.Cluster, error) {
	return append([]eks.Cluster(nil), f.clusters...), nil
}

func (f *fakeClusters) SupportTime() time.Time { return f.now }

func (f *fakeClusters) AutoUpgrade(ctx context.Context, _, name string, before func(context.Context, *eks.Cluster, kubeversions.Version)) (*eks.Update, string, error) {
	for i := range f.clusters {
		c := &f.clusters[i]
		if c.Name != name {
			continue
		}
		to, why, due := eks.AutoUpgradeDue(c, f.now)
		if !due || c.Status.Phase != eks.StatusActive {
			return nil, "", nil
		}
		if before != nil {
			before(ctx, c, to)
		}
		c.Spec.Version, c.Status.Phase = to.Minor, eks.StatusUpdating
		f.upgrades = append(f.upgrades, name+"->"+to.Minor)
		return &eks.Update{ID: "u", Type: "VersionUpdate"}, why, nil
	}
	return nil, "", nil
}

type fakeInsights struct{ asked []string }

func (f *fakeInsights) BeforeUpgrade(_ context.Context, c *eks.Cluster, to string) ([]string, error) {
	f.asked = append(f.asked, c.Name+"->"+to)
	return []string{"Deprecated APIs removed in Kubernetes v" + to}, nil
}

func cluster(name, version, support, phase string) eks.Cluster {
	return eks.Cluster{Name: name, Region: "us-east-1", Spec: eks.ClusterSpec{Version: version, SupportType: support},
		Status: eks.Status{Phase: phase}}
}

func TestPassUpgradesWhatIsDueOnce(t *testing.T) {
	v134, _ := kubeversions.Lookup("1.34")
	f := &fakeClusters{now: v134.EndOfStandard.Add(time.Minute), clusters: []eks.Cluster{
		cluster("std", "1.34", "STANDARD", eks.StatusActive),
		cluster("ext", "1.34", "EXTENDED", eks.StatusActive),
		cluster("creating", "1.34", "STANDARD", eks.StatusCreating),
		cluster("new", "1.35", "STANDARD", eks.StatusActive),
	}}
	ins := &fakeInsights{}
	r := New(f, ins, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if n := r.Pass(ctx); n != 1 {
		t.Fatalf("first pass started %d upgrades, want 1 (std)", n)
	}
	if n := r.Pass(ctx); n != 0 {
		t.Fatalf("second pass started %d, want none: std is UPDATING on 1.35", n)
	}
	f.clusters[0].Status.Phase = eks.StatusActive
	if n := r.Pass(ctx); n != 0 {
		t.Fatalf("pass after the upgrade started %d, want none", n)
	}
	if len(f.upgrades) != 1 || f.upgrades[0] != "std->1.35" || len(ins.asked) != 1 || ins.asked[0] != "std->1.35" {
		t.Errorf("upgrades %v, insights asked %v", f.upgrades, ins.asked)
	}

	// At 1.34's end of extended support every 1.34 cluster goes, EXTENDED
	// too, and the STANDARD ones on 1.35 (past its standard support by
	// then) move on; the one still CREATING waits.
	f.now = v134.EndOfExtended
	r.Pass(ctx)
	want := []string{"std->1.35", "std->1.36", "ext->1.35", "new->1.36"}
	if !slices.Equal(f.upgrades, want) {
		t.Errorf("upgrades %v, want %v", f.upgrades, want)
	}
}

func TestRunStopsWithItsContext(t *testing.T) {
	f := &fakeClusters{now: time.Now()}
	r := New(f, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	r.Wake()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
