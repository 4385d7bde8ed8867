package cloudformation

import (
	"maps"
	"slices"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
)

// Dependencies are, for each resource, the resources it needs first: the
// ones it names in DependsOn and the ones its properties refer to (Ref,
// Fn::GetAtt, Fn::Sub), as CloudFormation infers them.
func (t *Template) Dependencies() map[string][]string {
	out := map[string][]string{}
	for id, r := range t.Resources {
		deps := slices.Clone(r.DependsOn)
		refs, atts := references(r.Properties)
		for _, name := range append(refs, atts...) {
			if _, ok := t.Resources[name]; ok {
				deps = append(deps, name)
			}
		}
		slices.Sort(deps)
		out[id] = slices.Compact(deps)
	}
	return out
}

// Order returns the resources in an order where each comes after those it
// depends on, or CloudFormation's error for a cycle.
func (t *Template) Order() ([]string, error) {
	deps := t.Dependencies()
	done := map[string]bool{}
	var order []string
	for len(order) < len(deps) {
		progressed := false
		for _, id := range slices.Sorted(maps.Keys(deps)) {
			if done[id] {
				continue
			}
			ready := true
			for _, d := range deps[id] {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[id] = true
				order = append(order, id)
				progressed = true
			}
		}
		if !progressed {
			return nil, awserr.Errorf(CodeValidation, "Circular dependency between resources: [%s]", strings.Join(cycleMembers(deps, done), ", "))
		}
	}
	return order, nil
}

// cycleMembers are the resources left unordered that lie on a cycle (not
// those merely waiting on one).
func cycleMembers(deps map[string][]string, done map[string]bool) []string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(deps)) {
		if !done[id] && reaches(deps, id, id, map[string]bool{}) {
			out = append(out, id)
		}
	}
	return out
}

func reaches(deps map[string][]string, from, target string, seen map[string]bool) bool {
	for _, d := range deps[from] {
		if d == target {
			return true
		}
		if !seen[d] {
			seen[d] = true
			if reaches(deps, d, target, seen) {
				return true
			}
		}
	}
	return false
}
