package ec2

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// EndInstancesOn adds to t the end of at most limit records of an agent
// host: its instances that are not terminated yet (terminated with reason,
// their processes gone with the host), then the volumes it held (lost:
// state error). It makes t depend on those records, so that it commits
// only on what it read; more says whether others are left for another
// transaction (one holds only so many writes).
func (s *Service) EndInstancesOn(ctx context.Context, t *store.Txn, host, reason string, limit int) (more bool, err error) {
	raws, err := s.Store.ListRaw(ctx, InstancePrefix)
	if err != nil {
		return false, fmt.Errorf("list the instances of host %s: %w", host, err)
	}
	ended := 0
	for _, r := range raws {
		var in Instance
		if err := json.Unmarshal(r.Value, &in); err != nil {
			return false, fmt.Errorf("store decode %s: %w", r.Key, err)
		}
		if in.Host != host || in.State == StateTerminated {
			continue
		}
		if ended == limit {
			return true, nil
		}
		in.State, in.ContainerdPID, in.KubeletPID, in.KubeProxyPID = StateTerminated, 0, 0, 0
		in.StateReason = reason
		t.Unchanged(r.Key, r.Rev)
		t.Put(r.Key, &in)
		ended++
	}
	return s.loseVolumesOn(ctx, t, host, limit-ended)
}
