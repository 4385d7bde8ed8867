package awspolicies

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
		panic("awspolicies: " + err.Error())
	}
	slices.SortFunc(policies, func(a, b Policy) int { return strings.Compare(a.Name, b.Name) })
	byARN := make(map[string]Policy, len(policies))
	for _, p := range policies {
		byARN[p.ARN] = p
	}
	return catalog{sorted: policies, byARN: byARN}
})

// Lookup returns the managed policy with exactly this ARN.
func Lookup(arn string) (Policy, bool) {
	p, ok := loadCatalog().byARN[arn]
	return p, ok
}

// All returns every managed policy, sorted by Name. The slice is a copy.
func All() []Policy {
	return append([]Policy(nil), loadCatalog().sorted...)
}
