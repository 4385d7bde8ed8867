package nodegroups

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
)

// drainAndTerminate moves an instance one step towards termination: it
// cordons the node, evicts its pods through the Eviction API (so
// PodDisruptionBudgets are honoured) and terminates the instance once only
// DaemonSet and mirror pods are left. It never waits: a pod a budget
// protects is retried on the next pass. stuck reports that evictions have
// been refused for longer than EKS waits.
func (c *Controller) drainAndTerminate(ctx context.Context, ng *eks.Nodegroup, m *member, cs kubernetes.Interface) (stuck bool, err error) {
	since, err := c.markDraining(ctx, ng, m)
	if err != nil {
		return false, err
	}
	// Deleting a group drains its nodes without waiting on budgets; a forced
	// update stops waiting on them after EKS's deadline.
	deadline := c.evictionDeadline()
	force := ng.DeletionRequested || (ng.ForceUpdate && time.Since(since) > deadline)
	if cs != nil && m.node != nil {
		left, err := drainNode(ctx, cs, m.PrivateDNSName(), force)
		if err != nil && !force {
			return false, err
		}
		// A forced drain whose pods do not go (a finalizer, a process that
		// ignores SIGTERM) ends with the instance: deleting a group always finishes.
		forcedSince := since
		if !ng.DeletionRequested {
			forcedSince = since.Add(deadline)
		}
		forcedLongEnough := force && time.Since(forcedSince) > forcedDrainGrace
		if left > 0 && !forcedLongEnough {
			// Refused evictions and pods that never leave both count against EKS's deadline.
			return time.Since(since) > deadline, nil
		}
	}
	if _, _, err := c.ec2.TerminateInstance(ctx, m.ID); err != nil {
		return false, fmt.Errorf("terminate %s: %w", m.ID, err)
	}
	c.endTermination(ctx, m)
	c.log.Info("instance terminated by its node group", "nodegroup", ng.Name, "instance", m.ID)
	c.wakeNodes()
	return false, nil
}

// markDraining records when draining began, so a restarted keks goes on
// where it stopped and the eviction deadline survives restarts.
func (c *Controller) markDraining(ctx context.Context, ng *eks.Nodegroup, m *member) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, m.Tags[tagDraining]); err == nil {
		return t, nil
	}
	if c.Activities != nil {
		return c.beginTermination(ctx, ng, m)
	}
	now := time.Now().UTC()
	_, err := c.ec2.UpdateInstance(ctx, m.ID, func(i *ec2.Instance) error {
		if i.Tags == nil {
			i.Tags = map[string]string{}
		}
		i.Tags[tagDraining] = now.Format(time.RFC3339)
		return nil
	})
	m.draining = true
	return now, err
}

// drainNode cordons a node and evicts (or, forced, deletes) the pods that a
// drain moves; left counts the pods still on the node.
func drainNode(ctx context.Context, cs kubernetes.Interface, node string, force bool) (left int, err error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	patch := []byte(`{"spec":{"unschedulable":true}}`)
	if _, err := cs.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("cordon %s: %w", node, err)
	}
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return 0, fmt.Errorf("list pods on %s: %w", node, err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Spec.NodeName != node || !movable(p) {
			continue
		}
		left++
		if p.DeletionTimestamp != nil {
			continue
		}
		if force {
			err = cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{})
		} else {
			err = cs.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}})
		}
		switch {
		case err == nil, apierrors.IsNotFound(err):
		case apierrors.IsTooManyRequests(err):
			// A PodDisruptionBudget says not now: the pod stays counted in left.
		default:
			return left, fmt.Errorf("evict %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	return left, nil
}

// movable reports whether a drain moves a pod: DaemonSet pods, mirror pods
// and finished pods stay, as kubectl drain leaves them.
func movable(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return false
	}
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return false
		}
	}
	return true
}
