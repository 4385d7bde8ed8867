package store

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

const keyPrefix = "/keks/"

// OpenEmbedded starts a single-member etcd in dir, serving keks alone:
// over TLS on loopback, to clients with a certificate of the store CA
// (dir/tls, made on first start), with no peer listener (a single member
// has no peers). A dir an older keks served over plain http opens the same:
// the data is unchanged, only the listener is.
func OpenEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	tlsFiles, err := ensureMemberTLS(filepath.Join(dir, "tls"))
	if err != nil {
		return nil, err
	}
	clientTLS, err := tlsFiles.clientConfig()
	if err != nil {
		return nil, err
	}
	clientURL, err := freeLoopbackURL("https")
	if err != nil {
		return nil, err
	}
	// The member still needs a peer URL to name itself in its cluster,
	// but nothing listens there.
	peerURL, err := freeLoopbackURL("http")
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "keks"
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	tlsFiles.serve(cfg)
	cfg.ListenPeerUrls = nil
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.Name + "=" + peerURL.String()
	cfg.LogLevel = "error"
	cfg.Logger = "zap"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "1h"
	cfg.QuotaBackendBytes = 2 << 30
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s not ready after 60s", cfg.Dir)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{clientURL.String()}, TLS: clientTLS, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("connect to embedded etcd: %w", err)
	}
	log.Info("embedded etcd ready", "dir", cfg.Dir, "client", clientURL.String(), "tls", tlsFiles.dir)
	// Closing twice (a deferred Close after an explicit one) is harmless.
	s := New(cli, keyPrefix, sync.OnceFunc(func() { _ = cli.Close(); e.Close() }))
	s.member = clientURL.String()
	return s, nil
}

// OpenExternal connects to an etcd cluster that keks does not run.
func OpenExternal(ctx context.Context, endpoints []string, tlsCfg *tls.Config) (*Store, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, TLS: tlsCfg, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Get(cctx, keyPrefix+"probe"); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("reach etcd %v: %w", endpoints, err)
	}
	return New(cli, keyPrefix, func() { _ = cli.Close() }), nil
}

func freeLoopbackURL(scheme string) (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free loopback port: %w", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return &url.URL{Scheme: scheme, Host: addr}, nil
}
