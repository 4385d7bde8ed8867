package ec2

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/keksdev/keks/internal/store"
)

// EndInstancesOn adds to t the end of every instance on an agent host
// that is not terminated yet: terminated with reason, its processes gone
// with the host. It makes t depend on those records, so that it commits
// only on what it read.
func (s *Service) EndInstancesOn(ctx context.Context, t *store.Txn, host, reason string) error {
	raws, err := s.Store.ListRaw(ctx, InstancePrefix)
	if err != nil {
		return fmt.Errorf("list the instances of host %s: %w", host, err)
	}
	for _, r := range raws {
		var in Instance
		if err := json.Unmarshal(r.Value, &in); err != nil {
			return fmt.Errorf("store decode %s: %w", r.Key, err)
		}
		if in.Host != host || in.State == StateTerminated {
			continue
		}
		in.State, in.ContainerdPID, in.KubeletPID, in.KubeProxyPID = StateTerminated, 0, 0, 0
		in.StateReason = reason
		t.Unchanged(r.Key, r.Rev)
		t.Put(r.Key, &in)
	}
	return nil
}
