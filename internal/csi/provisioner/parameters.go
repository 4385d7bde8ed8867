package provisioner

import (
	"fmt"
	"log/slog"
	"strings"
)

// reservedPrefix marks StorageClass parameters meant for the sidecars, not
// the driver: they are never passed to CreateVolume.
const reservedPrefix = "csi.storage.k8s.io/"

const (
	paramFSType = reservedPrefix + "fstype"

	// Passed to the driver with --extra-create-metadata.
	paramPVCName      = reservedPrefix + "pvc/name"
	paramPVCNamespace = reservedPrefix + "pvc/namespace"
	paramPVName       = reservedPrefix + "pv/name"
)

// knownReserved are the reserved keys the CSI sidecars understand. Any
// other key under the prefix is a typo or a feature nobody implements, and
// upstream refuses the StorageClass rather than silently dropping it.
var knownReserved = map[string]bool{
	paramFSType:                                            true,
	reservedPrefix + "secret-name":                         true,
	reservedPrefix + "secret-namespace":                    true,
	reservedPrefix + "provisioner-secret-name":             true,
	reservedPrefix + "provisioner-secret-namespace":        true,
	reservedPrefix + "controller-publish-secret-name":      true,
	reservedPrefix + "controller-publish-secret-namespace": true,
	reservedPrefix + "node-stage-secret-name":              true,
	reservedPrefix + "node-stage-secret-namespace":         true,
	reservedPrefix + "node-publish-secret-name":            true,
	reservedPrefix + "node-publish-secret-namespace":       true,
	reservedPrefix + "controller-expand-secret-name":       true,
	reservedPrefix + "controller-expand-secret-namespace":  true,
	reservedPrefix + "node-expand-secret-name":             true,
	reservedPrefix + "node-expand-secret-namespace":        true,
	reservedPrefix + "controller-modify-secret-name":       true,
	reservedPrefix + "controller-modify-secret-namespace":  true,
}

// driverParameters are the StorageClass parameters CreateVolume gets: all
// but the reserved ones. The deprecated unprefixed keys (fstype,
// csiProvisionerSecretName, ...) stay, as upstream keeps them for drivers
// that read them.
func driverParameters(classParameters map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(classParameters)+3)
	for k, v := range classParameters {
		if !strings.HasPrefix(k, reservedPrefix) {
			out[k] = v
			continue
		}
		if !knownReserved[k] {
			return nil, fmt.Errorf("found unknown parameter key %q with reserved namespace %s", k, reservedPrefix)
		}
	}
	return out, nil
}

// fsTypeOf is the filesystem the StorageClass asks for, under either the
// reserved key or the deprecated "fstype", else the --default-fstype.
func fsTypeOf(classParameters map[string]string, defaultFSType string, log *slog.Logger) (string, error) {
	fsType, found := "", 0
	for k, v := range classParameters {
		if strings.EqualFold(k, "fstype") {
			log.Warn(`StorageClass parameter "fstype" is deprecated and will be removed in a future release, please use "` + paramFSType + `" instead`)
		}
		if strings.EqualFold(k, "fstype") || k == paramFSType {
			fsType = v
			found++
		}
	}
	if found > 1 {
		return "", fmt.Errorf("fstype specified in parameters with both \"fstype\" and \"%s\" keys", paramFSType)
	}
	if fsType == "" {
		fsType = defaultFSType
	}
	return fsType, nil
}
