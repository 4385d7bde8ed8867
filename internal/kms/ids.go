package kms

import (
	"context"
	"regexp"
	"strings"
)

// keyIDPattern is the form of the key ids keks makes (and KMS's
// single-Region keys have): a lowercase UUID.
var keyIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// keyRef is what a KeyId member names: a key by id, or an alias by name.
type keyRef struct {
	id    string // set for a key id or key ARN
	alias string // "alias/..." for an alias name or alias ARN
}

// parseKeyRef reads a KeyId member: a key id, key ARN, alias name or
// alias ARN (the last two only where the operation takes aliases). An ARN
// of another region or account names nothing here.
func parseKeyRef(sc Scope, keyID string, aliasesAllowed bool) (keyRef, error) {
	ref, err := readKeyRef(sc, keyID)
	if err != nil {
		return keyRef{}, err
	}
	if ref.alias != "" && !aliasesAllowed {
		return keyRef{}, Errorf(CodeNotFound, "Invalid keyId %s", keyID)
	}
	return ref, nil
}

func readKeyRef(sc Scope, keyID string) (keyRef, error) {
	if rest, ok := strings.CutPrefix(keyID, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 5)
		if len(parts) != 5 || parts[0] != "aws" || parts[1] != "kms" {
			return keyRef{}, Errorf(CodeNotFound, "Invalid arn %s", keyID)
		}
		region, account, resource := parts[2], parts[3], parts[4]
		switch {
		case strings.HasPrefix(resource, "alias/"):
			if region != sc.Region || account != sc.Account {
				return keyRef{}, aliasNotFound(keyID)
			}
			return keyRef{alias: resource}, nil
		case strings.HasPrefix(resource, "key/"):
			id := strings.TrimPrefix(resource, "key/")
			if region != sc.Region || account != sc.Account || !keyIDPattern.MatchString(id) {
				return keyRef{}, keyNotFound(keyID)
			}
			return keyRef{id: id}, nil
		}
		return keyRef{}, Errorf(CodeNotFound, "Invalid arn %s", keyID)
	}
	if strings.HasPrefix(keyID, "alias/") {
		return keyRef{alias: keyID}, nil
	}
	if !keyIDPattern.MatchString(keyID) {
		return keyRef{}, Errorf(CodeNotFound, "Invalid keyId %s", keyID)
	}
	return keyRef{id: keyID}, nil
}

// Resolved is a key found through a KeyId member.
type Resolved struct {
	Key *Key
	// Alias is the alias name ("alias/...") the request named the key by,
	// for kms:RequestAlias; "" when it named the key itself.
	Alias string
	rev   int64
}

// Resolve finds the key a KeyId member names (aliases included), for
// reading: authorization describes calls with it.
func (s *Service) Resolve(ctx context.Context, sc Scope, keyID string) (*Resolved, error) {
	return s.resolve(ctx, sc, keyID, true)
}

func (s *Service) resolve(ctx context.Context, sc Scope, keyID string, aliasesAllowed bool) (*Resolved, error) {
	if err := requireKeyID("keyId", keyID); err != nil {
		return nil, err
	}
	ref, err := parseKeyRef(sc, keyID, aliasesAllowed)
	if err != nil {
		return nil, err
	}
	id := ref.id
	if ref.alias != "" {
		a, _, err := s.loadAlias(ctx, sc, ref.alias)
		if err != nil {
			return nil, err
		}
		id = a.TargetKeyID
	}
	k, rev, err := s.loadKey(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	return &Resolved{Key: k, Alias: ref.alias, rev: rev}, nil
}

// keyByID finds a key by key id or key ARN only, as the operations that
// manage a key (rather than use it) take it.
func (s *Service) keyByID(ctx context.Context, sc Scope, keyID string) (*Key, error) {
	r, err := s.resolve(ctx, sc, keyID, false)
	if err != nil {
		return nil, err
	}
	return r.Key, nil
}
