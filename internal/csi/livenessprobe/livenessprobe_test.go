package livenessprobe

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// fakeIdentity is a CSI driver's identity service whose Probe answers
// what the test sets.
type fakeIdentity struct {
	csi.UnimplementedIdentityServer

	mu       sync.Mutex
	ready    *wrapperspb.BoolValue
	probeErr error
}

func (f *fakeIdentity) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: "ebs.csi.aws.com", VendorVersion: "test"}, nil
}

func (f *fakeIdentity) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.probeErr != nil {
		return nil, f.probeErr
	}
	return &csi.ProbeResponse{Ready: f.ready}, nil
}

func (f *fakeIdentity) set(ready *wrapperspb.BoolValue, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready, f.probeErr = ready, err
}

// serve listens on a socket in a fresh directory; stop ends the server
// and removes the socket, as a driver that died does.
func (f *fakeIdentity) serve(t *testing.T) (path string, stop func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "csi.sock")
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	csi.RegisterIdentityServer(server, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = server.Serve(listener)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			server.Stop()
			<-done
		})
	}
	t.Cleanup(stop)
	return path, stop
}

func TestHealthzFollowsTheDriversProbe(t *testing.T) {
	driver := &fakeIdentity{}
	path, stop := driver.serve(t)
	handler := healthHandler(&healthCheck{csiAddress: path, timeout: time.Second, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return rec.Code, rec.Body.String()
	}

	if code, body := get(); code != http.StatusOK || body != "ok" {
		t.Errorf("ready left out: %d %q, want 200 ok", code, body)
	}
	driver.set(wrapperspb.Bool(true), nil)
	if code, body := get(); code != http.StatusOK || body != "ok" {
		t.Errorf("ready: %d %q, want 200 ok", code, body)
	}
	driver.set(wrapperspb.Bool(false), nil)
	if code, body := get(); code != http.StatusInternalServerError || !strings.Contains(body, "not ready") {
		t.Errorf("not ready: %d %q, want 500 not ready", code, body)
	}
	driver.set(nil, status.Error(codes.FailedPrecondition, "no IMDS"))
	if code, body := get(); code != http.StatusInternalServerError || !strings.Contains(body, "no IMDS") {
		t.Errorf("probe error: %d %q, want 500 with the error", code, body)
	}
	stop()
	start := time.Now()
	if code, _ := get(); code != http.StatusInternalServerError {
		t.Errorf("driver gone: %d, want 500", code)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("probe of a gone driver took %s, want about --probe-timeout", took)
	}
}

func TestRunServesHealthzUntilCancelled(t *testing.T) {
	driver := &fakeIdentity{}
	path, _ := driver.serve(t)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--csi-address=" + path, "--http-endpoint=" + addr, "--probe-timeout=1s"})
	}()

	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "ok" {
				t.Errorf("GET /healthz = %d %q, want 200 ok", resp.StatusCode, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never served: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestOptionsAreUpstreams(t *testing.T) {
	opts, err := parseOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.address() != "0.0.0.0:9808" || opts.probeTimeout != time.Second || opts.csiAddress != "/run/csi/socket" {
		t.Errorf("defaults = %+v", opts)
	}
	opts, err = parseOptions([]string{"--http-endpoint=:9810"})
	if err != nil || opts.address() != ":9810" {
		t.Errorf("--http-endpoint: %+v %v", opts, err)
	}
	if _, err := parseOptions([]string{"--health-port=9811", "--http-endpoint=:9810"}); err == nil {
		t.Error("both --health-port and --http-endpoint accepted")
	}
}
