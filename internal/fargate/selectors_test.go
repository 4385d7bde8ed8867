package fargate

import "testing"

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"default", "default", true},
		{"default", "defaults", false},
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		// UG examples.
		{"prod*", "prod", true},
		{"prod*", "prod-metrics", true},
		{"*dev", "team-dev", true},
		{"*dev", "dev-team", false},
		{"value?", "valuea", true},
		{"value?", "value", false},
		{"value?", "value-a", false},
		{"frontend*?", "frontend", false},
		{"frontend*?", "frontend1", true},
		{"frontend*?", "frontend-abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a**b", "ab", true},
		{"?", "é", true},
		// Only * and ? are special.
		{"[ab]", "a", false},
		{"[ab]", "[ab]", true},
		{`a\*`, `a\xyz`, true},
	} {
		if got := wildcardMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestMatchProfile(t *testing.T) {
	profiles := []Profile{
		{Name: "prod-workload", Selectors: []Selector{{Namespace: "prod-*"}}},
		{Name: "beta-workload", Selectors: []Selector{{Namespace: "prod-*", Labels: map[string]string{"tier": "web"}}}},
		{Name: "coredns", Selectors: []Selector{{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}}},
		{Name: "keys", Selectors: []Selector{{Namespace: "wild", Labels: map[string]string{"key?": "value?"}}}},
		{Name: "multi", Selectors: []Selector{{Namespace: "a"}, {Namespace: "b", Labels: map[string]string{"x": "1", "y": "2"}}}},
	}
	for _, tc := range []struct {
		name      string
		namespace string
		labels    map[string]string
		want      string // "" for no match
	}{
		{"namespace only", "prod-api", nil, "prod-workload"},
		{"alphanumeric order picks beta", "prod-api", map[string]string{"tier": "web"}, "beta-workload"},
		{"label value differs", "prod-api", map[string]string{"tier": "db"}, "prod-workload"},
		{"pinned to later profile", "prod-api", map[string]string{"tier": "web", ProfileLabel: "prod-workload"}, "prod-workload"},
		{"pinned but its selector does not match", "prod-api", map[string]string{ProfileLabel: "beta-workload"}, ""},
		{"pinned to unknown profile", "prod-api", map[string]string{ProfileLabel: "gone"}, ""},
		{"no namespace match", "dev", nil, ""},
		{"coredns", "kube-system", map[string]string{"k8s-app": "kube-dns", "pod-template-hash": "x"}, "coredns"},
		{"coredns other app", "kube-system", map[string]string{"k8s-app": "metrics"}, ""},
		{"wildcard key and value", "wild", map[string]string{"keya": "valueb"}, "keys"},
		{"wildcard value needs one char", "wild", map[string]string{"keya": "value"}, ""},
		{"second selector, all labels", "b", map[string]string{"x": "1", "y": "2"}, "multi"},
		{"second selector, one label missing", "b", map[string]string{"x": "1"}, ""},
		{"first selector", "a", nil, "multi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MatchProfile(profiles, tc.namespace, tc.labels)
			if ok != (tc.want != "") || got.Name != tc.want {
				t.Errorf("MatchProfile = %q, %v; want %q", got.Name, ok, tc.want)
			}
		})
	}
}

func TestMatchProfileDoesNotReorderInput(t *testing.T) {
	profiles := []Profile{{Name: "b", Selectors: []Selector{{Namespace: "*"}}}, {Name: "a", Selectors: []Selector{{Namespace: "*"}}}}
	if got, _ := MatchProfile(profiles, "x", nil); got.Name != "a" {
		t.Errorf("got %q, want a", got.Name)
	}
	if profiles[0].Name != "b" {
		t.Error("MatchProfile sorted the caller's slice")
	}
}
