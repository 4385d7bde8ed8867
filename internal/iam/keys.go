package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// maxKeysPerUser is IAM's AccessKeysPerUser quota.
const maxKeysPerUser = 2

// Access key statuses.
const (
	KeyActive   = "Active"
	KeyInactive = "Inactive"
)

// keyAt is a user's access key with its store revision.
type keyAt struct {
	key AccessKey
	rev int64
}

// userKeysAt lists a user's long-term keys with their revisions.
func (s *Service) userKeysAt(ctx context.Context, userName string) ([]keyAt, error) {
	raws, err := s.Store.ListRaw(ctx, keysPrefix)
	if err != nil {
		return nil, err
	}
	var out []keyAt
	for _, r := range raws {
		var k AccessKey
		if err := json.Unmarshal(r.Value, &k); err != nil {
			return nil, fmt.Errorf("decode %s: %w", r.Key, err)
		}
		if k.Session == nil && strings.EqualFold(k.UserName, userName) {
			if err := openKey(s.Store, &k); err != nil {
				return nil, err
			}
			out = append(out, keyAt{key: k, rev: r.Rev})
		}
	}
	return out, nil
}

// CreateAccessKey makes a long-term key for a user, at most two a user.
func (s *Service) CreateAccessKey(ctx context.Context, userName string) (*AccessKey, error) {
	var k *AccessKey
	err := s.write(ctx, func(t *store.Txn) error {
		// Claiming the user orders this key after any other of its keys,
		// so the quota below counts them all.
		u, rev, err := s.userAt(ctx, userName)
		if err != nil {
			return err
		}
		keys, err := s.userKeysAt(ctx, u.Name)
		if err != nil {
			return err
		}
		if len(keys) >= maxKeysPerUser {
			return quotaError("AccessKeysPerUser", maxKeysPerUser)
		}
		k = &AccessKey{ID: newID("AKIA"), Secret: newSecret(), Status: KeyActive, CreateDate: s.Now().UTC(), UserName: u.Name}
		t.Unchanged(userKey(u.Name), rev)
		t.Put(userKey(u.Name), u)
		t.Create(keyKey(k.ID), sealKey(s.Store, k))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create access key of %s: %w", userName, err)
	}
	return k, nil
}

// ListAccessKeys lists a user's long-term keys.
func (s *Service) ListAccessKeys(ctx context.Context, userName string) ([]AccessKey, error) {
	keys, err := s.userKeysAt(ctx, userName)
	if err != nil {
		return nil, err
	}
	out := make([]AccessKey, len(keys))
	for i, k := range keys {
		out[i] = k.key
	}
	return out, nil
}

func noSuchKey(id string) error {
	return awserr.Errorf(CodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

// userKeyAt reads one of a user's long-term keys; a session's key, or
// another user's, is not found, as IAM answers.
func (s *Service) userKeyAt(ctx context.Context, userName, id string) (*AccessKey, int64, error) {
	var k AccessKey
	rev, err := s.Store.Get(ctx, keyKey(id), &k)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (k.Session != nil || !strings.EqualFold(k.UserName, userName))) {
		return nil, 0, noSuchKey(id)
	} else if err != nil {
		return nil, 0, err
	}
	if err := openKey(s.Store, &k); err != nil {
		return nil, 0, err
	}
	return &k, rev, nil
}

// DeleteAccessKey removes one of a user's keys and what keks recorded of its use.
func (s *Service) DeleteAccessKey(ctx context.Context, userName, id string) error {
	if _, err := s.GetUser(ctx, userName); err != nil {
		return err
	}
	err := s.write(ctx, func(t *store.Txn) error {
		_, rev, err := s.userKeyAt(ctx, userName, id)
		if err != nil {
			return err
		}
		t.Unchanged(keyKey(id), rev)
		t.Delete(keyKey(id))
		t.Delete(keyUseKey(id))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete access key %s: %w", id, err)
	}
	s.keyUse.forgetKey(id)
	return nil
}

// UpdateAccessKey makes one of a user's keys Active or Inactive; an
// inactive key signs nothing.
func (s *Service) UpdateAccessKey(ctx context.Context, userName, id, status string) error {
	if status != KeyActive && status != KeyInactive {
		return awserr.Errorf(CodeValidation, "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]", status)
	}
	if _, err := s.GetUser(ctx, userName); err != nil {
		return err
	}
	err := s.write(ctx, func(t *store.Txn) error {
		k, rev, err := s.userKeyAt(ctx, userName, id)
		if err != nil {
			return err
		}
		if k.Status == status {
			return nil
		}
		k.Status = status
		t.Unchanged(keyKey(id), rev)
		t.Put(keyKey(id), sealKey(s.Store, k))
		return nil
	})
	if err != nil {
		return fmt.Errorf("update access key %s: %w", id, err)
	}
	return nil
}

// AccessKeyLastUsed reports whose a long-term key is and when it last
// signed a request; nil when it never did (IAM then answers "N/A"). The
// newest of the stored use and the one noted in memory is the answer.
func (s *Service) AccessKeyLastUsed(ctx context.Context, id string) (string, *KeyLastUsed, error) {
	var k AccessKey
	if _, err := s.Store.Get(ctx, keyKey(id), &k); errors.Is(err, store.ErrNotFound) || (err == nil && k.Session != nil) {
		return "", nil, noSuchKey(id)
	} else if err != nil {
		return "", nil, err
	}
	var last *KeyLastUsed
	var stored KeyLastUsed
	if _, err := s.Store.Get(ctx, keyUseKey(id), &stored); err == nil {
		last = &stored
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	if noted, ok := s.keyUse.keyUse(id); ok && (last == nil || noted.Date.After(last.Date)) {
		last = &noted
	}
	return k.UserName, last, nil
}
