package provisioner

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestFlattenAllowedTopologies(t *testing.T) {
	terms := flattenAllowedTopologies([]corev1.TopologySelectorTerm{
		{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{
			{Key: "zone", Values: []string{"a", "b"}},
			{Key: "rack", Values: []string{"1"}},
		}},
		{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone", Values: []string{"c"}}}},
	})
	want := []topologyTerm{
		{{"rack", "1"}, {"zone", "a"}},
		{{"rack", "1"}, {"zone", "b"}},
		{{"zone", "c"}},
	}
	if !slices.EqualFunc(terms, want, func(a, b topologyTerm) bool { return compareTerms(a, b) == 0 }) {
		t.Errorf("flattened %v, want %v", terms, want)
	}
	if !(topologyTerm{{"zone", "a"}}).subsetOf(topologyTerm{{"rack", "1"}, {"zone", "a"}}) ||
		(topologyTerm{{"zone", "b"}}).subsetOf(topologyTerm{{"rack", "1"}, {"zone", "a"}}) {
		t.Error("subsetOf")
	}
}

// TestSpreadOffset: a StatefulSet's claims are spread by ordinal, and one
// pod's claims start at the same place.
func TestSpreadOffset(t *testing.T) {
	if spreadOffset("data-web-1") != spreadOffset("data-web-0")+1 {
		t.Error("ordinals are not consecutive offsets")
	}
	if spreadOffset("data-web-0") != spreadOffset("logs-web-0") {
		t.Error("one pod's claims start in different places")
	}
}

// TestAllowedTopologiesLimitRequisite: a class's allowedTopologies replace
// the cluster's zones.
func TestAllowedTopologiesLimitRequisite(t *testing.T) {
	h := newHarness(t, harnessConfig{objects: twoZones()})
	req, err := h.c.accessibilityRequirements([]corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{
		{Key: zoneKey, Values: []string{"zone-b"}}}}}, "", "data")
	if err != nil {
		t.Fatal(err)
	}
	if len(req.GetRequisite()) != 1 || zoneOf(req.GetRequisite()[0]) != "zone-b" || zoneOf(req.GetPreferred()[0]) != "zone-b" {
		t.Errorf("requirements %v", req)
	}
}
