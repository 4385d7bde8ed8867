package controlplane

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/eks"
)

// Converge applies each workload that does not exist yet, and rolls one
// changed workload at a time, only while every member is healthy (the same
// policy as the host's: etcd first, one member at a time). Kubernetes
// then replaces its pod: a Deployment surge first, an etcd member's
// StatefulSet by restarting its one pod on its volume.
func (k *kubeRuntime) Converge(ctx context.Context, cl *eks.Cluster, st *State, members []Member) error {
	if len(members) == 0 {
		return nil
	}
	logging := false
	for _, on := range cl.Spec.Logging {
		logging = logging || on
	}
	k.mu.Lock()
	k.logging[st.ClusterUID] = logging
	k.mu.Unlock()
	image, err := k.images.ensure(ctx, members[0].Version)
	if err != nil {
		return err
	}
	data, err := k.secretData(ctx, st.ClusterUID)
	if err != nil {
		return err
	}
	docs := make([]string, 0, len(data))
	for key := range data {
		docs = append(docs, documentName(key))
	}
	sort.Strings(docs)
	ns := namespaceOf(st.ClusterUID)
	existing, err := k.workloadHashes(ctx, ns)
	if err != nil {
		return err
	}
	var outdated []Member
	allHealthy := true
	wanted := map[string]kubeObject{}
	for _, g := range groupsOf(members) {
		t, hash := podTemplate(cl, g, image, docs)
		wanted[g.name] = workload(ns, cl, g, t, k.kcfg.StorageClass)
		k.mu.Lock()
		k.hashes[st.ClusterUID+"/"+g.name] = hash
		k.mu.Unlock()
		have, exists := existing[g.name]
		k.setApplied(st.ClusterUID, g.name, have)
		for _, m := range g.members {
			inst := st.instance(m.name)
			if inst == nil {
				st.Instances = append(st.Instances, Instance{Name: m.name, Role: m.role, Zone: m.zone, Address: m.address})
				inst = &st.Instances[len(st.Instances)-1]
			}
			if !inst.Healthy {
				allHealthy = false
			}
			if exists && have != hash {
				outdated = append(outdated, m)
			}
		}
		if !exists {
			st.event(g.name, "creating %s", wanted[g.name].resource)
			if err := k.apply(ctx, wanted[g.name]); err != nil {
				return err
			}
			k.setApplied(st.ClusterUID, g.name, hash)
			allHealthy = false
		}
	}
	if err := k.recordEndpoint(st, members); err != nil {
		return err
	}
	if err := k.deleteRemovedGroups(ctx, cl, st, existing, wanted, members); err != nil {
		return err
	}
	m, ok := nextRollout(outdated, allHealthy)
	if !ok {
		return nil
	}
	g := groupOf(m)
	st.event(g, "rolling to %s", m.Version.Patch)
	k.log.Info("rolling control-plane workload", "cluster", cl.Name, "workload", g, "version", m.Version.Patch)
	if err := k.apply(ctx, wanted[g]); err != nil {
		return err
	}
	k.setApplied(st.ClusterUID, g, k.ConfigHash(st, m))
	return nil
}

// setApplied records the configuration hash a workload carries in the
// management cluster: the one its pods converge to. A member is healthy
// once its pods run that one, whatever keks wants next: every member's
// wanted configuration changes at once in an upgrade, and only the rolled
// workload's pods may be waited for.
func (k *kubeRuntime) setApplied(uid, workload, hash string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.applied[uid+"/"+workload] = hash
}

// recordEndpoint keeps the endpoint member's instance: the Service, healthy
// once it has an address (its backends are the ready API server pods).
func (k *kubeRuntime) recordEndpoint(st *State, members []Member) error {
	for _, m := range members {
		if m.role != RoleEndpoint {
			continue
		}
		inst := st.instance(m.name)
		if inst == nil {
			st.Instances = append(st.Instances, Instance{Name: m.name, Role: m.role, Zone: m.zone})
			inst = &st.Instances[len(st.Instances)-1]
		}
		inst.Address, inst.Version = st.Endpoint, "keks"
		inst.ConfigHash = k.ConfigHash(st, m)
		if inst.StartedAt.IsZero() {
			inst.StartedAt = time.Now().UTC()
		}
	}
	return nil
}

// workloadHashes are the configuration hashes of the workloads keks has applied.
func (k *kubeRuntime) workloadHashes(ctx context.Context, ns string) (map[string]string, error) {
	out := map[string]string{}
	sets, err := k.client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the etcd members in %s: %w", ns, err)
	}
	for _, s := range sets.Items {
		out[s.Name] = s.Annotations[annotationHash]
	}
	deps, err := k.client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the API servers in %s: %w", ns, err)
	}
	for _, d := range deps.Items {
		out[d.Name] = d.Annotations[annotationHash]
	}
	return out, nil
}

