package kmsplugin

import (
	"context"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// countingKMS counts the calls that reach KMS.
type countingKMS struct {
	next kmsAPI
	n    int
}

func (c *countingKMS) Encrypt(ctx context.Context, in *awskms.EncryptInput, opts ...func(*awskms.Options)) (*awskms.EncryptOutput, error) {
	c.n++
	return c.next.Encrypt(ctx, in, opts...)
}

func (c *countingKMS) Decrypt(ctx context.Context, in *awskms.DecryptInput, opts ...func(*awskms.Options)) (*awskms.DecryptOutput, error) {
	c.n++
	return c.next.Decrypt(ctx, in, opts...)
}
