package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/agents"
	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/imds"
	"github.com/keksdev/keks/internal/overlay"
	"github.com/keksdev/keks/internal/store"
)

// The agents listener's calls for the instances on agents (scale-out step
// 6b): assignments, instance status and forwarded metadata requests.

// maxAssignmentsWait bounds a long poll of assignments.
const maxAssignmentsWait = 60 * time.Second

// Error codes of the instance calls.
const (
	codeInstanceNotFound    = "InstanceNotFound"
	codeInstanceNotAssigned = "InstanceNotAssigned" // the instance is another host's
	codeCallerNotOnHost     = "MetadataCallerNotOnHost"
)

// assigner builds what an agent runs of an instance, and removes a
// terminated one's Node object (nodes.Controller).
type assigner interface {
	Assignments(ctx context.Context, ins []ec2.Instance) []agents.AssignedInstance
	DeleteNode(ctx context.Context, in *ec2.Instance)
}

// agentInstances is what the agents listener serves agents' instances with.
type agentInstances struct {
	ec2   *ec2.Service
	nodes assigner
	// metadata is keks's metadata service (imds.Handler), whose Instances
	// are those of the host in the request's context (metadataInstances).
	metadata http.Handler
	// changed fires on every change of the assignments' sources
	// (assignmentSources); poll is how often a long poll looks again
	// without one.
	changed changeSignal
	poll    time.Duration
	// network plans a host's part of the subnets' segments between hosts
	// (overlay.Planner.For); nil plans none.
	network func(ctx context.Context, host string, all []ec2.Instance) (*overlay.HostNetwork, error)
	// firewalls decides instances' security groups' rules
	// (sgfirewall.Controller.Firewalls); nil sends none.
	firewalls func(ctx context.Context, ins, all []ec2.Instance) (map[string]string, error)
	// volumes are the host's EBS volumes (agentVolumes.assigned); nil assigns none.
	volumes func(ctx context.Context, host string, all []ec2.Instance) ([]agents.AssignedVolume, error)
}

// serveInstances lets the listener serve agents' instances; it must be
// called before the listener serves.
func (l *agentsListener) serveInstances(in *agentInstances) { l.api.instances = in }

func isInstancesPath(path string) bool {
	return path == agents.AssignmentsPath || path == agents.InstanceStatusPath || strings.HasPrefix(path, agents.MetadataPath+"/")
}

// serveInstances answers an agent's call about its instances.
func (a *agentsAPI) serveInstances(w http.ResponseWriter, r *http.Request) {
	h, err := a.host(r)
	if err == nil && a.instances == nil {
		err = agentError(http.StatusServiceUnavailable, "InstancesNotServed", "this keks runs no instances on agents")
	}
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var out any
	switch {
	case strings.HasPrefix(r.URL.Path, agents.MetadataPath+"/"):
		if err = a.instances.forwardMetadata(w, r, h.ID); err == nil {
			return // answered by the metadata service
		}
	case r.URL.Path == agents.AssignmentsPath && r.Method == http.MethodGet:
		out, err = a.instances.assignments(r, h.ID)
	case r.URL.Path == agents.InstanceStatusPath && r.Method == http.MethodPost:
		var st agents.InstanceStatus
		if err = decodeAgentBody(w, r, &st); err == nil {
			out, err = a.instances.recordStatus(r.Context(), h.ID, st)
		}
	default:
		err = agentError(http.StatusMethodNotAllowed, "MethodNotAllowed", "%s does not take %s", r.URL.Path, r.Method)
	}
	a.answer(w, r, out, err)
}

// assignments answers the host's assignments once their revision differs
// from ?since=, or when ?wait= seconds have passed.
func (ai *agentInstances) assignments(r *http.Request, host string) (*agents.Assignments, error) {
	q := r.URL.Query()
	wait := time.Duration(0)
	if s := q.Get("wait"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || time.Duration(n)*time.Second > maxAssignmentsWait {
			return nil, agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "wait=%q is not a number of seconds from 0 to %d", s, int(maxAssignmentsWait/time.Second))
		}
		wait = time.Duration(n) * time.Second
	}
	since := q.Get("since")
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	for {
		changed := ai.changed.next()
		as, err := ai.assignmentsOf(r.Context(), host)
		if err != nil || as.Revision != since {
			return as, err
		}
		select {
		case <-ctx.Done():
			return as, nil // unchanged within the wait (or the agent left)
		case <-changed:
		case <-time.After(ai.poll):
		}
	}
}

