package addons

import (
	"fmt"
	"strings"
)

// ebsCSI is what the aws-ebs-csi-driver add-on runs: AWS's driver and the
// CSI sidecars, by image.
type ebsCSI struct {
	driver, attacher, snapshotter, sidecars string
	region, awsEndpoint, ca                 string
	roleARN                                 string // the add-on's serviceAccountRoleArn: IRSA for the controller
}

// ebsCSIObjects are the aws-ebs-csi-driver add-on's objects, as upstream's
// deploy/kubernetes/base (v1.44.0) and EKS's add-on install them: the
// CSIDriver ebs.csi.aws.com, the controller (driver, provisioner,
// attacher, snapshotter, resizer, liveness probe) with two replicas, the
// node DaemonSet (driver, registrar, liveness probe), their RBAC, and
// keks's endpoint and CA for the controller's EC2 calls. The controller
// calls EC2 as the role its service account gets from IRSA (the add-on's
// serviceAccountRoleArn) or a Pod Identity association.
func ebsCSIObjects(e ebsCSI) []object {
	labels := func(indent int, extra ...string) string {
		pad := "\n" + strings.Repeat(" ", indent)
		out := pad + "app.kubernetes.io/name: aws-ebs-csi-driver"
		for _, x := range extra {
			out += pad + x
		}
		return out
	}
	saAnnotations := ""
	if e.roleARN != "" {
		saAnnotations = "\n  annotations:\n    eks.amazonaws.com/role-arn: " + e.roleARN
	}
	objs := []object{
		manifest("CSIDriver", "", "ebs.csi.aws.com", `
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata:
  name: ebs.csi.aws.com
  labels:`+labels(4)+`
spec:
  attachRequired: true
  podInfoOnMount: false
  fsGroupPolicy: File`),
		manifest("ServiceAccount", "kube-system", "ebs-csi-controller-sa", `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ebs-csi-controller-sa
  namespace: kube-system
  labels:`+labels(4)+saAnnotations),
		manifest("ServiceAccount", "kube-system", "ebs-csi-node-sa", `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ebs-csi-node-sa
  namespace: kube-system
  labels:`+labels(4)),
		manifest("ConfigMap", "kube-system", "ebs-csi-aws-ca", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: ebs-csi-aws-ca
  namespace: kube-system
  labels:`+labels(4)+`
data:
  ca.crt: |
%s`, indent(e.ca, 4))),
	}
	for _, r := range ebsCSIClusterRoles {
		objs = append(objs, manifest("ClusterRole", "", r.name, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: `+r.name+`
  labels:`+labels(4)+`
rules:`+r.rules),
			manifest("ClusterRoleBinding", "", strings.Replace(r.name, "-role", "-binding", 1), `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: `+strings.Replace(r.name, "-role", "-binding", 1)+`
  labels:`+labels(4)+`
subjects:
- {kind: ServiceAccount, name: `+r.serviceAccount+`, namespace: kube-system}
roleRef:
  kind: ClusterRole
  name: `+r.name+`
  apiGroup: rbac.authorization.k8s.io`))
	}
	objs = append(objs,
		manifest("Role", "kube-system", "ebs-csi-leases-role", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ebs-csi-leases-role
  namespace: kube-system
  labels:`+labels(4)+`
rules:
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, watch, list, delete, update, create]`),
		manifest("RoleBinding", "kube-system", "ebs-csi-leases-rolebinding", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ebs-csi-leases-rolebinding
  namespace: kube-system
  labels:`+labels(4)+`
subjects:
- {kind: ServiceAccount, name: ebs-csi-controller-sa, namespace: kube-system}
roleRef:
  kind: Role
  name: ebs-csi-leases-role
  apiGroup: rbac.authorization.k8s.io`),
		manifest("Deployment", "kube-system", "ebs-csi-controller", ebsCSIController(e, labels)),
		manifest("PodDisruptionBudget", "kube-system", "ebs-csi-controller", `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ebs-csi-controller
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  maxUnavailable: 1
  selector:
    matchLabels:`+labels(6, "app: ebs-csi-controller")),
		manifest("DaemonSet", "kube-system", "ebs-csi-node", ebsCSINode(e, labels)),
	)
	return objs
}

