package ec2

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// A subnet's VXLAN network identifier (VNI) names its layer-2 segment
// between hosts (internal/overlay): two subnets with one VNI would be one
// segment, so VPCs would reach each other. VNIs are therefore handed out
// from a counter in the store, never derived from a hash of the id, and
// never reused. They are kept beside the subnet record rather than in it,
// so no writer of a subnet (tags, addresses) can drop one.
const (
	// FirstVNI is the first VNI handed out; those below stay free for
	// keks's own segments.
	FirstVNI = 4096
	// MaxVNI is the largest VNI VXLAN has (24 bits).
	MaxVNI = 1<<24 - 1

	vniPrefix  = "ec2/subnetvnis/"
	vniNextKey = "ec2/vninext"
)

func vniKey(subnetID string) string { return vniPrefix + subnetID }

type subnetVNI struct {
	VNI int `json:"vni"`
}

type nextVNI struct {
	Next int `json:"next"`
}

// SubnetVNI is the subnet's VNI, given on first use: the next free one,
// in the same transaction that records it, so concurrent callers get
// distinct ones and every later caller the same.
func (s *Service) SubnetVNI(ctx context.Context, subnetID string) (int, error) {
	var have subnetVNI
	if _, err := s.Store.Get(ctx, vniKey(subnetID), &have); err == nil {
		return have.VNI, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("read VNI of subnet %s: %w", subnetID, err)
	}
	var got int
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		got = 0
		rev, err := s.Store.Get(ctx, vniKey(subnetID), &have)
		if err == nil {
			got = have.VNI // another caller gave it meanwhile
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Unchanged(vniKey(subnetID), rev)
		// A subnet being deleted gets none: the commit depends on it.
		_, snRev, err := s.subnetAt(ctx, subnetID)
		if err != nil {
			return err
		}
		t.Unchanged(subnetKey(subnetID), snRev)
		next := nextVNI{Next: FirstVNI}
		nextRev, err := s.Store.Get(ctx, vniNextKey, &next)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		t.Unchanged(vniNextKey, nextRev)
		if next.Next < FirstVNI {
			next.Next = FirstVNI
		}
		if next.Next > MaxVNI {
			return fmt.Errorf("every VXLAN network identifier up to %d is taken", MaxVNI)
		}
		got = next.Next
		t.Put(vniKey(subnetID), subnetVNI{VNI: got})
		t.Put(vniNextKey, nextVNI{Next: got + 1})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("give subnet %s a VNI: %w", subnetID, err)
	}
	return got, nil
}
