package resizer

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
)

// fakeDriver is a CSI driver's identity and controller services, served
// over a real unix socket, whose ControllerExpandVolume answers what the
// test says.
type fakeDriver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer

	name string
	caps []csi.ControllerServiceCapability_RPC_Type

	mu      sync.Mutex
	calls   []*csi.ControllerExpandVolumeRequest
	answers []expandAnswer
	// during, if set, runs inside each ControllerExpandVolume call, to see
	// what the PVC looks like while the driver works.
	during func()
	// stop ends serving, as a driver container that died.
	stop func()
}

type expandAnswer struct {
	capacityBytes         int64
	nodeExpansionRequired bool
	err                   error
}

func newFakeDriver(answers ...expandAnswer) *fakeDriver {
	return &fakeDriver{
		name:    "ebs.csi.aws.com",
		caps:    []csi.ControllerServiceCapability_RPC_Type{csi.ControllerServiceCapability_RPC_EXPAND_VOLUME},
		answers: answers,
	}
}

// serve listens on a socket in a fresh directory until the test ends and
// returns the socket's path.
func (d *fakeDriver) serve(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "csi.sock")
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("listen on %s: %v", path, err)
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
	d.stop = func() {
		once.Do(func() {
			server.Stop()
			<-done
		})
	}
	t.Cleanup(d.stop)
	return path
}

func (d *fakeDriver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: d.name, VendorVersion: "test"}, nil
}

func (d *fakeDriver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	return &csi.GetPluginCapabilitiesResponse{Capabilities: []*csi.PluginCapability{{
		Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: csi.PluginCapability_Service_CONTROLLER_SERVICE}},
	}}}, nil
}

func (d *fakeDriver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{}, nil
}

func (d *fakeDriver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	resp := &csi.ControllerGetCapabilitiesResponse{}
	for _, c := range d.caps {
		resp.Capabilities = append(resp.Capabilities, &csi.ControllerServiceCapability{
			Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: c}},
		})
	}
	return resp, nil
}

// ControllerExpandVolume gives the next answer; the last one is repeated.
func (d *fakeDriver) ControllerExpandVolume(_ context.Context, req *csi.ControllerExpandVolumeRequest) (*csi.ControllerExpandVolumeResponse, error) {
	d.mu.Lock()
	d.calls = append(d.calls, req)
	answer := expandAnswer{capacityBytes: req.GetCapacityRange().GetRequiredBytes()}
	if len(d.answers) > 0 {
		answer = d.answers[0]
		if len(d.answers) > 1 {
			d.answers = d.answers[1:]
		}
	}
	during := d.during
	d.mu.Unlock()
	if during != nil {
		during()
	}
	if answer.err != nil {
		return nil, answer.err
	}
	return &csi.ControllerExpandVolumeResponse{
		CapacityBytes:         answer.capacityBytes,
		NodeExpansionRequired: answer.nodeExpansionRequired,
	}, nil
}

func (d *fakeDriver) expandCalls() []*csi.ControllerExpandVolumeRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*csi.ControllerExpandVolumeRequest(nil), d.calls...)
}
