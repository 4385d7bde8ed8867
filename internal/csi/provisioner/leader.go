package provisioner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
)

// leaderHealthTimeout is how long past its lease a leader that failed to
// renew still reports healthy on /healthz/leader-election (csi-lib-utils's
// DefaultHealthCheckTimeout).
const leaderHealthTimeout = 20 * time.Second

// election is one replica's part in the Lease election among the
// provisioner's replicas.
type election struct {
	kube            kubernetes.Interface // its own client, so a throttled controller cannot starve renewals
	lockName        string
	namespace       string
	identity        string
	labels          map[string]string
	leaseDuration   time.Duration
	renewDeadline   time.Duration
	retryPeriod     time.Duration
	releaseOnCancel bool
	events          record.EventRecorder
	health          *leaderelection.HealthzAdaptor // nil without --http-endpoint
	log             *slog.Logger
}

// leaseName is upstream's lock name for a driver: ebs.csi.aws.com leads on
// the Lease ebs-csi-aws-com.
func leaseName(driver string) string {
	return sanitizeName(strings.ReplaceAll(driver, "/", "-"))
}

var notLeaseChars = regexp.MustCompile("[^a-zA-Z0-9-]")

// sanitizeName makes a name a Lease (or holder identity) may have.
func sanitizeName(name string) string {
	name = notLeaseChars.ReplaceAllString(name, "-")
	if strings.HasSuffix(name, "-") {
		name += "X"
	}
	return name
}

// leaseNamespace is the pod's namespace unless --leader-election-namespace
// says otherwise.
func leaseNamespace(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	if data, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace"); err == nil {
		if ns := strings.TrimSpace(string(data)); ns != "" {
			return ns
		}
	}
	return "default"
}

// run calls lead once this replica holds the lease. It returns nil when
// ctx ends, lead's error, or an error when the lease is lost: a replica
// that lost it cannot know what the new leader does, and ends.
func (e *election) run(ctx context.Context, lead func(context.Context) error) error {
	lock, err := resourcelock.NewWithLabels(resourcelock.LeasesResourceLock, e.namespace, e.lockName,
		e.kube.CoreV1(), e.kube.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: sanitizeName(e.identity), EventRecorder: e.events}, e.labels)
	if err != nil {
		return fmt.Errorf("create the leader election lock: %w", err)
	}
	// client-go starts OnStartedLeading on a goroutine of its own; it only
	// hands the leader's context over, and lead runs here.
	leading := make(chan context.Context, 1)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            e.lockName,
		LeaseDuration:   e.leaseDuration,
		RenewDeadline:   e.renewDeadline,
		RetryPeriod:     e.retryPeriod,
		ReleaseOnCancel: e.releaseOnCancel,
		WatchDog:        e.health,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) { leading <- ctx },
			OnStoppedLeading: func() { e.log.Info("Stopped leading", "lease", e.namespace+"/"+e.lockName) },
			OnNewLeader:      func(id string) { e.log.Log(ctx, levelV2, "New leader detected", "leader", id) },
		},
	})
	if err != nil {
		return fmt.Errorf("configure leader election: %w", err)
	}
	if e.health != nil {
		e.health.SetLeaderElection(elector)
	}

	electorCtx, stopElector := context.WithCancel(ctx)
	defer stopElector()
	electorDone := make(chan struct{})
	go func() {
		defer close(electorDone)
		elector.Run(electorCtx)
	}()
	e.log.Info("Waiting to become leader", "lease", e.namespace+"/"+e.lockName, "identity", sanitizeName(e.identity))

	select {
	case <-electorDone:
		if ctx.Err() != nil {
			return nil
		}
		return errors.New("leader election ended before this replica led")
	case leaderCtx := <-leading:
		e.log.Info("Became leader, starting", "lease", e.namespace+"/"+e.lockName)
		err := lead(leaderCtx)
		stopElector()
		<-electorDone
		switch {
		case err != nil:
			return err
		case ctx.Err() != nil:
			return nil
		}
		return errors.New("lost the leader election lease")
	}
}
