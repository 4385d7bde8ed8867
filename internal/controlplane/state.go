package controlplane

import (
	"context"
	"strconv"
	"time"

	"github.com/keksdev/keks/internal/store"
	"github.com/keksdev/keks/internal/supervisor"
)

// State is what keks built for one cluster's control plane.
type State struct {
	ClusterUID  string `json:"clusterUid"`
	ClusterName string `json:"clusterName"`
	Region      string `json:"region"`
	// Runtime is the runtime the control plane was made on (Config.Runtime);
	// empty, as in states of an older keks, is the host's.
	Runtime string `json:"runtime,omitempty"`
	// NetIndex is the host runtime's: the cluster's control-plane network.
	NetIndex int `json:"netIndex"`
	// Endpoint is the kubernetes runtime's: the endpoint Service's address.
	Endpoint string `json:"endpoint,omitempty"`
	// APIServers is how many API server instances the autoscaler wants
	// (apiServerCount when 0, as in states of an older keks).
	APIServers int `json:"apiServers,omitempty"`
	// EtcdQuotaBytes is the etcd quota the autoscaler raised to (the
	// tier's when smaller, as in states of an older keks).
	EtcdQuotaBytes int64      `json:"etcdQuotaBytes,omitempty"`
	Instances      []Instance `json:"instances"`
	Events         []Event    `json:"events,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
	ActiveAt       time.Time  `json:"activeAt,omitempty"`
}

// Instance is one control-plane process keks runs.
type Instance struct {
	Name        string    `json:"name"` // etcd-a, kube-apiserver-a, endpoint, ...
	Role        string    `json:"role"`
	Zone        string    `json:"availabilityZone"`
	Address     string    `json:"address"`
	PID         int       `json:"pid"`
	Version     string    `json:"version"`
	ConfigHash  string    `json:"configHash"`
	StartedAt   time.Time `json:"startedAt"`
	Healthy     bool      `json:"healthy"`
	LastHealthy time.Time `json:"lastHealthy,omitempty"`
	LastLive    time.Time `json:"lastLive,omitempty"`
	Replaced    int       `json:"replaced"`
	// DrainingSince is when an instance the layout no longer calls for
	// left the endpoint's backends; it is stopped once drained.
	DrainingSince time.Time `json:"drainingSince,omitempty"`
}

// apiServerInstances is how many API server instances st's layout has.
func (st *State) apiServerInstances() int {
	if st.APIServers < apiServerCount {
		return apiServerCount
	}
	return min(st.APIServers, maxAPIServers)
}

// InstanceStatus is one row of the operator's view (`keks instances`).
type InstanceStatus struct {
	Instance
	Cluster string `json:"cluster"`
	Region  string `json:"region"`
	Running bool   `json:"running"`
	RSS     int64  `json:"rssBytes"`
	PSS     int64  `json:"pssBytes"`
	// Runtime is the control plane's runtime; on the kubernetes runtime
	// Namespace is the management cluster's namespace its pods are in
	// (labelled keks.dev/member=<instance>), and PID and memory are not
	// known here.
	Runtime   string `json:"runtime"`
	Namespace string `json:"namespace,omitempty"`
}

// Statuses are st's instances as the operator shows them: on the host
// runtime whether each one's process runs, and its memory; on the
// kubernetes runtime whether a pod of it has started, and where its pods
// are.
func Statuses(st *State) []InstanceStatus {
	out := make([]InstanceStatus, 0, len(st.Instances))
	for _, in := range st.Instances {
		row := InstanceStatus{Instance: in, Cluster: st.ClusterName, Region: st.Region, Runtime: st.Runtime}
		if st.Runtime == RuntimeKubernetes {
			row.Running, row.Namespace = !in.StartedAt.IsZero(), namespaceOf(st.ClusterUID)
		} else {
			row.Runtime = RuntimeHost
			row.Running = supervisor.Running(in.PID, st.ClusterUID+"/"+in.Name)
			if row.Running {
				row.RSS, row.PSS = supervisor.RSS(in.PID), supervisor.PSS(in.PID)
			}
		}
		out = append(out, row)
	}
	return out
}

// Event records a replacement or a rollout step, newest last.
type Event struct {
	Time     time.Time `json:"time"`
	Instance string    `json:"instance"`
	Message  string    `json:"message"`
}

func stateKey(uid string) string { return "controlplane/state/" + uid }
func netIndexKey(n int) string   { return "controlplane/netindex/" + strconv.Itoa(n) }

// StatePrefix is where control-plane states live.
const StatePrefix = "controlplane/state/"

// NetworkRange is the span of control-plane network indexes (each a /24 of
// 198.18.0.0/16) a keks server gives its clusters.
type NetworkRange struct{ First, Count int }

// ListStates returns every control plane keks has built.
func ListStates(ctx context.Context, s *store.Store) ([]State, error) {
	return store.List[State](ctx, s, StatePrefix)
}
