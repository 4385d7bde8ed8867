package registrar

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// supportedVersions are the CSI versions the kubelet is told the driver
// speaks, as upstream tells it.
var supportedVersions = []string{"1.0.0"}

// registrationServer answers the kubelet's plugin watcher, which finds
// the socket in its plugins_registry directory, asks what the plugin is
// (GetInfo) and reports whether registering it worked.
type registrationServer struct {
	registerapi.UnimplementedRegistrationServer

	driverName string
	endpoint   string
	log        *slog.Logger

	registered atomic.Bool
	// failed carries the kubelet's refusal; the registrar then ends, so
	// its container restarts and registers afresh, as upstream's does.
	failed chan error
}

func newRegistrationServer(driverName, endpoint string, log *slog.Logger) *registrationServer {
	return &registrationServer{
		driverName: driverName,
		endpoint:   endpoint,
		log:        log,
		failed:     make(chan error, 1),
	}
}

func (s *registrationServer) GetInfo(_ context.Context, _ *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	s.log.Debug("GetInfo from the kubelet")
	return &registerapi.PluginInfo{
		Type:              registerapi.CSIPlugin,
		Name:              s.driverName,
		Endpoint:          s.endpoint,
		SupportedVersions: supportedVersions,
	}, nil
}

func (s *registrationServer) NotifyRegistrationStatus(_ context.Context, status *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	if status.GetPluginRegistered() {
		s.log.Info("the kubelet registered the plugin")
		s.registered.Store(true)
		return &registerapi.RegistrationStatusResponse{}, nil
	}
	s.log.Error("the kubelet failed to register the plugin; restarting the registrar", "err", status.GetError())
	s.registered.Store(false)
	select {
	case s.failed <- fmt.Errorf("the kubelet failed to register plugin %s: %s", s.driverName, status.GetError()):
	default: // already ending
	}
	return &registerapi.RegistrationStatusResponse{}, nil
}
