package ec2api

import (
	"context"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/ec2"
)

// launchProfile resolves RunInstances' IamInstanceProfile (Arn or Name):
// through InstanceProfile when keks has one, else through RoleARN, which
// takes the profile as named after its role. Both ARNs are "" when the
// request names no profile.
func (h *Handler) launchProfile(ctx context.Context, c *awsproto.Call) (profileARN, roleARN string, err error) {
	arn, name := c.Form.Get("IamInstanceProfile.Arn"), c.Form.Get("IamInstanceProfile.Name")
	given := name
	if arn != "" {
		given, name = arn, arn[strings.LastIndex(arn, "/")+1:]
	}
	if given == "" {
		return "", "", nil
	}
	invalid := awserr.Errorf(ec2.CodeInvalidParameterValue, "Value (%s) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", name)
	if !iamName.MatchString(name) {
		return "", "", invalid
	}
	if h.InstanceProfile != nil {
		if p, r, err := h.InstanceProfile(ctx, given); err == nil {
			return p, r, nil
		}
	}
	if h.RoleARN == nil {
		return "", "", nil
	}
	r, err := h.RoleARN(ctx, name)
	if err != nil {
		return "", "", invalid
	}
	return "", r, nil
}