// indent indents every line of s by n spaces.
func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+pad)
}

// sidecar is one CSI sidecar container of the controller; each image has
// its program at /<name> (keks/csi-sidecars runs the one it is called as).
func sidecar(name, image, pull string, args ...string) string {
	return fmt.Sprintf(`
      - name: %[1]s
        image: %[2]s
        imagePullPolicy: %[3]s
        command: [/%[1]s]
        args: [%[4]s]
        env:
        - {name: ADDRESS, value: /var/lib/csi/sockets/pluginproxy/csi.sock}
        volumeMounts:
        - {name: socket-dir, mountPath: /var/lib/csi/sockets/pluginproxy/}
        resources:
          limits: {memory: 256Mi}
          requests: {cpu: 10m, memory: 40Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          seccompProfile: {type: RuntimeDefault}`, name, image, pull, strings.Join(args, ", "))
}

func ebsCSIController(e ebsCSI, labels func(int, ...string) string) string {
	// keks's builds (the driver's image with the host's tools, its own
	// sidecars) change under one tag when keks does: Always fetches the
	// one keks seeded, from the registry beside the node, in milliseconds.
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ebs-csi-controller
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  replicas: 2
  revisionHistoryLimit: 10
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1}
  selector:
    matchLabels:`+labels(6, "app: ebs-csi-controller")+`
  template:
    metadata:
      labels:`+labels(8, "app: ebs-csi-controller")+`
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      serviceAccountName: ebs-csi-controller-sa
      priorityClassName: system-cluster-critical
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 1
            preference:
              matchExpressions:
              - {key: eks.amazonaws.com/compute-type, operator: NotIn, values: [fargate, auto, hybrid]}
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchExpressions:
                - {key: app, operator: In, values: [ebs-csi-controller]}
      tolerations:
      - {key: CriticalAddonsOnly, operator: Exists}
      - {effect: NoExecute, operator: Exists, tolerationSeconds: 300}
      securityContext: {fsGroup: 1000, runAsGroup: 1000, runAsNonRoot: true, runAsUser: 1000}
      containers:
      - name: ebs-plugin
        image: %[1]s
        imagePullPolicy: Always
        args: [controller, --endpoint=$(CSI_ENDPOINT), --batching=true, --logging-format=text, --user-agent-extra=eks, --v=2]
        env:
        - {name: CSI_ENDPOINT, value: "unix:///var/lib/csi/sockets/pluginproxy/csi.sock"}
        - name: CSI_NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        - {name: AWS_REGION, value: %[4]q}
        - {name: AWS_ENDPOINT_URL, value: %[5]q}
        - {name: AWS_CA_BUNDLE, value: /etc/keks/aws-ca/ca.crt}
        volumeMounts:
        - {name: socket-dir, mountPath: /var/lib/csi/sockets/pluginproxy/}
        - {name: aws-ca, mountPath: /etc/keks/aws-ca, readOnly: true}
        ports:
        - {name: healthz, containerPort: 9808, protocol: TCP}
        livenessProbe:
          httpGet: {path: /healthz, port: healthz}
          initialDelaySeconds: 10
          timeoutSeconds: 3
          periodSeconds: 10
          failureThreshold: 5
        readinessProbe:
          httpGet: {path: /healthz, port: healthz}
          initialDelaySeconds: 10
          timeoutSeconds: 3
          periodSeconds: 10
          failureThreshold: 5
        resources:
          limits: {memory: 256Mi}
          requests: {cpu: 10m, memory: 40Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          seccompProfile: {type: RuntimeDefault}`+
		sidecar("csi-provisioner", "%[6]s", "Always", "--timeout=60s", "--csi-address=$(ADDRESS)", "--v=2", "--feature-gates=Topology=true",
			"--extra-create-metadata", "--leader-election=true", "--default-fstype=ext4", "--kube-api-qps=20", "--kube-api-burst=100", "--worker-threads=100")+
		sidecar("csi-attacher", "%[2]s", "IfNotPresent", "--timeout=60s", "--csi-address=$(ADDRESS)", "--v=2", "--leader-election=true",
			"--kube-api-qps=20", "--kube-api-burst=100", "--worker-threads=100", "--retry-interval-max=5m")+
		sidecar("csi-snapshotter", "%[3]s", "IfNotPresent", "--csi-address=$(ADDRESS)", "--leader-election=true", "--v=2", "--extra-create-metadata",
			"--kube-api-qps=20", "--kube-api-burst=100", "--worker-threads=100", "--retry-interval-max=30m")+
		sidecar("csi-resizer", "%[6]s", "Always", "--timeout=60s", "--csi-address=$(ADDRESS)", "--v=2", "--handle-volume-inuse-error=false",
			"--leader-election=true", "--kube-api-qps=20", "--kube-api-burst=100", "--workers=100")+`
      - name: liveness-probe
        image: %[6]s
        imagePullPolicy: Always
        command: [/livenessprobe]
        args: [--csi-address=/csi/csi.sock]
        volumeMounts:
        - {name: socket-dir, mountPath: /csi}
        resources:
          limits: {memory: 256Mi}
          requests: {cpu: 10m, memory: 40Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
      volumes:
      - {name: socket-dir, emptyDir: {}}
      - name: aws-ca
        configMap: {name: ebs-csi-aws-ca}`, e.driver, e.attacher, e.snapshotter, e.region, e.awsEndpoint, e.sidecars)
}

func ebsCSINode(e ebsCSI, labels func(int, ...string) string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ebs-csi-node
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  revisionHistoryLimit: 10
  selector:
    matchLabels:`+labels(6, "app: ebs-csi-node")+`
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 10%%}
  template:
    metadata:
      labels:`+labels(8, "app: ebs-csi-node")+`
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: eks.amazonaws.com/compute-type, operator: NotIn, values: [fargate, auto, hybrid]}
      nodeSelector: {kubernetes.io/os: linux}
      serviceAccountName: ebs-csi-node-sa
      terminationGracePeriodSeconds: 30
      priorityClassName: system-node-critical
      tolerations:
      - operator: Exists
      securityContext: {fsGroup: 0, runAsGroup: 0, runAsNonRoot: false, runAsUser: 0}
      containers:
      - name: ebs-plugin
        image: %[1]s
        imagePullPolicy: Always
        args: [node, --endpoint=$(CSI_ENDPOINT), --csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/, --logging-format=text, --v=2]
        env:
        - {name: CSI_ENDPOINT, value: "unix:/csi/csi.sock"}
        - name: CSI_NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        volumeMounts:
        - {name: kubelet-dir, mountPath: /var/lib/kubelet, mountPropagation: Bidirectional}
        - {name: plugin-dir, mountPath: /csi}
        - {name: device-dir, mountPath: /dev}
        ports:
        - {name: healthz, containerPort: 9808, protocol: TCP}
        livenessProbe:
          httpGet: {path: /healthz, port: healthz}
          initialDelaySeconds: 10
          timeoutSeconds: 3
          periodSeconds: 10
          failureThreshold: 5
        resources:
          limits: {memory: 256Mi}
          requests: {cpu: 10m, memory: 40Mi}
        securityContext:
          privileged: true
          readOnlyRootFilesystem: true
        lifecycle:
          preStop:
            exec: {command: [/bin/aws-ebs-csi-driver, pre-stop-hook]}
      - name: node-driver-registrar
        image: %[2]s
        imagePullPolicy: Always
        command: [/csi-node-driver-registrar]
        args: [--csi-address=$(ADDRESS), --kubelet-registration-path=$(DRIVER_REG_SOCK_PATH), --v=2]
        env:
        - {name: ADDRESS, value: /csi/csi.sock}
        - {name: DRIVER_REG_SOCK_PATH, value: /var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock}
        livenessProbe:
          exec:
            command: [/csi-node-driver-registrar, --kubelet-registration-path=$(DRIVER_REG_SOCK_PATH), --mode=kubelet-registration-probe]
          initialDelaySeconds: 30
          periodSeconds: 90
          timeoutSeconds: 15
        volumeMounts:
        - {name: plugin-dir, mountPath: /csi}
        - {name: registration-dir, mountPath: /registration}
        - {name: probe-dir, mountPath: /var/lib/kubelet/plugins/ebs.csi.aws.com/}
        resources:
          limits: {memory: 256Mi}
          requests: {cpu: 10m, memory: 40Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
      - name: liveness-probe
        image: %[2]s
        imagePullPolicy: Always
        command: [/livenessprobe]
        args: [--csi-address=/csi/csi.sock]
        volumeMounts:
        - {name: plugin-dir, mountPath: /csi}
        resources:
          limits: {memory: 256Mi}
          requests: {cpu: 10m, memory: 40Mi}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
      volumes:
      - name: kubelet-dir
        hostPath: {path: /var/lib/kubelet, type: Directory}
      - name: plugin-dir
        hostPath: {path: /var/lib/kubelet/plugins/ebs.csi.aws.com/, type: DirectoryOrCreate}
      - name: registration-dir
        hostPath: {path: /var/lib/kubelet/plugins_registry/, type: Directory}
      - name: device-dir
        hostPath: {path: /dev, type: Directory}
      - name: probe-dir
        emptyDir: {}`, e.driver, e.sidecars)
}

