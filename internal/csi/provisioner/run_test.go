package provisioner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

// TestServe: the whole sidecar as Run wires it, against a fake API server:
// it takes the driver's Lease, provisions a claim, and ends with ctx; a
// driver that goes away ends it with an error.
func TestServe(t *testing.T) {
	driver := newFakeDriver()
	socket := driver.serve(t)
	o, err := parseFlags([]string{"--csi-address=" + socket, "--leader-election", "--leader-election-namespace=kube-system",
		"--feature-gates=Topology=true", "--extra-create-metadata", "--worker-threads=2", "--timeout=5s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn, info := connectDriver(ctx, t, socket)
	pvc := claim("data", "uid-1", "gp3", "1Gi", nil)
	kube := fake.NewClientset(append(twoZones(), storageClass("gp3", storagev1.VolumeBindingImmediate, nil), pvc)...)
	clients := kubeClients{kube: kube, leaderElection: kube, dynamic: dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())}

	served := make(chan error, 1)
	go func() { served <- serve(ctx, o, info, conn, clients, log) }()
	waitFor(t, "the PV", func() bool {
		_, err := kube.CoreV1().PersistentVolumes().Get(ctx, "pvc-uid-1", metav1.GetOptions{})
		return err == nil
	})
	lease, err := kube.CoordinationV1().Leases("kube-system").Get(ctx, "ebs-csi-aws-com", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the driver's lease: %v", err)
	}
	host, _ := os.Hostname()
	if holder := lease.Spec.HolderIdentity; holder == nil || *holder != sidecar.SanitizeName(host) {
		t.Errorf("lease holder %v, want %s", holder, host)
	}
	if req := driver.createRequests()[0]; req.GetParameters()[paramPVCName] != "data" {
		t.Errorf("parameters %v", req.GetParameters())
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not end with its context")
	}
}

// TestServeEndsWhenDriverGoes: a restarted driver has forgotten what it
// was doing; the sidecar ends so that it restarts too.
func TestServeEndsWhenDriverGoes(t *testing.T) {
	driver := newFakeDriver()
	socket := driver.serve(t)
	o, err := parseFlags([]string{"--csi-address=" + socket, "--worker-threads=1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn, info := connectDriver(ctx, t, socket)
	kube := fake.NewClientset()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, o, info, conn, kubeClients{kube: kube, leaderElection: kube, dynamic: dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())}, log)
	}()

	driver.stop()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "lost connection to the CSI driver") {
			t.Errorf("serve ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not notice the driver went away")
	}
}

// TestDiagnostics: the liveness probe's leader election check and the
// metrics answer 200.
func TestDiagnostics(t *testing.T) {
	m := &metrics{}
	m.countProvision(nil)
	m.countProvision(errStopProvision)
	m.countDelete(errors.New("attached"))
	server := httptest.NewServer(sidecar.DiagnosticsHandler("/metrics", m, nil))
	defer server.Close()
	for path, want := range map[string]string{
		sidecar.LeaderHealthPath: "ok",
		"/metrics":               "controller_persistentvolumeclaim_provision_total 1\n",
	} {
		rsp, err := http.Get(server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rsp.Body)
		rsp.Body.Close()
		if rsp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %q", path, rsp.StatusCode, body)
		}
		if path == "/metrics" && !strings.Contains(string(body), "controller_persistentvolume_delete_failed_total 1\n") {
			t.Errorf("metrics %q", body)
		}
	}
	if leaseName("ebs.csi.aws.com") != "ebs-csi-aws-com" || leaseName("example.com/driver.") != "example-com-driver-X" {
		t.Error("lease names differ from upstream's")
	}
	host, _ := os.Hostname()
	if component, err := eventComponent(testDriver); err != nil || !strings.HasPrefix(component, testDriver+"_"+host+"_") ||
		len(component) != len(testDriver+"_"+host+"_")+36 {
		t.Errorf("event component %q, %v", component, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
