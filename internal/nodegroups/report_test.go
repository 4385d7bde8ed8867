package nodegroups

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store/storetest"
)

// TestHealthAndStatus drives report over a real (embedded) store: launch
// failures and nodes that never join make an ACTIVE group DEGRADED with
// EKS's issue codes, and a converged group is ACTIVE again.
func TestHealthAndStatus(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := storetest.Open(t)
	svc := &eks.Service{Store: st, Now: time.Now}
	c := &Controller{eks: svc, log: log, launchError: map[string]string{}}
	ng := &eks.Nodegroup{Name: "workers", ClusterName: "dev", ClusterUID: "uid", ARN: "arn:ng", ASGName: "eks-workers-1",
		Status: eks.NodegroupActive, Scaling: eks.Scaling{Min: 1, Max: 3, Desired: 2}, Generation: 1, CreatedAt: time.Now()}
	if err := st.Create(ctx, eks.NodegroupPrefix+"uid/workers", ng); err != nil {
		t.Fatal(err)
	}
	ready := func(id string) *member {
		return &member{Instance: ec2.Instance{ID: id, State: ec2.StateRunning, LaunchTime: time.Now()}, ready: true, node: &corev1.Node{}}
	}
	step := func(what string, current []*member, wantStatus string, wantCodes ...string) {
		t.Helper()
		cur, err := svc.GetNodegroupByUID(ctx, "uid", "workers")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.report(ctx, cur, current, current, nil, nil); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got, _ := svc.GetNodegroupByUID(ctx, "uid", "workers")
		var codes []string
		for _, is := range got.Issues {
			codes = append(codes, is.Code)
		}
		if got.Status != wantStatus || len(codes) != len(wantCodes) || (len(codes) > 0 && codes[0] != wantCodes[0]) {
			t.Errorf("%s: status %s, issues %v; want %s %v", what, got.Status, codes, wantStatus, wantCodes)
		}
	}
	step("converged", []*member{ready("i-1"), ready("i-2")}, eks.NodegroupActive)
	c.launchError["arn:ng"] = "InsufficientFreeAddressesInSubnet"
	step("a launch failed", []*member{ready("i-1")}, eks.NodegroupDegraded, "AsgInstanceLaunchFailures")
	delete(c.launchError, "arn:ng")
	stuck := &member{Instance: ec2.Instance{ID: "i-3", State: ec2.StateRunning, LaunchTime: time.Now().Add(-10 * time.Minute)}}
	step("a node never joined", []*member{ready("i-1"), stuck}, eks.NodegroupDegraded, "NodeCreationFailure")
	step("healthy again", []*member{ready("i-1"), ready("i-4")}, eks.NodegroupActive)
}
