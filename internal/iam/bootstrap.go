package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// AdminUserName is the user keks makes on first start.
const AdminUserName = "admin"

// BootstrapCredentials are the admin user's key, kept so the CLI profile can
// be written again.
type BootstrapCredentials struct {
	AccountID       string `json:"accountId"`
	UserARN         string `json:"userArn"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

const bootstrapKey = "iam/bootstrap"

// BootstrapDone returns the admin user's key once some server has
// bootstrapped (store.ErrNotFound before), writing nothing: a standby
// replica waits for its leader's instead of racing it.
func (s *Service) BootstrapDone(ctx context.Context) (*BootstrapCredentials, error) {
	var b BootstrapCredentials
	if _, err := s.Store.Get(ctx, bootstrapKey, &b); err != nil {
		return nil, err
	}
	var err error
	if b.SecretAccessKey, err = s.Store.UnsealString(b.SecretAccessKey, bootstrapSecretPlace); err != nil {
		return nil, fmt.Errorf("read the admin access key: %w", err)
	}
	return &b, nil
}

// Bootstrap makes the account, the admin user with AdministratorAccess and
// its access key on first start, and returns them on every start.
func (s *Service) Bootstrap(ctx context.Context) (*BootstrapCredentials, error) {
	var b BootstrapCredentials
	if _, err := s.Store.Get(ctx, bootstrapKey, &b); err == nil {
		if b.SecretAccessKey, err = s.Store.UnsealString(b.SecretAccessKey, bootstrapSecretPlace); err != nil {
			return nil, fmt.Errorf("read the admin access key: %w", err)
		}
		return &b, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	acct, err := s.Account(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.GetUser(ctx, AdminUserName)
	if err != nil {
		if u, err = s.CreateUser(ctx, AdminUserName, "/", nil); err != nil {
			return nil, err
		}
	}
	if err := s.AttachUserPolicy(ctx, AdminUserName, "arn:aws:iam::aws:policy/AdministratorAccess"); err != nil {
		return nil, err
	}
	k, err := s.CreateAccessKey(ctx, AdminUserName)
	if err != nil {
		return nil, err
	}
	b = BootstrapCredentials{AccountID: acct.ID, UserARN: u.ARN, AccessKeyID: k.ID, SecretAccessKey: k.Secret}
	stored := b
	stored.SecretAccessKey = s.Store.SealString(b.SecretAccessKey, bootstrapSecretPlace)
	if err := s.Store.Create(ctx, bootstrapKey, &stored); err != nil {
		return nil, err
	}
	return &b, nil
}
