package resizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// errLostLeadership ends the resizer as upstream's does: another replica
// leads now, and starting afresh as a candidate is simplest.
var errLostLeadership = errors.New("lost leadership")

// leaseName is upstream's: one Lease per driver, whoever runs it.
func leaseName(driverName string) string {
	return sanitizeName("external-resizer-" + sanitizeName(driverName))
}

var notNameCharacters = regexp.MustCompile("[^a-zA-Z0-9-]")

// sanitizeName makes a driver name (ebs.csi.aws.com) or a host name fit
// for a Lease, as csi-lib-utils does.
func sanitizeName(name string) string {
	name = notNameCharacters.ReplaceAllString(name, "-")
	if strings.HasSuffix(name, "-") {
		name += "X"
	}
	return name
}

type leaderElectionConfig struct {
	client    kubernetes.Interface
	lease     string
	namespace string
	labels    map[string]string
	opts      options
	watchdog  *leaderelection.HealthzAdaptor
	log       *slog.Logger
}

// runAsLeader runs lead once this replica holds the Lease, until ctx ends
// or the Lease is lost (errLostLeadership).
func runAsLeader(ctx context.Context, cfg leaderElectionConfig, lead func(context.Context) error) error {
	identity, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("name this replica for leader election: %w", err)
	}
	lock, err := resourcelock.NewWithLabels(resourcelock.LeasesResourceLock, cfg.namespace, cfg.lease,
		cfg.client.CoreV1(), cfg.client.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: sanitizeName(identity)}, cfg.labels)
	if err != nil {
		return fmt.Errorf("make the lock of Lease %s/%s: %w", cfg.namespace, cfg.lease, err)
	}
	// The elector starts OnStartedLeading in a goroutine of its own and
	// does not wait for it; handing the leader's context over lets lead
	// run here instead, so it has finished before this function returns.
	leading := make(chan context.Context, 1)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:          lock,
		Name:          cfg.lease,
		LeaseDuration: cfg.opts.leaseDuration,
		RenewDeadline: cfg.opts.renewDeadline,
		RetryPeriod:   cfg.opts.retryPeriod,
		WatchDog:      cfg.watchdog,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leaderCtx context.Context) { leading <- leaderCtx },
			OnStoppedLeading: func() {},
			OnNewLeader: func(leader string) {
				cfg.log.Info("leader of the resizer", "lease", cfg.namespace+"/"+cfg.lease, "leader", leader)
			},
		},
	})
	if err != nil {
		return fmt.Errorf("set up leader election on Lease %s/%s: %w", cfg.namespace, cfg.lease, err)
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
	select {
	case <-electorDone:
		// The elector gives up only when ctx ends.
		return nil
	case leaderCtx := <-leading:
		cfg.log.Info("leading", "lease", cfg.namespace+"/"+cfg.lease)
		leadErr := lead(leaderCtx)
		stopElector()
		<-electorDone
		switch {
		case leadErr != nil:
			return leadErr
		case ctx.Err() == nil:
			return fmt.Errorf("%w of Lease %s/%s", errLostLeadership, cfg.namespace, cfg.lease)
		default:
			return nil
		}
	}
}

// leaseNamespace is --leader-election-namespace, else the pod's own.
func leaseNamespace(flag string) string {
	if flag != "" {
		return flag
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
