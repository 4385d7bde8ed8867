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

// ebsVolumes: the aws-ebs-csi-driver add-on, with its controller's role
// from IRSA, gives a StatefulSet a gp3 volume that keeps its data when the
// pod moves to another node of its zone, grows online, snapshots and
// restores into a new claim, and goes when its claim does; `aws ec2
// describe-volumes` shows each step.
func ebsVolumes(t *testing.T, e *harness.Env, cluster, nodeRole string) {
	// Two nodes in one zone, for the pod to move between.
	subnet := e.PrivateSubnets()[0]
	e.Run("aws", "eks", "create-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "ebs", "--node-role", nodeRole,
		"--scaling-config", "minSize=2,maxSize=2,desiredSize=2", "--instance-types", "t3.medium", "--labels", "storage=ebs", "--subnets", subnet)
	e.Run("aws", "eks", "wait", "nodegroup-active", "--cluster-name", cluster, "--nodegroup-name", "ebs")

	role := e.EBSCSIRole(cluster)
	start := time.Now()
	e.Run("aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver", "--service-account-role-arn", role)
	e.Run("aws", "eks", "create-addon", "--cluster-name", cluster, "--addon-name", "snapshot-controller")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver")
	e.Run("aws", "eks", "wait", "addon-active", "--cluster-name", cluster, "--addon-name", "snapshot-controller")
	t.Logf("aws-ebs-csi-driver and snapshot-controller ACTIVE after %s", time.Since(start).Round(time.Second))
	if out := e.Run("kubectl", "get", "storageclass", "-o", "jsonpath={.items[*].metadata.name}"); !strings.Contains(out, "gp2") || !strings.Contains(out, "gp3") {
		t.Fatalf("storage classes: %q", out)
	}

	manifest := filepath.Join(t.TempDir(), "storage.yaml")
	if err := os.WriteFile(manifest, []byte(strings.ReplaceAll(storageManifest, "REGISTRY", registry)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Run("kubectl", "create", "namespace", "ebs")
	start = time.Now()
	e.Run("kubectl", "apply", "-f", manifest)
	e.Run("kubectl", "-n", "ebs", "wait", "--for=condition=Ready", "pod/db-0", "--timeout=180s")
	t.Logf("StatefulSet pod with a new gp3 volume Ready %s after apply", time.Since(start).Round(100*time.Millisecond))
	volume := func() (id, state, instance, size string) {
		out := strings.Fields(e.Run("aws", "ec2", "describe-volumes", "--filters", "Name=tag:kubernetes.io/created-for/pvc/name,Values=data-db-0",
			"--query", "Volumes[0].[VolumeId,State,Attachments[0].InstanceId,Size,VolumeType]", "--output", "text"))
		if len(out) != 5 || out[4] != "gp3" {
			t.Fatalf("describe-volumes for data-db-0: %v", out)
		}
		return out[0], out[1], out[2], out[3]
	}
	id, state, first, size := volume()
	if state != "in-use" || size != "1" {
		t.Errorf("%s is %s, %s GiB, want in-use, 1", id, state, size)
	}
	if out := e.Run("kubectl", "-n", "ebs", "exec", "db-0", "--", "cat", "/data/written"); strings.TrimSpace(out) != "kept" {
		t.Fatalf("the file db-0 wrote: %q", out)
	}

	// The pod moves to the other node of the zone; the volume follows.
	node := strings.TrimSpace(e.Run("kubectl", "-n", "ebs", "get", "pod", "db-0", "-o", "jsonpath={.spec.nodeName}"))
	e.Run("kubectl", "cordon", node)
	e.Run("kubectl", "-n", "ebs", "delete", "pod", "db-0")
	e.Run("kubectl", "-n", "ebs", "wait", "--for=condition=Ready", "pod/db-0", "--timeout=180s")
	if now := strings.TrimSpace(e.Run("kubectl", "-n", "ebs", "get", "pod", "db-0", "-o", "jsonpath={.spec.nodeName}")); now == node {
		t.Fatalf("db-0 came back on the cordoned %s", node)
	}
	if out := e.Run("kubectl", "-n", "ebs", "exec", "db-0", "--", "cat", "/data/written"); strings.TrimSpace(out) != "kept" {
		t.Errorf("on the other node, db-0 reads %q", out)
	}
	if _, state, second, _ := volume(); state != "in-use" || second == first {
		t.Errorf("after the move %s is %s on %s (was on %s)", id, state, second, first)
	}
	e.Run("kubectl", "uncordon", node)

	// A claim grows online: EC2 grows the volume, the driver the
	// filesystem. XFS, because this VM withholds CAP_SYS_RESOURCE, without
	// which the kernel refuses to grow a mounted ext4.
	e.Run("kubectl", "apply", "-f", writeManifest(t, strings.ReplaceAll(growManifest, "REGISTRY", registry)))
	e.Run("kubectl", "-n", "ebs", "wait", "--for=condition=Ready", "pod/grow", "--timeout=180s")
	e.Run("kubectl", "-n", "ebs", "patch", "pvc", "grow", "-p", `{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}`)
	start = time.Now()
	harness.Eventually(t, 3*time.Minute, "claim grow grown to 2Gi", func() error {
		capacity := e.Run("kubectl", "-n", "ebs", "get", "pvc", "grow", "-o", "jsonpath={.status.capacity.storage}")
		df := strings.Fields(e.Run("kubectl", "-n", "ebs", "exec", "grow", "--", "df", "-k", "/data"))
		var kib int
		if len(df) > 8 {
			kib, _ = strconv.Atoi(df[8]) // the filesystem's size, below the header's 7 words
		}
		if strings.TrimSpace(capacity) != "2Gi" || kib < 1800000 {
			return fmt.Errorf("capacity %q, df %v", capacity, df)
		}
		return nil
	})
	t.Logf("a mounted claim grown from 1 to 2 GiB in %s", time.Since(start).Round(100*time.Millisecond))
	if out := e.Run("aws", "ec2", "describe-volumes", "--filters", "Name=tag:kubernetes.io/created-for/pvc/name,Values=grow",
		"--query", "Volumes[0].Size", "--output", "text"); strings.TrimSpace(out) != "2" {
		t.Errorf("EC2 says the grown volume has %s GiB", out)
	}

	// A snapshot restores into a new claim with the data.
	e.Run("kubectl", "apply", "-f", writeManifest(t, snapshotManifest))
	harness.Eventually(t, 3*time.Minute, "snapshot ready", func() error {
		if ready := e.Run("kubectl", "-n", "ebs", "get", "volumesnapshot", "db-snap", "-o", "jsonpath={.status.readyToUse}"); ready != "true" {
			return fmt.Errorf("readyToUse %q", ready)
		}
		return nil
	})
	if out := e.Run("aws", "ec2", "describe-snapshots", "--owner-ids", "self", "--filters", "Name=volume-id,Values="+id,
		"--query", "Snapshots[].State", "--output", "text"); strings.TrimSpace(out) != "completed" {
		t.Errorf("describe-snapshots of %s: %q", id, out)
	}
	e.Run("kubectl", "apply", "-f", writeManifest(t, strings.ReplaceAll(restoreManifest, "REGISTRY", registry)))
	e.Run("kubectl", "-n", "ebs", "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/restored", "--timeout=180s")
	if out := e.Run("kubectl", "-n", "ebs", "logs", "restored"); strings.TrimSpace(out) != "kept" {
		t.Errorf("the restored claim holds %q", out)
	}

	// Deleting the claims deletes their volumes (reclaim policy Delete).
	e.Run("kubectl", "delete", "namespace", "ebs", "--timeout=180s")
	harness.Eventually(t, 3*time.Minute, "volumes deleted", func() error {
		out := e.Run("aws", "ec2", "describe-volumes", "--filters", "Name=tag:ebs.csi.aws.com/cluster,Values=true", "--query", "Volumes[].[VolumeId,State]", "--output", "text")
		if strings.TrimSpace(out) != "" {
			return fmt.Errorf("volumes left: %s", out)
		}
		return nil
	})
	harness.Eventually(t, 2*time.Minute, "snapshots deleted", func() error {
		if out := e.Run("aws", "ec2", "describe-snapshots", "--owner-ids", "self", "--query", "Snapshots[].[SnapshotId,State]", "--output", "text"); strings.TrimSpace(out) != "" {
			return fmt.Errorf("snapshots left: %s", out)
		}
		return nil
	})
	e.Run("kubectl", "delete", "storageclass", "gp3-xfs")
	e.Run("kubectl", "delete", "volumesnapshotclass", "csi-aws-vsc")
	e.Run("aws", "eks", "delete-addon", "--cluster-name", cluster, "--addon-name", "aws-ebs-csi-driver")
	e.Run("aws", "eks", "delete-addon", "--cluster-name", cluster, "--addon-name", "snapshot-controller")
	e.Run("aws", "eks", "delete-nodegroup", "--cluster-name", cluster, "--nodegroup-name", "ebs")
	e.Run("aws", "eks", "wait", "nodegroup-deleted", "--cluster-name", cluster, "--nodegroup-name", "ebs")
}

func writeManifest(t *testing.T, body string) string {
	f := filepath.Join(t.TempDir(), "manifest.yaml")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

const storageManifest = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ebs}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      nodeSelector: {storage: ebs}
      terminationGracePeriodSeconds: 1
      containers:
      - name: db
        image: REGISTRY/library/busybox:latest
        command: [sh, -c, 'test -f /data/written || echo kept > /data/written; exec sleep 3600']
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: gp3
      resources: {requests: {storage: 1Gi}}
`

const growManifest = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3-xfs}
provisioner: ebs.csi.aws.com
parameters: {type: gp3, csi.storage.k8s.io/fstype: xfs}
allowVolumeExpansion: true
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: grow, namespace: ebs}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: gp3-xfs
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: grow, namespace: ebs}
spec:
  nodeSelector: {storage: ebs}
  terminationGracePeriodSeconds: 1
  containers:
  - name: grow
    image: REGISTRY/library/busybox:latest
    command: [sleep, "3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: grow}
`

const snapshotManifest = `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {name: csi-aws-vsc}
driver: ebs.csi.aws.com
deletionPolicy: Delete
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: {name: db-snap, namespace: ebs}
spec:
  volumeSnapshotClassName: csi-aws-vsc
  source: {persistentVolumeClaimName: data-db-0}
`

const restoreManifest = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: restored, namespace: ebs}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: gp3
  resources: {requests: {storage: 1Gi}}
  dataSource: {name: db-snap, kind: VolumeSnapshot, apiGroup: snapshot.storage.k8s.io}
---
apiVersion: v1
kind: Pod
metadata: {name: restored, namespace: ebs}
spec:
  nodeSelector: {storage: ebs}
  restartPolicy: Never
  containers:
  - name: read
    image: REGISTRY/library/busybox:latest
    command: [cat, /data/written]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: restored}
`
