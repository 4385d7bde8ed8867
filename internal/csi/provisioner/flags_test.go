package provisioner

import (
	"io"
	"testing"
	"time"
)

// TestParseEBSManifestFlags: the csi-provisioner arguments of the
// aws-ebs-csi-driver chart parse, feature gates given twice merge, and the
// defaults are upstream's.
func TestParseEBSManifestFlags(t *testing.T) {
	o, err := parseFlags([]string{
		"--timeout=60s", "--csi-address=/var/lib/csi/sockets/pluginproxy/csi.sock", "--v=2",
		"--feature-gates=Topology=true", "--extra-create-metadata", "--leader-election=true",
		"--leader-election-lease-duration=20s", "--default-fstype=ext4",
		"--kube-api-qps=20", "--kube-api-burst=100", "--worker-threads=100", "--retry-interval-max=30m",
		"--feature-gates=VolumeAttributesClass=false,SomeFutureGate=true",
		"--http-endpoint=0.0.0.0:8090", "--enable-pprof", "--leader-election-labels=app:ebs,tier:storage",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case o.timeout != time.Minute, o.csiAddress != "/var/lib/csi/sockets/pluginproxy/csi.sock", o.verbosity != 2:
		t.Errorf("timeout %v address %q v %d", o.timeout, o.csiAddress, o.verbosity)
	case !o.extraCreateMetadata, !o.leaderElection.Enabled, o.leaderElection.LeaseDuration != 20*time.Second, o.defaultFSType != "ext4":
		t.Errorf("metadata %v election %+v fstype %q", o.extraCreateMetadata, o.leaderElection, o.defaultFSType)
	case o.kube.QPS != 20, o.kube.Burst != 100, o.workerThreads != 100, o.retryIntervalMax != 30*time.Minute:
		t.Errorf("qps %v burst %d workers %d retry %v", o.kube.QPS, o.kube.Burst, o.workerThreads, o.retryIntervalMax)
	case !o.features.enabled(featureTopology), o.features.enabled(featureVolumeAttributesClass):
		t.Errorf("feature gates %s", o.features.String())
	case o.diagnostics.Address() != "0.0.0.0:8090", o.leaderElection.Labels["tier"] != "storage":
		t.Errorf("endpoint %q labels %v", o.diagnostics.Address(), o.leaderElection.Labels)
	}

	defaults, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if defaults.csiAddress != "/run/csi/socket" || defaults.timeout != 10*time.Second || defaults.volumeNamePrefix != "pvc" ||
		defaults.kube.QPS != 5 || defaults.kube.Burst != 10 || !defaults.immediateTopology || defaults.leaderElection.Enabled ||
		!defaults.features.enabled(featureTopology) || defaults.diagnostics.MetricsPath != "/metrics" {
		t.Errorf("defaults %+v", defaults)
	}
}

func TestParseFlagsRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"--node-deployment"},
		{"--feature-gates=Topology"},
		{"--feature-gates=Topology=maybe"},
		{"--no-such-flag"},
		{"--metrics-address=:1", "--http-endpoint=:2"},
		{"--worker-threads=0"},
		{"stray"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}
