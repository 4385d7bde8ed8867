package provisioner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// resyncPeriod is how often every claim and volume is looked at again
// without a change, as upstream's provisioning library does: a claim that
// failed for a reason outside it (a missing StorageClass, say) is retried.
const resyncPeriod = 15 * time.Minute

// claimUIDIndex finds claims by UID: the claim queue holds UIDs so that a
// claim deleted and recreated under the same name is a different claim.
const claimUIDIndex = "uid"

// settings are the flags the controller acts on.
type settings struct {
	timeout                     time.Duration
	volumeNamePrefix            string
	volumeNameUUIDLength        int
	retryIntervalStart          time.Duration
	retryIntervalMax            time.Duration
	workers                     int
	strictTopology              bool
	immediateTopology           bool
	extraCreateMetadata         bool
	defaultFSType               string
	controllerPublishReadOnly   bool
	preventVolumeModeConversion bool
	topology                    bool // the Topology feature gate
	volumeAttributesClass       bool // the VolumeAttributesClass feature gate
}

// controllerDeps is what a Controller is built from.
type controllerDeps struct {
	driver   driverInfo
	settings settings
	kube     kubernetes.Interface
	dynamic  dynamic.Interface // VolumeSnapshots, without a generated client
	csi      csi.ControllerClient
	events   record.EventRecorder
	log      *slog.Logger
	// identity marks the volumes this process created (upstream's
	// storage.kubernetes.io/csiProvisionerIdentity volume attribute).
	identity string
	metrics  *metrics
}

// Controller provisions claims of one driver and deletes its released
// volumes. Claims and volumes each have a rate-limited queue, so every
// object is retried with its own exponential backoff.
type Controller struct {
	controllerDeps

	factory     informers.SharedInformerFactory
	synced      []cache.InformerSynced
	claims      cache.Indexer
	volumes     corelisters.PersistentVolumeLister
	classes     storagelisters.StorageClassLister
	nodes       corelisters.NodeLister                // nil without topology
	csiNodes    storagelisters.CSINodeLister          // nil without topology
	attachments storagelisters.VolumeAttachmentLister // nil unless the driver attaches

	claimQueue  workqueue.TypedRateLimitingInterface[string]
	volumeQueue workqueue.TypedRateLimitingInterface[string]
	inflight    *inflightClaims
	saver       *pvSaver
}

func newController(d controllerDeps) (*Controller, error) {
	if d.metrics == nil {
		d.metrics = &metrics{}
	}
	c := &Controller{
		controllerDeps: d,
		factory:        informers.NewSharedInformerFactory(d.kube, resyncPeriod),
		inflight:       newInflightClaims(),
	}
	claimInformer := c.factory.Core().V1().PersistentVolumeClaims().Informer()
	if err := claimInformer.AddIndexers(cache.Indexers{claimUIDIndex: indexByUID}); err != nil {
		return nil, fmt.Errorf("index claims by UID: %w", err)
	}
	// A deleted claim needs nothing unless it is in flight, and then it is
	// in the queue already (retrying).
	if _, err := claimInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueClaim,
		UpdateFunc: func(_, obj any) { c.enqueueClaim(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch claims: %w", err)
	}
	c.claims = claimInformer.GetIndexer()

	volumeInformer := c.factory.Core().V1().PersistentVolumes().Informer()
	if _, err := volumeInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueVolume,
		UpdateFunc: func(_, obj any) { c.enqueueVolume(obj) },
		DeleteFunc: c.forgetVolume,
	}); err != nil {
		return nil, fmt.Errorf("watch volumes: %w", err)
	}
	c.volumes = c.factory.Core().V1().PersistentVolumes().Lister()
	c.classes = c.factory.Storage().V1().StorageClasses().Lister()
	c.synced = []cache.InformerSynced{claimInformer.HasSynced, volumeInformer.HasSynced,
		c.factory.Storage().V1().StorageClasses().Informer().HasSynced}

	if c.supportsTopology() {
		c.nodes = c.factory.Core().V1().Nodes().Lister()
		c.csiNodes = c.factory.Storage().V1().CSINodes().Lister()
		c.synced = append(c.synced, c.factory.Core().V1().Nodes().Informer().HasSynced,
			c.factory.Storage().V1().CSINodes().Informer().HasSynced)
	}
	if d.driver.controller[csi.ControllerServiceCapability_RPC_PUBLISH_UNPUBLISH_VOLUME] {
		// A volume still attached must not be deleted under its node.
		c.attachments = c.factory.Storage().V1().VolumeAttachments().Lister()
		c.synced = append(c.synced, c.factory.Storage().V1().VolumeAttachments().Informer().HasSynced)
	}

	// Last: the queues run timers until shut down.
	c.claimQueue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](d.settings.retryIntervalStart, d.settings.retryIntervalMax),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "claims"})
	c.volumeQueue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](d.settings.retryIntervalStart, d.settings.retryIntervalMax),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "volumes"})
	c.saver = newPVSaver(c)
	return c, nil
}

