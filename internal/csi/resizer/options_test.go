package resizer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/util/workqueue"
)

// The arguments of aws-ebs-csi-driver's chart must parse as upstream's.
func TestParsesTheEBSChartsArguments(t *testing.T) {
	opts, err := parseOptions([]string{
		"--timeout=60s", "--extra-modify-metadata", "--csi-address=/var/lib/csi/sockets/pluginproxy/csi.sock",
		"--v=2", "--handle-volume-inuse-error=false", "--leader-election=true",
		"--kube-api-qps=20", "--kube-api-burst=100", "--workers=100", "--retry-interval-max=30m",
		"--feature-gates=VolumeAttributesClass=true", "--http-endpoint=:8080",
		"--leader-election-labels=a:b,c:d",
	})
	if err != nil {
		t.Fatal(err)
	}
	if opts.timeout != time.Minute || opts.handleVolumeInUseError || !opts.leaderElection.Enabled ||
		opts.kube.QPS != 20 || opts.kube.Burst != 100 || opts.workers != 100 ||
		opts.retryIntervalMax != 30*time.Minute || opts.diagnostics.Address() != ":8080" ||
		opts.leaderElection.Labels["c"] != "d" {
		t.Errorf("options = %+v", opts)
	}
}

func TestDefaultsAreUpstreams(t *testing.T) {
	opts, err := parseOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.csiAddress != "/run/csi/socket" || opts.timeout != 10*time.Second || opts.workers != 10 ||
		!opts.handleVolumeInUseError || opts.leaderElection.Enabled || opts.kube.QPS != 5 || opts.kube.Burst != 10 ||
		opts.retryIntervalStart != time.Second || opts.retryIntervalMax != 5*time.Minute || opts.diagnostics.MetricsPath != "/metrics" {
		t.Errorf("defaults = %+v", opts)
	}
	if _, err := parseOptions([]string{"--metrics-address=:1", "--http-endpoint=:2"}); err == nil {
		t.Error("both --metrics-address and --http-endpoint accepted")
	}
}

func TestLeaseIsNamedAsUpstreams(t *testing.T) {
	if got := leaseName("ebs.csi.aws.com"); got != "external-resizer-ebs-csi-aws-com" {
		t.Errorf("leaseName = %q", got)
	}
	if got := leaseName("example.com/driver."); got != "external-resizer-example-com-driver-X" {
		t.Errorf("leaseName = %q", got)
	}
}

func TestDiagnosticsServeHealthAndMetrics(t *testing.T) {
	metrics := newCSIMetrics()
	metrics.operations.WithLabelValues("ebs.csi.aws.com", "/csi.v1.Controller/ControllerExpandVolume", "OK").Observe(0.2)
	server := httptest.NewServer(sidecar.DiagnosticsHandler("/metrics", metrics.handler(), nil))
	defer server.Close()
	for path, want := range map[string]string{
		"/healthz/leader-election": "ok",
		"/metrics":                 "csi_sidecar_operations_seconds_count",
	} {
		resp, err := http.Get(server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %.200q, want 200 with %q", path, resp.StatusCode, body, want)
		}
	}
}

func TestUpdatesWorthASyncAreQueued(t *testing.T) {
	c := &controller{memory: newRetryMemory(time.Minute)}
	c.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer c.queue.ShutDown()
	pvc, _ := bound("1Gi", "1Gi", "1Gi", "ebs.csi.aws.com")
	changed := func(edit func(p *v1.PersistentVolumeClaim)) bool {
		newPVC := pvc.DeepCopy()
		newPVC.ResourceVersion = "2"
		edit(newPVC)
		c.pvcUpdated(pvc, newPVC)
		queued := c.queue.Len() > 0
		for c.queue.Len() > 0 {
			key, _ := c.queue.Get()
			c.queue.Done(key)
		}
		return queued
	}
	if !changed(func(p *v1.PersistentVolumeClaim) {
		p.Spec.Resources.Requests[v1.ResourceStorage] = resource.MustParse("2Gi")
	}) {
		t.Error("a grown request was not queued")
	}
	if !changed(func(p *v1.PersistentVolumeClaim) {
		p.Status.AllocatedResourceStatuses = map[v1.ResourceName]v1.ClaimResourceStatus{v1.ResourceStorage: v1.PersistentVolumeClaimNodeResizeInfeasible}
	}) {
		t.Error("a new resize status was not queued")
	}
	if changed(func(p *v1.PersistentVolumeClaim) { p.Labels = map[string]string{"a": "b"} }) {
		t.Error("a label change was queued")
	}
}
