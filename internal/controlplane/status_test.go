package controlplane

import (
	"testing"
	"time"
)

func TestStatusesOnBothRuntimes(t *testing.T) {
	started := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	kube := &State{ClusterName: "c", Region: "us-east-1", ClusterUID: "u1", Runtime: RuntimeKubernetes,
		Instances: []Instance{{Name: "etcd-a", StartedAt: started, Healthy: true}, {Name: "etcd-b"}}}
	rows := Statuses(kube)
	if len(rows) != 2 || !rows[0].Running || rows[1].Running || rows[0].Namespace != "keks-u1" || rows[0].Runtime != RuntimeKubernetes {
		t.Errorf("kubernetes runtime rows: %+v", rows)
	}
	host := &State{ClusterName: "c", ClusterUID: "u2", Instances: []Instance{{Name: "etcd-a", PID: 0}}}
	if rows := Statuses(host); len(rows) != 1 || rows[0].Running || rows[0].Runtime != RuntimeHost || rows[0].Namespace != "" {
		t.Errorf("host runtime rows: %+v", rows)
	}
}
