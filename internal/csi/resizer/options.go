package resizer

import (
	"flag"
	"fmt"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

// options are external-resizer's command line, under the same names and
// defaults, so a Deployment written for the upstream image runs unchanged.
type options struct {
	csiAddress string
	verbosity  int
	timeout    time.Duration

	kube           sidecar.KubeFlags
	leaderElection sidecar.LeaderElectionFlags
	diagnostics    sidecar.DiagnosticsFlags

	workers                int
	resyncPeriod           time.Duration
	retryIntervalStart     time.Duration
	retryIntervalMax       time.Duration
	handleVolumeInUseError bool
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("csi-resizer", flag.ContinueOnError)
	fs.StringVar(&o.csiAddress, "csi-address", "/run/csi/socket", "Address of the CSI driver socket.")
	fs.IntVar(&o.verbosity, "v", 0, "Log verbosity; 4 and above logs debug messages.")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "Timeout of each call to the CSI driver.")
	o.kube.Register(fs)
	o.leaderElection.Register(fs)
	o.diagnostics.Register(fs)

	fs.IntVar(&o.workers, "workers", 10, "Number of PVCs resized concurrently.")
	fs.DurationVar(&o.resyncPeriod, "resync-period", 10*time.Minute, "Resync period of the informers.")
	fs.DurationVar(&o.retryIntervalStart, "retry-interval-start", time.Second, "First retry interval of a failed resize; it doubles with each failure.")
	fs.DurationVar(&o.retryIntervalMax, "retry-interval-max", 5*time.Minute, "Longest retry interval of a failed resize.")
	fs.BoolVar(&o.handleVolumeInUseError, "handle-volume-inuse-error", true, "Do not retry a resize the driver refused as in use (FailedPrecondition) while a pod still uses the PVC.")

	// Accepted so upstream manifests run unchanged: keks's resizer always
	// behaves as upstream's default gates on Kubernetes 1.35+ (with
	// RecoverVolumeExpansionFailure GA), and it does not run the
	// VolumeAttributesClass modify controller the metadata flag is for.
	fs.String("feature-gates", "", "Ignored: accepted for compatibility with external-resizer.")
	fs.Bool("extra-modify-metadata", false, "Ignored: accepted for compatibility with external-resizer.")

	if err := sidecar.ParseFlags(fs, args, "csi-resizer (keks)"); err != nil {
		return options{}, err
	}
	if err := o.diagnostics.Validate(); err != nil {
		return options{}, err
	}
	if o.workers < 1 {
		return options{}, fmt.Errorf("--workers must be at least 1, not %d", o.workers)
	}
	return o, nil
}
