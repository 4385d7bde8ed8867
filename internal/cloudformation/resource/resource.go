// Package resource is the contract between keks's CloudFormation engine
// and the providers of its resource types. A provider does for one type
// (AWS::EKS::Cluster, AWS::EC2::VPC...) what CloudFormation's resource
// handlers do on AWS: it calls the public APIs of the service that owns
// the resource, signed as the stack's caller (a forward access session),
// so every action is authorized by IAM as if the caller had made it.
package resource

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Clients are the AWS API clients a provider calls, bound to keks's own
// endpoint and to the credentials the stack operation runs with.
type Clients struct {
	EC2 *ec2.Client
	EKS *eks.Client
	IAM *iam.Client
}

// Request is one operation on one resource of a stack.
type Request struct {
	// LogicalID is the resource's name in its template.
	LogicalID string
	// Type is the resource type, as "AWS::EKS::Cluster".
	Type string
	// Properties are the resource's properties with every intrinsic
	// function resolved: JSON values (string, float64, bool, []any,
	// map[string]any).
	Properties map[string]any
	// OldProperties are the properties the resource had before an update.
	OldProperties map[string]any
	// PhysicalID is the resource's id once created (empty on Create).
	PhysicalID string
	// State is what the provider chose to remember between calls for
	// this resource (for example a token or an id Ref does not return).
	State map[string]string

	StackName string
	StackID   string
	Region    string
	AccountID string
	// ClientToken is stable across retries of one operation on one
	// resource, so a provider can pass it as an idempotency token.
	ClientToken string

	Clients *Clients
}

// Result is what an operation made known.
type Result struct {
	// PhysicalID is what Ref returns for the resource.
	PhysicalID string
	// Attributes are what Fn::GetAtt returns, by attribute name.
	Attributes map[string]any
	// State replaces Request.State when not nil.
	State map[string]string
	// Done is false while the resource is still stabilizing (a cluster
	// CREATING); the engine calls the same operation's Wait later.
	Done bool
}

// Provider handles one resource type.
type Provider interface {
	// Create starts making the resource.
	Create(ctx context.Context, req *Request) (Result, error)
	// Update changes the resource in place, or returns ErrReplace when a
	// changed property needs a new resource (CloudFormation then creates
	// the replacement and deletes the old one).
	Update(ctx context.Context, req *Request) (Result, error)
	// Delete starts removing the resource; a resource that is already gone
	// is not an error.
	Delete(ctx context.Context, req *Request) (Result, error)
	// Wait reports whether the operation in progress (op is "Create",
	// "Update" or "Delete") has finished, and with what.
	Wait(ctx context.Context, op string, req *Request) (Result, error)
}

// ErrReplace asks the engine to replace a resource instead of updating it.
var ErrReplace = errors.New("update requires replacement")
