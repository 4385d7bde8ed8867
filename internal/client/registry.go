package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// RegistryLogin is what `aws ecr get-login-password` gives: the user
// (AWS) and password for keks's registry, and when they expire.
func (c *Client) RegistryLogin(ctx context.Context) (user, password string, expires time.Time, err error) {
	out, err := ecr.NewFromConfig(c.Config).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("ecr get-authorization-token: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return "", "", time.Time{}, fmt.Errorf("ecr get-authorization-token gave no token")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("read the authorization token: %w", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", time.Time{}, fmt.Errorf("the authorization token is not user:password")
	}
	return user, password, aws.ToTime(d.ExpiresAt), nil
}
