package controlplane

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/supervisor"
)

// hostRuntime runs each member of a control plane as a process of this
// host (supervisor: its own session and UTS namespace, found again by its
// marker after a keks restart), on a bridge of the cluster's own
// (cpNetwork, claimed in the store by its index), with its files in the
// cluster's directory (clusterDir).
type hostRuntime struct {
	cfg   Config
	store *store.Store
	log   *slog.Logger

	unhealthySince sync.Map // instance id -> time.Time
	mu             sync.Mutex
	probers        map[string]*prober      // cluster uid -> its health prober, connections kept
	scrapers       map[string]*loadScraper // cluster uid -> its API servers' metrics reader
}

func newHostRuntime(cfg Config, s *store.Store, log *slog.Logger) *hostRuntime {
	return &hostRuntime{cfg: cfg, store: s, log: log, probers: map[string]*prober{}, scrapers: map[string]*loadScraper{}}
}

func (h *hostRuntime) Name() string { return RuntimeHost }

// Allocate claims a control-plane network of the server's range.
func (h *hostRuntime) Allocate(ctx context.Context, st *State) error {
	idx, err := claimNetIndex(ctx, h.store, st.ClusterUID, h.cfg.Networks)
	if err != nil {
		return err
	}
	st.NetIndex = idx
	return nil
}

func (h *hostRuntime) Placement(st *State) Placement { return h.placement(st) }

func (h *hostRuntime) placement(st *State) hostPlacement {
	return newHostPlacement(h.cfg.DataDir, st.ClusterUID, st.NetIndex, st.apiServerInstances())
}

// Prepare makes the cluster's bridge with the host's addresses (.1, keks's
// source .2) and every member's.
func (h *hostRuntime) Prepare(_ context.Context, cl *eks.Cluster, st *State) error {
	pl := h.placement(st)
	n := pl.net
	addrs := []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr(n.addr(1)), 24), netip.PrefixFrom(netip.MustParseAddr(n.keksSource()), 24)}
	for _, p := range plan(pl, cl.Region) {
		addrs = append(addrs, netip.PrefixFrom(netip.MustParseAddr(p.address), 24))
	}
	return network.EnsureBridge(n.bridge(), addrs)
}

func (h *hostRuntime) Published(st *State) Published { return hostPublished(h.placement(st)) }

func (h *hostRuntime) Publish(_ context.Context, st *State, b *Bundle) error {
	return publishHost(h.placement(st), b)
}

func (h *hostRuntime) ConfigHash(st *State, m Member) string {
	_, hash := h.spec(h.placement(st), m)
	return hash
}

// spec is the process of a member. The hash of its program (a Kubernetes
// version's build; keks's own binary by its size and time), command line,
// environment and hostname decides whether a running process must be
// replaced; a reloading member's document digest follows it after a "/".
func (h *hostRuntime) spec(pl hostPlacement, m Member) (supervisor.Spec, string) {
	path := h.cfg.KeksBinary
	if m.Component != keksComponent {
		path = h.cfg.K8s.Path(m.Version, m.Component)
	}
	args := append(append([]string(nil), m.Command...), sortedFlags(m.Flags)...)
	sum := sha256.New()
	version := m.Version.Patch
	if keksProcess(m.role) {
		// keks's own processes follow keks's binary, not the Kubernetes version:
		// a new keks rolls them.
		version = binaryStamp(path)
	}
	hostname := "ip-" + strings.ReplaceAll(m.address, ".", "-")
	fmt.Fprintln(sum, path, version, strings.Join(args, " "), strings.Join(m.Env, " "), hostname)
	hash := hex.EncodeToString(sum.Sum(nil))[:16]
	if m.ReloadDigest != "" {
		hash += "/" + m.ReloadDigest
	}
	return supervisor.Spec{
		ID: pl.uid + "/" + m.name, Path: path, Args: args, Env: m.Env, Dir: string(pl.dir), LogFile: pl.Log(m.name), Hostname: hostname,
	}, hash
}