// assignmentsOf is what the host runs: its instances that are pending,
// running or shutting down, and its network, with a revision that is a
// digest of them.
func (ai *agentInstances) assignmentsOf(ctx context.Context, host string) (*agents.Assignments, error) {
	all, err := ai.ec2.Instances(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list instances for host %s: %w", host, err)
	}
	var mine []ec2.Instance
	for _, in := range all {
		if in.Host == host && (in.State == ec2.StatePending || in.State == ec2.StateRunning || in.State == ec2.StateShutting) {
			mine = append(mine, in)
		}
	}
	as := &agents.Assignments{Instances: ai.nodes.Assignments(ctx, mine)}
	if ai.firewalls != nil {
		rules, err := ai.firewalls(ctx, mine, all)
		if err != nil {
			return nil, fmt.Errorf("decide the security groups of host %s's instances: %w", host, err)
		}
		for i := range as.Instances {
			as.Instances[i].Firewall = rules[as.Instances[i].ID]
		}
	}
	if ai.network != nil {
		if as.Network, err = ai.network(ctx, host, all); err != nil {
			return nil, fmt.Errorf("plan the network of host %s: %w", host, err)
		}
	}
	if ai.volumes != nil {
		if as.Volumes, err = ai.volumes(ctx, host, all); err != nil {
			return nil, err
		}
	}
	// The network is in the digest: a peer joining or leaving a subnet
	// wakes the long poll as an instance does; and so are volumes.
	data, err := json.Marshal(struct {
		I []agents.AssignedInstance
		N *overlay.HostNetwork
		V []agents.AssignedVolume
	}{as.Instances, as.Network, as.Volumes})
	if err != nil {
		return nil, fmt.Errorf("encode assignments of host %s: %w", host, err)
	}
	sum := sha256.Sum256(data)
	as.Revision = hex.EncodeToString(sum[:16])
	return as, nil
}

