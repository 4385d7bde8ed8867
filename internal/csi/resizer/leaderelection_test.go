package resizer

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestLeadsUnderUpstreamsLease(t *testing.T) {
	client := fake.NewClientset()
	opts, err := parseOptions([]string{"--leader-election-lease-duration=2s", "--leader-election-renew-deadline=1s", "--leader-election-retry-period=100ms"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	led := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runAsLeader(ctx, leaderElectionConfig{
			client:    client,
			lease:     leaseName("ebs.csi.aws.com"),
			namespace: "kube-system",
			opts:      opts,
			log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		}, func(ctx context.Context) error {
			close(led)
			<-ctx.Done()
			return nil
		})
	}()
	select {
	case <-led:
	case <-time.After(10 * time.Second):
		t.Fatal("never became leader")
	}
	if _, err := client.CoordinationV1().Leases("kube-system").Get(ctx, "external-resizer-ebs-csi-aws-com", metav1.GetOptions{}); err != nil {
		t.Errorf("Lease: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runAsLeader after the context ended = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runAsLeader did not return")
	}
}
