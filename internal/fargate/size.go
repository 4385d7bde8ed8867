package fargate

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The fargate-scheduler's PodScheduled=False condition for a pod bigger
// than any Fargate configuration (aws/eks-distro-prow-jobs#11).
const (
	TooBigReason  = "POD_CPU_MEM_EXCEEDS_MAX_FARGATE_SIZE"
	TooBigMessage = "Your pod's cpu/memory requirements exceed the max Fargate configuration"
)

// KubernetesMemoryMiB is what Fargate adds to every pod's memory for the
// kubelet, kube-proxy and containerd ("Fargate adds 256 MB to each Pod's
// memory reservation", UG fargate-pod-configuration.adoc). The UG's MB
// and GB are binary, as in ECS, whose Fargate task sizes are 512, 1024,
// 2048… MiB: its example of 1 vCPU and 8 GB coming out as 2 vCPU 9 GB
// works only if the 8 GB is 8Gi, since a decimal 8G (7630 MiB) plus 256
// would still fit 1 vCPU's 8 GB (8192 MiB).
const KubernetesMemoryMiB = 256

// Size is a Fargate configuration: vCPU in thousandths and memory.
type Size struct {
	MilliCPU  int64
	MemoryMiB int64
}

// String is the pod's CapacityProvisioned annotation: "0.25vCPU 0.5GB",
// "2vCPU 9GB" (UG fargate-pod-configuration.adoc; containers-roadmap#1976).
func (s Size) String() string {
	return strconv.FormatFloat(float64(s.MilliCPU)/1000, 'f', -1, 64) + "vCPU " +
		strconv.FormatFloat(float64(s.MemoryMiB)/1024, 'f', -1, 64) + "GB"
}

// TooBigError is SizeOf's error for a pod that no configuration fits;
// the scheduler reports it with TooBigReason and TooBigMessage.
type TooBigError struct {
	// MilliCPU and MemoryMiB are what the pod needs, the 256 MiB included.
	MilliCPU, MemoryMiB int64
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("%s (the pod needs %dm CPU and %d MiB of memory)", TooBigMessage, e.MilliCPU, e.MemoryMiB)
}

// sizes are Fargate's configurations, by vCPU and then memory (UG
// fargate-pod-configuration.adoc, the table).
var sizes = func() []Size {
	const gb = 1024
	var out []Size
	row := func(milliCPU int64, memoryGB ...int64) {
		for _, m := range memoryGB {
			out = append(out, Size{milliCPU, m})
		}
	}
	steps := func(from, to, step int64) []int64 {
		var out []int64
		for m := from; m <= to; m += step {
			out = append(out, m)
		}
		return out
	}
	row(250, gb/2, gb, 2*gb)
	row(500, steps(gb, 4*gb, gb)...)
	row(1000, steps(2*gb, 8*gb, gb)...)
	row(2000, steps(4*gb, 16*gb, gb)...)
	row(4000, steps(8*gb, 30*gb, gb)...)
	row(8000, steps(16*gb, 60*gb, 4*gb)...)
	row(16000, steps(32*gb, 120*gb, 8*gb)...)
	return out
}()

// SizeOf is the Fargate configuration EKS provisions for a pod (UG
// fargate-pod-configuration.adoc): per resource, the larger of the
// largest init container's request and the sum of the long-running
// containers' requests; 256 MiB more memory; then the configuration with
// the fewest vCPUs, and within it the least memory, that holds both. A
// pod that asks for nothing gets the smallest, 0.25 vCPU and 0.5 GB.
//
// Only requests count: limits do not size the pod, which is why EKS tells
// users to make them equal (the same page) and why a limit above the
// provisioned size fails the container's cgroup setup
// (containers-roadmap#1890). A container with a limit but no request has
// the limit as request, as the API server's defaulting gives it.
//
// Sidecars (init containers with restartPolicy Always) are counted as
// Kubernetes counts them, with the long-running containers and under
// every init container that starts after them; no EKS source covers them.
// Likewise pod-level requests (spec.resources), when set, replace the
// containers' sum, as in Kubernetes.
func SizeOf(pod *corev1.Pod) (Size, error) {
	cpu := podRequest(pod, corev1.ResourceCPU, func(q resource.Quantity) int64 { return q.MilliValue() })
	memory := podRequest(pod, corev1.ResourceMemory, func(q resource.Quantity) int64 { return ceilDiv(q.Value(), 1<<20) })
	memory += KubernetesMemoryMiB
	for _, s := range sizes {
		if s.MilliCPU >= cpu && s.MemoryMiB >= memory {
			return s, nil
		}
	}
	return Size{}, &TooBigError{MilliCPU: cpu, MemoryMiB: memory}
}

// podRequest is the pod's need of one resource, in the unit value gives.
func podRequest(pod *corev1.Pod, name corev1.ResourceName, value func(resource.Quantity) int64) int64 {
	if r := pod.Spec.Resources; r != nil {
		if q, ok := r.Requests[name]; ok {
			return value(q)
		}
	}
	request := func(c corev1.Container) int64 {
		if q, ok := c.Resources.Requests[name]; ok {
			return value(q)
		}
		if q, ok := c.Resources.Limits[name]; ok {
			return value(q)
		}
		return 0
	}
	var longRunning, sidecars, initMax int64
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars += request(c)
			initMax = max(initMax, sidecars)
			continue
		}
		initMax = max(initMax, sidecars+request(c))
	}
	for _, c := range pod.Spec.Containers {
		longRunning += request(c)
	}
	return max(initMax, longRunning+sidecars)
}

func ceilDiv(a, b int64) int64 {
	return (a + b - 1) / b
}
