package controlplane

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
)

// What the rest of keks needs of a control plane goes through its runtime,
// never through the host's layout: keks's own client of the cluster, whether
// its webhooks serve a Fargate profile, where its members' logs are.

// AdminConfig is keks's own client configuration of a cluster (the
// keks-admin certificate, connecting from where the endpoint always admits
// keks), for kubeclient.Cache.
func (c *Controller) AdminConfig(clusterUID string) (*rest.Config, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, st, err := c.clusterRuntime(ctx, clusterUID)
	if err != nil {
		return nil, err
	}
	return rt.AdminConfig(st)
}

// FargateProfilesServed says whether a cluster's webhooks have been given
// the profile: a profile becomes ACTIVE only then, so that a pod made right
// after `aws eks wait fargate-profile-active` is matched to it.
func (c *Controller) FargateProfilesServed(clusterUID, profile string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rt, st, err := c.clusterRuntime(ctx, clusterUID)
	return err == nil && rt.ProfilesServed(st, profile)
}

// DatabaseSize is the size of a cluster's etcd database, in bytes: a
// scaling tier whose quota is smaller cannot be chosen.
func (c *Controller) DatabaseSize(ctx context.Context, clusterUID string) (int64, error) {
	// The members' addresses are in the whole state, not in the placement
	// clusterRuntime keeps: read it once, and its runtime from it.
	var st State
	if _, err := c.store.Get(ctx, stateKey(clusterUID), &st); err != nil {
		return 0, fmt.Errorf("control-plane state of %s: %w", clusterUID, err)
	}
	rt, err := c.runtimeOf(&st)
	if err != nil {
		return 0, err
	}
	return rt.DatabaseSize(ctx, &st)
}

// LogDir is where the members of a cluster's control plane write their
// logs (<component>-<suffix>.log, audit-<suffix>.log), for cplogs.
func (c *Controller) LogDir(ctx context.Context, clusterUID string) (string, error) {
	rt, st, err := c.clusterRuntime(ctx, clusterUID)
	if err != nil {
		return "", err
	}
	return rt.LogDir(st), nil
}

// clusterRuntime is a cluster's runtime and what its state says of where
// the control plane is (its runtime and placement never change), read from
// the store once and kept until the cluster is gone.
func (c *Controller) clusterRuntime(ctx context.Context, uid string) (Runtime, *State, error) {
	c.mu.Lock()
	st, ok := c.placed[uid]
	c.mu.Unlock()
	if !ok {
		var full State
		if _, err := c.store.Get(ctx, stateKey(uid), &full); err != nil {
			return nil, nil, fmt.Errorf("control-plane state of %s: %w", uid, err)
		}
		st = State{ClusterUID: full.ClusterUID, ClusterName: full.ClusterName, Region: full.Region, Runtime: full.Runtime, NetIndex: full.NetIndex, Endpoint: full.Endpoint}
		if st.Runtime != RuntimeKubernetes || st.Endpoint != "" { // an endpoint not placed yet is read again
			c.mu.Lock()
			c.placed[uid] = st
			c.mu.Unlock()
		}
	}
	rt, err := c.runtimeOf(&st)
	return rt, &st, err
}