// supportsTopology is upstream's condition for topology-aware provisioning:
// the driver's capability and the Topology feature gate.
func (c *Controller) supportsTopology() bool {
	return c.driver.plugin[csi.PluginCapability_Service_VOLUME_ACCESSIBILITY_CONSTRAINTS] && c.settings.topology
}

// Run watches and works until ctx ends, then waits for its workers.
func (c *Controller) Run(ctx context.Context) error {
	defer c.shutDown()
	if err := c.startInformers(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}

	var workers sync.WaitGroup
	for range c.settings.workers {
		workers.Go(func() {
			for c.processNextClaim(ctx) {
			}
		})
		workers.Go(func() {
			for c.processNextVolume(ctx) {
			}
		})
	}
	workers.Go(func() { c.saver.run(ctx) })
	c.log.Info("Started provisioner controller", "driver", c.driver.name, "workers", c.settings.workers)

	<-ctx.Done()
	c.shutDownQueues()
	workers.Wait()
	c.log.Info("Stopped provisioner controller")
	return nil
}

// startInformers starts the watches (they end with ctx) and waits until
// their caches hold everything.
func (c *Controller) startInformers(ctx context.Context) error {
	c.factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return errors.New("informer caches did not sync")
	}
	return nil
}

// shutDownQueues makes the workers return once they finish their item.
func (c *Controller) shutDownQueues() {
	c.claimQueue.ShutDown()
	c.volumeQueue.ShutDown()
	c.saver.shutDown()
}

// shutDown stops the queues' timers and waits for the informers, which
// stop when the context given to startInformers ends.
func (c *Controller) shutDown() {
	c.shutDownQueues()
	c.factory.Shutdown()
}

func (c *Controller) processNextClaim(ctx context.Context) bool {
	uid, shutdown := c.claimQueue.Get()
	if shutdown {
		return false
	}
	defer c.claimQueue.Done(uid)
	if ctx.Err() != nil {
		return false
	}
	if err := c.syncClaim(ctx, uid); err != nil {
		c.log.Info("Retrying syncing claim", "claimUID", uid, "failures", c.claimQueue.NumRequeues(uid), "err", err)
		c.claimQueue.AddRateLimited(uid)
		return true
	}
	c.claimQueue.Forget(uid)
	c.inflight.forget(uid)
	return true
}

func (c *Controller) processNextVolume(ctx context.Context) bool {
	name, shutdown := c.volumeQueue.Get()
	if shutdown {
		return false
	}
	defer c.volumeQueue.Done(name)
	if ctx.Err() != nil {
		return false
	}
	if err := c.syncVolume(ctx, name); err != nil {
		c.log.Info("Retrying syncing volume", "pv", name, "failures", c.volumeQueue.NumRequeues(name), "err", err)
		c.volumeQueue.AddRateLimited(name)
		return true
	}
	c.volumeQueue.Forget(name)
	return true
}

func (c *Controller) enqueueClaim(obj any) {
	if claim, ok := obj.(*corev1.PersistentVolumeClaim); ok {
		c.claimQueue.Add(string(claim.UID))
	}
}

func (c *Controller) enqueueVolume(obj any) {
	if pv, ok := obj.(*corev1.PersistentVolume); ok {
		c.volumeQueue.Add(pv.Name)
	}
}

func (c *Controller) forgetVolume(obj any) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if pv, ok := obj.(*corev1.PersistentVolume); ok {
		c.volumeQueue.Forget(pv.Name)
	}
}

// claimByUID is the watched claim with this UID, nil once it is deleted.
func (c *Controller) claimByUID(uid string) *corev1.PersistentVolumeClaim {
	objs, err := c.claims.ByIndex(claimUIDIndex, uid)
	if err != nil || len(objs) == 0 {
		return nil
	}
	claim, _ := objs[0].(*corev1.PersistentVolumeClaim)
	return claim
}

func indexByUID(obj any) ([]string, error) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	o, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return []string{string(o.GetUID())}, nil
}
