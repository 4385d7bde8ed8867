package registrar

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/keksdev/keks/internal/csi/sidecar"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// healthCheck is /healthz: 200 when the registration socket exists,
// answers GetInfo with the driver's name (as upstream checks), and the
// kubelet reported the plugin registered.
type healthCheck struct {
	socketPath string
	server     *registrationServer
	timeout    time.Duration
	log        *slog.Logger
}

func (h *healthCheck) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	exists, err := socketExists(h.socketPath)
	switch {
	case err != nil:
		h.fail(w, http.StatusInternalServerError, err.Error())
		return
	case !exists:
		h.fail(w, http.StatusNotFound, "registration socket does not exist")
		return
	}
	if err := h.askSocket(r.Context()); err != nil {
		h.fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	if !h.server.registered.Load() {
		h.fail(w, http.StatusInternalServerError, fmt.Sprintf("the kubelet has not reported plugin %s registered", h.server.driverName))
		return
	}
	fmt.Fprint(w, "ok")
}

func (h *healthCheck) fail(w http.ResponseWriter, code int, msg string) {
	h.log.Error("health check failed", "err", msg)
	http.Error(w, msg, code)
}

// askSocket checks the socket is served, by this registrar: the kubelet's
// view of it.
func (h *healthCheck) askSocket(ctx context.Context) error {
	conn, err := sidecar.DialUnix(h.socketPath)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	if err := sidecar.WaitUntilReady(ctx, conn); err != nil {
		return fmt.Errorf("connect to the registration socket %s: %w", h.socketPath, err)
	}
	info, err := registerapi.NewRegistrationClient(conn).GetInfo(ctx, &registerapi.InfoRequest{})
	if err != nil {
		return fmt.Errorf("GetInfo on the registration socket: %w", err)
	}
	if info.GetName() != h.server.driverName {
		return fmt.Errorf("the registration socket serves driver %q, not %q", info.GetName(), h.server.driverName)
	}
	return nil
}

func healthHandler(check *healthCheck, enablePprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/healthz", check)
	if enablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}
