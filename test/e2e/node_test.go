package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keksdev/keks/test/harness"
)

// TestSelfManagedNode starts an instance with `aws ec2 run-instances` for a
// cluster; it joins as a node with its instance role (no certificate of its
// own), runs a pod, and leaves nothing once terminated.
func TestSelfManagedNode(t *testing.T) {
	harness.Long(t, "about 95 s; TestEksctlFlow runs a self-managed node with run-instances too, and Lab 1 managed ones")
	e := harness.New(t)
	const name = "nodes"
	e.Run("aws", "eks", "create-cluster", "--name", name, "--role-arn", e.ClusterRole("clusterRole"), "--resources-vpc-config", "subnetIds="+strings.Join(e.PrivateSubnets(), ","))
	e.NodeRole("nodeRole")
	e.Run("aws", "eks", "wait", "cluster-active", "--name", name)
	e.Run("aws", "eks", "update-kubeconfig", "--name", name)

	subnet := strings.TrimSpace(e.Run("aws", "ec2", "describe-subnets", "--filters", "Name=availability-zone,Values=us-east-1b", "Name=map-public-ip-on-launch,Values=false", "--query", "Subnets[0].SubnetId", "--output", "text"))
	userData := "#!/bin/bash\n/etc/eks/bootstrap.sh " + name + "\n"
	out := strings.Fields(e.Run("aws", "ec2", "run-instances", "--image-id", "ami-keks", "--instance-type", "t3.medium", "--subnet-id", subnet,
		"--iam-instance-profile", "Name=nodeRole", "--count", "1", "--user-data", userData,
		"--query", "Instances[0].[InstanceId,PrivateDnsName]", "--output", "text"))
	id, node := out[0], out[1]
	start := time.Now()
	harness.Eventually(t, 90*time.Second, "node Ready", func() error {
		st, err := e.Try("kubectl", "get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if strings.TrimSpace(st) != "True" {
			return fmt.Errorf("node %s: %q %v", node, st, err)
		}
		return nil
	})
	t.Logf("node %s Ready %s after run-instances", node, time.Since(start).Round(100*time.Millisecond))
	labels := e.Run("kubectl", "get", "node", node, "-o", "jsonpath={.metadata.labels}")
	for _, want := range []string{`"topology.kubernetes.io/zone":"us-east-1b"`, `"node.kubernetes.io/instance-type":"t3.medium"`} {
		if !strings.Contains(labels, want) {
			t.Errorf("node labels %s lack %s", labels, want)
		}
	}
	if pid := e.Run("kubectl", "get", "node", node, "-o", "jsonpath={.spec.providerID}"); pid != "aws:///us-east-1b/"+id {
		t.Errorf("providerID %q", pid)
	}
	if st := strings.TrimSpace(e.Run("aws", "ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].State.Name", "--output", "text")); st != "running" {
		t.Errorf("instance state %s", st)
	}

	// A pod on the node: logs and exec go through the kubelet; busybox comes from keks's registry.
	waitDefaultServiceAccount(t, e, "default")
	e.Run("kubectl", "run", "hello", "--image=busybox", "--command", "--", "/bin/busybox", "sh", "-c", "echo hello from keks; exec /bin/busybox sleep 3600")
	e.Run("kubectl", "wait", "--for=condition=Ready", "pod/hello", "--timeout=60s")
	if logs := e.Run("kubectl", "logs", "hello"); !strings.Contains(logs, "hello from keks") {
		t.Errorf("logs: %q", logs)
	}
	if out := e.Run("kubectl", "exec", "hello", "--", "/bin/busybox", "hostname"); strings.TrimSpace(out) != "hello" {
		t.Errorf("exec hostname: %q", out)
	}

	e.Run("aws", "ec2", "terminate-instances", "--instance-ids", id)
	harness.Eventually(t, 60*time.Second, "instance terminated", func() error {
		st := strings.TrimSpace(e.Run("aws", "ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].State.Name", "--output", "text"))
		if st != "terminated" {
			return fmt.Errorf("state %s", st)
		}
		return nil
	})
	if _, err := e.Try("kubectl", "get", "node", node); err == nil {
		t.Errorf("node %s still registered after its instance was terminated", node)
	}
	// Nothing of the instance is left: processes, namespaces, devices, mounts, cgroups, routes, files.
	dir := filepath.Join(e.Dir, "data", "instances", id)
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("instance directory %s left", dir)
	}
	if out := e.Run("ip", "netns", "list"); strings.Contains(out, id) || strings.Contains(out, "cni-") {
		t.Errorf("network namespaces left: %s", out)
	}
	if out := e.Run("ip", "-o", "link"); strings.Contains(out, "kv"+strings.TrimPrefix(id, "i-")[:10]) {
		t.Errorf("veth left: %s", out)
	}
	if b, _ := os.ReadFile("/proc/mounts"); strings.Contains(string(b), dir) {
		t.Errorf("mounts left: %s", grep(string(b), dir))
	}
	if m, _ := filepath.Glob("/sys/fs/cgroup/*/keks/" + id); len(m) > 0 {
		t.Errorf("cgroups left: %v", m)
	}
	if out := e.Run("ip", "route"); strings.Contains(out, "100.64.") || strings.Contains(out, "100.") && strings.Contains(out, "/26") {
		t.Errorf("pod routes left: %s", grep(out, "/26"))
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), dir) {
			t.Errorf("process left: %s", strings.ReplaceAll(string(b), "\x00", " "))
		}
	}

	// keks's own command starts a self-managed node the same way.
	joined := strings.Fields(e.Run(e.Keks, "join", "--cluster", name, "--instance-profile", "nodeRole"))
	harness.Eventually(t, 90*time.Second, "joined node Ready", func() error {
		st, err := e.Try("kubectl", "get", "node", joined[1], "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if strings.TrimSpace(st) != "True" {
			return fmt.Errorf("node %s: %q %v", joined[1], st, err)
		}
		return nil
	})
	e.Run("aws", "ec2", "terminate-instances", "--instance-ids", joined[0])
}

// waitDefaultServiceAccount waits for a namespace's default service
// account, without which a bare pod is refused: the controller manager
// makes it a moment after the namespace (or, for "default", after the
// cluster turns ACTIVE).
func waitDefaultServiceAccount(t *testing.T, e *harness.Env, ns string) {
	t.Helper()
	harness.Eventually(t, 30*time.Second, "the default service account of namespace "+ns, func() error {
		_, err := e.Try("kubectl", "-n", ns, "get", "serviceaccount", "default")
		return err
	})
}
