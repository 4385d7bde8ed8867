// Package etcdmember starts an etcd member of a control plane whose
// members may lose their data: a pod of the kubernetes runtime whose volume
// is gone comes back empty, and etcd's static bootstrap (every member
// "new") would then make it a cluster of its own, refused by its peers.
// Before etcd starts, a member with no data asks the running cluster
// whether it was a member already; if so it is removed and added again,
// and etcd joins as "existing", as etcd's runtime reconfiguration guide
// recovers a member that lost its data directory.
package etcdmember

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keksdev/keks/internal/pki"
)

// Flags are the etcd flags this package reads and may change.
type Flags struct {
	Name, DataDir         string
	InitialCluster        string // name=peerURL,...
	InitialClusterState   string
	AdvertisePeerURL      string
	CertFile, KeyFile, CA string
}

// Parse reads the flags it needs from etcd's command line (--flag=value).
func Parse(args []string) Flags {
	var f Flags
	for _, a := range args {
		k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			continue
		}
		switch k {
		case "name":
			f.Name = v
		case "data-dir":
			f.DataDir = v
		case "initial-cluster":
			f.InitialCluster = v
		case "initial-cluster-state":
			f.InitialClusterState = v
		case "initial-advertise-peer-urls":
			f.AdvertisePeerURL = v
		case "cert-file":
			f.CertFile = v
		case "key-file":
			f.KeyFile = v
		case "trusted-ca-file":
			f.CA = v
		}
	}
	return f
}

// Prepare returns etcd's command line as it must start: unchanged when
// the member has data or the cluster is being bootstrapped; otherwise,
// once the member is added to the cluster again, joining it as existing.
func Prepare(ctx context.Context, args []string, log *slog.Logger) ([]string, error) {
	f := Parse(args)
	if hasData(f.DataDir) {
		return args, nil
	}
	peers := otherClientURLs(f)
	if len(peers) == 0 {
		return args, nil
	}
	tlsCfg, err := clientTLS(f)
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: peers, TLS: tlsCfg, DialTimeout: 3 * time.Second, Logger: nil})
	if err != nil {
		return nil, fmt.Errorf("client of the other members: %w", err)
	}
	defer cli.Close()
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	list, err := cli.MemberList(lctx)
	cancel()
	if err != nil {
		// No quorum answers: the cluster is being bootstrapped, all of it "new".
		log.Info("no running cluster answers; bootstrapping", "member", f.Name, "err", err)
		return args, nil
	}
	switch step, self := decide(list.Members, f); step {
	case keepBootstrap:
		return args, nil
	case joinAsListed:
		// Added again by an earlier start that stopped before etcd ran.
		log.Info("member is in its cluster but never started; joining it", "member", f.Name)
		return withFlags(args, map[string]string{"initial-cluster": initialCluster(list.Members, self.ID, f), "initial-cluster-state": "existing"}), nil
	case removeAndAdd:
		log.Warn("member lost its data; adding it to the cluster again", "member", f.Name, "id", fmt.Sprintf("%x", self.ID))
		mctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if _, err := cli.MemberRemove(mctx, self.ID); err != nil {
			return nil, fmt.Errorf("remove the lost member %s: %w", f.Name, err)
		}
	default:
		log.Warn("member is not in its cluster; adding it to the cluster again", "member", f.Name)
	}
	mctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	added, err := cli.MemberAdd(mctx, []string{f.AdvertisePeerURL})
	if err != nil {
		return nil, fmt.Errorf("add member %s again: %w", f.Name, err)
	}
	return withFlags(args, map[string]string{"initial-cluster": initialCluster(added.Members, added.Member.ID, f), "initial-cluster-state": "existing"}), nil
}

// step is what a member without data does before etcd starts.
type step int

const (
	// keepBootstrap: it never started and its cluster still lists it as
	// the static bootstrap made it: it starts as bootstrapped ("new").
	keepBootstrap step = iota
	// joinAsListed: listed, never started, added at run time (no name):
	// it joins as "existing".
	joinAsListed
	// removeAndAdd: it ran before (it published its client URLs) and lost
	// its data: it is removed, added again, and joins as "existing".
	removeAndAdd
	// add: it is not listed (removed by an earlier start that stopped
	// before adding it again): it is added and joins as "existing".
	add
)

// decide chooses a dataless member's step from its cluster's member list.
// A member that never started has published no client URLs: one that sat
// out its cluster's bootstrap (its volume attached late) is not a member
// that lost its data, and removing it would bar it for good.
func decide(members []*etcdserverpb.Member, f Flags) (step, *etcdserverpb.Member) {
	for _, m := range members {
		if m.Name != f.Name && !slices.Contains(m.PeerURLs, f.AdvertisePeerURL) {
			continue
		}
		switch {
		case len(m.ClientURLs) > 0:
			return removeAndAdd, m
		case m.Name == "":
			return joinAsListed, m
		default:
			return keepBootstrap, m
		}
	}
	return add, nil
}

// initialCluster is --initial-cluster for joining as existing: every
// listed member's peer URLs by name, self's under its own name, and a
// member without a name (never started) under its name in the bootstrap.
func initialCluster(members []*etcdserverpb.Member, self uint64, f Flags) string {
	bootNames := map[string]string{}
	for _, m := range strings.Split(f.InitialCluster, ",") {
		if name, peer, ok := strings.Cut(m, "="); ok {
			bootNames[peer] = name
		}
	}
	var out []string
	for _, m := range members {
		for _, u := range m.PeerURLs {
			name := m.Name
			switch {
			case m.ID == self:
				name = f.Name
			case name == "":
				name = bootNames[u]
			}
			out = append(out, name+"="+u)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// hasData reports whether the data directory holds a member's data.
func hasData(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "member", "wal"))
	return err == nil
}

// otherClientURLs are the other members' client URLs: their peer URLs' hosts on the client port.
func otherClientURLs(f Flags) []string {
	var out []string
	for _, m := range strings.Split(f.InitialCluster, ",") {
		name, peer, ok := strings.Cut(m, "=")
		if !ok || name == f.Name {
			continue
		}
		u, err := url.Parse(peer)
		if err != nil {
			continue
		}
		out = append(out, "https://"+net.JoinHostPort(u.Hostname(), "2379"))
	}
	return out
}

func clientTLS(f Flags) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("member certificate: %w", err)
	}
	roots, err := pki.SystemRootsWith(f.CA)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// withFlags sets flags on a command line, replacing their earlier values.
func withFlags(args []string, set map[string]string) []string {
	out := make([]string, 0, len(args)+len(set))
	for _, a := range args {
		k, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if _, ok := set[k]; ok && strings.HasPrefix(a, "--") {
			continue
		}
		out = append(out, a)
	}
	for k, v := range set {
		out = append(out, "--"+k+"="+v)
	}
	return out
}