// ebsCSIClusterRole is one of the driver's cluster roles, as upstream's.
type ebsCSIClusterRole struct{ name, serviceAccount, rules string }

var ebsCSIClusterRoles = []ebsCSIClusterRole{
	{"ebs-external-attacher-role", "ebs-csi-controller-sa", `
- {apiGroups: [""], resources: [persistentvolumes], verbs: [get, list, watch, patch]}
- {apiGroups: [storage.k8s.io], resources: [csinodes], verbs: [get, list, watch]}
- {apiGroups: [storage.k8s.io], resources: [volumeattachments], verbs: [get, list, watch, patch]}
- {apiGroups: [storage.k8s.io], resources: [volumeattachments/status], verbs: [patch]}`},
	{"ebs-csi-node-role", "ebs-csi-node-sa", `
- {apiGroups: [""], resources: [nodes], verbs: [get, patch]}
- {apiGroups: [storage.k8s.io], resources: [volumeattachments], verbs: [get, list, watch]}
- {apiGroups: [storage.k8s.io], resources: [csinodes], verbs: [get]}`},
	{"ebs-external-provisioner-role", "ebs-csi-controller-sa", `
- {apiGroups: [""], resources: [persistentvolumes], verbs: [get, list, watch, create, patch, delete]}
- {apiGroups: [""], resources: [persistentvolumeclaims], verbs: [get, list, watch, update]}
- {apiGroups: [storage.k8s.io], resources: [storageclasses], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [events], verbs: [list, watch, create, update, patch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshots], verbs: [get, list]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshotcontents], verbs: [get, list]}
- {apiGroups: [storage.k8s.io], resources: [csinodes], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [nodes], verbs: [get, list, watch]}
- {apiGroups: [storage.k8s.io], resources: [volumeattachments], verbs: [get, list, watch]}
- {apiGroups: [storage.k8s.io], resources: [volumeattributesclasses], verbs: [get]}`},
	{"ebs-external-resizer-role", "ebs-csi-controller-sa", `
- {apiGroups: [""], resources: [persistentvolumes], verbs: [get, list, watch, patch]}
- {apiGroups: [""], resources: [persistentvolumeclaims], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [persistentvolumeclaims/status], verbs: [patch]}
- {apiGroups: [""], resources: [events], verbs: [list, watch, create, update, patch]}
- {apiGroups: [storage.k8s.io], resources: [volumeattributesclasses], verbs: [get, list, watch]}`},
	{"ebs-external-snapshotter-role", "ebs-csi-controller-sa", `
- {apiGroups: [""], resources: [events], verbs: [list, watch, create, update, patch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshotclasses], verbs: [get, list, watch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshotcontents], verbs: [get, list, watch, update, patch]}
- {apiGroups: [snapshot.storage.k8s.io], resources: [volumesnapshotcontents/status], verbs: [update, patch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshotclasses], verbs: [get, list, watch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshotcontents], verbs: [get, list, watch, update, patch]}
- {apiGroups: [groupsnapshot.storage.k8s.io], resources: [volumegroupsnapshotcontents/status], verbs: [update, patch]}`},
}
