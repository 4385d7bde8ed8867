package provisioner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/reference"
)

// The protocol with kube-controller-manager's PersistentVolume controller.
const (
	// Set on a claim by the PV controller: which provisioner is to
	// provision it (and the beta spelling older controllers write).
	annStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	annBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	// Set on a claim by the scheduler for WaitForFirstConsumer: the node
	// the pod goes to, hence where the volume must be reachable.
	annSelectedNode      = "volume.kubernetes.io/selected-node"
	annAlphaSelectedNode = "volume.alpha.kubernetes.io/selected-node"
	// Set on a volume by its provisioner; the PV controller then leaves
	// its deletion to it.
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
	// Keeps a volume's PV until its storage is deleted.
	finalizerPV = "external-provisioner.volume.kubernetes.io/finalizer"
)

// syncClaim provisions a claim if it is this driver's to provision. An
// error requeues the claim with backoff.
func (c *Controller) syncClaim(ctx context.Context, uid string) error {
	claim := c.claimByUID(uid)
	if claim == nil {
		return c.finishDeletedClaim(ctx, uid)
	}
	if should, err := c.shouldProvision(claim); err != nil || !should {
		return err
	}

	state, req, err := c.provisionClaim(ctx, claim)
	c.metrics.countProvision(err)
	switch {
	case err == nil || state == stateFinished:
		c.inflight.forget(uid)
		if errors.Is(err, errStopProvision) {
			return nil
		}
		return err
	case state == stateInBackground && req != nil:
		c.inflight.remember(uid, req)
	}
	return err
}

// shouldProvision: the claim waits for a volume from this driver (the PV
// controller named it in the storage-provisioner annotation) and, with
// WaitForFirstConsumer, the scheduler has picked its node.
func (c *Controller) shouldProvision(claim *corev1.PersistentVolumeClaim) (bool, error) {
	if claim.Spec.VolumeName != "" {
		return false, nil
	}
	if phase := claim.Status.Phase; phase != "" && phase != corev1.ClaimPending {
		return false, nil
	}
	provisioner, found := claim.Annotations[annStorageProvisioner]
	if !found {
		provisioner, found = claim.Annotations[annBetaStorageProvisioner]
	}
	if !found || provisioner != c.driver.name {
		// Another provisioner's, or an in-tree class migrated to the
		// driver, whose parameters keks does not translate.
		return false, nil
	}
	class, err := c.classOf(claim)
	if err != nil {
		return false, err
	}
	if mode := class.VolumeBindingMode; mode != nil && *mode == storagev1.VolumeBindingWaitForFirstConsumer {
		// The scheduler may also take its choice back to pick again.
		return claim.Annotations[annSelectedNode] != "", nil
	}
	return true, nil
}

func (c *Controller) classOf(claim *corev1.PersistentVolumeClaim) (*storagev1.StorageClass, error) {
	name := claimClassName(claim)
	class, err := c.classes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("storageClass %q not found", name)
	}
	return class, err
}

// claimClassName is the claim's class, the beta annotation first as the
// PV controller reads it.
func claimClassName(claim *corev1.PersistentVolumeClaim) string {
	if name, ok := claim.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return name
	}
	return deref(claim.Spec.StorageClassName)
}

