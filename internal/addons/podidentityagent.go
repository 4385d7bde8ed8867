package addons

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podIdentityAgentObjects are the eks-pod-identity-agent add-on's objects,
// as EKS installs them: a DaemonSet on every node, with the host's network,
// serving 169.254.170.23:80 to the node's pods and its health on 2703. The
// agent signs its EKS Auth calls with the node's credentials, and reaches
// keks's EKS Auth at awsEndpoint, whose certificate chains to ca.
func podIdentityAgentObjects(image, cluster, region, awsEndpoint, ca string) []object {
	indentedCA := "    " + strings.ReplaceAll(strings.TrimSpace(ca), "\n", "\n    ")
	return []object{
		manifest("ConfigMap", "kube-system", "eks-pod-identity-agent-ca", fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: eks-pod-identity-agent-ca
  namespace: kube-system
  labels:
    app.kubernetes.io/name: eks-pod-identity-agent
data:
  ca.crt: |
%s`, indentedCA)),
		manifest("DaemonSet", "kube-system", "eks-pod-identity-agent", fmt.Sprintf(`
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: eks-pod-identity-agent
  namespace: kube-system
  labels:
    app.kubernetes.io/name: eks-pod-identity-agent
    app.kubernetes.io/instance: eks-pod-identity-agent
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: eks-pod-identity-agent
      app.kubernetes.io/instance: eks-pod-identity-agent
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 10%%
  template:
    metadata:
      labels:
        app.kubernetes.io/name: eks-pod-identity-agent
        app.kubernetes.io/instance: eks-pod-identity-agent
    spec:
      hostNetwork: true
      priorityClassName: system-node-critical
      terminationGracePeriodSeconds: 30
      tolerations:
      - operator: Exists
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - key: kubernetes.io/os
                operator: In
                values: [linux]
              - key: eks.amazonaws.com/compute-type
                operator: NotIn
                values: [fargate, hybrid, auto]
      containers:
      - name: eks-pod-identity-agent
        image: %s
        args: ["--cluster-name", %q, "--port", "80", "--probe-port", "2703"]
        env:
        - {name: AWS_REGION, value: %q}
        - {name: AWS_ENDPOINT_URL, value: %q}
        - {name: AWS_CA_BUNDLE, value: /etc/keks/aws-ca/ca.crt}
        ports:
        - {name: proxy, containerPort: 80, protocol: TCP}
        - {name: probes-port, containerPort: 2703, protocol: TCP}
        livenessProbe:
          httpGet: {host: localhost, path: /healthz, port: probes-port, scheme: HTTP}
          initialDelaySeconds: 30
          timeoutSeconds: 10
        readinessProbe:
          httpGet: {host: localhost, path: /readyz, port: probes-port, scheme: HTTP}
          initialDelaySeconds: 1
          timeoutSeconds: 10
        resources:
          requests: {cpu: 25m, memory: 16Mi}
        securityContext:
          capabilities:
            add: [NET_ADMIN]
        volumeMounts:
        - {name: aws-ca, mountPath: /etc/keks/aws-ca, readOnly: true}
      volumes:
      - name: aws-ca
        configMap:
          name: eks-pod-identity-agent-ca`, image, cluster, region, awsEndpoint)),
	}
}

// daemonSetReady reports whether a DaemonSet runs, available, on every node
// it should.
func (in *install) daemonSetReady(ctx context.Context, name string) (bool, error) {
	d, err := in.cs.AppsV1().DaemonSets("kube-system").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.NumberAvailable == s.DesiredNumberScheduled && s.UpdatedNumberScheduled == s.DesiredNumberScheduled, nil
}
