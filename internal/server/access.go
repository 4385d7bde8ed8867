package server

import (
	"context"
	"strings"

	"github.com/keksdev/keks/internal/authn"
	"github.com/keksdev/keks/internal/controlplane"
	"github.com/keksdev/keks/internal/eks"
	"github.com/keksdev/keks/internal/store"
)

// clusterAccess tells the authenticators of a cluster who may come in and
// as whom: its authentication mode, its access entries and, in the
// ConfigMap modes, its aws-auth mappings as the cluster holds them.
type clusterAccess struct {
	eks     *eks.Service
	awsAuth *authn.AWSAuthWatcher
	cp      func() *controlplane.Controller
}

func (a *clusterAccess) fill(ctx context.Context, cl *eks.Cluster, id *authn.ClusterIdentity) error {
	id.AuthenticationMode = cl.Spec.AuthenticationMode
	entries, err := a.eks.AccessEntries(ctx, cl.UID)
	if err != nil {
		return err
	}
	for _, e := range entries {
		ae := authn.AccessEntry{PrincipalARN: e.CanonicalPrincipalARN(), Type: e.Type, Username: e.Username, Groups: e.KubernetesGroups}
		for _, p := range e.Policies {
			ap := authn.AccessPolicy{ARN: p.PolicyARN}
			if p.ScopeType == eks.AccessScopeNamespace {
				ap.Namespaces = p.Namespaces
			}
			ae.Policies = append(ae.Policies, ap)
		}
		id.AccessEntries = append(id.AccessEntries, ae)
	}
	if cl.Spec.AuthenticationMode != eks.AuthModeAPI {
		region, name := cl.Region, cl.Name
		id.AWSAuth = a.awsAuth.Get(cl.UID, func() { a.cp().Enqueue(region, name) })
	} else {
		id.AWSAuth = &authn.AWSAuth{} // not read in API mode
	}
	return nil
}

// forget drops what was kept for a deleted cluster.
func (a *clusterAccess) forget(clusterUID string) { a.awsAuth.Forget(clusterUID) }

// watchEntries has a cluster's identity snapshot written again when one of
// its access entries changes, and its webhooks' list of Pod Identity
// associations when one of those does.
func (a *clusterAccess) watchEntries(ctx context.Context, st *store.Store, prefix string) {
	for key := range st.Watch(ctx, prefix) {
		uid, _, _ := strings.Cut(strings.TrimPrefix(key, prefix), "/")
		all, err := a.eks.ListAllClusters(ctx)
		if err != nil {
			continue
		}
		for _, cl := range all {
			if cl.UID == uid {
				a.cp().Enqueue(cl.Region, cl.Name)
			}
		}
	}
}
