package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// stateRefresh is how stale the liveness times in the store may grow: they
// change on every health check, and writing them each time would keep the
// store (and everyone watching it) busy for nothing.
const stateRefresh = time.Minute

// saveState writes a control plane's state when something other than its
// liveness times changed, or when those are older than stateRefresh in the store.
func (c *Controller) saveState(ctx context.Context, st *State) error {
	sig, err := significant(st)
	if err != nil {
		return err
	}
	c.mu.Lock()
	prev, ok := c.saved[st.ClusterUID]
	c.mu.Unlock()
	if ok && bytes.Equal(prev.significant, sig) && time.Since(prev.at) < stateRefresh {
		return nil
	}
	if err := c.store.Put(ctx, stateKey(st.ClusterUID), st); err != nil {
		return err
	}
	c.mu.Lock()
	c.saved[st.ClusterUID] = savedState{significant: sig, at: time.Now()}
	c.mu.Unlock()
	return nil
}

// forgetState drops what the controller holds for a deleted cluster.
func (c *Controller) forgetState(uid string) {
	c.mu.Lock()
	delete(c.saved, uid)
	delete(c.placed, uid)
	delete(c.loads, uid)
	c.mu.Unlock()
}

type savedState struct {
	significant []byte
	at          time.Time
}

// significant encodes a state without the times every health check moves.
func significant(st *State) ([]byte, error) {
	cp := *st
	cp.Instances = append([]Instance(nil), st.Instances...)
	for i := range cp.Instances {
		cp.Instances[i].LastHealthy, cp.Instances[i].LastLive = time.Time{}, time.Time{}
	}
	b, err := json.Marshal(&cp)
	if err != nil {
		return nil, fmt.Errorf("encode control-plane state of %s: %w", st.ClusterName, err)
	}
	return b, nil
}
