package sidecar

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/tools/leaderelection"
)

// LeaderElectionFlags are csi-lib-utils's leader election flags, which the
// provisioner and the resizer take under the same names and defaults.
type LeaderElectionFlags struct {
	Enabled       bool
	Namespace     string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	Labels        Labels
}

// Register adds the flags to fs with upstream's defaults.
func (f *LeaderElectionFlags) Register(fs *flag.FlagSet) {
	fs.BoolVar(&f.Enabled, "leader-election", false, "Enable leader election.")
	fs.StringVar(&f.Namespace, "leader-election-namespace", "", "Namespace where the leader election resource lives. Defaults to the pod namespace if not set.")
	fs.DurationVar(&f.LeaseDuration, "leader-election-lease-duration", 15*time.Second, "Duration that non-leader candidates will wait to force acquire leadership.")
	fs.DurationVar(&f.RenewDeadline, "leader-election-renew-deadline", 10*time.Second, "Duration that the acting leader will retry refreshing leadership before giving up.")
	fs.DurationVar(&f.RetryPeriod, "leader-election-retry-period", 5*time.Second, "Duration the LeaderElector clients should wait between tries of actions.")
	fs.Var(&f.Labels, "leader-election-labels", "Labels to add to the lease when this replica becomes leader, as key:value pairs separated by commas.")
}

// HealthCheck is the watchdog behind /healthz/leader-election: nil
// without leader election, where the check always passes.
func (f LeaderElectionFlags) HealthCheck() *leaderelection.HealthzAdaptor {
	if !f.Enabled {
		return nil
	}
	return leaderelection.NewLeaderHealthzAdaptor(leaderHealthTimeout)
}

// Labels is --leader-election-labels: key:value pairs separated by commas.
type Labels map[string]string

func (l *Labels) String() string {
	if l == nil {
		return ""
	}
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(*l)) {
		pairs = append(pairs, k+":"+(*l)[k])
	}
	return strings.Join(pairs, ",")
}

func (l *Labels) Set(value string) error {
	if *l == nil {
		*l = Labels{}
	}
	for _, item := range strings.Split(value, ",") {
		k, v, ok := strings.Cut(item, ":")
		if !ok || strings.Contains(v, ":") {
			return fmt.Errorf("malformed item in list of labels: %s", item)
		}
		(*l)[k] = v
	}
	return nil
}
