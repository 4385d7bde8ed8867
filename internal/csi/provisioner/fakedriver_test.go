package provisioner

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	testDriver  = "ebs.csi.aws.com"
	zoneKey     = "topology.ebs.csi.aws.com/zone"
	gib         = int64(1) << 30
	fakeContext = "fake-context"
)

// fakeDriver is a CSI controller service that keeps its volumes in memory,
// idempotent by name like a real driver, and records every call.
type fakeDriver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer

	controllerCaps []csi.ControllerServiceCapability_RPC_Type

	mu       sync.Mutex
	volumes  map[string]*csi.Volume // by name
	creates  []*csi.CreateVolumeRequest
	deletes  []*csi.DeleteVolumeRequest
	failures []error // returned by the next CreateVolume calls, in order
	stop     func()  // stops serving
}

func newFakeDriver() *fakeDriver {
	return &fakeDriver{
		controllerCaps: []csi.ControllerServiceCapability_RPC_Type{
			csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
			csi.ControllerServiceCapability_RPC_PUBLISH_UNPUBLISH_VOLUME,
			csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT,
			csi.ControllerServiceCapability_RPC_MODIFY_VOLUME,
		},
		volumes: map[string]*csi.Volume{},
	}
}

// serve listens on a unix socket in a temporary directory and returns its
// path; the server stops with the test.
func (d *fakeDriver) serve(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir) > 90 { // sun_path holds 108 bytes
		var err error
		if dir, err = os.MkdirTemp("", "csi"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	socket := filepath.Join(dir, "csi.sock")
	listener, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	csi.RegisterIdentityServer(server, d)
	csi.RegisterControllerServer(server, d)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = server.Serve(listener)
	}()
	var once sync.Once
	d.stop = func() {
		once.Do(func() {
			server.Stop()
			<-served
		})
	}
	t.Cleanup(d.stop)
	return socket
}

func (d *fakeDriver) failNextCreate(errs ...error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failures = append(d.failures, errs...)
}

func (d *fakeDriver) createRequests() []*csi.CreateVolumeRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*csi.CreateVolumeRequest(nil), d.creates...)
}

func (d *fakeDriver) deletedIDs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for _, r := range d.deletes {
		ids = append(ids, r.GetVolumeId())
	}
	return ids
}

func (d *fakeDriver) deleteRequests() []*csi.DeleteVolumeRequest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*csi.DeleteVolumeRequest(nil), d.deletes...)
}

func (d *fakeDriver) volumeCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.volumes)
}

func (d *fakeDriver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: testDriver, VendorVersion: "test"}, nil
}

func (d *fakeDriver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	service := func(t csi.PluginCapability_Service_Type) *csi.PluginCapability {
		return &csi.PluginCapability{Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: t}}}
	}
	return &csi.GetPluginCapabilitiesResponse{Capabilities: []*csi.PluginCapability{
		service(csi.PluginCapability_Service_CONTROLLER_SERVICE),
		service(csi.PluginCapability_Service_VOLUME_ACCESSIBILITY_CONSTRAINTS),
	}}, nil
}

func (d *fakeDriver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{}, nil
}

func (d *fakeDriver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	rsp := &csi.ControllerGetCapabilitiesResponse{}
	for _, c := range d.controllerCaps {
		rsp.Capabilities = append(rsp.Capabilities, &csi.ControllerServiceCapability{
			Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: c}}})
	}
	return rsp, nil
}

// CreateVolume rounds up to whole GiB like EBS and puts the volume in the
// first preferred topology.
func (d *fakeDriver) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.creates = append(d.creates, req) // each call decodes a message of its own
	if len(d.failures) > 0 {
		err := d.failures[0]
		d.failures = d.failures[1:]
		return nil, err
	}
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name missing")
	}
	if v, ok := d.volumes[req.GetName()]; ok {
		return &csi.CreateVolumeResponse{Volume: v}, nil
	}
	size := (req.GetCapacityRange().GetRequiredBytes() + gib - 1) / gib * gib
	v := &csi.Volume{
		VolumeId:      "vol-" + req.GetName(),
		CapacityBytes: size,
		VolumeContext: map[string]string{"from": fakeContext},
		ContentSource: req.GetVolumeContentSource(),
	}
	if top := req.GetAccessibilityRequirements(); top != nil {
		switch {
		case len(top.GetPreferred()) > 0:
			v.AccessibleTopology = []*csi.Topology{top.GetPreferred()[0]}
		case len(top.GetRequisite()) > 0:
			v.AccessibleTopology = []*csi.Topology{top.GetRequisite()[0]}
		}
	}
	d.volumes[req.GetName()] = v
	return &csi.CreateVolumeResponse{Volume: v}, nil
}

func (d *fakeDriver) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deletes = append(d.deletes, req)
	for name, v := range d.volumes {
		if v.GetVolumeId() == req.GetVolumeId() {
			delete(d.volumes, name)
		}
	}
	return &csi.DeleteVolumeResponse{}, nil
}
