package nodegroups

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/internal/eks"
)

// Annotations that remember which labels and taints the group put on a
// node, so that removing one from the group removes it from the node and
// leaves everything else alone.
const (
	annotLabels = "keks.dev/nodegroup-labels"
	annotTaints = "keks.dev/nodegroup-taints"
)

// applyNodeConfig brings the labels and taints of the group's nodes in line
// with the group, in place, as UpdateNodegroupConfig does on EKS.
func (c *Controller) applyNodeConfig(ctx context.Context, ng *eks.Nodegroup, current []*member, cs kubernetes.Interface) {
	wantTaints := map[string]corev1.Taint{}
	for _, t := range ng.Taints {
		k := corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.KubernetesEffect())}
		wantTaints[k.Key+":"+string(k.Effect)] = k
	}
	// The nodes as this pass listed them; a node changed since makes the
	// update conflict, and the next pass tries again.
	for _, m := range current {
		if m.node == nil {
			continue
		}
		n := m.node.DeepCopy()
		if !configureNode(n, ng.Labels, wantTaints) {
			continue
		}
		uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := cs.CoreV1().Nodes().Update(uctx, n, metav1.UpdateOptions{})
		cancel()
		if err != nil {
			c.log.Warn("apply node group labels and taints", "node", m.PrivateDNSName(), "err", err)
		}
	}
}

// configureNode changes n to carry the group's labels and taints and reports
// whether anything changed.
func configureNode(n *corev1.Node, labels map[string]string, taints map[string]corev1.Taint) bool {
	before := n.DeepCopy()
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	if n.Annotations == nil {
		n.Annotations = map[string]string{}
	}
	for _, k := range splitList(n.Annotations[annotLabels]) {
		if _, keep := labels[k]; !keep {
			delete(n.Labels, k)
		}
	}
	maps.Copy(n.Labels, labels)
	n.Annotations[annotLabels] = strings.Join(slices.Sorted(maps.Keys(labels)), ",")
	managed := splitList(n.Annotations[annotTaints])
	n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool {
		id := t.Key + ":" + string(t.Effect)
		_, want := taints[id]
		return want || slices.Contains(managed, id)
	})
	for _, id := range slices.Sorted(maps.Keys(taints)) {
		n.Spec.Taints = append(n.Spec.Taints, taints[id])
	}
	n.Annotations[annotTaints] = strings.Join(slices.Sorted(maps.Keys(taints)), ",")
	return !equalNode(before, n)
}

func equalNode(a, b *corev1.Node) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations) && slices.EqualFunc(a.Spec.Taints, b.Spec.Taints, func(x, y corev1.Taint) bool {
		return x.Key == y.Key && x.Value == y.Value && x.Effect == y.Effect
	})
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
