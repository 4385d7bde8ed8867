package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// metricsAndHPA: the metrics-server add-on makes `kubectl top` work, and a
// HorizontalPodAutoscaler on CPU scales a Deployment from 1 to at least 3
// under load and back to 1 when the load stops.
func metricsAndHPA(t *testing.T, e *harness.Env, cluster string) {
	e.Run("aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", "metrics-server")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "metrics-server")
	harness.Eventually(t, 2*time.Minute, "kubectl top nodes", func() error {
		out, err := e.Try("kubectl", "top", "nodes", "--no-headers")
		if err != nil || len(strings.Split(strings.TrimSpace(out), "\n")) < 2 {
			return fmt.Errorf("kubectl top nodes: %v: %s", err, out)
		}
		return nil
	})
	if out := e.Run("kubectl", "top", "pods", "-n", "kube-system", "--no-headers"); !strings.Contains(out, "metrics-server-") {
		t.Errorf("kubectl top pods -n kube-system: %s", out)
	}

	// An httpd whose CGI burns CPU, as the Kubernetes HPA walkthrough's
	// php-apache does, at 50m requested and 200m at most per pod.
	manifest := filepath.Join(t.TempDir(), "hpa.yaml")
	if err := os.WriteFile(manifest, []byte(strings.ReplaceAll(hpaManifest, "REGISTRY", registry)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Run("kubectl", "create", "namespace", "hpa")
	e.Run("kubectl", "apply", "-f", manifest)
	e.Run("kubectl", "-n", "hpa", "rollout", "status", "deployment/cpu", "--timeout=90s")
	e.Run("kubectl", "-n", "hpa", "run", "load", "--image="+registry+"/library/busybox:latest", "--restart=Never", "--",
		"sh", "-c", "while true; do wget -q -O- http://cpu/cgi-bin/burn >/dev/null; done")
	replicas := func() (int, string) {
		out := e.Run("kubectl", "-n", "hpa", "get", "hpa", "cpu", "-o", "jsonpath={.status.currentReplicas} {.status.currentMetrics[0].resource.current.averageUtilization}")
		n, _ := strconv.Atoi(strings.Fields(out + " 0")[0])
		return n, out
	}
	start := time.Now()
	harness.Eventually(t, 4*time.Minute, "the HPA scales cpu up to 3 or more", func() error {
		if n, out := replicas(); n < 3 {
			return fmt.Errorf("replicas and utilization: %s", out)
		}
		return nil
	})
	t.Logf("scaled up under load in %s", time.Since(start).Round(time.Second))
	e.Run("kubectl", "-n", "hpa", "delete", "pod", "load", "--wait=false")
	start = time.Now()
	harness.Eventually(t, 4*time.Minute, "the HPA scales cpu back to 1", func() error {
		if n, out := replicas(); n != 1 {
			return fmt.Errorf("replicas and utilization: %s", out)
		}
		return nil
	})
	t.Logf("scaled back down in %s", time.Since(start).Round(time.Second))
	e.Run("kubectl", "delete", "namespace", "hpa", "--wait=false")
	e.Run("aws", "eks", "delete-addon", "--cluster-name", cluster, "--addon-name", "metrics-server")
}

// hpaManifest scales down 15 s after the load stops (the default is 5
// minutes) so the test need not wait.
const hpaManifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: cpu, namespace: hpa}
spec:
  replicas: 1
  selector: {matchLabels: {app: cpu}}
  template:
    metadata: {labels: {app: cpu}}
    spec:
      containers:
      - name: httpd
        image: REGISTRY/library/busybox:latest
        command: [sh, -c, 'mkdir -p /www/cgi-bin && printf "#!/bin/sh\necho Content-Type: text/plain\necho\ni=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done; echo burnt\n" > /www/cgi-bin/burn && chmod +x /www/cgi-bin/burn && exec httpd -f -p 8080 -h /www']
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 50m}, limits: {cpu: 200m}}
---
apiVersion: v1
kind: Service
metadata: {name: cpu, namespace: hpa}
spec:
  selector: {app: cpu}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: cpu, namespace: hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cpu}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 15
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
`
