package provisioner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/keksdev/keks/internal/csi/sidecar"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// preparedVolume is everything decided before CreateVolume is called.
type preparedVolume struct {
	request *csi.CreateVolumeRequest
	fsType  string
	// source is the PV's CSI source without the handle and attributes,
	// which only CreateVolume's answer gives.
	source           *corev1.CSIPersistentVolumeSource
	provisionerRef   *corev1.SecretReference
	volumeAttributes string // VolumeAttributesClass name, "" for none
}

// volumeName is the name of both the driver's volume and the PV:
// --volume-name-prefix and the claim's UID, so that retries, restarts and
// other replicas all ask the driver for the same volume.
func (c *Controller) volumeName(claim *corev1.PersistentVolumeClaim) (string, error) {
	uid := string(claim.UID)
	if uid == "" {
		return "", errors.New("corrupted PVC object, it is missing UID")
	}
	if n := c.settings.volumeNameUUIDLength; n > 0 {
		uid = strings.ReplaceAll(uid, "-", "")
		uid = uid[:min(n, len(uid))]
	}
	return c.settings.volumeNamePrefix + "-" + uid, nil
}

// prepareVolume checks the claim against the driver and the class and
// builds the CreateVolume request. Its state tells how to retry: checks
// that will fail the same way are stateFinished, lookups that may succeed
// later stateNoChange.
func (c *Controller) prepareVolume(ctx context.Context, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, selectedNode, pvName string) (*preparedVolume, provisioningState, error) {
	source, err := dataSourceOf(claim)
	if err != nil {
		return nil, stateFinished, err
	}
	if source != nil {
		if err := c.checkDataSource(claim, source); err != nil {
			return nil, stateFinished, err
		}
	}
	var attributesClass string
	if c.settings.volumeAttributesClass {
		attributesClass = deref(claim.Spec.VolumeAttributesClassName)
	}
	if err := c.checkCapabilities(source, attributesClass); err != nil {
		return nil, stateFinished, err
	}
	if claim.Spec.Selector != nil {
		return nil, stateFinished, errors.New("claim Selector is not supported")
	}

	fsType, err := fsTypeOf(class.Parameters, c.settings.defaultFSType, c.log)
	if err != nil {
		return nil, stateFinished, err
	}
	caps, err := volumeCapabilities(claim, class.MountOptions, fsType,
		c.driver.controller[csi.ControllerServiceCapability_RPC_SINGLE_NODE_MULTI_WRITER])
	if err != nil {
		return nil, stateFinished, err
	}
	size := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	req := &csi.CreateVolumeRequest{
		Name:               pvName,
		VolumeCapabilities: caps,
		CapacityRange:      &csi.CapacityRange{RequiredBytes: size.Value()},
	}

	if source != nil {
		var content *csi.VolumeContentSource
		if source.kind == snapshotKind {
			content, err = c.snapshotSource(ctx, claim, class, source)
		} else {
			content, err = c.cloneSource(ctx, claim, class, source)
		}
		if err != nil {
			return nil, stateNoChange, fmt.Errorf("error getting handle for DataSource Type %s by Name %s: %w", source.kind, source.name, err)
		}
		req.VolumeContentSource = content
	}

	if c.supportsTopology() {
		requirement, err := c.accessibilityRequirements(class.AllowedTopologies, selectedNode, claim.Name)
		if apierrors.IsNotFound(err) {
			return nil, stateReschedule, err
		}
		if err != nil {
			return nil, stateNoChange, fmt.Errorf("error generating accessibility requirements: %w", err)
		}
		req.AccessibilityRequirements = requirement
	}

	secrets, err := resolveVolumeSecrets(class.Parameters, pvName, claim)
	if err != nil {
		return nil, stateNoChange, err
	}
	if req.Secrets, err = sidecar.SecretData(ctx, c.kube, secrets.provisioner); err != nil {
		return nil, stateNoChange, err
	}

	if req.Parameters, err = driverParameters(class.Parameters); err != nil {
		return nil, stateFinished, fmt.Errorf("failed to strip CSI Parameters of prefixed keys: %w", err)
	}
	if c.settings.extraCreateMetadata {
		req.Parameters[paramPVCName] = claim.Name
		req.Parameters[paramPVCNamespace] = claim.Namespace
		req.Parameters[paramPVName] = pvName
	}

	if attributesClass != "" {
		vac, err := c.kube.StorageV1().VolumeAttributesClasses().Get(ctx, attributesClass, metav1.GetOptions{})
		if err != nil {
			return nil, stateNoChange, fmt.Errorf("get VolumeAttributesClass %s: %w", attributesClass, err)
		}
		if vac.DriverName != c.driver.name {
			return nil, stateFinished, fmt.Errorf("VAC %s referenced in PVC is for driver %s which does not match driver name %s", attributesClass, vac.DriverName, c.driver.name)
		}
		req.MutableParameters = vac.Parameters
	}

	return &preparedVolume{
		request: req,
		fsType:  fsType,
		source: &corev1.CSIPersistentVolumeSource{
			Driver:                     c.driver.name,
			ControllerPublishSecretRef: secrets.controllerPublish,
			NodeStageSecretRef:         secrets.nodeStage,
			NodePublishSecretRef:       secrets.nodePublish,
			ControllerExpandSecretRef:  secrets.controllerExpand,
			NodeExpandSecretRef:        secrets.nodeExpand,
		},
		provisionerRef:   secrets.provisioner,
		volumeAttributes: attributesClass,
	}, stateNoChange, nil
}

// checkDataSource accepts snapshots and claims; any other kind is a volume
// populator's to fill, and the claim is left to it.
func (c *Controller) checkDataSource(claim *corev1.PersistentVolumeClaim, source *dataSource) error {
	if source.name == "" {
		return fmt.Errorf("the PVC source not found for PVC %s", claim.Name)
	}
	switch {
	case source.kind == snapshotKind:
		if source.apiGroup != snapshotGroup {
			return fmt.Errorf("the PVC source does not belong to the right APIGroup. Expected %s, Got %s", snapshotGroup, source.apiGroup)
		}
		return nil
	case source.kind == claimKind && source.apiGroup == "":
		return nil
	}
	c.events.Event(claim, corev1.EventTypeNormal, "Provisioning", "Assuming an external populator will provision the volume")
	return &ignoredError{reason: fmt.Sprintf("data source (%s) is not handled by the provisioner, assuming an external populator will provision it", source.kind)}
}

// checkCapabilities refuses what the driver said it cannot do.
func (c *Controller) checkCapabilities(source *dataSource, attributesClass string) error {
	if err := c.driver.checkProvisioning(); err != nil {
		return err
	}
	has := c.driver.controller
	switch {
	case source != nil && source.kind == snapshotKind && !has[csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT]:
		return errors.New("CSI driver does not support snapshot restore: controller CREATE_DELETE_SNAPSHOT capability is not reported")
	case source != nil && source.kind == claimKind && !has[csi.ControllerServiceCapability_RPC_CLONE_VOLUME]:
		return errors.New("CSI driver does not support clone operations: controller CLONE_VOLUME capability is not reported")
	case attributesClass != "" && !has[csi.ControllerServiceCapability_RPC_MODIFY_VOLUME]:
		return errors.New("CSI driver does not support VolumeAttributesClass: controller MODIFY_VOLUME capability is not reported")
	}
	return nil
}
