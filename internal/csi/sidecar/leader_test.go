package sidecar

import (
	"context"
	"errors"
	"flag"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// fastElection is an Election on a fake API server with timings short
// enough for a test, parsed as a sidecar parses them.
func fastElection(t *testing.T, client *fake.Clientset) Election {
	t.Helper()
	var flags LeaderElectionFlags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	flags.Register(fs)
	if err := fs.Parse([]string{"--leader-election", "--leader-election-namespace=kube-system",
		"--leader-election-lease-duration=2s", "--leader-election-renew-deadline=1s", "--leader-election-retry-period=100ms",
		"--leader-election-labels=app:ebs"}); err != nil {
		t.Fatal(err)
	}
	return Election{Client: client, Lease: "external-resizer-ebs-csi-aws-com", Flags: flags, Log: discard}
}

func TestLeadsUnderTheLeaseItIsGiven(t *testing.T) {
	client := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	led := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- fastElection(t, client).Run(ctx, func(ctx context.Context) error {
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
	lease, err := client.CoordinationV1().Leases("kube-system").Get(ctx, "external-resizer-ebs-csi-aws-com", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("Lease: %v", err)
	}
	host, _ := os.Hostname()
	if holder := lease.Spec.HolderIdentity; holder == nil || *holder != SanitizeName(host) {
		t.Errorf("holder %v, want %s", holder, SanitizeName(host))
	}
	if lease.Labels["app"] != "ebs" {
		t.Errorf("Lease labels %v, want --leader-election-labels'", lease.Labels)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after the context ended = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestLeadsAtOnceWithoutLeaderElection(t *testing.T) {
	election := Election{Lease: "unused", Log: discard} // no client: no Lease is touched
	failed := errors.New("the controller failed")
	if err := election.Run(context.Background(), func(context.Context) error { return failed }); !errors.Is(err, failed) {
		t.Errorf("Run = %v, want lead's error", err)
	}
	if election.Flags.HealthCheck() != nil {
		t.Error("a leader health check without leader election")
	}
}

func TestLeadsErrorEndsTheElection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	failed := errors.New("the controller failed")
	if err := fastElection(t, fake.NewClientset()).Run(ctx, func(context.Context) error { return failed }); !errors.Is(err, failed) {
		t.Errorf("Run = %v, want lead's error", err)
	}
}

func TestNamesAreSanitizedAsUpstreams(t *testing.T) {
	for name, want := range map[string]string{
		"ebs.csi.aws.com":        "ebs-csi-aws-com",
		"example.com/driver.":    "example-com-driver-X",
		"ip-10-0-1-2.ec2.intern": "ip-10-0-1-2-ec2-intern",
	} {
		if got := SanitizeName(name); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestLeaseNamespaceIsTheFlagsElseThePods(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "kube-system")
	if got := LeaseNamespace("storage"); got != "storage" {
		t.Errorf("with the flag: %q", got)
	}
	if got := LeaseNamespace(""); got != "kube-system" {
		t.Errorf("with $POD_NAMESPACE: %q", got)
	}
}
