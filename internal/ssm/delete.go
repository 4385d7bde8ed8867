package ssm

import (
	"context"
	"errors"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/store"
)

// isCode says whether err is the Parameter Store error code.
func isCode(err error, code string) bool {
	var e *awserr.Error
	return errors.As(err, &e) && e.Code == code
}

// Delete removes a parameter and all its versions.
func (s *Service) Delete(ctx context.Context, sc Scope, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return s.Store.Transact(ctx, func(t *store.Txn) error {
		r, rev, err := s.get(ctx, sc, name)
		if err != nil {
			return err
		}
		if r == nil {
			return notFound(name)
		}
		t.Unchanged(key(sc, name), rev)
		t.Delete(key(sc, name))
		return nil
	})
}

// DeleteManyResult is what DeleteParameters answers.
type DeleteManyResult struct {
	Deleted, Invalid []string
}

// DeleteMany removes the parameters a DeleteParameters names (1 to 10),
// in one transaction; names that do not exist are Invalid.
func (s *Service) DeleteMany(ctx context.Context, sc Scope, names []string) (*DeleteManyResult, error) {
	if err := CheckCount("names", names, 1, 10); err != nil {
		return nil, err
	}
	for _, n := range names {
		if err := checkName(n); err != nil {
			return nil, err
		}
	}
	var out DeleteManyResult
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		out = DeleteManyResult{Deleted: []string{}, Invalid: []string{}}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				continue
			}
			seen[n] = true
			r, rev, err := s.get(ctx, sc, n)
			if err != nil {
				return err
			}
			if r == nil {
				out.Invalid = append(out.Invalid, n)
				continue
			}
			t.Unchanged(key(sc, n), rev)
			t.Delete(key(sc, n))
			out.Deleted = append(out.Deleted, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
