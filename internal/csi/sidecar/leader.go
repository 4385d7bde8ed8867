package sidecar

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

// ErrLostLeadership ends a sidecar whose Lease another replica took: it
// cannot know what the new leader does, and starting afresh as a
// candidate is simplest, as upstream's sidecars do.
var ErrLostLeadership = errors.New("lost the leader election lease")

// Election is one replica's part in the Lease election among a sidecar's
// replicas.
type Election struct {
	// Client is the election's own, so that a throttled controller cannot
	// starve the Lease's renewals.
	Client kubernetes.Interface
	// Lease is the Lease's name, which each sidecar makes as its upstream.
	Lease           string
	Flags           LeaderElectionFlags
	ReleaseOnCancel bool
	Events          record.EventRecorder           // may be nil
	Health          *leaderelection.HealthzAdaptor // nil without the diagnostics endpoint
	Log             *slog.Logger
}

// Run calls lead at once without --leader-election, else once this
// replica holds the Lease. It returns nil when ctx ends, lead's error, or
// ErrLostLeadership when the Lease is lost; lead has returned by then.
func (e Election) Run(ctx context.Context, lead func(context.Context) error) error {
	if !e.Flags.Enabled {
		return lead(ctx)
	}
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("get the hostname for the leader election identity: %w", err)
	}
	identity := SanitizeName(host)
	namespace := LeaseNamespace(e.Flags.Namespace)
	lease := namespace + "/" + e.Lease
	lock, err := resourcelock.NewWithLabels(resourcelock.LeasesResourceLock, namespace, e.Lease,
		e.Client.CoreV1(), e.Client.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: identity, EventRecorder: e.Events}, e.Flags.Labels)
	if err != nil {
		return fmt.Errorf("create the lock of Lease %s: %w", lease, err)
	}
	// client-go starts OnStartedLeading on a goroutine of its own and does
	// not wait for it; it only hands the leader's context over, so that
	// lead runs here and has finished before Run returns.
	leading := make(chan context.Context, 1)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            e.Lease,
		LeaseDuration:   e.Flags.LeaseDuration,
		RenewDeadline:   e.Flags.RenewDeadline,
		RetryPeriod:     e.Flags.RetryPeriod,
		ReleaseOnCancel: e.ReleaseOnCancel,
		WatchDog:        e.Health,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leaderCtx context.Context) { leading <- leaderCtx },
			OnStoppedLeading: func() { e.Log.Info("Stopped leading", "lease", lease) },
			OnNewLeader:      func(id string) { e.Log.Log(ctx, LevelV2, "New leader detected", "lease", lease, "leader", id) },
		},
	})
	if err != nil {
		return fmt.Errorf("configure leader election on Lease %s: %w", lease, err)
	}

	// Stopping the elector when lead returns early (with an error) lets
	// the wait below end.
	electorCtx, stopElector := context.WithCancel(ctx)
	defer stopElector()
	electorDone := make(chan struct{})
	go func() {
		defer close(electorDone)
		elector.Run(electorCtx)
	}()
	e.Log.Info("Waiting to become leader", "lease", lease, "identity", identity)

	select {
	case <-electorDone:
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("leader election on Lease %s ended before this replica led", lease)
	case leaderCtx := <-leading:
		e.Log.Info("Became leader, starting", "lease", lease)
		err := lead(leaderCtx)
		stopElector()
		<-electorDone
		switch {
		case err != nil:
			return err
		case ctx.Err() != nil:
			return nil
		}
		return fmt.Errorf("%w %s", ErrLostLeadership, lease)
	}
}

var notLeaseChars = regexp.MustCompile("[^a-zA-Z0-9-]")

// SanitizeName makes a name a Lease (or its holder identity) may have, as
// csi-lib-utils does: ebs.csi.aws.com becomes ebs-csi-aws-com.
func SanitizeName(name string) string {
	name = notLeaseChars.ReplaceAllString(name, "-")
	if strings.HasSuffix(name, "-") {
		name += "X"
	}
	return name
}

// LeaseNamespace is --leader-election-namespace, else the pod's own.
func LeaseNamespace(flagValue string) string {
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
