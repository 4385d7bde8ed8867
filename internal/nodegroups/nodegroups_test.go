package nodegroups

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keksdev/keks/internal/ec2"
)

func TestScaleInTakesFromTheFullestZoneNewestFirst(t *testing.T) {
	t0 := time.Now()
	m := func(id, zone string, age time.Duration) *member {
		return &member{Instance: ec2.Instance{ID: id, Zone: zone, LaunchTime: t0.Add(-age)}}
	}
	got := scaleInOrder([]*member{m("a-old", "a", 3*time.Hour), m("b", "b", 2*time.Hour), m("a-new", "a", time.Hour), m("c", "c", 0)})
	if got[0].ID != "a-new" || got[1].ID != "a-old" {
		t.Errorf("scale-in order %s, %s...; want a-new, a-old first", got[0].ID, got[1].ID)
	}
}

func TestConfigureNodeKeepsWhatTheGroupDidNotSet(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"kubernetes.io/hostname": "h", "old": "1"},
		Annotations: map[string]string{annotLabels: "old"}}}
	n.Spec.Taints = []corev1.Taint{{Key: "user", Effect: corev1.TaintEffectNoSchedule}}
	want := map[string]corev1.Taint{"team:NoSchedule": {Key: "team", Value: "a", Effect: corev1.TaintEffectNoSchedule}}
	if !configureNode(n, map[string]string{"team": "a"}, want) {
		t.Fatal("no change reported")
	}
	if n.Labels["team"] != "a" || n.Labels["kubernetes.io/hostname"] != "h" {
		t.Errorf("labels %v", n.Labels)
	}
	if _, ok := n.Labels["old"]; ok {
		t.Errorf("a label the group removed is still there: %v", n.Labels)
	}
	if len(n.Spec.Taints) != 2 {
		t.Errorf("taints %v", n.Spec.Taints)
	}
	if configureNode(n, map[string]string{"team": "a"}, want) {
		t.Error("a second pass changed the node again")
	}
	configureNode(n, nil, nil)
	if len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != "user" {
		t.Errorf("removing the group's taint touched others: %v", n.Spec.Taints)
	}
}

func TestDrainLeavesDaemonSetAndMirrorPods(t *testing.T) {
	ds := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: "DaemonSet"}}}}
	mirror := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"}}}
	done := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodSucceeded}}
	rs := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet"}}}}
	if movable(ds) || movable(mirror) || movable(done) || !movable(rs) {
		t.Error("drain moves the wrong pods")
	}
}
