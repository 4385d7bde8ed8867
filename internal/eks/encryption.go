package eks

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"

	"github.com/keksdev/keks/internal/awserr"
)

// UpdateAssociateEncryptionConfig is the type of the update that turns on
// envelope encryption of a running cluster's Secrets.
const UpdateAssociateEncryptionConfig = "AssociateEncryptionConfig"

// KeyStateEnabled is the state of a KMS key that may encrypt.
const KeyStateEnabled = "Enabled"

// kmsKeyARNPattern is a KMS key ARN or alias ARN, as EKS's keyArn takes:
// region, account, and key/<id> or alias/<name>.
var kmsKeyARNPattern = regexp.MustCompile(`^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key/[0-9a-f-]{36}|alias/[a-zA-Z0-9/_-]{1,250})$`)

// checkEncryptionConfig applies EKS's rules to an encryptionConfig: at most
// one entry, for the resource "secrets" only, with the ARN of a KMS key (or
// alias) of the cluster's region that exists and is enabled.
func (s *Service) checkEncryptionConfig(ctx context.Context, cluster, region, account string, cfgs []EncryptionConfig) error {
	if len(cfgs) > 1 {
		return invalidParam(cluster, "1 validation error detected: Value at 'encryptionConfig' failed to satisfy constraint: Member must have length less than or equal to 1")
	}
	for _, ec := range cfgs {
		if ec.KeyARN == "" {
			return invalidParam(cluster, "KeyArn is required")
		}
		if !slices.Equal(ec.Resources, []string{"secrets"}) {
			return invalidParam(cluster, "Encryption is supported for the resource \"secrets\" only; resources must be [secrets]")
		}
		m := kmsKeyARNPattern.FindStringSubmatch(ec.KeyARN)
		if m == nil {
			return invalidParam(cluster, "Invalid keyArn %s: it must be the ARN of a KMS key or alias", ec.KeyARN)
		}
		if m[1] != region {
			return invalidParam(cluster, "The KMS key %s must be in the cluster's region %s", ec.KeyARN, region)
		}
		if err := s.checkKey(ctx, cluster, region, account, ec.KeyARN); err != nil {
			return err
		}
	}
	return nil
}

// checkKey asks keks's KMS whether the key can encrypt: EKS refuses a key
// that does not exist or is not enabled when it is given, rather than
// failing the cluster later.
func (s *Service) checkKey(ctx context.Context, cluster, region, account, keyARN string) error {
	if s.KMSKeyState == nil {
		return invalidParam(cluster, "keks serves no KMS here, so Secrets cannot be encrypted with %s", keyARN)
	}
	state, err := s.KMSKeyState(ctx, region, account, keyARN)
	var ae *awserr.Error
	switch {
	case errors.As(err, &ae) && ae.Status < 500:
		return invalidParam(cluster, "Cannot use KMS key %s: %s (Service: AWSKMS; Status Code: %d; Error Code: %s)", keyARN, ae.Message, ae.Status, ae.Code)
	case err != nil:
		return err
	case state != KeyStateEnabled:
		return invalidParam(cluster, "KMS key %s is %s; Secrets can be encrypted only with an enabled key", keyARN, state)
	}
	return nil
}

// AssociateEncryptionConfig turns on envelope encryption of a running
// cluster's Secrets. As on EKS it is one-way: a cluster that has an
// encryption configuration keeps it. The update finishes once every API
// server encrypts and every existing Secret has been written again, so
// that it is stored encrypted.
func (s *Service) AssociateEncryptionConfig(ctx context.Context, region, name string, cfgs []EncryptionConfig) (*Update, error) {
	c, err := s.GetCluster(ctx, region, name)
	if err != nil {
		return nil, err
	}
	if len(cfgs) == 0 {
		return nil, invalidParam(name, "EncryptionConfig is required")
	}
	if len(c.Spec.EncryptionConfig) > 0 {
		return nil, invalidParam(name, "Encryption is already enabled on the cluster")
	}
	if err := s.checkEncryptionConfig(ctx, name, c.Region, c.Account, cfgs); err != nil {
		return nil, err
	}
	if err := s.checkUpdatable(ctx, c); err != nil {
		return nil, err
	}
	spec := c.Spec
	spec.EncryptionConfig = slices.Clone(cfgs)
	return s.recordUpdate(ctx, c, spec, Update{Type: UpdateAssociateEncryptionConfig, Params: []UpdateParam{
		{Type: "EncryptionConfig", Value: encryptionConfigParam(cfgs)},
	}})
}

// encryptionConfigParam is the update's EncryptionConfig parameter: the
// configuration in the API's own shape, as JSON.
func encryptionConfigParam(cfgs []EncryptionConfig) string {
	type provider struct {
		KeyARN string `json:"keyArn"`
	}
	type entry struct {
		Resources []string `json:"resources"`
		Provider  provider `json:"provider"`
	}
	out := make([]entry, 0, len(cfgs))
	for _, ec := range cfgs {
		out = append(out, entry{Resources: ec.Resources, Provider: provider{KeyARN: ec.KeyARN}})
	}
	b, _ := json.Marshal(out)
	return string(b)
}
