package server

import (
	"context"
	"net"

	"github.com/keksdev/keks/internal/store"
)

// stsHosts are the hosts a cluster's authenticators accept in get-token
// URLs: this server's listen address by its names, and every replica's
// advertised address, since a kubeconfig made against a standby presigns
// for the standby's address. Replicas are read each time they are asked
// for; the control planes are told again when they change
// (watchReplicas).
func stsHosts(st *store.Store, listen string) func(context.Context) []string {
	return func(ctx context.Context) []string {
		// As before replicas: the snapshot of a single server stays byte for byte.
		hosts := []string{listen}
		if _, port, err := net.SplitHostPort(listen); err == nil {
			hosts = append(hosts, "localhost:"+port, "127.0.0.1:"+port)
		}
		values, err := st.CandidateValues(ctx)
		if err != nil {
			return hosts
		}
		seen := map[string]bool{}
		for _, h := range hosts {
			seen[h] = true
		}
		for _, v := range values {
			id, err := parseIdentity(v)
			if err != nil || id.Address == "" {
				continue
			}
			for _, h := range loopbackNames(id.Address) {
				if !seen[h] {
					seen[h] = true
					hosts = append(hosts, h)
				}
			}
		}
		return hosts
	}
}

// loopbackNames is an address as given, and as localhost and 127.0.0.1 with
// its port: what a client on this host may have called it.
func loopbackNames(addr string) []string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []string{addr}
	}
	out := []string{addr}
	for _, h := range []string{"localhost:" + port, "127.0.0.1:" + port} {
		if h != addr {
			out = append(out, h)
		}
	}
	return out
}

// watchReplicas has every control plane's identity snapshot written again
// when a replica starts or stops campaigning, so that its address is
// accepted in get-token URLs.
func watchReplicas(ctx context.Context, st *store.Store, enqueueAll func(context.Context) error) {
	for range st.WatchCandidates(ctx) {
		_ = enqueueAll(ctx)
	}
}
