package resizer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// controller resizes the volumes of one CSI driver when their PVCs ask for
// more: it watches PVCs and PVs and works through a rate-limited queue of
// PVC keys, so a failing resize is retried with growing intervals.
type controller struct {
	driverName string
	expander   volumeExpander
	client     kubernetes.Interface
	recorder   record.EventRecorder
	log        *slog.Logger

	queue   workqueue.TypedRateLimitingInterface[string]
	claims  cache.Store
	volumes cache.Store
	synced  []cache.InformerSynced

	memory *retryMemory
	// inUse is nil without --handle-volume-inuse-error.
	inUse *inUseGuard
}

type controllerConfig struct {
	driverName             string
	expander               volumeExpander
	client                 kubernetes.Interface
	recorder               record.EventRecorder
	log                    *slog.Logger
	resyncPeriod           time.Duration
	retryIntervalStart     time.Duration
	retryIntervalMax       time.Duration
	handleVolumeInUseError bool
}

// newController registers the controller's informers and handlers with
// factory, which the caller starts.
func newController(cfg controllerConfig, factory informers.SharedInformerFactory) (*controller, error) {
	pvcInformer := factory.Core().V1().PersistentVolumeClaims().Informer()
	pvInformer := factory.Core().V1().PersistentVolumes().Informer()
	c := &controller{
		driverName: cfg.driverName,
		expander:   cfg.expander,
		client:     cfg.client,
		recorder:   cfg.recorder,
		log:        cfg.log,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](cfg.retryIntervalStart, cfg.retryIntervalMax),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: cfg.driverName + "-pvc"}),
		claims:  pvcInformer.GetStore(),
		volumes: pvInformer.GetStore(),
		synced:  []cache.InformerSynced{pvcInformer.HasSynced, pvInformer.HasSynced},
		memory:  newRetryMemory(cfg.retryIntervalMax),
	}
	// The resync matters: a PVC whose request grew again while the last
	// resize ran is picked up by it.
	if _, err := pvcInformer.AddEventHandlerWithResyncPeriod(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: c.pvcUpdated,
		DeleteFunc: c.pvcDeleted,
	}, cfg.resyncPeriod); err != nil {
		return nil, fmt.Errorf("watch PVCs: %w", err)
	}
	if cfg.handleVolumeInUseError {
		pods := factory.Core().V1().Pods()
		c.inUse = newInUseGuard(pods.Lister())
		c.synced = append(c.synced, pods.Informer().HasSynced)
	}
	return c, nil
}

// run works the queue with workers until ctx ends, and returns once they
// all stopped.
func (c *controller) run(ctx context.Context, workers int) error {
	defer c.queue.ShutDown()
	c.log.Info("starting the resizer", "workers", workers)
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("sync the PVC and PV caches: %w", ctx.Err())
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	c.log.Info("resizer stopped")
	return nil
}

// processNext syncs one PVC; false once the queue is shut down.
func (c *controller) processNext(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	err := c.syncPVC(ctx, key)
	if err == nil {
		c.queue.Forget(key)
		return true
	}
	if delay, ok := asDelayedRetry(err); ok {
		c.log.Debug("PVC resize postponed", "pvc", key, "reason", delay.reason)
		c.queue.AddAfter(key, delay.after)
		return true
	}
	if ctx.Err() == nil {
		c.log.Error("resize PVC", "pvc", key, "err", err)
	}
	c.queue.AddRateLimited(key)
	return true
}

func (c *controller) enqueue(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		c.log.Error("key of a PVC", "err", err)
		return
	}
	c.queue.Add(key)
}

func (c *controller) pvcDeleted(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Forget(key)
	c.memory.forget(key)
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if pvc, ok := obj.(*v1.PersistentVolumeClaim); ok && c.inUse != nil {
		c.inUse.clear(pvc)
	}
}

// pvcUpdated filters updates as upstream does: most are unrelated to size
// (labels, the kubelet's own status writes...) and not worth a sync.
func (c *controller) pvcUpdated(oldObj, newObj any) {
	oldPVC, ok := oldObj.(*v1.PersistentVolumeClaim)
	if !ok {
		return
	}
	newPVC, ok := newObj.(*v1.PersistentVolumeClaim)
	if !ok {
		return
	}
	oldRequest := oldPVC.Spec.Resources.Requests[v1.ResourceStorage]
	newRequest := newPVC.Spec.Resources.Requests[v1.ResourceStorage]
	oldCapacity := oldPVC.Status.Capacity[v1.ResourceStorage]
	newCapacity := newPVC.Status.Capacity[v1.ResourceStorage]
	switch {
	case newRequest.Cmp(oldRequest) != 0: // grown, or lowered to recover from a failure
	case newPVC.Annotations[annStorageResizer] != oldPVC.Annotations[annStorageResizer]:
	case newPVC.ResourceVersion == oldPVC.ResourceVersion: // a resync
	case newCapacity.Cmp(oldCapacity) > 0: // the kubelet finished: drop the PV's pre-resize annotation
	case resizeStatus(newPVC) != resizeStatus(oldPVC): // e.g. node expansion infeasible
	default:
		return
	}
	c.enqueue(newObj)
}
