package provisioner

import (
	"cmp"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
)

// topologyTerm is one place a volume may live: key=value segments that all
// hold (a CSI Topology), kept sorted by key so terms compare.
type topologyTerm []topologySegment

type topologySegment struct{ key, value string }

// termFromLabels is a node's term for the driver's topology keys; false
// when the node lacks one of the labels.
func termFromLabels(labels map[string]string, keys []string) (topologyTerm, bool) {
	term := make(topologyTerm, 0, len(keys))
	for _, k := range keys {
		v, ok := labels[k]
		if !ok {
			return nil, false
		}
		term = append(term, topologySegment{k, v})
	}
	term.sort()
	return term, true
}

func (t topologyTerm) sort() {
	slices.SortFunc(t, func(a, b topologySegment) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.value, b.value))
	})
}

func compareTerms(a, b topologyTerm) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	for i := range a {
		if c := cmp.Or(strings.Compare(a[i].key, b[i].key), strings.Compare(a[i].value, b[i].value)); c != 0 {
			return c
		}
	}
	return 0
}

// subsetOf reports whether every segment of t is in other (both sorted).
func (t topologyTerm) subsetOf(other topologyTerm) bool {
	j := 0
	for _, s := range other {
		if j == len(t) {
			break
		}
		if s.key != t[j].key {
			continue
		}
		if s.value != t[j].value {
			return false
		}
		j++
	}
	return j == len(t)
}

// flattenAllowedTopologies turns a StorageClass's allowedTopologies (an OR
// of ANDs of "key in values") into an OR of terms, distributing each value
// list over the AND: {zone in [a b], rack in [1]} is (a,1) OR (b,1).
func flattenAllowedTopologies(allowed []corev1.TopologySelectorTerm) []topologyTerm {
	var all []topologyTerm
	for _, selector := range allowed {
		var terms []topologyTerm
		for _, expr := range selector.MatchLabelExpressions {
			var next []topologyTerm
			for _, v := range expr.Values {
				if len(terms) == 0 {
					next = append(next, topologyTerm{{expr.Key, v}})
					continue
				}
				for _, t := range terms {
					next = append(next, append(slices.Clone(t), topologySegment{expr.Key, v}))
				}
			}
			terms = next
		}
		all = append(all, terms...)
	}
	for _, t := range all {
		t.sort()
	}
	return all
}

func toCSITopology(terms []topologyTerm) []*csi.Topology {
	out := []*csi.Topology{}
	for _, t := range terms {
		if len(t) == 0 {
			continue
		}
		segments := make(map[string]string, len(t))
		for _, s := range t {
			segments[s.key] = s.value
		}
		out = append(out, &csi.Topology{Segments: segments})
	}
	return out
}

// rotated returns terms starting at i, wrapping around, in a new slice.
func rotated(terms []topologyTerm, i int) []topologyTerm {
	out := make([]topologyTerm, 0, len(terms))
	out = append(out, terms[i:]...)
	return append(out, terms[:i]...)
}

// spreadOffset is where an immediately bound claim's preferred topologies
// start, as the in-tree volume plugins chose zones: a hash of the claim
// name, so that a StatefulSet's claims (claim-set-N) are spread by N over
// the zones and one pod's claims (a-set-N, b-set-N) land together.
func spreadOffset(claimName string) uint32 {
	if claimName == "" {
		return rand.Uint32()
	}
	hashed, index := claimName, uint32(0)
	if dash := strings.LastIndexByte(claimName, '-'); dash != -1 {
		if id, err := strconv.ParseUint(claimName[dash+1:], 10, 32); err == nil {
			index = uint32(id)
			hashed = claimName[:dash]
			if dash := strings.LastIndexByte(hashed, '-'); dash != -1 {
				hashed = hashed[dash+1:]
			}
		}
	}
	h := fnv.New32()
	_, _ = h.Write([]byte(hashed))
	return h.Sum32() + index
}
