package resizer

import (
	"fmt"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// inUseGuard implements --handle-volume-inuse-error: once a driver refused
// to expand a PVC because it is in use (it can only expand offline), the
// expansion is not tried again while a pod still uses the PVC.
type inUseGuard struct {
	pods corelisters.PodLister

	mu      sync.Mutex
	refused map[types.UID]bool
}

func newInUseGuard(pods corelisters.PodLister) *inUseGuard {
	return &inUseGuard{pods: pods, refused: map[types.UID]bool{}}
}

func (g *inUseGuard) noteRefused(pvc *v1.PersistentVolumeClaim) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refused[pvc.UID] = true
}

func (g *inUseGuard) clear(pvc *v1.PersistentVolumeClaim) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.refused, pvc.UID)
}

// mustWait says the driver refused this PVC as in use and a pod that has
// not finished still mounts it.
func (g *inUseGuard) mustWait(pvc *v1.PersistentVolumeClaim) (bool, error) {
	g.mu.Lock()
	refused := g.refused[pvc.UID]
	g.mu.Unlock()
	if !refused {
		return false, nil
	}
	pods, err := g.pods.Pods(pvc.Namespace).List(labels.Everything())
	if err != nil {
		return false, fmt.Errorf("list the pods of namespace %s: %w", pvc.Namespace, err)
	}
	for _, pod := range pods {
		if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
			continue
		}
		for _, vol := range pod.Spec.Volumes {
			if vol.PersistentVolumeClaim != nil && vol.PersistentVolumeClaim.ClaimName == pvc.Name {
				return true, nil
			}
		}
	}
	return false, nil
}
