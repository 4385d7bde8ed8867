package provisioner

import (
	"fmt"
	"maps"
	"os"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// secretKeys names the StorageClass parameters that point at one of the
// secrets a CSI call gets: the reserved pair and, for the older calls, the
// deprecated unprefixed pair.
type secretKeys struct {
	call                         string
	name, namespace              string
	deprecatedName, deprecatedNS string
}

var (
	defaultSecretKeys = secretKeys{call: "Default",
		name: reservedPrefix + "secret-name", namespace: reservedPrefix + "secret-namespace"}
	provisionerSecretKeys = secretKeys{call: "Provisioner",
		name: reservedPrefix + "provisioner-secret-name", namespace: reservedPrefix + "provisioner-secret-namespace",
		deprecatedName: "csiProvisionerSecretName", deprecatedNS: "csiProvisionerSecretNamespace"}
	controllerPublishSecretKeys = secretKeys{call: "ControllerPublish",
		name: reservedPrefix + "controller-publish-secret-name", namespace: reservedPrefix + "controller-publish-secret-namespace",
		deprecatedName: "csiControllerPublishSecretName", deprecatedNS: "csiControllerPublishSecretNamespace"}
	nodeStageSecretKeys = secretKeys{call: "NodeStage",
		name: reservedPrefix + "node-stage-secret-name", namespace: reservedPrefix + "node-stage-secret-namespace",
		deprecatedName: "csiNodeStageSecretName", deprecatedNS: "csiNodeStageSecretNamespace"}
	nodePublishSecretKeys = secretKeys{call: "NodePublish",
		name: reservedPrefix + "node-publish-secret-name", namespace: reservedPrefix + "node-publish-secret-namespace",
		deprecatedName: "csiNodePublishSecretName", deprecatedNS: "csiNodePublishSecretNamespace"}
	controllerExpandSecretKeys = secretKeys{call: "ControllerExpand",
		name: reservedPrefix + "controller-expand-secret-name", namespace: reservedPrefix + "controller-expand-secret-namespace"}
	nodeExpandSecretKeys = secretKeys{call: "NodeExpand",
		name: reservedPrefix + "node-expand-secret-name", namespace: reservedPrefix + "node-expand-secret-namespace"}
)

// volumeSecrets are the secret references a StorageClass gives a volume.
type volumeSecrets struct {
	provisioner       *corev1.SecretReference
	controllerPublish *corev1.SecretReference
	nodeStage         *corev1.SecretReference
	nodePublish       *corev1.SecretReference
	controllerExpand  *corev1.SecretReference
	nodeExpand        *corev1.SecretReference
}

func resolveVolumeSecrets(classParameters map[string]string, pvName string, claim *corev1.PersistentVolumeClaim) (volumeSecrets, error) {
	var s volumeSecrets
	for _, r := range []struct {
		keys secretKeys
		into **corev1.SecretReference
	}{
		{provisionerSecretKeys, &s.provisioner},
		{controllerPublishSecretKeys, &s.controllerPublish},
		{nodeStageSecretKeys, &s.nodeStage},
		{nodePublishSecretKeys, &s.nodePublish},
		{controllerExpandSecretKeys, &s.controllerExpand},
		{nodeExpandSecretKeys, &s.nodeExpand},
	} {
		ref, err := secretReference(r.keys, classParameters, pvName, claim)
		if err != nil {
			return s, err
		}
		*r.into = ref
	}
	return s, nil
}

// secretReference resolves one call's secret from the StorageClass, falling
// back to the default secret, with upstream's templates: ${pv.name},
// ${pvc.namespace} in both, and ${pvc.name} and
// ${pvc.annotations['key']} in the name only (the namespace must stay out
// of the claim owner's hands). nil means the call gets no secret.
func secretReference(keys secretKeys, classParameters map[string]string, pvName string, claim *corev1.PersistentVolumeClaim) (*corev1.SecretReference, error) {
	nameTemplate, namespaceTemplate, err := secretTemplates(keys, classParameters)
	if err != nil {
		return nil, fmt.Errorf("failed to get name and namespace template from params: %w", err)
	}
	if nameTemplate == "" && namespaceTemplate == "" {
		if nameTemplate, namespaceTemplate, err = secretTemplates(defaultSecretKeys, classParameters); err != nil {
			return nil, fmt.Errorf("failed to get default name and namespace template from params: %w", err)
		}
	}
	if nameTemplate == "" && namespaceTemplate == "" {
		return nil, nil
	}

	namespaceParams := map[string]string{"pv.name": pvName}
	nameParams := map[string]string{"pv.name": pvName}
	if claim != nil {
		namespaceParams["pvc.namespace"] = claim.Namespace
		nameParams["pvc.namespace"] = claim.Namespace
		nameParams["pvc.name"] = claim.Name
		for k, v := range claim.Annotations {
			nameParams["pvc.annotations['"+k+"']"] = v
		}
	}
	namespace, err := resolveTemplate(namespaceTemplate, namespaceParams)
	if err != nil {
		return nil, fmt.Errorf("error resolving value %q: %w", namespaceTemplate, err)
	}
	if len(validation.IsDNS1123Label(namespace)) > 0 {
		return nil, fmt.Errorf("%q resolved to %q which is not a valid namespace name", namespaceTemplate, namespace)
	}
	name, err := resolveTemplate(nameTemplate, nameParams)
	if err != nil {
		return nil, fmt.Errorf("error resolving value %q: %w", nameTemplate, err)
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return nil, fmt.Errorf("%q resolved to %q which is not a valid secret name", nameTemplate, name)
	}
	return &corev1.SecretReference{Name: name, Namespace: namespace}, nil
}

// secretTemplates reads one call's name and namespace templates; both or
// neither must be given, and under one spelling only.
func secretTemplates(keys secretKeys, params map[string]string) (name, namespace string, err error) {
	names, namespaces := 0, 0
	for _, k := range []struct {
		key     string
		into    *string
		counter *int
	}{
		{keys.deprecatedName, &name, &names},
		{keys.deprecatedNS, &namespace, &namespaces},
		{keys.name, &name, &names},
		{keys.namespace, &namespace, &namespaces},
	} {
		if k.key == "" {
			continue
		}
		if v, ok := params[k.key]; ok {
			*k.into = v
			*k.counter++
		}
	}
	switch {
	case names > 1 || namespaces > 1:
		return "", "", fmt.Errorf("%s secrets specified in parameters with both \"csi\" and \"%s\" keys", keys.call, reservedPrefix)
	case names != namespaces:
		return "", "", fmt.Errorf("either name and namespace for %s secrets specified, Both must be specified", keys.call)
	case names == 1 && (name == "" || namespace == ""):
		return "", "", fmt.Errorf("%s secrets specified in parameters but value of either namespace or name is empty", keys.call)
	}
	return name, namespace, nil
}

// resolveTemplate expands ${token}s; an unknown token is an error rather
// than an empty string, so a typo cannot point at another secret.
func resolveTemplate(template string, params map[string]string) (string, error) {
	missing := map[string]bool{}
	resolved := os.Expand(template, func(k string) string {
		v, ok := params[k]
		if !ok {
			missing[k] = true
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("invalid tokens: %q", slices.Sorted(maps.Keys(missing)))
	}
	return resolved, nil
}
