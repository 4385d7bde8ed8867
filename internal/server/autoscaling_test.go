package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
)

// TestAutoScalingIsServedAndAuthorized: keks serves Auto Scaling at its
// endpoint, and authorizes it as autoscaling:<Operation> on the group.
func TestAutoScalingIsServedAndAuthorized(t *testing.T) {
	ctx := context.Background()
	// Other tests of this server make node groups: each is one group.
	out, err := autoscaling.NewFromConfig(awsConfig()).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range out.AutoScalingGroups {
		if !strings.HasPrefix(aws.ToString(g.AutoScalingGroupName), "eks-") {
			t.Errorf("a group not behind a node group: %s", aws.ToString(g.AutoScalingGroupName))
		}
	}
	v := newUser(t, "authz-asg-viewer", nil, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"autoscaling:Describe*","Resource":"*"}]}`)
	c := autoscaling.NewFromConfig(v.cfg)
	if _, err := c.DescribeScalingActivities(ctx, &autoscaling.DescribeScalingActivitiesInput{}); err != nil {
		t.Fatalf("describe activities: %v", err)
	}
	account := testServer.models.Bootstrap.AccountID
	_, err = c.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("eks-nope"), DesiredCapacity: aws.Int32(1)})
	denied(t, err, "AccessDenied", v.arn, "autoscaling:SetDesiredCapacity",
		"arn:aws:autoscaling:us-east-1:"+account+":autoScalingGroup:*:autoScalingGroupName/eks-nope", "because no identity-based policy allows")
}
