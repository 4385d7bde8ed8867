package controlplane

import (
	"context"
	"encoding/base64"
	"syscall"
	"time"

	"github.com/keksdev/keks/internal/eks"
)

const sighup = syscall.SIGHUP

// teardown removes everything a cluster's control plane had: what its
// runtime has of it (processes, the bridge and its addresses, files), and
// its records.
func (c *Controller) teardown(ctx context.Context, cl *eks.Cluster) (time.Duration, error) {
	c.log.Info("deleting control plane", "cluster", cl.Name)
	var st State
	_, _ = c.store.Get(ctx, stateKey(cl.UID), &st)
	rt, err := c.runtimeOf(&st)
	if err != nil {
		return 0, err
	}
	if err := rt.Teardown(ctx, cl, &st); err != nil {
		return 0, err
	}
	for _, k := range []string{stateKey(cl.UID), secretsKey(cl.UID)} {
		if err := c.store.Delete(ctx, k); err != nil {
			return 0, err
		}
	}
	if err := c.eks.Forget(ctx, cl); err != nil {
		return 0, err
	}
	c.forgetState(cl.UID)
	if c.cfg.Deleted != nil {
		c.cfg.Deleted(cl.UID)
	}
	c.log.Info("cluster deleted", "cluster", cl.Name)
	return 0, nil
}

func base64PEM(pem []byte) string { return base64.StdEncoding.EncodeToString(pem) }