// provisionClaim makes the claim's volume and saves its PV, writing the
// events upstream writes on the claim.
func (c *Controller) provisionClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) (provisioningState, *csi.CreateVolumeRequest, error) {
	pvName, err := c.volumeName(claim)
	if err != nil {
		return stateFinished, nil, err
	}
	// A restart, a second replica or an event that raced the PV's watch:
	// the volume is done already.
	if exists, err := c.volumeExists(ctx, pvName); err != nil {
		return stateNoChange, nil, err
	} else if exists {
		c.log.Log(ctx, sidecar.LevelV4, "PersistentVolume already exists, skipping", "claim", claim.Namespace+"/"+claim.Name, "pv", pvName)
		return stateFinished, nil, errStopProvision
	}
	claimRef, err := reference.GetReference(scheme.Scheme, claim)
	if err != nil {
		return stateNoChange, nil, fmt.Errorf("reference claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	class, err := c.classOf(claim)
	if err != nil {
		// The class can be created after the claim: retry.
		return stateFinished, nil, err
	}
	if class.Provisioner != c.driver.name {
		c.log.Warn("Unknown provisioner requested in claim's StorageClass", "claim", claim.Namespace+"/"+claim.Name, "provisioner", class.Provisioner)
		return stateFinished, nil, errStopProvision
	}
	selectedNode := claim.Annotations[annSelectedNode]
	if selectedNode == "" {
		selectedNode = claim.Annotations[annAlphaSelectedNode]
	}

	c.events.Event(claim, corev1.EventTypeNormal, "Provisioning",
		fmt.Sprintf("External provisioner is provisioning volume for claim %q", claim.Namespace+"/"+claim.Name))
	pv, req, state, err := c.provision(ctx, claim, class, selectedNode, pvName)
	if err != nil {
		var ignored *ignoredError
		if errors.As(err, &ignored) {
			c.log.Log(ctx, sidecar.LevelV4, "Volume provision ignored", "claim", claim.Namespace+"/"+claim.Name, "reason", ignored.reason)
			return stateFinished, nil, errStopProvision
		}
		c.events.Event(claim, corev1.EventTypeWarning, "ProvisioningFailed", err.Error())
		if state == stateReschedule {
			if _, scheduled := claim.Annotations[annSelectedNode]; scheduled {
				if rerr := c.reschedule(ctx, claim); rerr != nil {
					c.log.Info("Volume rescheduling failed", "claim", claim.Namespace+"/"+claim.Name, "err", rerr)
					return stateFinished, req, err
				}
				c.log.Log(ctx, sidecar.LevelV2, "Volume rescheduled", "claim", claim.Namespace+"/"+claim.Name, "err", err)
				return stateFinished, req, errStopProvision
			}
			state = stateFinished
		}
		return state, req, err
	}

	pv.Spec.ClaimRef = claimRef
	pv.Spec.StorageClassName = claimClassName(claim)
	if !slices.Contains(pv.Finalizers, finalizerPV) {
		pv.Finalizers = append(pv.Finalizers, finalizerPV)
	}
	metav1.SetMetaDataAnnotation(&pv.ObjectMeta, annProvisionedBy, class.Provisioner)
	c.saver.save(ctx, pv, req.GetSecrets())
	return stateFinished, req, nil
}

func (c *Controller) volumeExists(ctx context.Context, name string) (bool, error) {
	if _, err := c.volumes.Get(name); err == nil {
		return true, nil
	}
	// The watch can lag behind a PV this controller has just created.
	_, err := c.kube.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("look for PersistentVolume %s: %w", name, err)
}

// reschedule takes the scheduler's node choice back, which makes it pick
// again: the node could not have the volume.
func (c *Controller) reschedule(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	updated := claim.DeepCopy()
	delete(updated.Annotations, annSelectedNode)
	updated, err := c.kube.CoreV1().PersistentVolumeClaims(updated.Namespace).Update(ctx, updated, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("delete annotation 'annSelectedNode' for PersistentVolumeClaim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	// Until the watch brings it, later retries must not see the old claim.
	_ = c.claims.Update(updated)
	return nil
}

// finishDeletedClaim handles a claim deleted while its CreateVolume may
// have been running: the (idempotent) call is finished to learn the
// volume, which is then deleted, since no PV will ever point at it.
func (c *Controller) finishDeletedClaim(ctx context.Context, uid string) error {
	req, inflight := c.inflight.get(uid)
	if !inflight {
		return nil
	}
	rsp, err := c.createVolume(ctx, req)
	if err != nil {
		if createVolumeState(err, false) == stateInBackground {
			return fmt.Errorf("finish creating volume %s of deleted claim %s: %w", req.GetName(), uid, err)
		}
		// The driver says it has no such volume in progress.
		c.inflight.forget(uid)
		return nil
	}
	if err := c.deleteVolume(ctx, rsp.GetVolume().GetVolumeId(), req.GetSecrets()); err != nil {
		return fmt.Errorf("delete volume %s of deleted claim %s: %w", rsp.GetVolume().GetVolumeId(), uid, err)
	}
	c.log.Info("Deleted the volume of a claim deleted while it was being provisioned", "claimUID", uid, "volumeID", rsp.GetVolume().GetVolumeId())
	c.inflight.forget(uid)
	return nil
}
