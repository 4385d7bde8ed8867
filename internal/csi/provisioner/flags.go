package provisioner

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
)

// options are the sidecar's command line, named and defaulted as
// kubernetes-csi/external-provisioner v5 (with csi-lib-utils's standard
// sidecar flags) has them, so the driver's manifests need no change.
type options struct {
	csiAddress string
	kube       sidecar.KubeFlags

	verbosity     int
	loggingFormat string

	timeout              time.Duration
	volumeNamePrefix     string
	volumeNameUUIDLength int
	retryIntervalStart   time.Duration
	retryIntervalMax     time.Duration
	workerThreads        uint

	features            featureGates
	strictTopology      bool
	immediateTopology   bool
	extraCreateMetadata bool
	defaultFSType       string

	controllerPublishReadOnly   bool
	preventVolumeModeConversion bool

	leaderElection sidecar.LeaderElectionFlags
	diagnostics    sidecar.DiagnosticsFlags

	enableCapacity bool
	nodeDeployment bool
}

// parseFlags reads args (without the program name). Flags upstream has but
// keks does not implement are accepted so that a manifest setting them still
// starts; the ones whose absence would change behaviour are refused in
// validate.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{features: defaultFeatureGates(), leaderElection: sidecar.LeaderElectionFlags{Labels: sidecar.Labels{}}}
	fs := flag.NewFlagSet("csi-provisioner", flag.ContinueOnError)
	fs.SetOutput(stderr)

	fs.StringVar(&o.csiAddress, "csi-address", "/run/csi/socket", "Address of the CSI driver socket.")
	o.kube.Register(fs)

	fs.IntVar(&o.verbosity, "v", 0, "Log verbosity: messages at this klog level or below are written.")
	fs.StringVar(&o.loggingFormat, "logging-format", "text", "Log format: text or json.")
	ignore(fs, "vmodule", "log-flush-frequency", "log-json-info-buffer-size", "log-text-info-buffer-size")
	ignoreBool(fs, "log-json-split-stream", "log-text-split-stream")

	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "Timeout for waiting for volume operation (creation, deletion, capacity queries)")
	fs.StringVar(&o.volumeNamePrefix, "volume-name-prefix", "pvc", "Prefix to apply to the name of a created volume.")
	fs.IntVar(&o.volumeNameUUIDLength, "volume-name-uuid-length", -1, "Truncates generated UUID of a created volume to this length. Defaults behavior is to NOT truncate.")
	fs.DurationVar(&o.retryIntervalStart, "retry-interval-start", time.Second, "Initial retry interval of failed provisioning or deletion. It doubles with each failure, up to retry-interval-max.")
	fs.DurationVar(&o.retryIntervalMax, "retry-interval-max", 5*time.Minute, "Maximum retry interval of failed provisioning or deletion.")
	fs.UintVar(&o.workerThreads, "worker-threads", 100, "Number of provisioner worker threads, in other words nr. of simultaneous CSI calls.")

	fs.Var(&o.features, "feature-gates", "A set of key=value pairs that describe feature gates (Topology, VolumeAttributesClass, ...). Unknown gates are ignored.")
	fs.BoolVar(&o.strictTopology, "strict-topology", false, "Late binding: pass only selected node topology to CreateVolume Request.")
	fs.BoolVar(&o.immediateTopology, "immediate-topology", true, "Immediate binding: pass aggregated cluster topologies for all nodes where the CSI driver is available.")
	fs.BoolVar(&o.extraCreateMetadata, "extra-create-metadata", false, "If set, add pv/pvc metadata to plugin create requests as parameters.")
	fs.StringVar(&o.defaultFSType, "default-fstype", "", "The default filesystem type of the volume to provision when fstype is unspecified in the StorageClass.")
	fs.BoolVar(&o.controllerPublishReadOnly, "controller-publish-readonly", false, "Mark PVs readonly at controller publish if the PVC access mode is ReadOnlyMany.")
	fs.BoolVar(&o.preventVolumeModeConversion, "prevent-volume-mode-conversion", true, "Prevents an unauthorised user from modifying the volume mode when creating a PVC from an existing VolumeSnapshot.")

	o.leaderElection.Register(fs)
	o.diagnostics.Register(fs)

	fs.BoolVar(&o.enableCapacity, "enable-capacity", false, "Produce CSIStorageCapacity objects (not implemented by keks; ignored).")
	fs.BoolVar(&o.nodeDeployment, "node-deployment", false, "Run the provisioner on every node (not implemented by keks).")
	ignore(fs, "capacity-ownerref-level", "capacity-poll-interval", "capacity-threads",
		"kube-api-capacity-qps", "kube-api-capacity-burst", "cloning-protection-threads",
		"node-deployment-base-delay", "node-deployment-max-delay")
	ignoreBool(fs, "capacity-for-immediate-binding", "enable-pprof", "node-deployment-immediate-binding")

	if err := sidecar.ParseFlags(fs, args, "csi-provisioner "+Version); err != nil {
		return nil, err
	}
	return o, o.validate()
}

func (o *options) validate() error {
	switch {
	case o.nodeDeployment:
		return fmt.Errorf("--node-deployment is not supported by keks's csi-provisioner")
	case o.volumeNamePrefix == "":
		return fmt.Errorf("--volume-name-prefix cannot be empty")
	case o.volumeNameUUIDLength == 0 || o.volumeNameUUIDLength > 32:
		// -1 keeps the whole UID; a dashless UID has 32 characters.
		return fmt.Errorf("--volume-name-uuid-length must be -1 or between 1 and 32, not %d", o.volumeNameUUIDLength)
	case o.workerThreads == 0:
		return fmt.Errorf("--worker-threads must be at least 1")
	case o.loggingFormat != "text" && o.loggingFormat != "json":
		return fmt.Errorf("--logging-format %q: want text or json", o.loggingFormat)
	}
	return o.diagnostics.Validate()
}

const ignoredUsage = "Accepted for compatibility with kubernetes-csi/external-provisioner; ignored."

// ignore registers flags that take a value, are accepted and have no effect.
func ignore(fs *flag.FlagSet, names ...string) {
	for _, name := range names {
		fs.Var(&ignoredValue{}, name, ignoredUsage)
	}
}

// ignoreBool registers ignored flags that upstream declares boolean, so
// that they may be given without a value.
func ignoreBool(fs *flag.FlagSet, names ...string) {
	for _, name := range names {
		fs.Var(&ignoredBool{}, name, ignoredUsage)
	}
}

type ignoredValue struct{ value string }

func (v *ignoredValue) String() string     { return v.value }
func (v *ignoredValue) Set(s string) error { v.value = s; return nil }

type ignoredBool struct{ ignoredValue }

func (*ignoredBool) IsBoolFlag() bool { return true }
