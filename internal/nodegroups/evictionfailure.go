package nodegroups

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/kubeversions"
)

// failStuckUpdate ends a version update whose drain has been refused for
// longer than EKS waits, as EKS does: the update fails with
// PodEvictionFailure, the group goes back to the release its stuck nodes
// run, and those nodes are uncordoned and kept. Nodes the update already
// launched are then outdated and leave through the usual drain. It reports
// whether an update was failed.
func (c *Controller) failStuckUpdate(ctx context.Context, ng *eks.Nodegroup, stuck []*member, cs kubernetes.Interface) (bool, error) {
	ups, err := c.eks.NodegroupUpdates(ctx, ng)
	if err != nil {
		return false, err
	}
	var ids []string
	for _, m := range stuck {
		ids = append(ids, m.ID)
	}
	failed := false
	for _, u := range ups {
		if u.Type != "VersionUpdate" || u.Generation > ng.Generation {
			continue
		}
		msg := "Reached max retries while trying to evict pods from nodes in node group " + ng.Name
		if err := c.eks.FinishUpdate(ctx, u, &eks.UpdateError{ErrorCode: "PodEvictionFailure", ErrorMessage: msg, ResourceIDs: ids}); err != nil {
			return false, err
		}
		c.log.Warn("node group update failed: pods could not be evicted", "nodegroup", ng.Name, "update", u.ID, "instances", ids)
		failed = true
	}
	if !failed {
		return false, nil
	}
	old := stuck[0]
	v, ok := kubeversions.Lookup(old.KubernetesVersion)
	if _, err := c.eks.SetNodegroup(ctx, ng, func(cur *eks.Nodegroup) error {
		if rel := old.Tags[tagRelease]; rel != "" {
			cur.ReleaseVersion = rel
		}
		if ok {
			cur.Version = v.Minor
		}
		return nil
	}); err != nil {
		return true, fmt.Errorf("return node group %s to its release: %w", ng.Name, err)
	}
	for _, m := range stuck {
		if err := c.undrain(ctx, m, cs); err != nil {
			return true, err
		}
	}
	return true, nil
}

// undrain keeps an instance: it is no longer marked draining and its node
// takes pods again.
func (c *Controller) undrain(ctx context.Context, m *member, cs kubernetes.Interface) error {
	if _, err := c.ec2.UpdateInstance(ctx, m.ID, func(i *ec2.Instance) error {
		delete(i.Tags, tagDraining)
		return nil
	}); err != nil {
		return fmt.Errorf("keep %s: %w", m.ID, err)
	}
	m.draining = false
	if cs == nil || m.node == nil {
		return nil
	}
	uctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	patch := []byte(`{"spec":{"unschedulable":null}}`)
	if _, err := cs.CoreV1().Nodes().Patch(uctx, m.PrivateDNSName(), types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("uncordon %s: %w", m.PrivateDNSName(), err)
	}
	return nil
}
