package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/crypto/ssh"
)

// TestKeyPairsWithSDK holds the key pair actions to EC2's shapes and rules
// through aws-sdk-go-v2.
func TestKeyPairsWithSDK(t *testing.T) {
	ctx := context.Background()
	c := ec2.NewFromConfig(rulesConfig())

	made, err := c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("sdk-rsa"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeKeyPair, Tags: []ec2types.Tag{{Key: aws.String("team"), Value: aws.String("sdk")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	// RSA by default: PKCS#1 PEM, a SHA-1 fingerprint in colon hex.
	if !strings.HasPrefix(aws.ToString(made.KeyMaterial), "-----BEGIN RSA PRIVATE KEY-----") || len(aws.ToString(made.KeyFingerprint)) != 59 ||
		!strings.HasPrefix(aws.ToString(made.KeyPairId), "key-") || len(made.Tags) != 1 {
		t.Errorf("CreateKeyPair: %+v", made)
	}
	signer, err := ssh.ParsePrivateKey([]byte(aws.ToString(made.KeyMaterial)))
	if err != nil {
		t.Fatalf("the created key does not parse: %v", err)
	}
	_, err = c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("sdk-rsa")})
	wantError(t, "a second sdk-rsa", err, "InvalidKeyPair.Duplicate", "The keypair 'sdk-rsa' already exists.")
	_, err = c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("sdk-ppk"), KeyFormat: ec2types.KeyFormatPpk})
	wantError(t, "a ppk key", err, "InvalidParameterValue", "pem")

	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	imported, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("sdk-ed"), PublicKeyMaterial: ssh.MarshalAuthorizedKey(sshPub)})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimPrefix(ssh.FingerprintSHA256(sshPub), "SHA256:") + "="; aws.ToString(imported.KeyFingerprint) != want {
		t.Errorf("imported fingerprint %s, want %s", aws.ToString(imported.KeyFingerprint), want)
	}
	_, err = c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String("sdk-bad"), PublicKeyMaterial: []byte("ssh-ed25519 AAAA")})
	wantError(t, "a bad public key", err, "InvalidKey.Format", "Key is not in valid OpenSSH public key format")

	out, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{IncludePublicKey: aws.Bool(true),
		Filters: []ec2types.Filter{{Name: aws.String("tag:team"), Values: []string{"sdk"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.KeyPairs) != 1 || aws.ToString(out.KeyPairs[0].KeyName) != "sdk-rsa" || out.KeyPairs[0].KeyType != ec2types.KeyTypeRsa ||
		!strings.HasPrefix(aws.ToString(out.KeyPairs[0].PublicKey), string(ssh.MarshalAuthorizedKey(signer.PublicKey())[:40])) || out.KeyPairs[0].CreateTime == nil {
		t.Errorf("DescribeKeyPairs by tag: %+v", out.KeyPairs)
	}
	out, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyPairIds: []string{aws.ToString(imported.KeyPairId)}})
	if err != nil || len(out.KeyPairs) != 1 || out.KeyPairs[0].KeyType != ec2types.KeyTypeEd25519 || out.KeyPairs[0].PublicKey != nil {
		t.Errorf("DescribeKeyPairs by id: %v %+v", err, out)
	}
	_, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"sdk-none"}})
	wantError(t, "describing a missing key pair", err, "InvalidKeyPair.NotFound", "The key pair 'sdk-none' does not exist")
	_, err = c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{Filters: []ec2types.Filter{{Name: aws.String("key-size"), Values: []string{"1"}}}})
	wantError(t, "an unknown filter", err, "InvalidParameterValue", "The filter 'key-size' is invalid")

	for _, in := range []*ec2.DeleteKeyPairInput{{KeyName: aws.String("sdk-rsa")}, {KeyPairId: imported.KeyPairId}, {KeyName: aws.String("sdk-rsa")}} {
		if _, err := c.DeleteKeyPair(ctx, in); err != nil {
			t.Errorf("DeleteKeyPair %+v: %v", in, err)
		}
	}
	if out, err := c.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{Filters: []ec2types.Filter{{Name: aws.String("key-name"), Values: []string{"sdk-*"}}}}); err != nil || len(out.KeyPairs) != 0 {
		t.Errorf("key pairs left: %v %+v", err, out)
	}
}
