package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/keksdev/keks/internal/awsprofile"
	"github.com/keksdev/keks/internal/iam"
	"github.com/keksdev/keks/internal/pki"
	"github.com/keksdev/keks/internal/store"
)

// leaderTTL is how long, in seconds, a leader that died unannounced keeps
// leading: the failover time, plus the new leader's start (a few seconds).
// Five seconds is short enough that the AWS CLI's own retries (five
// attempts over about 15 s) span a failover, and long enough for its
// keep-alives (every TTL/3) to survive an etcd leader election (1 s by
// default) and a loaded host's scheduling hiccups.
const leaderTTL = 5

// replicaIdentity is what a replica campaigns with: who it is and where
// the others reach it. The leader's tells standbys where to forward.
type replicaIdentity struct {
	Host    string `json:"host"`
	DataDir string `json:"dataDir"`
	PID     int    `json:"pid"`
	Address string `json:"address"` // host:port of its front door, for the other replicas
}

func (r replicaIdentity) String() string {
	return fmt.Sprintf("keks server on %s, data directory %s, pid %d, at %s", r.Host, r.DataDir, r.PID, r.Address)
}

// sharesRuntime says whether a replica may stand by for leader: the
// clusters' processes and files are on the leader's host, under its data
// directory, which a replica elsewhere could neither find nor adopt (it
// would start fresh, empty control planes at the same addresses).
func (r replicaIdentity) sharesRuntime(leader replicaIdentity) bool {
	return r.Host == leader.Host && r.DataDir == leader.DataDir
}

func parseIdentity(value string) (replicaIdentity, error) {
	var id replicaIdentity
	if err := json.Unmarshal([]byte(value), &id); err != nil {
		return id, fmt.Errorf("the store's leader is %q, not a keks replica of this version", value)
	}
	return id, nil
}

// replica is a keks server on an external store, one of several: it serves
// its front door from the start, forwarding to the leader while it stands
// by, and leads once the leader's lease is gone.
type replica struct {
	self     replicaIdentity
	election *store.Election
	door     *frontDoor
	srv      *http.Server
	ln       net.Listener
	cert     atomic.Pointer[tls.Certificate]
	serveErr chan error
	// fatal carries why the replica cannot go on (a leader it cannot stand by for).
	fatal         chan error
	stopObserving context.CancelFunc
	// resigned is set when this replica gives its session up itself.
	resigned atomic.Bool
	log      *slog.Logger
}

// startReplica joins the store's election and serves the listen address
// as a standby. It refuses to stand by for a leader with another host or
// data directory.
func startReplica(ctx context.Context, cfg Config, st *store.Store, dataDir string, log *slog.Logger) (*replica, error) {
	hostname, _ := os.Hostname()
	advertise := cfg.AdvertiseAddress
	if advertise == "" {
		advertise = cfg.Listen
	}
	self := replicaIdentity{Host: hostname, DataDir: dataDir, PID: os.Getpid(), Address: advertise}
	election, err := st.NewElection(leaderTTL)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*replica, error) {
		_ = election.Close()
		return nil, err
	}
	if v, err := election.Leader(ctx); err == nil {
		if err := self.canFollow(v); err != nil {
			return fail(err)
		}
	} else if !errors.Is(err, store.ErrNoLeader) {
		return fail(err)
	}
	ca, err := loadKeksCA(ctx, st)
	if err != nil {
		return fail(err)
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return fail(fmt.Errorf("--listen %q: %w", cfg.Listen, err))
	}
	advertiseHost, _, err := net.SplitHostPort(advertise)
	if err != nil {
		return fail(fmt.Errorf("--advertise-address %q: %w", advertise, err))
	}
	// The standby's certificate stays in memory: the data directory's
	// pki/ files are the leader's.
	certPEM, keyPEM, err := ca.Issue(servingLeaf(host, advertiseHost))
	if err != nil {
		return fail(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fail(fmt.Errorf("standby serving certificate: %w", err))
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	// A standby forwards presenting this, so that the leader believes the
	// client address it passes on.
	replicaCertPEM, replicaKeyPEM, err := ca.Issue(pki.Leaf{CommonName: replicaCommonName, Client: true})
	if err != nil {
		return fail(err)
	}
	replicaCert, err := tls.X509KeyPair(replicaCertPEM, replicaKeyPEM)
	if err != nil {
		return fail(fmt.Errorf("replica client certificate: %w", err))
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(fmt.Errorf("listen on %s: %w", cfg.Listen, err))
	}
	r := &replica{self: self, election: election, ln: ln, serveErr: make(chan error, 8), fatal: make(chan error, 1), log: log,
		door: newFrontDoor(advertise, pool, &replicaCert, log.With("component", "front-door"))}
	r.cert.Store(&cert)
	r.srv = &http.Server{Handler: r.door, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.cert.Load(), nil },
			// Replicas forward with a certificate of keks's CA, which
			// fromReplica verifies; any other client's (or none) is
			// taken as is, as before.
			// ClientCAs names keks's CA in the request, so that a browser
			// with certificates of its own does not offer them.
			ClientAuth: tls.RequestClientCert, ClientCAs: pool}}
	go func() { r.serveErr <- r.srv.ServeTLS(ln, "", "") }()
	octx, cancel := context.WithCancel(context.Background())
	r.stopObserving = cancel
	go r.observe(octx)
	if cfg.Profile != "" {
		go r.writeProfile(octx, cfg, st, dataDir)
	}
	return r, nil
}

