package controlplane

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"

	"github.com/keksdev/keks/internal/eks"
)

// Runtime runs control planes. The controller decides what a control
// plane is (its members and their flags, from a Placement; its Bundle of
// certificates and documents; when it is healthy enough to roll the next
// member) and a Runtime makes it so: where members run, how their inputs
// reach them, how they are started, replaced, probed and removed.
//
// "host" (hostRuntime) runs each member as a process on this host, on a
// bridge of the cluster's own, with its files in the cluster's directory.
// The runtime is chosen per keks installation (Config.Runtime) and recorded
// per cluster (State.Runtime), so a cluster keeps the runtime it was made on.
type Runtime interface {
	// Name is the runtime's name, as Config.Runtime and State.Runtime say it.
	Name() string
	// Allocate reserves what a new control plane takes of the runtime and
	// records it in st (host: a control-plane network), once, before st is
	// first stored.
	Allocate(ctx context.Context, st *State) error
	// Placement says where st's members are reached and find their inputs.
	Placement(st *State) Placement
	// Prepare makes the placement ready for the members (host: the bridge
	// and its addresses).
	Prepare(ctx context.Context, cl *eks.Cluster, st *State) error
	// Published reads back what Publish gave st's control plane.
	Published(st *State) Published
	// Publish gives the members a bundle: leaves issued when the published
	// ones no longer fit, documents replaced when they changed.
	Publish(ctx context.Context, st *State, b *Bundle) error
	// Converge starts the members that do not run, replaces those that
	// died or stopped answering, reloads or rolls those whose configuration
	// changed (one at a time, as nextRollout decides), and records each in
	// st.Instances.
	Converge(ctx context.Context, cl *eks.Cluster, st *State, members []Member) error
	// ConfigHash is the configuration a member runs with when it is
	// current: Instance.ConfigHash is compared with it.
	ConfigHash(st *State, m Member) string
	// Health probes every instance of st and sets Healthy, LastHealthy and
	// LastLive.
	Health(ctx context.Context, st *State)
	// AdminConfig is keks's own client configuration of the cluster: the
	// keks-admin leaf, connecting from where the endpoint always admits keks.
	AdminConfig(st *State) (*rest.Config, error)
	// ProfilesServed says whether the members' Fargate webhooks have been
	// given a profile.
	ProfilesServed(st *State, profile string) bool
	// LogDir is where the members' log files are, by instance
	// (kube-apiserver-a.log, audit-a.log...). A runtime whose logs are
	// streams rather than files on this host will need cplogs to take a
	// source of its own instead.
	LogDir(st *State) string
	// DatabaseSize is the largest backend database of st's etcd members, in
	// bytes: what a scaling tier's quota must hold.
	DatabaseSize(ctx context.Context, st *State) (int64, error)
	// Teardown removes everything the runtime has of a cluster's control
	// plane. st may be empty: a control plane whose state was never stored.
	Teardown(ctx context.Context, cl *eks.Cluster, st *State) error
}

// RuntimeHost runs control planes as processes on keks's host.
const RuntimeHost = "host"

// CheckRuntime says whether keks has a control-plane runtime of that name
// (empty: the default, host), so that keks server refuses to start on one
// it does not have.
func CheckRuntime(name string) error {
	switch name {
	case "", RuntimeHost, RuntimeKubernetes:
		return nil
	}
	return fmt.Errorf("control-plane runtime %q: keks runs control planes on %q or %q", name, RuntimeHost, RuntimeKubernetes)
}

// newRuntime is the runtime new control planes are made on.
func newRuntime(cfg Config, host *hostRuntime, kube *kubeRuntime) (Runtime, error) {
	if err := CheckRuntime(cfg.Runtime); err != nil {
		return nil, err
	}
	if cfg.Runtime == RuntimeKubernetes {
		return kube, nil
	}
	return host, nil
}

// runtimeOf is the runtime a control plane was made on; a state of a keks
// that knew no other runtime (no runtime recorded) is the host's.
func (c *Controller) runtimeOf(st *State) (Runtime, error) {
	switch st.Runtime {
	case "", RuntimeHost:
		return c.host, nil
	case RuntimeKubernetes:
		if c.kube != nil {
			return c.kube, nil
		}
	}
	return nil, fmt.Errorf("the control plane of %s runs on runtime %q, which this keks server does not have", st.ClusterName, st.Runtime)
}
