package addons

import (
	"fmt"
	"strings"
)

// karpenter is what the karpenter add-on runs: the controller's image and
// CRD files, and the cluster and AWS endpoint it works against.
type karpenter struct {
	image    string
	crdFiles []string // the module's pkg/apis/crds, copied by keks build-kubernetes
	cluster  string
	region   string
	// awsEndpoint and ca are keks's AWS API as pods reach it and its CA.
	awsEndpoint, ca string
	roleARN         string // the add-on's serviceAccountRoleArn: IRSA for the controller
}

// karpenterObjects are the karpenter add-on's objects, as Karpenter's Helm
// chart (charts/karpenter of karpenter-provider-aws v1.15.0, its defaults)
// renders them into kube-system: the CRDs (karpenter.sh NodePools,
// NodeClaims, NodeOverlays; karpenter.k8s.aws EC2NodeClasses;
// autoscaling.x-k8s.io CapacityBuffers), the service account, the core and
// AWS cluster roles, the leader-election and kube-dns roles, the admin
// aggregate, the metrics Service, the disruption budget and the controller
// Deployment (two replicas, one leader).
//
// Karpenter calls EC2, EKS, IAM, SSM and pricing as the role its service
// account gets from a Pod Identity association (kube-system/karpenter) or
// IRSA (the add-on's serviceAccountRoleArn), at keks's endpoint with keks's
// CA. ISOLATED_VPC=true: keks serves no pricing API (Karpenter's static
// price table stands), and it skips the instance-profile GC that needs it.
func karpenterObjects(k karpenter) ([]object, error) {
	var objs []object
	for _, f := range k.crdFiles {
		crd, err := crdObject(f)
		if err != nil {
			return nil, err
		}
		objs = append(objs, crd)
	}
	labels := func(indent int) string {
		pad := "\n" + strings.Repeat(" ", indent)
		return pad + "app.kubernetes.io/name: karpenter" + pad + "app.kubernetes.io/instance: karpenter"
	}
	saAnnotations := ""
	if k.roleARN != "" {
		saAnnotations = "\n  annotations:\n    eks.amazonaws.com/role-arn: " + k.roleARN
	}
	binding := func(kind, name, namespace, roleKind string) object {
		ns := ""
		if namespace != "" {
			ns = "\n  namespace: " + namespace
		}
		return manifest(kind, namespace, name, `
apiVersion: rbac.authorization.k8s.io/v1
kind: `+kind+`
metadata:
  name: `+name+ns+`
  labels:`+labels(4)+`
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: `+roleKind+`
  name: `+name+`
subjects:
- {kind: ServiceAccount, name: karpenter, namespace: kube-system}`)
	}
	objs = append(objs,
		manifest("ServiceAccount", "kube-system", "karpenter", `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: karpenter
  namespace: kube-system
  labels:`+labels(4)+saAnnotations+`
automountServiceAccountToken: false`),
		manifest("ConfigMap", "kube-system", "karpenter-aws-ca", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: karpenter-aws-ca
  namespace: kube-system
  labels:`+labels(4)+`
data:
  ca.crt: |
%s`, indent(k.ca, 4))),
		manifest("ClusterRole", "", "karpenter-core", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: karpenter-core
  labels:`+labels(4)+`
rules:
- {apiGroups: [karpenter.sh], resources: [nodepools, nodepools/status, nodeclaims, nodeclaims/status, nodeoverlays, nodeoverlays/status], verbs: [get, list, watch]}
- {apiGroups: [autoscaling.x-k8s.io], resources: [capacitybuffers, capacitybuffers/status], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [podtemplates], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [pods, nodes, persistentvolumes, persistentvolumeclaims, replicationcontrollers, namespaces], verbs: [get, list, watch]}
- {apiGroups: [storage.k8s.io], resources: [storageclasses, csinodes, volumeattachments], verbs: [get, watch, list]}
- {apiGroups: [apps], resources: [daemonsets, deployments, replicasets, statefulsets], verbs: [get, list, watch]}
- {apiGroups: [autoscaling.k8s.io], resources: [verticalpodautoscalers], verbs: [get, list, watch]}
- {apiGroups: [policy], resources: [poddisruptionbudgets], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [events], verbs: [get, list, watch]}
- {apiGroups: [resource.k8s.io], resources: [deviceclasses, resourceclaims, resourceslices], verbs: [get, list, watch]}
- {apiGroups: [karpenter.sh], resources: [nodeclaims, nodeclaims/status], verbs: [create, delete, update, patch]}
- {apiGroups: [karpenter.sh], resources: [nodepools, nodepools/status, nodeoverlays/status], verbs: [update, patch]}
- {apiGroups: [autoscaling.x-k8s.io], resources: [capacitybuffers/status], verbs: [update, patch]}
- {apiGroups: [""], resources: [events], verbs: [create, patch]}
- {apiGroups: [""], resources: [nodes], verbs: [patch, delete, update]}
- {apiGroups: [""], resources: [pods/eviction], verbs: [create]}
- {apiGroups: [""], resources: [pods], verbs: [delete]}`),
		binding("ClusterRoleBinding", "karpenter-core", "", "ClusterRole"),
		manifest("ClusterRole", "", "karpenter", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: karpenter
  labels:`+labels(4)+`
rules:
- {apiGroups: [karpenter.k8s.aws], resources: [ec2nodeclasses], verbs: [get, list, watch]}
- {apiGroups: [karpenter.k8s.aws], resources: [ec2nodeclasses, ec2nodeclasses/status], verbs: [patch, update]}`),
		binding("ClusterRoleBinding", "karpenter", "", "ClusterRole"),
		manifest("ClusterRole", "", "karpenter-admin", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: karpenter-admin
  labels:`+labels(4)+`
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
rules:
- {apiGroups: [karpenter.sh], resources: [nodepools, nodepools/status, nodeclaims, nodeclaims/status], verbs: [get, list, watch, create, delete, patch]}
- {apiGroups: [karpenter.k8s.aws], resources: [ec2nodeclasses], verbs: [get, list, watch, create, delete, patch]}`),
		manifest("Role", "kube-system", "karpenter", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: karpenter
  namespace: kube-system
  labels:`+labels(4)+`
rules:
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, watch]}
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [patch, update], resourceNames: [karpenter-leader-election]}
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [create]}`),
		binding("RoleBinding", "karpenter", "kube-system", "Role"),
		manifest("Role", "kube-system", "karpenter-dns", `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: karpenter-dns
  namespace: kube-system
  labels:`+labels(4)+`
