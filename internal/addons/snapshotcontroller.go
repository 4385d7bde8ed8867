package addons

import (
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// snapshotControllerObjects are the snapshot-controller add-on's objects,
// as external-snapshotter's deploy/kubernetes/snapshot-controller (v8.7.0)
// and EKS's add-on install them: the snapshot API's CRDs (read from the
// client module keks built the controller with), and the controller with
// its RBAC, two replicas electing a leader.
func snapshotControllerObjects(image string, crdFiles []string) ([]object, error) {
	var objs []object
	for _, f := range crdFiles {
		crd, err := crdObject(f)
		if err != nil {
			return nil, err
		}
		objs = append(objs, crd)
	}
	labels := "\n    app.kubernetes.io/name: snapshot-controller"
	return append(objs,
		manifest("ServiceAccount", "kube-system", "snapshot-controller", `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: snapshot-controller
  namespace: kube-system
  labels:`+labels),
		manifest("ClusterRole", "", "snapshot-controller-runner", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: snapshot-controller-runner
  labels:`+labels+`
rules:
- {apiGroups: [""], resources: [persistentvolumes], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [persistentvolumeclaims], verbs: [get, list, watch, update]}
- {apiGroups: [""], resources: [events], verbs: [list, watch, create, update, patch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshotclasses], verbs: [get, list, watch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshotcontents], verbs: [create, get, list, watch, update, delete, patch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshotcontents/status], verbs: [patch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshots], verbs: [create, get, list, watch, update, patch, delete]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshots/status], verbs: [update, patch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshotclasses], verbs: [get, list, watch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshotcontents], verbs: [create, get, list, watch, update, delete, patch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshotcontents/status], verbs: [patch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshots], verbs: [get, list, watch, update, patch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshots/status], verbs: [update, patch]}`),
		manifest("ClusterRoleBinding", "", "snapshot-controller-role", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: snapshot-controller-role
  labels:`+labels+`
subjects:
- {kind: ServiceAccount, name: snapshot-controller, namespace: kube-system}
roleRef: {kind: ClusterRole, name: snapshot-controller-runner, apiGroup: rbac.authorization.k8s.io}`),
		manifest("Role", "kube-system", "snapshot-controller-leaderelection", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: snapshot-controller-leaderelection
  namespace: kube-system
  labels:`+labels+`
rules:
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, watch, list, delete, update, create]}`),
		manifest("RoleBinding", "kube-system", "snapshot-controller-leaderelection", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: snapshot-controller-leaderelection
  namespace: kube-system
  labels:`+labels+`
subjects:
- {kind: ServiceAccount, name: snapshot-controller, namespace: kube-system}
roleRef: {kind: Role, name: snapshot-controller-leaderelection, apiGroup: rbac.authorization.k8s.io}`),
		manifest("Deployment", "kube-system", "snapshot-controller", fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: snapshot-controller
  namespace: kube-system
  labels:`+labels+`
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: snapshot-controller
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 0, maxUnavailable: 1}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: snapshot-controller
    spec:
      serviceAccountName: snapshot-controller
      priorityClassName: system-cluster-critical
      nodeSelector: {kubernetes.io/os: linux}
      containers:
      - name: snapshot-controller
        image: %s
        imagePullPolicy: IfNotPresent
        args: [--v=2, --leader-election=true, --leader-election-namespace=kube-system]
        resources:
          requests: {cpu: 10m, memory: 40Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true`, image)),
	), nil
}

// crdObject is a CustomResourceDefinition from its upstream file.
func crdObject(path string) (object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return object{}, fmt.Errorf("read an add-on's CRD (keks build-kubernetes copies them): %w", err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return object{}, fmt.Errorf("%s: %w", path, err)
	}
	var head struct {
		Metadata struct{ Name string }
	}
	if err := json.Unmarshal(j, &head); err != nil || head.Metadata.Name == "" {
		return object{}, fmt.Errorf("%s names no CRD", path)
	}
	return object{kind: "CustomResourceDefinition", name: head.Metadata.Name, yaml: string(data)}, nil
}

// storageClassObjects are the StorageClasses of EBS volumes: gp2, which
// every EKS cluster has (not the default since Kubernetes 1.30), and gp3,
// which the aws-ebs-csi-driver add-on brings here, both waiting for their
// first consumer so a volume is made in its pod's zone. EKS's gp2 names the
// in-tree provisioner, which CSI migration hands to the driver; keks's
// names the driver itself.
func storageClassObjects() []object {
	sc := func(name, extra string) object {
		return manifest("StorageClass", "", name, `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: `+name+`
provisioner: ebs.csi.aws.com
parameters:
  type: `+name+`
  csi.storage.k8s.io/fstype: ext4`+extra+`
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer`)
	}
	return []object{sc("gp2", ""), sc("gp3", "\nallowVolumeExpansion: true")}
}
