package controlplane

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/supervisor"
)

// drainDelay is how long an instance the layout dropped keeps running after
// it left the endpoint's backends: the endpoint has reread its file and
// stopped sending it connections, and what was in flight has finished.
const drainDelay = 10 * time.Second

// removed are st's instances that members no longer call for: API server
// instances the autoscaler took away.
func removed(st *State, members []Member) []*Instance {
	want := map[string]bool{}
	for _, m := range members {
		want[m.name] = true
	}
	var out []*Instance
	for i := range st.Instances {
		if !want[st.Instances[i].Name] {
			out = append(out, &st.Instances[i])
		}
	}
	return out
}

// forget drops the named instances from st.
func (st *State) forget(names map[string]bool) {
	kept := st.Instances[:0]
	for _, inst := range st.Instances {
		if !names[inst.Name] {
			kept = append(kept, inst)
		}
	}
	st.Instances = kept
}

// drainRemoved stops, once drained, the processes of instances the layout
// dropped. The endpoint's new file, without them, was reloaded in this
// pass already; a stopping API server fails /readyz but serves for its
// shutdown delay, so no request that reached it is refused.
func (h *hostRuntime) drainRemoved(ctx context.Context, cl *eks.Cluster, st *State, members []Member) error {
	gone := map[string]bool{}
	for _, inst := range removed(st, members) {
		if inst.DrainingSince.IsZero() {
			inst.DrainingSince = time.Now().UTC()
			st.event(inst.Name, "left the endpoint's backends; stopping it in %s", drainDelay)
			h.log.Info("draining control-plane instance", "cluster", cl.Name, "instance", inst.Name)
			continue
		}
		if time.Since(inst.DrainingSince) < drainDelay {
			continue
		}
		id := st.ClusterUID + "/" + inst.Name
		if err := supervisor.Stop(ctx, inst.PID, id, 20*time.Second); err != nil {
			return err
		}
		h.unhealthySince.Delete(id)
		st.event(inst.Name, "stopped: no longer needed")
		h.log.Info("stopped control-plane instance", "cluster", cl.Name, "instance", inst.Name)
		gone[inst.Name] = true
	}
	st.forget(gone)
	return nil
}

// deleteRemovedGroups deletes the API server workloads the layout dropped
// and forgets their instances. Their pods stop as any API server pod does:
// out of the endpoint Service's backends at once, serving for their
// shutdown delay, the authenticator beside them for longer (preStop).
func (k *kubeRuntime) deleteRemovedGroups(ctx context.Context, cl *eks.Cluster, st *State, existing map[string]string, wanted map[string]kubeObject, members []Member) error {
	ns := namespaceOf(st.ClusterUID)
	for name := range existing {
		if _, ok := wanted[name]; ok || !strings.HasPrefix(name, "apiserver-") {
			continue
		}
		st.event(name, "deleting: no longer needed")
		k.log.Info("deleting control-plane workload", "cluster", cl.Name, "workload", name)
		err := k.client.AppsV1().Deployments(ns).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete API server workload %s of %s: %w", name, cl.Name, err)
		}
	}
	gone := map[string]bool{}
	for _, inst := range removed(st, members) {
		gone[inst.Name] = true
	}
	st.forget(gone)
	return nil
}
