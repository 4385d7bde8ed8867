package controlplane

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/eks"
)

// defaultServiceAccountMissing says whether a new cluster still lacks the
// default namespace's service account, which the controller manager makes
// a moment after the API servers are ready. A cluster is ACTIVE only with
// it: a pod created right after `aws eks wait cluster-active` would
// otherwise be refused (serviceaccount "default" not found). Only a
// definite "not found" holds the cluster back; keks not reaching it does
// not, as health has just been checked.
func (c *Controller) defaultServiceAccountMissing(ctx context.Context, cl *eks.Cluster) bool {
	if c.cfg.Kube == nil {
		return false
	}
	kc, err := c.cfg.Kube(cl.UID)
	if err != nil {
		return false
	}
	_, err = kc.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	return apierrors.IsNotFound(err)
}
