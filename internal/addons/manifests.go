package addons

import (
	"encoding/json"
	"fmt"

	"github.com/keksdev/keks/internal/eks"
)

// coreDNSObjects are the coredns add-on's objects, as EKS installs them:
// two replicas spread over zones, the kube-dns Service at the tenth address
// of the service range, and a budget that keeps one running during drains.
func coreDNSObjects(image, clusterIP string, cfg *eks.CoreDNSConfig) []object {
	replicas, annotations, resources := coreDNSSettings(cfg)
	return []object{
		manifest("ServiceAccount", "kube-system", "coredns", `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: coredns
  namespace: kube-system
  labels:
    eks.amazonaws.com/component: coredns`),
		manifest("ClusterRole", "", "system:coredns", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:coredns
  labels:
    eks.amazonaws.com/component: coredns
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]`),
		manifest("ClusterRoleBinding", "", "system:coredns", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:coredns
  labels:
    eks.amazonaws.com/component: coredns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:coredns
subjects:
- kind: ServiceAccount
  name: coredns
  namespace: kube-system`),
		manifest("ConfigMap", "kube-system", "coredns", `
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
  labels:
    eks.amazonaws.com/component: coredns
data:
  Corefile: |
    .:53 {
        errors
        health {
            lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        forward . /etc/resolv.conf
        cache 30
        loop
        reload
        loadbalance
    }`),
		manifest("Deployment", "kube-system", "coredns", fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
    eks.amazonaws.com/component: coredns
spec:
  replicas: %d
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1}
  selector:
    matchLabels:
      k8s-app: kube-dns
      eks.amazonaws.com/component: coredns
  template:
    metadata:
      labels:
        k8s-app: kube-dns
        eks.amazonaws.com/component: coredns%s
    spec:
      serviceAccountName: coredns
      priorityClassName: system-cluster-critical
      dnsPolicy: Default
      tolerations:
      - {key: CriticalAddonsOnly, operator: Exists}
      - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels: {k8s-app: kube-dns}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels: {k8s-app: kube-dns}
      containers:
      - name: coredns
        image: %s
        args: [-conf, /etc/coredns/Corefile]
        resources: %s
        ports:
        - {containerPort: 53, name: dns, protocol: UDP}
        - {containerPort: 53, name: dns-tcp, protocol: TCP}
        - {containerPort: 9153, name: metrics, protocol: TCP}
        livenessProbe:
          httpGet: {path: /health, port: 8080}
          initialDelaySeconds: 60
          timeoutSeconds: 5
          failureThreshold: 5
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
        securityContext:
          allowPrivilegeEscalation: false
          capabilities:
            add: [NET_BIND_SERVICE]
            drop: [ALL]
          readOnlyRootFilesystem: true
        volumeMounts:
        - {name: config-volume, mountPath: /etc/coredns, readOnly: true}
      volumes:
      - name: config-volume
        configMap:
          name: coredns
          items:
          - {key: Corefile, path: Corefile}`, replicas, annotations, image, resources)),
		manifest("Service", "kube-system", "kube-dns", fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
    kubernetes.io/cluster-service: "true"
    kubernetes.io/name: CoreDNS
    eks.amazonaws.com/component: kube-dns
spec:
  selector:
    k8s-app: kube-dns
  clusterIP: %s
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
  - {name: metrics, port: 9153, protocol: TCP, targetPort: 9153}`, clusterIP)),
		manifest("PodDisruptionBudget", "kube-system", "coredns", `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: coredns
  namespace: kube-system
  labels:
    eks.amazonaws.com/component: coredns
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      k8s-app: kube-dns
      eks.amazonaws.com/component: coredns`),
	}
}

// kubeProxyObjects let the nodes' kube-proxy (run beside each kubelet with
// the node's identity) read Services and EndpointSlices.
func kubeProxyObjects() []object {
	return []object{manifest("ClusterRoleBinding", "", "eks:kube-proxy", `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: eks:kube-proxy
  labels:
    eks.amazonaws.com/component: kube-proxy
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:node-proxier
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: system:nodes`)}
}

// coreDNSSettings are the parts of the coredns Deployment its
// configuration values change: replicas, the pod template's compute-type
// annotation, and the container's resources (as JSON, which is YAML).
func coreDNSSettings(cfg *eks.CoreDNSConfig) (replicas int, annotations, resources string) {
	replicas, resources = 2, `{"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}}`
	if cfg == nil {
		return replicas, "", resources
	}
	if cfg.ReplicaCount != nil {
		replicas = *cfg.ReplicaCount
	}
	switch cfg.ComputeType {
	case "Fargate", "fargate":
		annotations = "\n      annotations:\n        eks.amazonaws.com/compute-type: fargate"
	case "EC2", "ec2":
		annotations = "\n      annotations:\n        eks.amazonaws.com/compute-type: ec2"
	}
	if cfg.Resources != nil {
		data, _ := json.Marshal(cfg.Resources)
		resources = string(data)
	}
	return replicas, annotations, resources
}
