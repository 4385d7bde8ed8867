// Package resources holds the providers of the resource types keks's
// CloudFormation deploys, one file (or a few) per service; each family
// registers its providers from init.
package resources

import "github.com/keksdev/keks/internal/cloudformation/resource"

var providers = map[string]resource.Provider{}

// register adds a family's providers by resource type name.
func register(m map[string]resource.Provider) {
	for t, p := range m {
		providers[t] = p
	}
}

// All returns every resource type keks's CloudFormation can deploy, by
// type name ("AWS::EKS::Cluster").
func All() map[string]resource.Provider { return providers }