// canFollow refuses a leader this replica could not take over from.
func (r replicaIdentity) canFollow(leaderValue string) error {
	leader, err := parseIdentity(leaderValue)
	if err != nil {
		return err
	}
	if !r.sharesRuntime(leader) {
		return fmt.Errorf("the store is led by the %s; replicas must share its host and data directory (same --data-dir, another --listen), "+
			"since its clusters' processes and files are there: stop that server first, or give this one a store of its own", leader)
	}
	return nil
}

// observe keeps the front door's idea of the leader's address current.
func (r *replica) observe(ctx context.Context) {
	for v := range r.election.Observe(ctx) {
		if err := r.self.canFollow(v); err != nil {
			select {
			case r.fatal <- err:
			default:
			}
			return
		}
		id, _ := parseIdentity(v)
		r.door.setLeader(id.Address)
	}
}

// writeProfile writes this replica's AWS CLI profile (its own address)
// once a leader has bootstrapped the admin's key: a standby writes no
// record of its own.
func (r *replica) writeProfile(ctx context.Context, cfg Config, st *store.Store, dataDir string) {
	iamSvc := &iam.Service{Store: st}
	for {
		if serving, _, _ := r.door.state(); serving != nil {
			return // leading: Run wrote it
		}
		boot, err := iamSvc.BootstrapDone(ctx)
		if err == nil {
			p := awsprofile.Profile{Name: cfg.Profile, Region: cfg.Region, EndpointURL: "https://" + cfg.Listen, CABundle: filepath.Join(dataDir, "pki", "ca.crt"),
				AccessKeyID: boot.AccessKeyID, SecretAccessKey: boot.SecretAccessKey}
			if err := awsprofile.Write(p); err != nil {
				r.log.Warn("write AWS CLI profile", "err", err)
			} else {
				r.log.Info("AWS CLI profile written", "profile", cfg.Profile, "config", awsprofile.ConfigFile())
			}
			return
		}
		if !errors.Is(err, store.ErrNotFound) {
			r.log.Warn("read the admin's access key for the AWS CLI profile", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// lead stands by until this replica leads, and returns the store fenced by
// that leadership and a context that ends when it is lost. A nil store
// means ctx ended first (the server was stopped as a standby).
func (r *replica) lead(ctx context.Context) (*store.Store, context.Context, error) {
	r.log.Info("keks replica standing by: forwarding to the leader until it is gone", "self", r.self.String(), "leaseTTL", leaderTTL)
	type won struct {
		st  *store.Store
		err error
	}
	wonc := make(chan won, 1)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	value, _ := json.Marshal(r.self)
	go func() {
		st, err := r.election.Campaign(cctx, string(value))
		wonc <- won{st, err}
	}()
	select {
	case w := <-wonc:
		if w.err != nil {
			if ctx.Err() != nil {
				return nil, nil, nil
			}
			return nil, nil, w.err
		}
		lctx, lost := context.WithCancel(ctx)
		go func() {
			select {
			case <-r.election.Done():
				lost()
			case <-lctx.Done():
			}
		}()
		r.log.Info("keks replica leads the store", "self", r.self.String())
		return w.st, lctx, nil
	case <-ctx.Done():
		return nil, nil, nil
	case err := <-r.serveErr:
		return nil, nil, err
	case err := <-r.fatal:
		return nil, nil, err
	case <-r.election.Done():
		return nil, nil, errors.New("lost the store session while standing by (the external store was unreachable for longer than the lease): restart to stand by again")
	}
}

// lost reports whether the leadership this replica held is gone, not
// given up.
func (r *replica) lost() bool {
	if r.resigned.Load() {
		return false
	}
	select {
	case <-r.election.Done():
		return true
	default:
		return false
	}
}

// alone reports whether no other replica campaigns: then the leader that
// stops may give the host slot back. Unsure counts as not alone.
func (r *replica) alone() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := r.election.Candidates(ctx)
	return err == nil && n <= 1
}

// stop stops serving and resigns, so that a standby leads at once.
func (r *replica) stop() {
	r.stopObserving()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
	if r.lost() {
		return
	}
	r.resigned.Store(true)
	if err := r.election.Close(); err != nil {
		r.log.Warn("resign the store's leadership", "err", err)
	}
}

// lockDataDirWaiting takes the data directory's lock, waiting while another
// process holds it: a former leader, paused or still stopping, which must
// be gone before this one manages the directory's clusters.
func lockDataDirWaiting(ctx context.Context, dataDir string, log *slog.Logger) (func(), error) {
	for logged := false; ; {
		unlock, err := lockDataDir(dataDir)
		if !errors.Is(err, errDataDirLocked) {
			return unlock, err
		}
		if !logged {
			log.Warn("waiting for the former leader to let go of the data directory", "err", err)
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// lostOr is the error a leader stops with: lost leadership, if it was,
// else err.
func (r *replica) lostOr(err error) error {
	if r.lost() && !errors.Is(err, errLostLeadership) {
		r.log.Error("lost leadership of the store: stopped everything; restart to stand by", "self", r.self.String(), "err", err)
		return fmt.Errorf("%w (its lease of %d s ran out): another replica leads; restart this one to stand by", errLostLeadership, leaderTTL)
	}
	return err
}

// errLostLeadership is how a leader that lost its lease stops: a
// supervisor starts it again, as a standby.
var errLostLeadership = errors.New("lost leadership of the store")
