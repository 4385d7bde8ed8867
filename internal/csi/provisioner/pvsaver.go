package provisioner

import (
	"context"
	"fmt"
	"sync"

	"github.com/keksdev/keks/internal/csi/sidecar"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
)

// pvSaver makes sure a created volume ends up with its PV, or deleted. A PV
// that cannot be created is retried in the background with backoff (as
// upstream's save queue does), so that the claim's worker is free; if the
// claim goes away before its PV exists, the volume is deleted instead,
// since nothing would ever release it.
type pvSaver struct {
	c       *Controller
	queue   workqueue.TypedRateLimitingInterface[string]
	mu      sync.Mutex
	pending map[string]unsavedVolume // by PV name
}

type unsavedVolume struct {
	pv      *corev1.PersistentVolume
	secrets map[string]string // DeleteVolume's, should the volume be deleted
}

func newPVSaver(c *Controller) *pvSaver {
	return &pvSaver{
		c:       c,
		queue:   workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](), workqueue.TypedRateLimitingQueueConfig[string]{Name: "unsavedpvs"}),
		pending: map[string]unsavedVolume{},
	}
}

// save tries once now and, failing that, in the background.
func (s *pvSaver) save(ctx context.Context, pv *corev1.PersistentVolume, secrets map[string]string) {
	u := unsavedVolume{pv: pv, secrets: secrets}
	if err := s.saveOnce(ctx, u); err != nil {
		s.c.log.Error("Failed to save volume, retrying in the background", "pv", pv.Name, "err", err)
		s.mu.Lock()
		s.pending[pv.Name] = u
		s.mu.Unlock()
		s.queue.Add(pv.Name)
	}
}

// run retries the unsaved volumes until the queue is shut down.
func (s *pvSaver) run(ctx context.Context) {
	for {
		name, shutdown := s.queue.Get()
		if shutdown {
			return
		}
		s.retry(ctx, name)
		s.queue.Done(name)
	}
}

func (s *pvSaver) retry(ctx context.Context, name string) {
	if ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	u, ok := s.pending[name]
	s.mu.Unlock()
	if !ok {
		s.queue.Forget(name)
		return
	}
	if err := s.saveOnce(ctx, u); err != nil {
		s.c.log.Error("Failed to save volume", "pv", name, "failures", s.queue.NumRequeues(name), "err", err)
		s.queue.AddRateLimited(name)
		return
	}
	s.mu.Lock()
	delete(s.pending, name)
	s.mu.Unlock()
	s.queue.Forget(name)
}

func (s *pvSaver) shutDown() { s.queue.ShutDown() }

func (s *pvSaver) saveOnce(ctx context.Context, u unsavedVolume) error {
	claimUID := string(u.pv.Spec.ClaimRef.UID)
	claim := s.c.claimByUID(claimUID)
	if claim == nil {
		handle := u.pv.Spec.CSI.VolumeHandle
		if err := s.c.deleteVolume(ctx, handle, u.secrets); err != nil {
			return fmt.Errorf("delete volume %s of deleted claim %s/%s: %w", handle, u.pv.Spec.ClaimRef.Namespace, u.pv.Spec.ClaimRef.Name, err)
		}
		s.c.log.Info("Claim was deleted before its PersistentVolume was saved; deleted the volume",
			"claim", u.pv.Spec.ClaimRef.Namespace+"/"+u.pv.Spec.ClaimRef.Name, "volumeID", handle)
		return nil
	}
	_, err := s.c.kube.CoreV1().PersistentVolumes().Create(ctx, u.pv, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("error saving volume %s: %w", u.pv.Name, err)
	}
	s.c.log.Log(ctx, sidecar.LevelV2, "Saved PersistentVolume", "pv", u.pv.Name, "claim", claim.Namespace+"/"+claim.Name)
	s.c.events.Event(claim, corev1.EventTypeNormal, "ProvisioningSucceeded", fmt.Sprintf("Successfully provisioned volume %s", u.pv.Name))
	return nil
}