// Converge starts what is missing, replaces what died or stopped
// answering, and rolls out at most one changed instance at a time, only
// while every other instance is healthy.
func (h *hostRuntime) Converge(ctx context.Context, cl *eks.Cluster, st *State, members []Member) error {
	pl := h.placement(st)
	h.killStrays(ctx, cl.UID, st)
	var outdated []Member
	allHealthy := true
	for _, m := range members {
		spec, hash := h.spec(pl, m)
		inst := st.instance(m.name)
		if inst == nil {
			st.Instances = append(st.Instances, Instance{Name: m.name, Role: m.role, Zone: m.zone, Address: m.address})
			inst = &st.Instances[len(st.Instances)-1]
		}
		inst.DrainingSince = time.Time{} // wanted again before it was stopped
		running := supervisor.Running(inst.PID, spec.ID)
		switch {
		case !running:
			if inst.PID != 0 {
				inst.Replaced++
				st.event(m.name, "process %d is gone; starting a replacement", inst.PID)
				h.log.Warn("control-plane instance died; replacing", "cluster", cl.Name, "instance", m.name, "pid", inst.PID)
			}
			if err := h.start(inst, spec, hash, m); err != nil {
				return err
			}
			allHealthy = false
		case h.unresponsive(inst, spec.ID):
			inst.Replaced++
			st.event(m.name, "process %d stopped answering its health check for %s; replacing it", inst.PID, unresponsiveAfter)
			h.log.Warn("control-plane instance stopped answering; replacing", "cluster", cl.Name, "instance", m.name, "pid", inst.PID)
			if err := supervisor.Stop(ctx, inst.PID, spec.ID, 5*time.Second); err != nil {
				return err
			}
			if err := h.start(inst, spec, hash, m); err != nil {
				return err
			}
			allHealthy = false
		case inst.ConfigHash != hash:
			if m.role == RoleEndpoint && reloadOnly(inst.ConfigHash, hash) {
				// The balancer rereads its file on SIGHUP; no restart needed.
				if err := supervisor.Signal(inst.PID, spec.ID, sighup); err == nil {
					inst.ConfigHash = hash
					st.event(m.name, "reloaded configuration")
				}
				continue
			}
			outdated = append(outdated, m)
		}
		if !inst.Healthy {
			allHealthy = false
		}
	}
	if err := h.drainRemoved(ctx, cl, st, members); err != nil {
		return err
	}
	m, ok := nextRollout(outdated, allHealthy)
	if !ok {
		return nil
	}
	spec, hash := h.spec(pl, m)
	inst := st.instance(m.name)
	st.event(m.name, "rolling to %s (configuration %s)", m.Version.Patch, hash)
	h.log.Info("rolling control-plane instance", "cluster", cl.Name, "instance", m.name, "version", m.Version.Patch)
	if err := supervisor.Stop(ctx, inst.PID, spec.ID, 20*time.Second); err != nil {
		return err
	}
	return h.start(inst, spec, hash, m)
}

func (h *hostRuntime) start(inst *Instance, spec supervisor.Spec, hash string, m Member) error {
	if inst.Role == RoleEtcd {
		if err := os.MkdirAll(filepath.Join(spec.Dir, inst.Name), 0o700); err != nil {
			return err
		}
	}
	pid, err := supervisor.Start(spec)
	if err != nil {
		return err
	}
	inst.PID, inst.ConfigHash, inst.Version, inst.StartedAt, inst.Healthy = pid, hash, m.Version.Patch, time.Now().UTC(), false
	h.unhealthySince.Delete(spec.ID)
	if keksProcess(inst.Role) {
		inst.Version = "keks"
	}
	return nil
}

// unresponsive reports a running process that has not answered its liveness
// check for too long: past its start-up grace, or for unresponsiveAfter once
// it had answered.
func (h *hostRuntime) unresponsive(inst *Instance, id string) bool {
	v, ok := h.unhealthySince.Load(id)
	if !ok {
		return false
	}
	since := v.(time.Time)
	if inst.LastLive.Before(inst.StartedAt) {
		return time.Since(inst.StartedAt) > startupGrace
	}
	return time.Since(since) > unresponsiveAfter
}

// killStrays stops processes of this cluster that keks does not track: ones
// started by a keks that crashed before recording them.
func (h *hostRuntime) killStrays(ctx context.Context, uid string, st *State) {
	for pid, id := range supervisor.Find(uid + "/") {
		name := strings.TrimPrefix(id, uid+"/")
		if inst := st.instance(name); inst != nil && inst.PID == pid {
			continue
		}
		h.log.Warn("stopping untracked control-plane process", "instance", id, "pid", pid)
		_ = supervisor.Stop(ctx, pid, id, 5*time.Second)
	}
}

