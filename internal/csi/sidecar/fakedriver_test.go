package sidecar

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// fakeDriver is a CSI driver's identity and controller services over a
// real unix socket, answering what the test sets.
type fakeDriver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer

	mu       sync.Mutex
	name     string
	ready    *wrapperspb.BoolValue
	probeErr error
	probes   int
}

func newFakeDriver() *fakeDriver { return &fakeDriver{name: "ebs.csi.aws.com"} }

// socketIn is where a driver listens in dir.
func socketIn(dir string) string { return filepath.Join(dir, "csi.sock") }

// serve listens on socketIn(dir); stop ends the server, as a driver that
// died, and is also called when the test ends.
func (d *fakeDriver) serve(t *testing.T, dir string) (stop func()) {
	t.Helper()
	listener, err := net.Listen("unix", socketIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	csi.RegisterIdentityServer(server, d)
	csi.RegisterControllerServer(server, d)
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
	return stop
}

func (d *fakeDriver) setProbe(ready *wrapperspb.BoolValue, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ready, d.probeErr = ready, err
}

func (d *fakeDriver) probeCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.probes
}

func (d *fakeDriver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &csi.GetPluginInfoResponse{Name: d.name, VendorVersion: "test"}, nil
}

func (d *fakeDriver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	return &csi.GetPluginCapabilitiesResponse{Capabilities: []*csi.PluginCapability{
		{Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: csi.PluginCapability_Service_CONTROLLER_SERVICE}}},
		{}, // a capability of a kind this CSI version does not know
	}}, nil
}

func (d *fakeDriver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: []*csi.ControllerServiceCapability{
		{Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: csi.ControllerServiceCapability_RPC_EXPAND_VOLUME}}},
		{},
	}}, nil
}

func (d *fakeDriver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.probes++
	if d.probeErr != nil {
		return nil, d.probeErr
	}
	return &csi.ProbeResponse{Ready: d.ready}, nil
}
