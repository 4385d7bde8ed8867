package awspolicies

import "time"

// ARNPrefix is the start of every AWS managed policy ARN.
const ARNPrefix = "arn:aws:iam::aws:policy"

// Policy is one AWS managed policy and its default version.
type Policy struct {
	Name             string    // "AmazonEKSClusterPolicy"
	Path             string    // "/" or "/service-role/" ...
	ARN              string    // "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
	ID               string    // AWS's policy id (ANPA...), empty when unknown
	DefaultVersionID string    // "v7"
	Description      string    // as AWS describes the policy
	CreateDate       time.Time // when AWS created the policy
	UpdateDate       time.Time // when AWS last changed its default version
	Document         string    // the default version's policy document (JSON)
}

// ARNFor returns the managed-policy ARN for a policy name and path
// ("/" or "/service-role/" ...).
func ARNFor(path, name string) string {
	return ARNPrefix + path + name
}
