package kms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/store"
)

// Alias is a friendly name for a key.
type Alias struct {
	Name        string    `json:"name"` // "alias/..."
	ARN         string    `json:"arn"`
	Account     string    `json:"account"`
	TargetKeyID string    `json:"targetKeyId"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// maxAliasesPerKey is KMS's quota of aliases on one key.
const maxAliasesPerKey = 50

func aliasPath(region, name string) string {
	return "kms/aliases/" + region + "/" + strings.TrimPrefix(name, "alias/")
}

func aliasesPrefix(region string) string { return "kms/aliases/" + region + "/" }

// aliasNamePattern is AliasNameType's pattern.
var aliasNamePattern = regexp.MustCompile(`^[a-zA-Z0-9:/_-]+$`)

// checkAliasName applies KMS's rules to an alias name: the model's
// pattern, the alias/ prefix, and the alias/aws/ prefix that is AWS's own.
func checkAliasName(name string) error {
	switch {
	case name == "":
		return validationf("Value null at 'aliasName' failed to satisfy constraint: Member must not be null")
	case len(name) > maxAliasName:
		return validationf("Value '%s' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to %d", name, maxAliasName)
	case !aliasNamePattern.MatchString(name):
		return validationf("Value '%s' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$", name)
	case !strings.HasPrefix(name, "alias/") || name == "alias/":
		return Errorf(CodeInvalidAliasName, "Alias must start with the prefix \"alias/\" followed by a name. Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")
	case strings.HasPrefix(name, "alias/aws/"):
		return Errorf(CodeInvalidAliasName, "Alias names cannot begin with alias/aws/: that prefix is reserved for AWS managed keys.")
	}
	return nil
}

// targetKey checks an alias's TargetKeyId: a key id or key ARN, never
// another alias.
func targetKey(v string) error {
	if err := requireKeyID("targetKeyId", v); err != nil {
		return err
	}
	if strings.HasPrefix(v, "alias/") || strings.Contains(v, ":alias/") {
		return Errorf(CodeValidation, "Aliases must refer to keys. Not aliases")
	}
	return nil
}

func aliasNotFound(arn string) error {
	return Errorf(CodeNotFound, "Alias %s is not found.", arn)
}

// loadAlias reads an alias by name, with its revision.
func (s *Service) loadAlias(ctx context.Context, sc Scope, name string) (*Alias, int64, error) {
	var a Alias
	rev, err := s.Store.Get(ctx, aliasPath(sc.Region, name), &a)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Account != sc.Account) {
		return nil, 0, aliasNotFound(sc.AliasARN(name))
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read KMS alias %s: %w", name, err)
	}
	return &a, rev, nil
}

// CreateAlias names a key. The alias and the key's list of aliases are
// written together.
func (s *Service) CreateAlias(ctx context.Context, sc Scope, name, targetKeyID string) error {
	if err := checkAliasName(name); err != nil {
		return err
	}
	if err := targetKey(targetKeyID); err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		target, err := s.resolve(ctx, sc, targetKeyID, false)
		if err != nil {
			return err
		}
		k := target.Key
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		path := aliasPath(sc.Region, name)
		now := s.now()
		if existing, rev, err := s.loadAlias(ctx, sc, name); err == nil {
			if s.keyLive(ctx, sc, existing.TargetKeyID) {
				return Errorf(CodeAlreadyExists, "An alias with the name %s already exists", sc.AliasARN(name))
			}
			// The alias of a key that is gone but not yet purged: KMS
			// deleted it with its key, so the name is free.
			t.Unchanged(path, rev)
		} else if awsErrorCode(err) != CodeNotFound {
			return err
		} else {
			t.Unchanged(path, 0)
		}
		if err := addAlias(k, name); err != nil {
			return err
		}
		t.Unchanged(keyPath(sc.Region, k.ID), target.rev)
		t.Put(keyPath(sc.Region, k.ID), k)
		t.Put(path, &Alias{Name: name, ARN: sc.AliasARN(name), Account: sc.Account, TargetKeyID: k.ID, CreatedAt: now, UpdatedAt: now})
		return nil
	})
}

// DeleteAlias removes an alias; its key stays.
func (s *Service) DeleteAlias(ctx context.Context, sc Scope, name string) error {
	if err := checkAliasName(name); err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		a, rev, err := s.loadAlias(ctx, sc, name)
		if err != nil {
			return err
		}
		path := aliasPath(sc.Region, name)
		t.Unchanged(path, rev)
		t.Delete(path)
		return s.dropAlias(ctx, t, sc, a)
	})
}

// UpdateAlias points an alias at another key: the alias and both keys'
// lists of aliases are written together.
func (s *Service) UpdateAlias(ctx context.Context, sc Scope, name, targetKeyID string) error {
	if err := checkAliasName(name); err != nil {
		return err
	}
	if err := targetKey(targetKeyID); err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		a, rev, err := s.loadAlias(ctx, sc, name)
		if err != nil {
			return err
		}
		if !s.keyLive(ctx, sc, a.TargetKeyID) {
			return aliasNotFound(a.ARN)
		}
		target, err := s.resolve(ctx, sc, targetKeyID, false)
		if err != nil {
			return err
		}
		k := target.Key
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		path := aliasPath(sc.Region, name)
		t.Unchanged(path, rev)
		if a.TargetKeyID != k.ID {
			if err := s.dropAlias(ctx, t, sc, a); err != nil {
				return err
			}
			if err := addAlias(k, name); err != nil {
				return err
			}
			t.Unchanged(keyPath(sc.Region, k.ID), target.rev)
			t.Put(keyPath(sc.Region, k.ID), k)
		}
		a.TargetKeyID, a.UpdatedAt = k.ID, s.now()
		t.Put(path, a)
		return nil
	})
}

// addAlias adds a name to a key's sorted list of aliases.
func addAlias(k *Key, name string) error {
	if len(k.Aliases) >= maxAliasesPerKey {
		return Errorf(CodeLimitExceeded, "The key %s already has %d aliases, KMS's quota", k.ARN, maxAliasesPerKey)
	}
	i, found := slices.BinarySearch(k.Aliases, name)
	if !found {
		k.Aliases = slices.Insert(k.Aliases, i, name)
	}
	return nil
}

// dropAlias takes an alias off its key's list, in t.
func (s *Service) dropAlias(ctx context.Context, t *store.Txn, sc Scope, a *Alias) error {
	var k Key
	path := keyPath(sc.Region, a.TargetKeyID)
	rev, err := s.Store.Get(ctx, path, &k)
	if errors.Is(err, store.ErrNotFound) {
		return nil // purged: nothing lists the alias any more
	} else if err != nil {
		return fmt.Errorf("read KMS key %s: %w", a.TargetKeyID, err)
	}
	k.Aliases = slices.DeleteFunc(k.Aliases, func(n string) bool { return n == a.Name })
	if len(k.Aliases) == 0 {
		k.Aliases = nil
	}
	t.Unchanged(path, rev)
	t.Put(path, &k)
	return nil
}

// keyLive reports whether a key exists (and is not past its deletion).
func (s *Service) keyLive(ctx context.Context, sc Scope, id string) bool {
	_, _, err := s.loadKey(ctx, sc, id)
	return err == nil
}

// ListAliases lists the region's aliases by name, or those of one key
// (named by key id or key ARN), a page at a time.
func (s *Service) ListAliases(ctx context.Context, sc Scope, keyID string, pg Page) ([]Alias, string, error) {
	p, err := newPager(pg, 50, 100)
	if err != nil {
		return nil, "", err
	}
	only := ""
	if keyID != "" {
		k, err := s.keyByID(ctx, sc, keyID)
		if err != nil {
			return nil, "", err
		}
		only = k.ID
	}
	all, err := store.List[Alias](ctx, s.Store, aliasesPrefix(sc.Region))
	if err != nil {
		return nil, "", fmt.Errorf("list KMS aliases: %w", err)
	}
	keys, err := s.keys(ctx, sc)
	if err != nil {
		return nil, "", err
	}
	live := make(map[string]bool, len(keys))
	for _, k := range keys {
		live[k.ID] = true
	}
	aliases := all[:0]
	for _, a := range all {
		if a.Account == sc.Account && live[a.TargetKeyID] && (only == "" || a.TargetKeyID == only) {
			aliases = append(aliases, a)
		}
	}
	page, next := p.take(len(aliases), func(i int) string { return aliases[i].Name })
	return aliases[page.start:page.end], next, nil
}
