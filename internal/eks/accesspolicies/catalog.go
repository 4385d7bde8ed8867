package accesspolicies

import (
	"slices"
	"strings"
	"sync"
)

type catalog struct {
	sorted []Policy
	byARN  map[string]Policy
}

var loadCatalog = sync.OnceValue(func() catalog {
	policies, err := decodeAll()
	if err != nil {
		// The data is embedded and checked by the tests; a decoding error
		// is a build defect, not a runtime condition.
		panic("accesspolicies: " + err.Error())
	}
	// ListAccessPolicies returns the policies sorted by name.
	slices.SortFunc(policies, func(a, b Policy) int { return strings.Compare(a.Name, b.Name) })
	byARN := make(map[string]Policy, len(policies))
	for _, p := range policies {
		byARN[p.ARN] = p
	}
	return catalog{sorted: policies, byARN: byARN}
})

// Lookup returns the access policy with exactly this ARN. The policy is a
// copy; changing it does not change the catalog.
func Lookup(arn string) (Policy, bool) {
	p, ok := loadCatalog().byARN[arn]
	if !ok {
		return Policy{}, false
	}
	return p.clone(), true
}

// All returns every access policy in the order EKS's ListAccessPolicies
// returns them: sorted by name. The policies are copies.
func All() []Policy {
	sorted := loadCatalog().sorted
	all := make([]Policy, len(sorted))
	for i, p := range sorted {
		all[i] = p.clone()
	}
	return all
}
