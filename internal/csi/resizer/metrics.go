package resizer

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// csiMetrics is csi-lib-utils' csi_sidecar_operations_seconds: how long
// each call to the driver took and how it ended, which dashboards made for
// the upstream sidecars read.
type csiMetrics struct {
	registry   *prometheus.Registry
	operations *prometheus.HistogramVec
	driverName atomic.Value // string, known only after GetPluginInfo
}

func newCSIMetrics() *csiMetrics {
	m := &csiMetrics{
		registry: prometheus.NewRegistry(),
		operations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "csi",
			Subsystem: "sidecar",
			Name:      "operations_seconds",
			Help:      "Container Storage Interface operation duration with gRPC error code status total",
			Buckets:   []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600},
		}, []string{"driver_name", "method_name", "grpc_status_code"}),
	}
	m.driverName.Store("")
	m.registry.MustRegister(m.operations,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *csiMetrics) setDriverName(name string) { m.driverName.Store(name) }

// interceptor times every call made on the driver connection.
func (m *csiMetrics) interceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	start := time.Now()
	err := invoker(ctx, method, req, reply, cc, opts...)
	m.operations.WithLabelValues(m.driverName.Load().(string), method, status.Code(err).String()).Observe(time.Since(start).Seconds())
	return err
}

func (m *csiMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
