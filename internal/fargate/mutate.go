package fargate

import (
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Mutation is the RFC 6902 JSON patch the webhook answers a matched pod's
// CREATE with. It makes the pod what a Fargate pod looks like next to the
// same pod on EC2 (fargate.md A2, "Mutation observed"): the
// fargate-scheduler, the profile's label, and system-node-critical's
// priority. The priority value is set with the class because the Priority
// admission plugin, which would derive it, has run before the webhooks.
// No toleration or nodeSelector is added, and the CapacityProvisioned
// and Logging annotations are the scheduler's, not the webhook's.
//
// Every operation is an "add", which replaces a member that exists; so
// the patch holds whether or not the pod already had the field.
func Mutation(pod *corev1.Pod, profile string) ([]byte, error) {
	type op struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	ops := []op{{"add", "/spec/schedulerName", SchedulerName}}
	if pod.Labels == nil {
		ops = append(ops, op{"add", "/metadata/labels", map[string]string{ProfileLabel: profile}})
	} else {
		ops = append(ops, op{"add", "/metadata/labels/" + pointerEscape(ProfileLabel), profile})
	}
	ops = append(ops,
		op{"add", "/spec/priorityClassName", PriorityClassName},
		op{"add", "/spec/priority", Priority},
	)
	return json.Marshal(ops)
}

// pointerEscape escapes a key for a JSON pointer (RFC 6901): ~ first, so
// that the ~ of ~1 is not escaped again.
func pointerEscape(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// Skip reports whether the webhook leaves a pod alone although a profile
// may match it:
//   - pods of DaemonSets, which Fargate never runs (UG fargate.adoc; their
//     pods are never mutated, fargate.md A2);
//   - pods annotated eks.amazonaws.com/compute-type: ec2, as CoreDNS's
//     template once was to keep it on EC2 (UG fargate-getting-started.adoc);
//   - pods that name a scheduler other than the default one (or the
//     fargate-scheduler itself, which some set by hand when the webhook was
//     not yet there, karpenter-provider-aws#7455): no source says what EKS
//     does with them, and keks does not take a pod from the scheduler it
//     asked for;
//   - pods created already bound to a node, which no scheduler places.
func Skip(pod *corev1.Pod) bool {
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "DaemonSet" && strings.HasPrefix(ref.APIVersion, "apps/") {
			return true
		}
	}
	if pod.Annotations[ComputeTypeLabel] == "ec2" {
		return true
	}
	switch pod.Spec.SchedulerName {
	case "", corev1.DefaultSchedulerName, SchedulerName:
	default:
		return true
	}
	return pod.Spec.NodeName != ""
}
