package eks

import (
	"context"
	"errors"
	"fmt"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ec2"
	"github.com/keksdev/keks/internal/store"
)

// maxClusters is EKS's default quota of clusters per account.
const maxClusters = 100

// storeNewCluster records a validated new cluster with its cluster security
// group and its default add-ons, in one transaction: a refused or failed
// create leaves none of them behind.
func (s *Service) storeNewCluster(ctx context.Context, c *Cluster, clientToken string) (*Cluster, error) {
	// A cluster made with the access entry API starts with its creator's
	// admin entry, when bootstrapClusterCreatorAdminPermissions is on.
	var creator *AccessEntry
	if hasAccessEntries(c.Spec.AuthenticationMode) && c.Spec.BootstrapCreatorAdmin {
		var err error
		if creator, err = s.creatorEntry(ctx, c); err != nil {
			return nil, err
		}
	}
	out := c
	err := s.Store.Transact(ctx, func(t *store.Txn) error {
		out = c
		if existing, err := s.GetCluster(ctx, c.Region, c.Name); err == nil {
			if clientToken != "" && existing.ClientRequestToken == clientToken {
				out = existing // an idempotent retry
				return nil
			}
			return awserr.Errorf(CodeResourceInUse, "Cluster already exists with name: %s", c.Name).With("clusterName", c.Name)
		}
		all, err := s.ListAllClusters(ctx)
		if err != nil {
			return err
		}
		if len(all) >= maxClusters {
			return awserr.Errorf(CodeResourceLimit, "Cluster limit exceeded for account").With("clusterName", c.Name)
		}
		sg, err := s.EC2.AddSecurityGroup(ctx, t, ec2.SecurityGroup{VPCID: c.Spec.VPCID, Name: "eks-cluster-sg-" + c.Name + "-" + c.ID[:10],
			Description: "EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.",
			Tags:        map[string]string{"aws:eks:cluster-name": c.Name, "kubernetes.io/cluster/" + c.Name: "owned"}, Rules: clusterSecurityGroupRules()})
		if err != nil {
			return fmt.Errorf("create cluster security group: %w", err)
		}
		c.Status.ClusterSecurityGroupID = sg.ID
		t.Create(clusterKey(c.Region, c.Name), c)
		// EKS installs vpc-cni, kube-proxy and CoreDNS on every new cluster.
		for _, name := range DefaultAddons {
			a, err := s.newAddon(c, CreateAddonInput{Name: name})
			if err != nil {
				return fmt.Errorf("install default add-on %s: %w", name, err)
			}
			t.Create(addonKey(c.UID, a.Name), a)
		}
		if creator != nil {
			t.Create(accessEntryKey(c.UID, creator.PrincipalARN), creator)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// clusterAsChecked reads cluster c inside transaction t and makes t hold only
// while the cluster stays as read: a cluster deleted or replaced since c was
// checked is not found.
func (s *Service) clusterAsChecked(ctx context.Context, t *store.Txn, c *Cluster) (*Cluster, error) {
	key := clusterKey(c.Region, c.Name)
	var cur Cluster
	rev, err := s.Store.Get(ctx, key, &cur)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cur.UID != c.UID) {
		return nil, clusterNotFound(c.Name)
	} else if err != nil {
		return nil, err
	}
	t.Unchanged(key, rev)
	return &cur, nil
}