// instanceState is the answer to a status report: the instance as recorded.
type instanceState struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// recordStatus records an agent's report on an instance of its host, as
// the node controller records its own instances' states.
func (ai *agentInstances) recordStatus(ctx context.Context, host string, st agents.InstanceStatus) (*instanceState, error) {
	if st.State != agents.InstanceRunning && st.State != agents.InstanceFailed && st.State != agents.InstanceTerminated {
		return nil, agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "state %q is none of running, failed and terminated", st.State)
	}
	if len(st.Reason) > 1024 || st.ContainerdPID < 0 || st.KubeletPID < 0 || st.KubeProxyPID < 0 {
		return nil, agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "the reason is longer than 1024 bytes or a process id is negative")
	}
	was := ""
	in, err := ai.ec2.UpdateInstance(ctx, st.ID, func(in *ec2.Instance) error {
		if in.Host != host {
			return agentError(http.StatusForbidden, codeInstanceNotAssigned, "instance %s is not assigned to host %s", st.ID, host)
		}
		was = in.State
		switch {
		case st.State == agents.InstanceRunning && (in.State == ec2.StatePending || in.State == ec2.StateRunning):
			in.State, in.ContainerdPID, in.KubeletPID, in.KubeProxyPID = ec2.StateRunning, st.ContainerdPID, st.KubeletPID, st.KubeProxyPID
		case st.State == agents.InstanceFailed && (in.State == ec2.StatePending || in.State == ec2.StateRunning):
			// As EC2 ends an instance it cannot launch: terminated, with the reason.
			in.State, in.ContainerdPID, in.KubeletPID, in.KubeProxyPID = ec2.StateTerminated, 0, 0, 0
			in.StateReason = "Server.InternalError: Internal error on launch: " + st.Reason
		case st.State == agents.InstanceTerminated && in.State != ec2.StateTerminated:
			in.State, in.ContainerdPID, in.KubeletPID, in.KubeProxyPID = ec2.StateTerminated, 0, 0, 0
			in.StateReason = "Client.UserInitiatedShutdown: User initiated shutdown"
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, agentError(http.StatusNotFound, codeInstanceNotFound, "keks has no instance %q", st.ID)
	} else if err != nil {
		return nil, err
	}
	if in.State == ec2.StateTerminated && was != ec2.StateTerminated {
		ai.nodes.DeleteNode(ctx, in)
	}
	return &instanceState{ID: in.ID, State: in.State}, nil
}

// metadataHostKey is the context key of the host whose instances a
// metadata request may come from: none ("") is keks's own.
type metadataHostKey struct{}

// metadataInstances lists the instances keks's metadata service knows a
// caller among: those of the host the request came through. An address
// on one host says nothing of another's instances, whose addresses may be
// the same (subnets of different VPCs may overlap).
func metadataInstances(e2 *ec2.Service) func(ctx context.Context) ([]ec2.Instance, error) {
	return func(ctx context.Context) ([]ec2.Instance, error) {
		all, err := e2.Instances(ctx, "")
		host, _ := ctx.Value(metadataHostKey{}).(string)
		out := all[:0]
		for _, in := range all {
			if in.Host == host {
				out = append(out, in)
			}
		}
		return out, err
	}
}

// forwardMetadata serves a metadata request an agent forwards from an
// instance of its host, as keks's metadata listener serves its own
// instances': from the caller's address, with the hop limit of a token's
// answer reported in a header for the agent to apply.
func (ai *agentInstances) forwardMetadata(w http.ResponseWriter, r *http.Request, host string) error {
	caller, err := netip.ParseAddr(r.Header.Get(agents.MetadataCallerHeader))
	if err != nil {
		return agentError(http.StatusBadRequest, awserr.CodeInvalidRequest, "header %s must name the caller's IP address", agents.MetadataCallerHeader)
	}
	caller = caller.Unmap()
	ctx := context.WithValue(r.Context(), metadataHostKey{}, host)
	mine, err := metadataInstances(ai.ec2)(ctx)
	if err != nil {
		return fmt.Errorf("list instances of host %s: %w", host, err)
	}
	// Only an unknown caller is the agent's mistake; an ambiguous one is
	// refused by the metadata service as it refuses its own callers.
	if _, err := imds.CallerAt(mine, caller); errors.Is(err, imds.ErrUnknownCaller) {
		return agentError(http.StatusForbidden, codeCallerNotOnHost, "%s is the address of no instance on host %s", caller, host)
	}
	fwd := r.Clone(imds.ReportHops(ctx, func(hops int) { w.Header().Set(agents.MetadataHopLimitHeader, strconv.Itoa(hops)) }))
	fwd.URL.Path = strings.TrimPrefix(r.URL.Path, agents.MetadataPath)
	fwd.URL.RawPath = ""
	fwd.RequestURI = fwd.URL.RequestURI()
	fwd.RemoteAddr = netip.AddrPortFrom(caller, 0).String()
	fwd.Header.Del(agents.MetadataCallerHeader)
	ai.metadata.ServeHTTP(w, fwd)
	return nil
}

// endInstancesOfHost ends a deleted host's instances with its deletion:
// nothing can reach them any more.
func endInstancesOfHost(e2 *ec2.Service) func(ctx context.Context, t *store.Txn, host string, limit int) (bool, error) {
	return func(ctx context.Context, t *store.Txn, host string, limit int) (bool, error) {
		return e2.EndInstancesOn(ctx, t, host, "Server.InternalError: host "+host+" was removed", limit)
	}
}

// deleteNodesOfHost removes the Node objects of a removed host's
// instances from their clusters, as a terminated instance's goes: the
// host's deletion ended them without their agent.
func deleteNodesOfHost(e2 *ec2.Service, nodes assigner) func(ctx context.Context, host string) {
	return func(ctx context.Context, host string) {
		all, err := e2.Instances(ctx, "")
		if err != nil {
			return
		}
		for i := range all {
			if all[i].Host == host && all[i].State == ec2.StateTerminated {
				nodes.DeleteNode(ctx, &all[i])
			}
		}
	}
}

// hostAddresses lists the agent hosts' reported addresses by host id, as
// overlay.Planner takes them.
func hostAddresses(list func(ctx context.Context) ([]agents.HostStatus, error)) func(ctx context.Context) (map[string][]string, error) {
	return func(ctx context.Context) (map[string][]string, error) {
		hosts, err := list(ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]string, len(hosts))
		for _, h := range hosts {
			out[h.ID] = h.Addresses
		}
		return out, nil
	}
}