// ConfigHash is the hash of the member's workload's pod template, as
// Converge last made it (empty before).
func (k *kubeRuntime) ConfigHash(st *State, m Member) string {
	if m.role == RoleEndpoint {
		return "service"
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.hashes[st.ClusterUID+"/"+groupOf(m)]
}

// Health reads each member's pods: a member is healthy when a pod of its
// workload is ready and not stopping, and runs the configuration every
// such pod of its workload carries (none while its workload rolls).
func (k *kubeRuntime) Health(ctx context.Context, st *State) {
	ns := namespaceOf(st.ClusterUID)
	pods, err := k.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		k.log.Warn("list control-plane pods", "cluster", st.ClusterName, "err", err)
		return
	}
	k.mu.Lock()
	logging := k.logging[st.ClusterUID]
	k.mu.Unlock()
	if logging {
		k.mirror.follow(st.ClusterUID, pods.Items)
	} else {
		k.mirror.stop(st.ClusterUID)
	}
	byGroup := map[string][]corev1.Pod{}
	for _, p := range pods.Items {
		byGroup[p.Labels[labelMember]] = append(byGroup[p.Labels[labelMember]], p)
	}
	var svcReady bool
	epSlices, err := k.client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + endpointService})
	if err != nil {
		k.log.Warn("read the endpoint's backends", "cluster", st.ClusterName, "err", err)
	} else {
		for _, s := range epSlices.Items {
			for _, e := range s.Endpoints {
				svcReady = svcReady || (e.Conditions.Ready != nil && *e.Conditions.Ready)
			}
		}
	}
	now := time.Now().UTC()
	for i := range st.Instances {
		inst := &st.Instances[i]
		if inst.Role == RoleEndpoint {
			inst.Healthy = st.Endpoint != "" && svcReady
		} else {
			k.mu.Lock()
			want := k.applied[st.ClusterUID+"/"+groupOfInstance(inst)]
			k.mu.Unlock()
			k.podHealth(inst, byGroup[groupOfInstance(inst)], want)
		}
		if inst.Healthy {
			inst.LastHealthy, inst.LastLive = now, now
		}
	}
}

// podHealth sets a member's health, configuration and version from its
// workload's pods. A member whose workload was just changed is not
// healthy until every pod it keeps runs the change (want, the workload's
// configuration as applied): until then the
// old pod may still answer, and counting it healthy would let the next
// member roll at the same time (two etcd members down: no quorum).
func (k *kubeRuntime) podHealth(inst *Instance, pods []corev1.Pod, want string) {
	kept, ready, hashes, restarts := 0, 0, map[string]bool{}, 0
	var started time.Time
	version := ""
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		kept++
		hashes[p.Annotations[annotationHash]] = true
		for _, cs := range p.Status.ContainerStatuses {
			restarts += int(cs.RestartCount)
		}
		if podReady(&p) {
			ready++
			version = p.Labels[labelVersion]
			if p.Status.StartTime != nil && (started.IsZero() || p.Status.StartTime.After(started)) {
				started = p.Status.StartTime.Time
			}
		}
	}
	if !started.IsZero() {
		inst.StartedAt = started
	}
	rolled := want == "" || (len(hashes) == 1 && hashes[want])
	inst.Healthy = settled(inst, ready > 0 && rolled)
	inst.Replaced = restarts
	if len(hashes) == 1 && ready == kept {
		for h := range hashes {
			inst.ConfigHash = h
		}
		inst.Version = version
		if keksProcess(inst.Role) {
			inst.Version = "keks"
		}
	}
}

func groupOfInstance(inst *Instance) string {
	if inst.Role == RoleEtcd {
		return inst.Name
	}
	return "apiserver-" + inst.Name[len(inst.Name)-1:]
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// DatabaseSize reads each etcd member's metrics through the management
// cluster's API server (the pods' proxy), and returns the largest.
func (k *kubeRuntime) DatabaseSize(ctx context.Context, st *State) (int64, error) {
	ns := namespaceOf(st.ClusterUID)
	return largestDatabase(st, func(inst Instance) (int64, error) {
		body, err := k.client.CoreV1().RESTClient().Get().Namespace(ns).Resource("pods").Name(inst.Name + "-0:2381").SubResource("proxy").Suffix("metrics").Stream(ctx)
		if err != nil {
			return 0, err
		}
		defer body.Close()
		return parseDBSizeFrom(body)
	})
}
