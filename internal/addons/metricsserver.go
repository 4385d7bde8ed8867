package addons

import (
	"fmt"
	"strings"
)

// metricsServerObjects are the metrics-server add-on's objects: upstream's
// manifests (manifests/base of metrics-server 0.8.0) as EKS's community
// add-on installs them, two replicas on port 10251 with a disruption
// budget. --kubelet-insecure-tls because keks's kubelets serve certificates
// of their own (no serving CSRs yet), which the API server does not verify
// either.
func metricsServerObjects(image string) []object {
	labels := func(indent int) string {
		pad := "\n" + strings.Repeat(" ", indent)
		return pad + "app.kubernetes.io/name: metrics-server" + pad + "app.kubernetes.io/instance: metrics-server"
	}
	return []object{
		manifest("ServiceAccount", "kube-system", "metrics-server", `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: metrics-server
  namespace: kube-system
  labels:`+labels(4)),
		manifest("ClusterRole", "", "system:metrics-server-aggregated-reader", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:metrics-server-aggregated-reader
  labels:
    rbac.authorization.k8s.io/aggregate-to-view: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]`),
		manifest("ClusterRole", "", "system:metrics-server", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:metrics-server
  labels:`+labels(4)+`
rules:
- apiGroups: [""]
  resources: [nodes/metrics]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, nodes]
  verbs: [get, list, watch]`),
		manifest("RoleBinding", "kube-system", "metrics-server-auth-reader", `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: metrics-server-auth-reader
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
subjects:
- {kind: ServiceAccount, name: metrics-server, namespace: kube-system}`),
		manifest("ClusterRoleBinding", "", "metrics-server:system:auth-delegator", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: metrics-server:system:auth-delegator
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:auth-delegator
subjects:
- {kind: ServiceAccount, name: metrics-server, namespace: kube-system}`),
		manifest("ClusterRoleBinding", "", "system:metrics-server", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:metrics-server
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:metrics-server
subjects:
- {kind: ServiceAccount, name: metrics-server, namespace: kube-system}`),
		manifest("Service", "kube-system", "metrics-server", `
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  selector:`+labels(4)+`
  ports:
  - {name: https, port: 443, protocol: TCP, targetPort: https}`),
		manifest("Deployment", "kube-system", "metrics-server", fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics-server
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  replicas: 2
  selector:
    matchLabels:`+labels(6)+`
  strategy:
    rollingUpdate:
      maxUnavailable: 0
  template:
    metadata:
      labels:`+labels(8)+`
    spec:
      serviceAccountName: metrics-server
      priorityClassName: system-cluster-critical
      nodeSelector:
        kubernetes.io/os: linux
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:`+labels(18)+`
      volumes:
      - {name: tmp-dir, emptyDir: {}}
      containers:
      - name: metrics-server
        image: %s
        args:
        - --cert-dir=/tmp
        - --secure-port=10251
        - --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
        - --kubelet-use-node-status-port
        - --metric-resolution=15s
        - --kubelet-insecure-tls
        ports:
        - {name: https, containerPort: 10251, protocol: TCP}
        resources:
          requests: {cpu: 100m, memory: 200Mi}
        readinessProbe:
          httpGet: {path: /readyz, port: https, scheme: HTTPS}
          periodSeconds: 10
          failureThreshold: 3
          initialDelaySeconds: 20
        livenessProbe:
          httpGet: {path: /livez, port: https, scheme: HTTPS}
          periodSeconds: 10
          failureThreshold: 3
        securityContext:
          readOnlyRootFilesystem: true
          runAsNonRoot: true
          runAsUser: 1000
          allowPrivilegeEscalation: false
          seccompProfile: {type: RuntimeDefault}
          capabilities: {drop: [ALL]}
        volumeMounts:
        - {name: tmp-dir, mountPath: /tmp}`, image)),
		manifest("PodDisruptionBudget", "kube-system", "metrics-server", `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: metrics-server
  namespace: kube-system
  labels:`+labels(4)+`
spec:
  minAvailable: 1
  selector:
    matchLabels:`+labels(6)),
		manifest("APIService", "", "v1beta1.metrics.k8s.io", `
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
  labels:`+labels(4)+`
spec:
  service: {name: metrics-server, namespace: kube-system}
  group: metrics.k8s.io
  version: v1beta1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100`),
	}
}
