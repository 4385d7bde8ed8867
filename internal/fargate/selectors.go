package fargate

import (
	"slices"
	"strings"
)

// Selector is one of a Fargate profile's selectors: a namespace and
// optional labels, each of which may hold the wildcards * and ?.
type Selector struct {
	Namespace string
	Labels    map[string]string
}

// Profile is an ACTIVE Fargate profile as the webhook matches pods
// against it.
type Profile struct {
	Name      string
	Selectors []Selector
}

// MatchProfile returns the profile a pod created in namespace with
// podLabels runs on, as EKS chooses it (UG fargate-profile.adoc, "Fargate
// profile wildcards"):
//   - a pod labelled eks.amazonaws.com/fargate-profile=X may run only on
//     X, and only when one of X's selectors matches it;
//   - otherwise, of the profiles with a matching selector, the first in
//     alphanumeric order of name wins ("beta-workload" before
//     "prod-workload").
func MatchProfile(profiles []Profile, namespace string, podLabels map[string]string) (Profile, bool) {
	if pinned, ok := podLabels[ProfileLabel]; ok {
		for _, p := range profiles {
			if p.Name == pinned && p.matches(namespace, podLabels) {
				return p, true
			}
		}
		return Profile{}, false
	}
	sorted := slices.Clone(profiles)
	slices.SortStableFunc(sorted, func(a, b Profile) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range sorted {
		if p.matches(namespace, podLabels) {
			return p, true
		}
	}
	return Profile{}, false
}

// matches reports whether any of the profile's selectors matches.
func (p Profile) matches(namespace string, podLabels map[string]string) bool {
	return slices.ContainsFunc(p.Selectors, func(s Selector) bool { return s.Matches(namespace, podLabels) })
}

// Matches reports whether the selector matches a pod: its namespace
// pattern matches the pod's namespace, and each of its labels matches
// some label of the pod, key and value (the UG allows wildcards in
// namespaces, label keys and label values). A selector without labels
// matches every pod of its namespaces.
func (s Selector) Matches(namespace string, podLabels map[string]string) bool {
	if !wildcardMatch(s.Namespace, namespace) {
		return false
	}
	for keyPattern, valuePattern := range s.Labels {
		found := false
		for key, value := range podLabels {
			if wildcardMatch(keyPattern, key) && wildcardMatch(valuePattern, value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// wildcardMatch matches s against pattern, where * stands for any run of
// characters (none included) and ? for exactly one; the UG allows no other
// pattern syntax, so every other character, [ and \ too, is literal.
func wildcardMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	// Greedy matching with one backtrack point: the last * seen and where
	// in t it was tried to match.
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			mark++
			pi, ti = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
