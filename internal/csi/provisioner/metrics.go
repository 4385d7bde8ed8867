package provisioner

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
)

// metrics counts what the controller did, served on --http-endpoint under
// the names of upstream's provisioning library (without its labels).
type metrics struct {
	provisioned, provisionFailed atomic.Int64
	deleted, deleteFailed        atomic.Int64
}

func (m *metrics) countProvision(err error) {
	switch {
	case err == nil:
		m.provisioned.Add(1)
	case !errors.Is(err, errStopProvision):
		m.provisionFailed.Add(1)
	}
}

func (m *metrics) countDelete(err error) {
	if err == nil {
		m.deleted.Add(1)
	} else {
		m.deleteFailed.Add(1)
	}
}

// ServeHTTP writes the Prometheus text format.
func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	for _, counter := range []struct {
		name, help string
		value      int64
	}{
		{"controller_persistentvolumeclaim_provision_total", "Total number of persistent volumes provisioned succesfully.", m.provisioned.Load()},
		{"controller_persistentvolumeclaim_provision_failed_total", "Total number of persistent volume provision failed attempts.", m.provisionFailed.Load()},
		{"controller_persistentvolume_delete_total", "Total number of persistent volumes deleted succesfully.", m.deleted.Load()},
		{"controller_persistentvolume_delete_failed_total", "Total number of persistent volume delete failed attempts.", m.deleteFailed.Load()},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", counter.name, counter.help, counter.name, counter.name, counter.value)
	}
}
