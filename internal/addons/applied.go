package addons

import (
	"crypto/sha256"
	"strings"
	"time"

	"github.com/keksdev/keks/internal/eks"
)

// resyncPeriod is how often objects are applied again though nothing keks
// knows of changed: someone may have edited or deleted them in the cluster.
const resyncPeriod = 10 * time.Minute

// applied is what an add-on's objects were last applied as, and when.
type applied struct {
	digest [sha256.Size]byte
	at     time.Time
}

func appliedKey(clusterUID, addon string) string { return clusterUID + "/" + addon }

func digest(objs []object) [sha256.Size]byte {
	h := sha256.New()
	for _, o := range objs {
		h.Write([]byte(o.kind + "\x00" + o.namespace + "\x00" + o.name + "\x00" + o.yaml + "\x00"))
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// forgetGone drops what is remembered of clusters that no longer exist.
func (c *Controller) forgetGone(clusters []eks.Cluster) {
	live := map[string]bool{}
	for _, cl := range clusters {
		live[cl.UID] = true
	}
	for k := range c.applied {
		uid, _, _ := strings.Cut(k, "/")
		if !live[uid] {
			delete(c.applied, k)
		}
	}
}
