package registrar

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	"google.golang.org/grpc"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

const (
	testDriver   = "ebs.csi.aws.com"
	hostEndpoint = "/var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock"
)

// fakeIdentity is the identity service of a CSI driver, over a real unix
// socket.
type fakeIdentity struct {
	csi.UnimplementedIdentityServer
}

func (fakeIdentity) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: testDriver, VendorVersion: "test"}, nil
}

func serveFakeDriver(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "csi.sock")
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	csi.RegisterIdentityServer(server, fakeIdentity{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = server.Serve(listener)
	}()
	t.Cleanup(func() {
		server.Stop()
		<-done
	})
	return path
}

// running is a registrar started with Run.
type running struct {
	regDir string
	socket string
	cancel context.CancelFunc
	done   chan error
}

func startRegistrar(t *testing.T, regDir string) *running {
	t.Helper()
	driverSocket := serveFakeDriver(t)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{regDir: regDir, socket: filepath.Join(regDir, testDriver+"-reg.sock"), cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- Run(ctx, []string{
			"--csi-address=" + driverSocket,
			"--kubelet-registration-path=" + hostEndpoint,
			"--plugin-registration-path=" + regDir,
		})
	}()
	t.Cleanup(func() {
		cancel()
		r.wait(t)
	})
	return r
}

// client dials the registration socket as the kubelet's plugin watcher
// does, once it appears.
func (r *running) client(t *testing.T) registerapi.RegistrationClient {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if exists, _ := socketExists(r.socket); exists {
			break
		}
		select {
		case err := <-r.done:
			t.Fatalf("registrar ended before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the registration socket never appeared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	conn, err := sidecar.DialUnix(r.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return registerapi.NewRegistrationClient(conn)
}

func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the next waiter
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the registrar did not stop")
		return nil
	}
}

func TestKubeletGetsThePluginInfo(t *testing.T) {
	r := startRegistrar(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	info, err := r.client(t).GetInfo(ctx, &registerapi.InfoRequest{})
	if err != nil {
		t.Fatalf("GetInfo: %v", err)
	}
	if info.GetType() != registerapi.CSIPlugin || info.GetName() != testDriver || info.GetEndpoint() != hostEndpoint ||
		!slices.Equal(info.GetSupportedVersions(), []string{"1.0.0"}) {
		t.Errorf("GetInfo = %v, want CSIPlugin %s at %s, versions [1.0.0]", info, testDriver, hostEndpoint)
	}
	stat, err := os.Stat(r.socket)
	if err != nil {
		t.Fatal(err)
	}
	if perm := stat.Mode().Perm(); perm != 0o600 {
		t.Errorf("socket permissions = %o, want 600", perm)
	}

	r.cancel()
	if err := r.wait(t); err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	if _, err := os.Stat(r.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind on exit: %v", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	regDir := t.TempDir()
	stalePath := filepath.Join(regDir, testDriver+"-reg.sock")
	stale, err := net.Listen("unix", stalePath)
	if err != nil {
		t.Fatal(err)
	}
	// As a registrar that was killed leaves it: the file, nobody serving.
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	if exists, err := socketExists(stalePath); !exists || err != nil {
		t.Fatalf("no stale socket to start with: %v %v", exists, err)
	}

	r := startRegistrar(t, regDir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The stale socket is there from the start, so the test, unlike the
	// kubelet (which waits for the new socket's creation), may dial it
	// before it is replaced: wait for the connection.
	info, err := r.client(t).GetInfo(ctx, &registerapi.InfoRequest{}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatalf("GetInfo on the replaced socket: %v", err)
	}
	if info.GetName() != testDriver {
		t.Errorf("GetInfo name = %q", info.GetName())
	}
}

func TestAFileInTheSocketsPlaceIsNotRemoved(t *testing.T) {
	regDir := t.TempDir()
	path := filepath.Join(regDir, testDriver+"-reg.sock")
	if err := os.WriteFile(path, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startRegistrar(t, regDir)
	if err := r.wait(t); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Run = %v, want an error about the file", err)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "not a socket" {
		t.Errorf("the file was touched: %q %v", data, err)
	}
}

func TestFailedRegistrationEndsTheRegistrar(t *testing.T) {
	r := startRegistrar(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := r.client(t)
	if _, err := client.NotifyRegistrationStatus(ctx, &registerapi.RegistrationStatus{PluginRegistered: false, Error: "version mismatch"}); err != nil {
		t.Fatalf("NotifyRegistrationStatus: %v", err)
	}
	if err := r.wait(t); err == nil || !strings.Contains(err.Error(), "version mismatch") {
		t.Errorf("Run = %v, want the kubelet's error", err)
	}
}

func TestHealthNeedsTheSocketAndTheKubeletsWord(t *testing.T) {
	dir := t.TempDir()
	socketPath := filepath.Join(dir, testDriver+"-reg.sock")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	registration := newRegistrationServer(testDriver, hostEndpoint, log)
	handler := healthHandler(&healthCheck{socketPath: socketPath, server: registration, timeout: 5 * time.Second, log: log}, false)
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return rec.Code, rec.Body.String()
	}

	if code, _ := get(); code != http.StatusNotFound {
		t.Errorf("without the socket: %d, want 404", code)
	}

	listener, err := listenUnix(socketPath)
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	registerapi.RegisterRegistrationServer(server, registration)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = server.Serve(listener)
	}()
	defer func() {
		server.Stop()
		<-done
	}()

	if code, body := get(); code != http.StatusInternalServerError || !strings.Contains(body, "has not reported") {
		t.Errorf("before the kubelet's notification: %d %q, want 500", code, body)
	}
	if _, err := registration.NotifyRegistrationStatus(context.Background(), &registerapi.RegistrationStatus{PluginRegistered: true}); err != nil {
		t.Fatal(err)
	}
	if code, body := get(); code != http.StatusOK || body != "ok" {
		t.Errorf("once registered: %d %q, want 200 ok", code, body)
	}
}

func TestProbeModeAndRequiredFlags(t *testing.T) {
	ctx := context.Background()
	if err := Run(ctx, []string{"--kubelet-registration-path=" + hostEndpoint, "--mode=kubelet-registration-probe"}); err != nil {
		t.Errorf("probe mode = %v, want success", err)
	}
	if err := Run(ctx, []string{"--mode=kubelet-registration-probe"}); err == nil {
		t.Error("no --kubelet-registration-path accepted")
	}
	if err := Run(ctx, []string{"--kubelet-registration-path=x", "--health-port=9809", "--http-endpoint=:9809"}); err == nil {
		t.Error("both --health-port and --http-endpoint accepted")
	}
}