rules:
- {apiGroups: [""], resources: [services], resourceNames: [kube-dns], verbs: [get]}`),
		binding("RoleBinding", "karpenter-dns", "kube-system", "Role"),
		manifest("Service", "kube-system", "karpenter", `
apiVersion: v1
kind: Service
metadata:
  name: karpenter
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  type: ClusterIP
  ports:
  - {name: http-metrics, port: 8080, targetPort: http-metrics, protocol: TCP}
  selector:`+labels(4)),
		manifest("PodDisruptionBudget", "kube-system", "karpenter", `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: karpenter
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  maxUnavailable: 1
  selector:
    matchLabels:`+labels(6)),
		manifest("Deployment", "kube-system", "karpenter", karpenterDeployment(k, labels)),
	)
	return objs, nil
}

// karpenterDeployment is the chart's Deployment with its default values,
// and keks's cluster, region, endpoint and CA in the environment.
func karpenterDeployment(k karpenter, labels func(int) string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: karpenter
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  replicas: 2
  revisionHistoryLimit: 10
  strategy:
    rollingUpdate: {maxUnavailable: 1}
  selector:
    matchLabels:`+labels(6)+`
  template:
    metadata:
      labels:`+labels(8)+`
    spec:
      automountServiceAccountToken: true
      serviceAccountName: karpenter
      securityContext:
        fsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
      priorityClassName: system-cluster-critical
      dnsPolicy: ClusterFirst
      schedulerName: default-scheduler
      nodeSelector: {kubernetes.io/os: linux}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: karpenter.sh/nodepool, operator: DoesNotExist}
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:`+labels(16)+`
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels:`+labels(12)+`
      tolerations:
      - {key: CriticalAddonsOnly, operator: Exists}
      containers:
      - name: controller
        image: %[1]s
        imagePullPolicy: IfNotPresent
        securityContext:
          privileged: false
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          runAsNonRoot: true
          runAsUser: 65532
          runAsGroup: 65532
          capabilities: {drop: [ALL]}
        env:
        - {name: KUBERNETES_MIN_VERSION, value: "1.19.0-0"}
        - {name: KARPENTER_SERVICE, value: karpenter}
        - {name: LOG_LEVEL, value: info}
        - {name: METRICS_PORT, value: "8080"}
        - {name: HEALTH_PROBE_PORT, value: "8081"}
        - name: SYSTEM_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        - name: CPU_REQUESTS
          valueFrom: {resourceFieldRef: {containerName: controller, divisor: 1m, resource: requests.cpu}}
        - name: MEMORY_LIMIT
          valueFrom: {resourceFieldRef: {containerName: controller, divisor: "0", resource: limits.memory}}
        - {name: FEATURE_GATES, value: "ReservedCapacity=true,SpotToSpotConsolidation=false,NodeRepair=false,NodeOverlay=false,StaticCapacity=false,CapacityBuffer=false,TerminateFirstDrift=false,TerminateFirstRepair=false,PodDeletionCostManagement=false"}
        - {name: AWS_FEATURE_GATES, value: "NodeClassCEL=false,DRANVIDIAGPU=false,DRAEFA=false,RebootForRepair=false"}
        - {name: BATCH_MAX_DURATION, value: 10s}
        - {name: BATCH_IDLE_DURATION, value: 1s}
        - {name: CLUSTER_NAME, value: %[2]q}
        - {name: ISOLATED_VPC, value: "true"}
        - {name: IGNORE_DRA_REQUESTS, value: "true"}
        - {name: AWS_REGION, value: %[3]q}
        - {name: AWS_ENDPOINT_URL, value: %[4]q}
        - {name: AWS_CA_BUNDLE, value: /etc/keks/aws-ca/ca.crt}
        ports:
        - {name: http-metrics, containerPort: 8080, protocol: TCP}
        - {name: http, containerPort: 8081, protocol: TCP}
        livenessProbe:
          initialDelaySeconds: 30
          timeoutSeconds: 30
          httpGet: {path: /healthz, port: http}
        readinessProbe:
          initialDelaySeconds: 5
          timeoutSeconds: 30
          httpGet: {path: /readyz, port: http}
        volumeMounts:
        - {name: aws-ca, mountPath: /etc/keks/aws-ca, readOnly: true}
      volumes:
      - name: aws-ca
        configMap: {name: karpenter-aws-ca}`, k.image, k.cluster, k.region, k.awsEndpoint)
}
