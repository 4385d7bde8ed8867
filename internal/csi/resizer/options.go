package resizer

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// options are external-resizer's command line, under the same names and
// defaults, so a Deployment written for the upstream image runs unchanged.
type options struct {
	csiAddress string
	kubeconfig string
	master     string
	verbosity  int
	timeout    time.Duration

	leaderElection          bool
	leaderElectionNamespace string
	leaseDuration           time.Duration
	renewDeadline           time.Duration
	retryPeriod             time.Duration
	leaderElectionLabels    labelList

	kubeAPIQPS   float64
	kubeAPIBurst int

	workers                int
	resyncPeriod           time.Duration
	retryIntervalStart     time.Duration
	retryIntervalMax       time.Duration
	handleVolumeInUseError bool

	httpEndpoint   string
	metricsAddress string
	metricsPath    string

	showVersion bool
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("csi-resizer", flag.ContinueOnError)
	fs.StringVar(&o.csiAddress, "csi-address", "/run/csi/socket", "Address of the CSI driver socket.")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "Absolute path to the kubeconfig file. Empty: the in-cluster configuration.")
	fs.StringVar(&o.master, "master", "", "Master URL to build a client config from (with or instead of --kubeconfig).")
	fs.IntVar(&o.verbosity, "v", 0, "Log verbosity; 4 and above logs debug messages.")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "Timeout of each call to the CSI driver.")

	fs.BoolVar(&o.leaderElection, "leader-election", false, "Enable leader election.")
	fs.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election Lease. Defaults to the pod's namespace.")
	fs.DurationVar(&o.leaseDuration, "leader-election-lease-duration", 15*time.Second, "How long non-leaders wait before forcing leadership.")
	fs.DurationVar(&o.renewDeadline, "leader-election-renew-deadline", 10*time.Second, "How long the leader retries renewing before giving up.")
	fs.DurationVar(&o.retryPeriod, "leader-election-retry-period", 5*time.Second, "How long candidates wait between tries.")
	fs.Var(&o.leaderElectionLabels, "leader-election-labels", "Labels put on the Lease while this replica leads, as key:value,key:value.")

	fs.Float64Var(&o.kubeAPIQPS, "kube-api-qps", 5, "QPS to the Kubernetes API server.")
	fs.IntVar(&o.kubeAPIBurst, "kube-api-burst", 10, "Burst to the Kubernetes API server.")

	fs.IntVar(&o.workers, "workers", 10, "Number of PVCs resized concurrently.")
	fs.DurationVar(&o.resyncPeriod, "resync-period", 10*time.Minute, "Resync period of the informers.")
	fs.DurationVar(&o.retryIntervalStart, "retry-interval-start", time.Second, "First retry interval of a failed resize; it doubles with each failure.")
	fs.DurationVar(&o.retryIntervalMax, "retry-interval-max", 5*time.Minute, "Longest retry interval of a failed resize.")
	fs.BoolVar(&o.handleVolumeInUseError, "handle-volume-inuse-error", true, "Do not retry a resize the driver refused as in use (FailedPrecondition) while a pod still uses the PVC.")

	fs.StringVar(&o.httpEndpoint, "http-endpoint", "", "Address of the HTTP server for metrics and the leader election health check (e.g. :8080); empty disables it.")
	fs.StringVar(&o.metricsAddress, "metrics-address", "", "(deprecated) Address of the metrics endpoint; use --http-endpoint.")
	fs.StringVar(&o.metricsPath, "metrics-path", "/metrics", "HTTP path of the Prometheus metrics.")
	fs.BoolVar(&o.showVersion, "version", false, "Show version.")

	// Accepted so upstream manifests run unchanged: keks's resizer always
	// behaves as upstream's default gates on Kubernetes 1.35+ (with
	// RecoverVolumeExpansionFailure GA), and it does not run the
	// VolumeAttributesClass modify controller the metadata flag is for.
	fs.String("feature-gates", "", "Ignored: accepted for compatibility with external-resizer.")
	fs.Bool("extra-modify-metadata", false, "Ignored: accepted for compatibility with external-resizer.")

	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.httpEndpoint != "" && o.metricsAddress != "" {
		return options{}, fmt.Errorf("only one of --metrics-address and --http-endpoint can be set")
	}
	if o.workers < 1 {
		return options{}, fmt.Errorf("--workers must be at least 1, not %d", o.workers)
	}
	return o, nil
}

// diagnosticsAddress is where metrics and the health check are served, if
// anywhere.
func (o options) diagnosticsAddress() string {
	if o.metricsAddress != "" {
		return o.metricsAddress
	}
	return o.httpEndpoint
}

// labelList is --leader-election-labels: key:value pairs separated by commas.
type labelList map[string]string

func (l *labelList) String() string {
	if l == nil {
		return ""
	}
	pairs := make([]string, 0, len(*l))
	for k, v := range *l {
		pairs = append(pairs, k+":"+v)
	}
	return strings.Join(pairs, ",")
}

func (l *labelList) Set(value string) error {
	if *l == nil {
		*l = labelList{}
	}
	for _, item := range strings.Split(value, ",") {
		key, val, ok := strings.Cut(item, ":")
		if !ok || strings.Contains(val, ":") {
			return fmt.Errorf("malformed label %q: want key:value", item)
		}
		(*l)[key] = val
	}
	return nil
}
