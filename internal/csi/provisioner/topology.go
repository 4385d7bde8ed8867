package provisioner

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// accessibilityRequirements tells CreateVolume where the volume may and
// should live, as upstream does:
//
//   - requisite: the class's allowedTopologies, else every topology of the
//     nodes the driver runs on (with the selected node's topology keys, or
//     those of a random registered node for immediate binding); with
//     --strict-topology only the selected node's.
//   - preferred: the same terms, rotated to start at the selected node's
//     topology (late binding) or at a hash of the claim name (immediate
//     binding, which spreads StatefulSets over zones).
//
// A NotFound error means the selected node or its CSINode is gone: the
// scheduler must pick again.
func (c *Controller) accessibilityRequirements(allowed []corev1.TopologySelectorTerm, selectedNode, claimName string) (*csi.TopologyRequirement, error) {
	var (
		selectedTopology topologyTerm
		selectedKeys     []string
		requisite        []topologyTerm
	)
	if selectedNode != "" {
		csiNode, err := c.csiNodes.Get(selectedNode)
		if err != nil {
			return nil, fmt.Errorf("error getting CSINode for selected node %q: %w", selectedNode, err)
		}
		if selectedKeys = topologyKeys(csiNode, c.driver.name); len(selectedKeys) == 0 {
			// The driver has not registered there (yet): the scheduler may
			// pick another node on retry.
			return nil, fmt.Errorf("no topology key found on CSINode %s", selectedNode)
		}
		node, err := c.nodes.Get(selectedNode)
		if err != nil {
			return nil, fmt.Errorf("error getting selected node %q: %w", selectedNode, err)
		}
		var ok bool
		if selectedTopology, ok = termFromLabels(node.Labels, selectedKeys); !ok {
			return nil, fmt.Errorf("topology labels from selected node %v does not match topology keys from CSINode %v", node.Labels, selectedKeys)
		}
		if c.settings.strictTopology {
			if len(allowed) > 0 && !slices.ContainsFunc(flattenAllowedTopologies(allowed), selectedTopology.covers) {
				return nil, fmt.Errorf("selected node %q topology %v is not in allowed topologies: %v", selectedNode, selectedTopology, allowed)
			}
			requisite = []topologyTerm{selectedTopology}
		}
	}

	if len(requisite) == 0 {
		switch {
		case len(allowed) > 0:
			requisite = flattenAllowedTopologies(allowed)
		case selectedNode == "" && !c.settings.immediateTopology:
			// Nothing limits the volume and the driver does not want to be
			// told where the cluster is.
			return nil, nil
		default:
			var err error
			if requisite, err = c.clusterTopologies(selectedKeys); err != nil {
				return nil, err
			}
			if len(requisite) == 0 {
				// The driver has registered on no node yet.
				return nil, errors.New("no available topology found")
			}
		}
	}
	if len(requisite) == 0 {
		// allowedTopologies with only empty terms: no constraint.
		return nil, nil
	}
	slices.SortFunc(requisite, compareTerms)
	requisite = slices.CompactFunc(requisite, func(a, b topologyTerm) bool { return compareTerms(a, b) == 0 })

	var preferred []topologyTerm
	switch {
	case selectedNode == "":
		preferred = rotated(requisite, int(spreadOffset(claimName)%uint32(len(requisite))))
	case c.settings.strictTopology:
		preferred = requisite
	default:
		i := slices.IndexFunc(requisite, func(t topologyTerm) bool { return t.subsetOf(selectedTopology) })
		if i < 0 {
			// The scheduler honours allowedTopologies and the aggregate
			// includes the selected node, so this should not happen.
			return nil, fmt.Errorf("topology %v from selected node %q is not in requisite: %v", selectedTopology, selectedNode, requisite)
		}
		preferred = rotated(requisite, i)
	}
	return &csi.TopologyRequirement{Requisite: toCSITopology(requisite), Preferred: toCSITopology(preferred)}, nil
}

// covers reports whether an allowed term admits the node's topology t.
func (t topologyTerm) covers(allowed topologyTerm) bool { return allowed.subsetOf(t) }

// clusterTopologies is every distinct topology of the nodes that carry all
// the topology keys: those given (the selected node's) or, for immediate
// binding, those of a registered node picked at random.
func (c *Controller) clusterTopologies(keys []string) ([]topologyTerm, error) {
	if len(keys) == 0 {
		csiNodes, err := c.csiNodes.List(labels.Everything())
		if err != nil {
			return nil, fmt.Errorf("error listing CSINodes: %w", err)
		}
		rand.Shuffle(len(csiNodes), func(i, j int) { csiNodes[i], csiNodes[j] = csiNodes[j], csiNodes[i] })
		for _, n := range csiNodes {
			if keys = topologyKeys(n, c.driver.name); len(keys) > 0 {
				break
			}
		}
		if len(keys) == 0 {
			c.log.Warn("No topology keys found on any node")
			return nil, nil
		}
	}
	requirements := make([]metav1.LabelSelectorRequirement, 0, len(keys))
	for _, k := range keys {
		requirements = append(requirements, metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpExists})
	}
	selector, err := metav1.LabelSelectorAsSelector(&metav1.LabelSelector{MatchExpressions: requirements})
	if err != nil {
		return nil, fmt.Errorf("error parsing topology keys selector: %w", err)
	}
	nodes, err := c.nodes.List(selector)
	if err != nil {
		return nil, fmt.Errorf("error listing nodes: %w", err)
	}
	var terms []topologyTerm
	for _, n := range nodes {
		if t, ok := termFromLabels(n.Labels, keys); ok {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return nil, fmt.Errorf("topologyKeys %v were not found on any nodes", keys)
	}
	return terms, nil
}

func topologyKeys(csiNode *storagev1.CSINode, driver string) []string {
	for _, d := range csiNode.Spec.Drivers {
		if d.Name == driver {
			return d.TopologyKeys
		}
	}
	return nil
}

// nodeAffinity pins a PersistentVolume to where the driver put the volume:
// one node selector term per accessible topology, any of which will do.
func nodeAffinity(accessible []*csi.Topology) *corev1.VolumeNodeAffinity {
	var terms []corev1.NodeSelectorTerm
	for _, t := range accessible {
		if len(t.GetSegments()) == 0 {
			continue
		}
		var expressions []corev1.NodeSelectorRequirement
		for _, k := range slices.Sorted(maps.Keys(t.GetSegments())) {
			expressions = append(expressions, corev1.NodeSelectorRequirement{
				Key: k, Operator: corev1.NodeSelectorOpIn, Values: []string{t.GetSegments()[k]}})
		}
		terms = append(terms, corev1.NodeSelectorTerm{MatchExpressions: expressions})
	}
	if len(terms) == 0 {
		return nil
	}
	return &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: terms}}
}
