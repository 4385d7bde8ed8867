package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/keksdev/keks/internal/console"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store"
)

// newConsole is the web console, served under /console on the listen
// address, a client of keks's own AWS APIs there.
func newConsole(st *store.Store, iamSvc *iam.Service, listen, caFile, region string, now func() time.Time, log *slog.Logger) (http.Handler, error) {
	hc, err := clientTrusting(caFile)
	if err != nil {
		return nil, err
	}
	hc.Timeout = 30 * time.Second
	// A page makes its calls several at a time (the cluster list one per
	// cluster): connections are kept for them, not set up again each time.
	if tr, ok := hc.Transport.(*http.Transport); ok {
		tr.MaxIdleConnsPerHost = 32
	}
	c := &console.Console{Endpoint: selfEndpoint(listen), HTTP: hc, Region: region, Store: st, Identity: iamSvc, Now: now, Log: log}
	return c.Handler(), nil
}
