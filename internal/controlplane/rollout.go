package controlplane

import (
	"sort"
	"time"
)

// The rollout policy, whatever the runtime: a changed member is rolled
// only while every member is healthy, one at a time, in the order
// Kubernetes' version skew policy asks for; a restarted etcd member counts
// as healthy only once it has settled.

// rolloutOrder: etcd, then what API servers need beside them, then API
// servers, then what talks to them.
var rolloutOrder = map[string]int{RoleEtcd: 0, RoleAuthenticator: 1, RoleKMSPlugin: 1, RoleAPIServer: 2, RoleControllerManager: 3, RoleScheduler: 4, RoleEndpoint: 5}

// nextRollout is the outdated member to roll now, if any.
func nextRollout(outdated []Member, allHealthy bool) (Member, bool) {
	if len(outdated) == 0 || !allHealthy {
		return Member{}, false
	}
	outdated = append([]Member(nil), outdated...)
	sort.SliceStable(outdated, func(i, j int) bool { return rolloutOrder[outdated[i].role] < rolloutOrder[outdated[j].role] })
	return outdated[0], true
}

// settled reports whether an instance that answers its readiness check
// counts as healthy. A restarted etcd member answers /readyz before it has
// caught up with the leader; counted healthy at once, a second member could
// be rolled or lost while it still cannot vote, and quorum with it.
func settled(inst *Instance, ready bool) bool {
	return ready && (inst.Role != RoleEtcd || time.Since(inst.StartedAt) > etcdSettle)
}
