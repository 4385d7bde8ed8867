package controlplane

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/keksdev/keks/internal/eks"
)

// etcd's quota grows with its database: once the database fills
// etcdQuotaFill of the quota, the quota doubles, up to maxEtcdQuota (etcd's
// own suggested maximum). A database that reached its quota would make
// etcd refuse every write (NOSPACE) until someone raised it by hand.
const (
	etcdQuotaFill          = 0.7
	maxEtcdQuota           = 8 << 30
	etcdQuotaCheckInterval = time.Minute
)

// raisedQuota is the quota a database of size wants, and whether it is
// more than quota.
func raisedQuota(size, quota int64) (int64, bool) {
	if quota >= maxEtcdQuota || float64(size) < etcdQuotaFill*float64(quota) {
		return quota, false
	}
	return min(maxEtcdQuota, 2*quota), true
}

// etcdQuota is the quota the cluster's etcd members run with: the tier's,
// or more once the autoscaler has raised it.
func (st *State) etcdQuota(cl *eks.Cluster) int64 {
	return max(cl.Spec.Tier().DatabaseBytes(), st.EtcdQuotaBytes)
}

// applyEtcdQuota gives the etcd members a quota the autoscaler raised
// above the tier's (a new flag: they roll one at a time).
func applyEtcdQuota(members []Member, st *State, cl *eks.Cluster) {
	if st.EtcdQuotaBytes <= cl.Spec.Tier().DatabaseBytes() {
		return
	}
	for _, m := range members {
		if m.role == RoleEtcd {
			m.Flags["quota-backend-bytes"] = strconv.FormatInt(st.EtcdQuotaBytes, 10)
		}
	}
}

// growEtcdQuota reads the database size every etcdQuotaCheckInterval and
// raises the quota when the database nears it.
func (c *Controller) growEtcdQuota(ctx context.Context, cl *eks.Cluster, st *State, rt Runtime, h *loadHistory) {
	if time.Since(h.sizeChecked) < etcdQuotaCheckInterval {
		return
	}
	h.sizeChecked = time.Now()
	size, err := rt.DatabaseSize(ctx, st)
	if err != nil {
		return // read again next time; a rollout or restart can hide the members a while
	}
	quota := st.etcdQuota(cl)
	raised, ok := raisedQuota(size, quota)
	if !ok {
		return
	}
	st.EtcdQuotaBytes = raised
	why := fmt.Sprintf("the database uses %.2f GiB of %d GiB", float64(size)/(1<<30), quota>>30)
	st.event("etcd", "raising the quota from %d GiB to %d GiB: %s", quota>>30, raised>>30, why)
	c.log.Info("raising etcd quota", "cluster", cl.Name, "from", quota, "to", raised, "size", size)
	c.Enqueue(cl.Region, cl.Name)
}
