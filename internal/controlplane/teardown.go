package controlplane

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/network"
	"github.com/keksdev/keks/internal/supervisor"
)

const sighup = syscall.SIGHUP

// teardown removes everything a cluster's control plane had: processes,
// the bridge and its addresses, files, and its records.
func (c *Controller) teardown(ctx context.Context, cl *eks.Cluster) (time.Duration, error) {
	c.log.Info("deleting control plane", "cluster", cl.Name)
	var st State
	_, _ = c.store.Get(ctx, stateKey(cl.UID), &st)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for pid, id := range supervisor.Find(cl.UID + "/") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := supervisor.Stop(ctx, pid, id, 5*time.Second); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return 0, fmt.Errorf("stop control plane of %s: %w", cl.Name, err)
	}
	if st.ClusterUID != "" {
		if err := network.DeleteLink(newNetwork(st.NetIndex).bridge()); err != nil {
			return 0, err
		}
	}
	if err := os.RemoveAll(filepath.Join(c.cfg.DataDir, cl.UID)); err != nil {
		return 0, fmt.Errorf("remove files of %s: %w", cl.Name, err)
	}
	if err := removeKMSSockets(cl.UID); err != nil {
		return 0, fmt.Errorf("remove KMS plugin sockets of %s: %w", cl.Name, err)
	}
	if st.ClusterUID != "" {
		if err := c.store.Delete(ctx, netIndexKey(st.NetIndex)); err != nil {
			return 0, err
		}
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
	for _, inst := range st.Instances {
		c.unhealthySince.Delete(cl.UID + "/" + inst.Name)
	}
	if c.cfg.Deleted != nil {
		c.cfg.Deleted(cl.UID)
	}
	c.log.Info("cluster deleted", "cluster", cl.Name)
	return 0, nil
}

func base64PEM(pem []byte) string { return base64.StdEncoding.EncodeToString(pem) }
