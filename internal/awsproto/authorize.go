package awsproto

import (
	"context"
	"maps"
	"net/http"
	"slices"
)

// Check is one permission a call needs: an IAM action on a resource, with
// what the request itself says that conditions may test. A service's
// Checks function describes each operation as a list of these, so that the
// front door authorizes every call once, before its handler runs.
type Check struct {
	// Action is service:Operation as IAM names it ("eks:DeleteCluster").
	Action string
	// Resource is the ARN the action is on, or "*" for actions that take
	// none (List*, Describe* of EC2, ecr:GetAuthorizationToken...).
	Resource string
	// Context holds the request's own condition keys, by their canonical
	// names: aws:RequestTag/<key>, aws:TagKeys, iam:PassedToService,
	// ec2:InstanceType... Global keys (aws:SourceIp, aws:PrincipalArn...)
	// are the authorizer's to add.
	Context map[string][]string
	// ResourceTags returns the tags of Resource for aws:ResourceTag/<key>
	// (nil when it has none or does not exist); nil when the resource
	// type carries no tags. Called only when a condition asks.
	ResourceTags func(ctx context.Context) map[string]string
	// ResourcePolicy is the resource-based policy that may also grant the
	// action: a role's trust policy for sts:AssumeRole, a key policy,
	// a repository policy. Empty when there is none.
	ResourcePolicy string
}

// Authorizer decides whether the call's principal may make it: it returns
// nil, or the AccessDenied error the client gets.
type Authorizer interface {
	Authorize(ctx context.Context, c *Call, r *http.Request, service string, checks []Check) error
}

// Checker describes a call as the checks it needs. It must not fail on
// input that a handler would refuse: what cannot be read from the request
// is named "*", so that a caller without rights learns nothing from
// validation. It returns nil only for an operation the service does not
// serve (whose handler then answers with the service's own error).
type Checker func(r *http.Request, c *Call) []Check

// TagContext is the condition context of the tags a request sets:
// aws:RequestTag/<key> for each, and aws:TagKeys; nil for none.
func TagContext(tags map[string]string) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	out := map[string][]string{"aws:TagKeys": slices.Sorted(maps.Keys(tags))}
	for k, v := range tags {
		out["aws:RequestTag/"+k] = []string{v}
	}
	return out
}
