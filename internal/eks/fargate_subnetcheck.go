package eks

import (
	"context"

	"github.com/keksdev/keks/internal/ec2"
)

// subnetIsPublic says whether a subnet's route table sends traffic to an
// internet gateway, which makes it a subnet Fargate refuses. A variable so
// that rule tests can fake a public subnet without building its routes.
var subnetIsPublic = func(ctx context.Context, e *ec2.Service, id string) (bool, error) { return e.SubnetIsPublic(ctx, id) }
