package fargate

import (
	"encoding/json"
	"maps"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMutation(t *testing.T) {
	zero := int32(0)
	for _, tc := range []struct {
		name       string
		pod        corev1.Pod
		wantLabels map[string]string
	}{
		{
			"kubectl run nginx, defaulted",
			corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: map[string]string{"run": "nginx"}},
				Spec:       corev1.PodSpec{SchedulerName: corev1.DefaultSchedulerName, Priority: &zero, Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
			},
			map[string]string{"run": "nginx", ProfileLabel: "demo-profile"},
		},
		{
			"no labels, no scheduler, no priority",
			corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}},
			map[string]string{ProfileLabel: "demo-profile"},
		},
		{
			"already pinned, another class",
			corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{ProfileLabel: "demo-profile"}},
				Spec:       corev1.PodSpec{PriorityClassName: "high", Priority: &zero, Containers: []corev1.Container{{Name: "c"}}},
			},
			map[string]string{ProfileLabel: "demo-profile"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			patch, err := Mutation(&tc.pod, "demo-profile")
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := jsonpatch.DecodePatch(patch)
			if err != nil {
				t.Fatalf("decode %s: %v", patch, err)
			}
			original, _ := json.Marshal(tc.pod)
			patched, err := decoded.Apply(original)
			if err != nil {
				t.Fatalf("apply %s: %v", patch, err)
			}
			var got corev1.Pod
			if err := json.Unmarshal(patched, &got); err != nil {
				t.Fatal(err)
			}
			if got.Spec.SchedulerName != "fargate-scheduler" {
				t.Errorf("schedulerName = %q", got.Spec.SchedulerName)
			}
			if got.Spec.PriorityClassName != "system-node-critical" || got.Spec.Priority == nil || *got.Spec.Priority != 2000001000 {
				t.Errorf("priority = %q %v", got.Spec.PriorityClassName, got.Spec.Priority)
			}
			if !maps.Equal(got.Labels, tc.wantLabels) {
				t.Errorf("labels = %v, want %v", got.Labels, tc.wantLabels)
			}
			if len(got.Spec.Tolerations) != 0 || len(got.Spec.NodeSelector) != 0 || len(got.Annotations) != 0 {
				t.Errorf("unexpected tolerations, nodeSelector or annotations: %+v", got)
			}
		})
	}
}

func TestMutationEscapesLabelKey(t *testing.T) {
	patch, err := Mutation(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}}}, "x")
	if err != nil {
		t.Fatal(err)
	}
	var ops []struct{ Op, Path string }
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatal(err)
	}
	if ops[1].Path != "/metadata/labels/eks.amazonaws.com~1fargate-profile" {
		t.Errorf("label path = %q", ops[1].Path)
	}
	if got := pointerEscape("a~b/c"); got != "a~0b~1c" {
		t.Errorf("pointerEscape = %q", got)
	}
}

func TestSkip(t *testing.T) {
	owner := func(apiVersion, kind string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: "o"}}
	}
	for _, tc := range []struct {
		name string
		pod  corev1.Pod
		want bool
	}{
		{"plain", corev1.Pod{}, false},
		{"ReplicaSet pod", corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: owner("apps/v1", "ReplicaSet")}}, false},
		{"DaemonSet pod", corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: owner("apps/v1", "DaemonSet")}}, true},
		{"someone else's DaemonSet kind", corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: owner("example.com/v1", "DaemonSet")}}, false},
		{"compute-type ec2", corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"eks.amazonaws.com/compute-type": "ec2"}}}, true},
		{"compute-type fargate", corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"eks.amazonaws.com/compute-type": "fargate"}}}, false},
		{"default scheduler", corev1.Pod{Spec: corev1.PodSpec{SchedulerName: "default-scheduler"}}, false},
		{"fargate scheduler set by hand", corev1.Pod{Spec: corev1.PodSpec{SchedulerName: "fargate-scheduler"}}, false},
		{"custom scheduler", corev1.Pod{Spec: corev1.PodSpec{SchedulerName: "volcano"}}, true},
		{"already bound", corev1.Pod{Spec: corev1.PodSpec{NodeName: "ip-10-0-0-1.ec2.internal"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Skip(&tc.pod); got != tc.want {
				t.Errorf("Skip = %v, want %v", got, tc.want)
			}
		})
	}
}
