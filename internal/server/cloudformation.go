package server

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/keksdev/keks/internal/api/cfnapi"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/cloudformation"
	"github.com/keksdev/keks/internal/cloudformation/resources"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/store"
)

// cloudFormation is keks's CloudFormation: its API at the front door and
// the engine that drives stacks, whose providers call keks's own API (at
// listen, under keks's CA) as each stack's caller.
type cloudFormation struct {
	api    *awsproto.Service
	engine *cloudformation.Engine
	st     *store.Store
}

func newCloudFormation(st *store.Store, iamSvc *iam.Service, listen, caFile string, now func() time.Time, log *slog.Logger) (*cloudFormation, error) {
	hc, err := clientTrusting(caFile)
	if err != nil {
		return nil, err
	}
	hc.Timeout = time.Minute
	svc := &cloudformation.Service{Store: st, Now: now, Types: resources.All()}
	clients := &cloudformation.ClientFactory{Endpoint: selfEndpoint(listen), HTTP: hc, Sessions: iamSvc, Now: now}
	engine := cloudformation.NewEngine(svc, clients.For, log)
	return &cloudFormation{api: (&cfnapi.Handler{CFN: svc, Wake: engine.Wake}).Service(), engine: engine, st: st}, nil
}

// selfEndpoint is keks's AWS endpoint as keks's own clients (CloudFormation,
// the console) reach it: a wildcard listen address on loopback, which keks's
// certificate names.
func selfEndpoint(listen string) string {
	if host, port, err := net.SplitHostPort(listen); err == nil && (host == "" || net.ParseIP(host).IsUnspecified()) {
		listen = net.JoinHostPort("127.0.0.1", port)
	}
	return "https://" + listen
}

// run drives stacks until ctx ends.
func (c *cloudFormation) run(ctx context.Context) { _ = c.engine.Run(ctx) }

// watch wakes the engine on every change of a stack, until ctx ends.
func (c *cloudFormation) watch(ctx context.Context) {
	wakeOnChange(ctx, c.st, cloudformation.Prefix+"stacks/", c.engine.Wake)
}
