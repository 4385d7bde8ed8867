package store

import (
	"context"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Embedded reports whether keks runs the store's etcd itself.
func (s *Store) Embedded() bool { return s.member != "" }

// DropHistory forgets every revision but the newest and, for the embedded
// member, defragments its database, so that values rewritten since (such
// as older plaintext secrets, once sealed) are no longer kept in the
// store's history nor in its database file's free pages. It does not touch
// an external store: compacting someone else's etcd is their decision.
// etcd's write-ahead log keeps the old writes until its own snapshots let
// it drop those files.
func (s *Store) DropHistory(ctx context.Context) error {
	if !s.Embedded() {
		return errors.New("store: DropHistory is for the embedded store")
	}
	resp, err := s.cli.Get(ctx, s.prefix+sealCheckKey)
	if err != nil {
		return fmt.Errorf("store: read the current revision: %w", err)
	}
	if _, err := s.cli.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		return fmt.Errorf("store: compact to revision %d: %w", resp.Header.Revision, err)
	}
	if _, err := s.cli.Defragment(ctx, s.member); err != nil {
		return fmt.Errorf("store: defragment: %w", err)
	}
	return nil
}
