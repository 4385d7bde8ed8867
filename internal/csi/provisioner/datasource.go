package provisioner

import (
	"errors"

	corev1 "k8s.io/api/core/v1"
)

const (
	snapshotGroup = "snapshot.storage.k8s.io"
	snapshotKind  = "VolumeSnapshot"
	claimKind     = "PersistentVolumeClaim"
)

// dataSource is what a claim is to be filled from.
type dataSource struct {
	kind, apiGroup, name, namespace string
}

// dataSourceOf reads spec.dataSource, else spec.dataSourceRef (the API
// server keeps them equal when both are set and the source is in the
// claim's namespace). nil: an empty volume.
func dataSourceOf(claim *corev1.PersistentVolumeClaim) (*dataSource, error) {
	switch {
	case claim.Spec.DataSource != nil:
		s := claim.Spec.DataSource
		return &dataSource{kind: s.Kind, apiGroup: deref(s.APIGroup), name: s.Name, namespace: claim.Namespace}, nil
	case claim.Spec.DataSourceRef != nil:
		s := claim.Spec.DataSourceRef
		if ns := deref(s.Namespace); ns != "" && ns != claim.Namespace {
			// That takes ReferenceGrants, behind upstream's alpha
			// CrossNamespaceVolumeDataSource gate, which keks does not have.
			return nil, errors.New("dataSourceRef namespace specified but the CrossNamespaceVolumeDataSource feature is disabled")
		}
		return &dataSource{kind: s.Kind, apiGroup: deref(s.APIGroup), name: s.Name, namespace: claim.Namespace}, nil
	}
	return nil, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