// Health probes each instance from keks's source address: HTTP(S) health
// endpoints, a KMS plugin through its socket.
func (h *hostRuntime) Health(ctx context.Context, st *State) {
	pl := h.placement(st)
	p := h.prober(st.ClusterUID, pl.PKI("ca.crt"), pl.KeksSource())
	var wg sync.WaitGroup
	for i := range st.Instances {
		inst := &st.Instances[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := st.ClusterUID + "/" + inst.Name
			ready, live := probeFunc(p.ready), probeFunc(p.live)
			if inst.Role == RoleKMSPlugin {
				ready, live = kmsPluginProbes(st.ClusterUID, inst.Name) // it answers on a socket
			}
			inst.Healthy = settled(inst, ready(ctx, inst.Role, inst.Address))
			if inst.Healthy || live(ctx, inst.Role, inst.Address) {
				inst.LastLive = time.Now().UTC()
				h.unhealthySince.Delete(id)
			} else {
				h.unhealthySince.LoadOrStore(id, time.Now())
			}
			if inst.Healthy {
				inst.LastHealthy = time.Now().UTC()
			}
		}()
	}
	wg.Wait()
}

// prober returns a cluster's health prober, made once so that its
// connections are reused from pass to pass.
func (h *hostRuntime) prober(uid, caFile, source string) *prober {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.probers[uid]
	if !ok {
		p = newProber(caFile, source)
		h.probers[uid] = p
	}
	return p
}

// Teardown stops the cluster's processes, removes its bridge, its
// directory and its KMS sockets, and gives its network back.
func (h *hostRuntime) Teardown(ctx context.Context, cl *eks.Cluster, st *State) error {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for pid, id := range supervisor.Find(cl.UID + "/") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := supervisor.Stop(ctx, pid, id, 5*time.Second); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return fmt.Errorf("stop control plane of %s: %w", cl.Name, err)
	}
	if st.ClusterUID != "" {
		if err := network.DeleteLink(newNetwork(st.NetIndex).bridge()); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(filepath.Join(h.cfg.DataDir, cl.UID)); err != nil {
		return fmt.Errorf("remove files of %s: %w", cl.Name, err)
	}
	if err := removeKMSSockets(cl.UID); err != nil {
		return fmt.Errorf("remove KMS plugin sockets of %s: %w", cl.Name, err)
	}
	if st.ClusterUID != "" {
		if err := h.store.Delete(ctx, netIndexKey(st.NetIndex)); err != nil {
			return err
		}
	}
	h.mu.Lock()
	p, s := h.probers[cl.UID], h.scrapers[cl.UID]
	delete(h.probers, cl.UID)
	delete(h.scrapers, cl.UID)
	h.mu.Unlock()
	if s != nil {
		s.close()
	}
	if p != nil {
		p.close()
	}
	for _, inst := range st.Instances {
		h.unhealthySince.Delete(cl.UID + "/" + inst.Name)
	}
	return nil
}

// AdminConfig is the keks-admin kubeconfig the bundle has, dialing from
// keks's source address on the cluster's bridge.
func (h *hostRuntime) AdminConfig(st *State) (*rest.Config, error) {
	pl := h.placement(st)
	rc, err := clientcmd.BuildConfigFromFlags("", pl.Kubeconfig("keks-admin"))
	if err != nil {
		return nil, fmt.Errorf("admin kubeconfig of cluster %s: %w", st.ClusterUID, err)
	}
	rc.Dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(pl.KeksSource())}}).DialContext
	return rc, nil
}

func (h *hostRuntime) LogDir(st *State) string { return h.placement(st).File("logs") }

// claimNetIndex reserves the lowest free control-plane network of the
// server's range for uid.
func claimNetIndex(ctx context.Context, s *store.Store, uid string, r NetworkRange) (int, error) {
	for n := r.First; n < r.First+r.Count; n++ {
		var owner string
		if _, err := s.Get(ctx, netIndexKey(n), &owner); err == nil {
			if owner == uid {
				return n, nil
			}
			continue
		}
		if network.LinkExists(newNetwork(n).bridge()) {
			continue // in use on this host by something the store does not know (another keks)
		}
		if err := s.Create(ctx, netIndexKey(n), uid); err == nil {
			return n, nil
		} else if !errors.Is(err, store.ErrExists) {
			return 0, err
		}
	}
	return 0, fmt.Errorf("all %d control-plane networks of this keks server are in use", r.Count)
}
